"""The organisers' pictures: made at build time in three formats and several widths, upright,
without metadata, and shown through templates/_picture.html only once they exist."""

import json
import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from jinja2 import UndefinedError
from PIL import Image, ImageCms

from campaign_site import create_app
from campaign_site.web import images
from campaign_site.web.assets import build_manifest
from scripts import build_images

ORIENTATION, MAKE, GPS_INFO = 0x0112, 0x010F, 0x8825
FORMATS = {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _phone_photo(path: Path) -> None:
    """1400x700 as stored, red left half and blue right; EXIF says turn it 90 degrees clockwise
    (so it shows 700x1400, red on top), and it holds the camera and where it was taken."""
    image = Image.new("RGB", (1400, 700), "blue")
    image.paste("red", (0, 0, 700, 700))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "SecretCamera"
    gps = exif.get_ifd(GPS_INFO)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 0.0)
    image.save(path, quality=95, exif=exif, icc_profile=SRGB)


def _small_poster(path: Path) -> None:
    """200x300, narrower than the smallest width; transparent at the top."""
    image = Image.new("RGBA", (200, 300), (20, 30, 40, 255))
    image.paste((0, 0, 0, 0), (0, 0, 200, 50))
    image.save(path)


@pytest.fixture
def sources(tmp_path) -> Path:
    folder = tmp_path / "content" / "images"
    folder.mkdir(parents=True)
    _phone_photo(folder / "portrait.jpg")
    _small_poster(folder / "poster-files.png")
    (folder / "README.md").write_text("not a picture")
    return folder


@pytest.fixture
def static(tmp_path) -> Path:
    """A static/ folder of the test's own: the repository's static/ is never written."""
    return tmp_path / "static"


def _build(sources: Path, static: Path) -> dict:
    return build_images.main(["--source", str(sources), "--output", str(static / images.BUILT)])


def _outputs(static: Path) -> list[str]:
    return sorted(path.name for path in (static / images.BUILT).iterdir())


def test_each_picture_is_made_at_the_widths_it_fills_in_avif_webp_and_jpeg(sources, static):
    _build(sources, static)
    assert _outputs(static) == sorted(
        [f"portrait-{width}.{ext}" for width in (320, 640) for ext in FORMATS]
        + [f"poster-files-200.{ext}" for ext in FORMATS]
        + ["manifest.json"]
    )
    for name in _outputs(static):
        if name == "manifest.json":
            continue
        with Image.open(static / images.BUILT / name) as output:
            assert output.format == FORMATS[name.rpartition(".")[2]]
            assert output.mode == "RGB"
            width = int(name.rpartition("-")[2].partition(".")[0])
            aspect = 2 if name.startswith("portrait") else 1.5
            assert output.size == (width, round(width * aspect))
            if output.format == "JPEG":
                assert output.info.get("progressive") or output.info.get("progression")


def test_a_picture_is_never_made_wider_than_its_source(sources, static):
    manifest = _build(sources, static)
    assert [v["width"] for v in manifest["portrait"]["formats"]["jpeg"]] == [320, 640]  # not 960
    assert [v["width"] for v in manifest["poster-files"]["formats"]["webp"]] == [200]  # just one


@pytest.mark.parametrize("ext", FORMATS)
def test_no_metadata_leaves_the_build(sources, static, ext):
    _build(sources, static)
    path = static / images.BUILT / f"portrait-640.{ext}"
    assert b"SecretCamera" not in path.read_bytes()
    with Image.open(path) as output:
        assert dict(output.getexif()) == {}
        assert output.getexif().get_ifd(GPS_INFO) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(output.info)


def test_the_camera_orientation_is_applied_to_the_pixels(sources, static):
    _build(sources, static)
    with Image.open(static / images.BUILT / "portrait-640.jpg") as output:
        assert output.size == (640, 1280)  # upright: taller than wide
        red, _, blue = output.getpixel((320, 100))
        assert red > 200 and blue < 60  # the left half of the stored pixels is now the top
        red, _, blue = output.getpixel((320, 1180))
        assert blue > 200 and red < 60


def test_transparency_is_laid_on_white(sources, static):
    _build(sources, static)
    with Image.open(static / images.BUILT / "poster-files-200.jpg") as jpeg:
        assert all(channel > 245 for channel in jpeg.getpixel((100, 10)))


def test_the_manifest_lists_every_output_with_the_largest_size(sources, static):
    manifest = _build(sources, static)
    on_disk = (static / images.BUILT / "manifest.json").read_text()
    assert manifest == json.loads(on_disk)
    portrait = manifest["portrait"]
    assert (portrait["width"], portrait["height"], portrait["source"]) == (
        640,
        1280,
        "portrait.jpg",
    )
    assert portrait["formats"]["avif"] == [
        {"file": "portrait-320.avif", "width": 320, "height": 640},
        {"file": "portrait-640.avif", "width": 640, "height": 1280},
    ]
    assert sorted(portrait["formats"]) == ["avif", "jpeg", "webp"]
    assert (manifest["poster-files"]["width"], manifest["poster-files"]["height"]) == (200, 300)
    assert set(manifest) == {"portrait", "poster-files"}  # README.md is no picture


def test_outputs_of_a_removed_or_smaller_picture_are_removed(sources, static):
    _build(sources, static)
    (static / images.BUILT / "notes.txt").write_text("not ours")
    (sources / "poster-files.png").unlink()
    Image.new("RGB", (400, 400), "gray").save(sources / "portrait.jpg")
    manifest = _build(sources, static)
    assert set(manifest) == {"portrait"}
    assert _outputs(static) == sorted(
        [f"portrait-320.{ext}" for ext in FORMATS] + ["manifest.json", "notes.txt"]
    )


def test_the_same_sources_give_the_same_bytes(sources, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _build(sources, first)
    _build(sources, second)
    names = _outputs(first)
    assert names == _outputs(second)
    for name in names:
        assert (first / images.BUILT / name).read_bytes() == (
            second / images.BUILT / name
        ).read_bytes(), name


def test_two_sources_for_one_picture_stop_the_build(sources, static):
    Image.new("RGB", (400, 400)).save(sources / "portrait.png")
    with pytest.raises(SystemExit, match="two sources for 'portrait'"):
        _build(sources, static)


# The page: an app whose static files and image manifest are the test's own folder.


@pytest.fixture
def site(tmp_path) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.db'}"})


def _serve_from(app: Flask, static: Path) -> None:
    """What create_app does for static/ (web/assets.py, web/images.py), on another folder."""
    manifest = build_manifest(static) if static.exists() else {}
    app.extensions["campaign_site.assets"] = manifest
    app.extensions["campaign_site.assets_by_hash"] = {h: name for name, h in manifest.items()}
    app.extensions["campaign_site.assets_folder"] = str(static)
    app.extensions[images.EXTENSION] = images.load(static, manifest)


PICTURE = '{% from "_picture.html" import picture %}'


def _render(app: Flask, call: str) -> str:
    with app.test_request_context("/"):
        return render_template_string(PICTURE + "{{ " + call + " }}").strip()


def _attribute(html: str, tag: str, name: str) -> str:
    element = re.search(rf"<{tag}\b[^>]*>", html).group(0)
    match = re.search(rf'\s{name}="([^"]*)"', element)
    return match.group(1) if match else None


def test_the_picture_has_size_alt_and_a_srcset_per_format(site, sources, static):
    _build(sources, static)
    _serve_from(site, static)
    html = _render(
        site,
        'picture(responsive_image("portrait"), "Sergei Magnitsky", "(min-width: 40rem) 20rem, 90vw")',
    )
    assert html.startswith("<picture>") and html.endswith("</picture>")
    hashed = r"/static/img/built/portrait-{w}\.[0-9a-f]{{10}}\.{ext}"
    sources_ = re.findall(r'<source type="image/(\w+)" srcset="([^"]+)" sizes="([^"]+)">', html)
    assert [(kind, sizes) for kind, _, sizes in sources_] == [
        ("avif", "(min-width: 40rem) 20rem, 90vw"),
        ("webp", "(min-width: 40rem) 20rem, 90vw"),
    ]
    for (kind, srcset, _), ext in zip(sources_, ("avif", "webp"), strict=True):
        assert kind == ext
        pattern = ", ".join(hashed.format(w=w, ext=ext) + f" {w}w" for w in (320, 640))
        assert re.fullmatch(pattern, srcset), srcset
    jpegs = ", ".join(hashed.format(w=w, ext="jpg") + f" {w}w" for w in (320, 640))
    assert re.fullmatch(jpegs, _attribute(html, "img", "srcset"))
    assert re.fullmatch(hashed.format(w=640, ext="jpg"), _attribute(html, "img", "src"))
    assert _attribute(html, "img", "width") == "640"
    assert _attribute(html, "img", "height") == "1280"
    assert _attribute(html, "img", "alt") == "Sergei Magnitsky"
    assert _attribute(html, "img", "sizes") == "(min-width: 40rem) 20rem, 90vw"
    assert _attribute(html, "img", "loading") == "lazy"
    assert _attribute(html, "img", "decoding") == "async"
    assert _attribute(html, "img", "fetchpriority") is None
    url = re.search(hashed.format(w=320, ext="avif"), html).group(0)
    with site.test_client().get(url) as response:
        assert response.status_code == 200 and response.mimetype == "image/avif"
        assert "immutable" in response.headers["Cache-Control"]


def test_an_eager_picture_is_fetched_first_and_its_class_and_alt_are_escaped(site, sources, static):
    _build(sources, static)
    _serve_from(site, static)
    html = _render(
        site,
        'picture(responsive_image("poster-files"), \'Poster: "Files" <2012>\', "50vw", '
        'class_="film__image", eager=True)',
    )
    assert _attribute(html, "img", "alt") == "Poster: &#34;Files&#34; &lt;2012&gt;"
    assert _attribute(html, "img", "class") == "film__image"
    assert _attribute(html, "img", "fetchpriority") == "high"
    assert _attribute(html, "img", "loading") is None
    assert (_attribute(html, "img", "width"), _attribute(html, "img", "height")) == ("200", "300")


def test_alt_must_be_given_and_is_empty_only_when_written_out(site, sources, static):
    _build(sources, static)
    _serve_from(site, static)
    decorative = _render(site, 'picture(responsive_image("portrait"), "", "50vw")')
    assert _attribute(decorative, "img", "alt") == ""
    for call in (
        'picture(responsive_image("portrait"), sizes="50vw")',
        'picture(responsive_image("portrait"), None, "50vw")',
        'picture(responsive_image("portrait"), "  ", "50vw")',
        'picture(responsive_image("portrait"), "Sergei Magnitsky")',
    ):
        with pytest.raises(UndefinedError, match="picture_needs_"):
            _render(site, call)


def test_without_a_built_picture_there_is_none_and_the_macro_writes_nothing(
    site, sources, static, tmp_path
):
    assert images.load(tmp_path / "nothing", {}) == {}
    _serve_from(site, tmp_path / "nothing")
    assert _render(site, 'responsive_image("portrait") is none') == "True"
    assert _render(site, 'picture(responsive_image("portrait"), "Sergei Magnitsky", "50vw")') == ""
    _build(sources, static)
    _serve_from(site, static)
    assert _render(site, 'responsive_image("poster-justice") is none') == "True"  # not supplied


def test_a_picture_whose_files_are_not_among_the_static_files_is_left_out(sources, static):
    _build(sources, static)
    assert set(images.load(static, build_manifest(static))) == {"portrait", "poster-files"}
    (static / images.BUILT / "portrait-640.webp").unlink()
    assert set(images.load(static, build_manifest(static))) == {"poster-files"}


def test_the_app_reads_the_image_manifest_when_it_is_made(site):
    assert "responsive_image" in site.jinja_env.globals
    assert isinstance(site.extensions[images.EXTENSION], dict)
