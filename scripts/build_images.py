"""`make static`: the organisers' pictures (content/images/) in the sizes and formats browsers want.

A phone should not download a 3000-pixel photograph, and browsers that read AVIF or WebP get
the same picture in a third to a half of the JPEG's bytes. So each source is made once, at
build time, into static/img/built/<name>-<width>.<avif|webp|jpg> at a few widths (never wider
than the source), with static/img/built/manifest.json listing them for web/images.py.

The outputs carry no metadata: a phone's photograph holds the place it was taken (GPS), the
camera and the time, none of which the page should publish. The EXIF orientation is applied to
the pixels first, and an embedded colour profile is converted to sRGB, so dropping both changes
nothing on screen. Same sources, same Pillow: same bytes (AVIF is encoded on one thread, since
the thread count changes its output).

Run: `.venv/bin/python -m scripts.build_images [--source content/images] [--output static/img/built]`
"""

import argparse
import io
import json
import re
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps, features

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "content" / "images"
OUTPUT = ROOT / "static" / "img" / "built"
MANIFEST = "manifest.json"
WIDTHS = (320, 640, 960, 1280)
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # portrait, poster-justice: safe in URLs
# Format -> (file suffix, Pillow's save options). JPEG last: every browser reads it.
FORMATS = {
    "avif": (".avif", {"format": "AVIF", "quality": 60, "max_threads": 1}),
    "webp": (".webp", {"format": "WEBP", "quality": 80, "method": 6}),
    "jpeg": (".jpg", {"format": "JPEG", "quality": 80, "progressive": True, "optimize": True}),
}
BUILT_FILE = re.compile(r"[a-z0-9-]+-\d+\.(?:avif|webp|jpg)")  # what this script writes
SRGB = ImageCms.createProfile("sRGB")
Formats = dict[str, tuple[str, dict[str, Any]]]
Manifest = dict[str, Any]
LANCZOS = Image.Resampling.LANCZOS


def find_sources(folder: Path) -> dict[str, Path]:
    """Image name -> source file; a name given twice (portrait.jpg and portrait.png) is an error."""
    sources: dict[str, Path] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        if not NAME.fullmatch(path.stem):
            print(f"skipped {path.name}: name it with lower-case letters, digits and hyphens")
        elif path.stem in sources:
            raise SystemExit(
                f"two sources for {path.stem!r}: {sources[path.stem].name}, {path.name}"
            )
        else:
            sources[path.stem] = path
    return sources


def formats_available() -> Formats:
    """The formats this Pillow can write; JPEG always, AVIF and WebP when built in."""
    missing = [name for name in ("avif", "webp") if not features.check(name)]
    for name in missing:
        print(f"warning: this Pillow cannot write {name.upper()}; those outputs are left out")
    return {name: spec for name, spec in FORMATS.items() if name not in missing}


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert from the embedded colour profile, if any, to sRGB (what browsers assume)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, SRGB, outputMode=mode) or image
    except ImageCms.PyCMSError as error:
        print(f"warning: unreadable colour profile ({error}); colours taken as sRGB")
        return image


def flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only: transparency over white, and nothing of the source's metadata."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    rgb = image.convert("RGB")
    # A new image from the bare pixels: no EXIF, GPS, XMP, ICC or comment can follow it.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def load(path: Path) -> Image.Image:
    """The source upright (EXIF orientation applied), in sRGB, as bare RGB pixels."""
    with Image.open(path) as opened:
        upright = ImageOps.exif_transpose(opened)
        return flatten(to_srgb(upright))


def widths_for(source_width: int) -> list[int]:
    """The standard widths the source can fill; its own width when it is narrower than all."""
    return [width for width in WIDTHS if width <= source_width] or [source_width]


def encode(image: Image.Image, options: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def write_if_changed(path: Path, data: bytes) -> None:
    """Leave an identical file alone, so its time stamp (make static's .gz step) keeps."""
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def build_one(name: str, source: Path, output: Path, formats: Formats) -> Manifest:
    """Write every width in every format; returns the image's manifest entry."""
    image = load(source)
    entry: Manifest = {"source": source.name, "formats": {fmt: [] for fmt in formats}}
    for width in widths_for(image.width):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), LANCZOS)
        for fmt, (suffix, options) in formats.items():
            filename = f"{name}-{width}{suffix}"
            write_if_changed(output / filename, encode(resized, options))
            entry["formats"][fmt].append({"file": filename, "width": width, "height": height})
        entry["width"], entry["height"] = width, height  # the largest output's: the aspect
    return entry


def remove_stale(output: Path, manifest: Manifest) -> list[str]:
    """Delete outputs of images (or widths) no longer built; returns their names."""
    current = {
        variant["file"]
        for entry in manifest.values()
        for variants in entry["formats"].values()
        for variant in variants
    }
    stale = [
        path
        for path in sorted(output.iterdir())
        if BUILT_FILE.fullmatch(path.name) and path.name not in current
    ]
    for path in stale:
        path.unlink()
    return [path.name for path in stale]


def build(source: Path, output: Path) -> Manifest:
    """Build every source image into output; writes and returns the manifest."""
    output.mkdir(parents=True, exist_ok=True)
    formats = formats_available()
    manifest = {
        name: build_one(name, path, output, formats) for name, path in find_sources(source).items()
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_if_changed(output / MANIFEST, text.encode())
    for name in remove_stale(output, manifest):
        print(f"removed {name} (no longer built)")
    return manifest


def main(argv: list[str] | None = None) -> Manifest:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder of source images")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder for the outputs")
    args = parser.parse_args(argv)
    manifest = build(args.source, args.output)
    for name, entry in manifest.items():
        widths = ", ".join(str(v["width"]) for v in entry["formats"]["jpeg"])
        print(
            f"built {name} from {entry['source']}: {widths} px wide, {', '.join(entry['formats'])}"
        )
    if not manifest:
        print(f"no source images in {args.source}/: the page keeps its placeholders")
    return manifest


if __name__ == "__main__":
    main()
