"""The organisers' pictures in the sizes and formats made by `make static` (scripts/build_images.py).

`responsive_image("portrait")` in a template gives the picture's width, height and a srcset per
format (AVIF, WebP, JPEG) whose URLs are asset_url's content-hashed names; it gives None until
the picture is supplied and built, so the page keeps its designed placeholder. The manifest is
read once, when the app is made (after `make static`); templates/_picture.html writes the
<picture> element.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from campaign_site.web.assets import asset_url

EXTENSION = "campaign_site.images"
BUILT = "img/built"  # under static/, where scripts/build_images.py writes
MANIFEST = "manifest.json"
FALLBACK_WIDTH = 960  # the <img src> for browsers without srcset: the widest JPEG up to this

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    asset: str  # the static file's logical name, e.g. img/built/portrait-640.avif
    width: int


@dataclass(frozen=True)
class BuiltImage:
    width: int
    height: int
    variants: Mapping[str, tuple[Variant, ...]]  # format -> widths, narrowest first


@dataclass(frozen=True)
class ResponsiveImage:
    """What a template needs: intrinsic size, a srcset per format, a JPEG for the <img src>."""

    width: int
    height: int
    srcset: Mapping[str, str]  # "avif" | "webp" | "jpeg" -> "url 320w, url 640w, ..."
    src: str


def _parse(entry: Mapping[str, Any]) -> BuiltImage:
    variants = {
        fmt: tuple(
            Variant(f"{BUILT}/{item['file']}", int(item["width"]))
            for item in sorted(items, key=lambda item: item["width"])
        )
        for fmt, items in entry["formats"].items()
        if items
    }
    return BuiltImage(int(entry["width"]), int(entry["height"]), variants)


def load(static_folder: Path, assets: Mapping[str, str]) -> dict[str, BuiltImage]:
    """Name -> built image, from static/img/built/manifest.json; {} when nothing was built.

    An image whose JPEG or any listed file is missing from the static files is left out (with a
    warning), so a half-finished build shows the placeholder rather than broken links.
    """
    path = static_folder / BUILT / MANIFEST
    if not path.is_file():
        return {}
    images = {}
    for name, entry in json.loads(path.read_text()).items():
        image = _parse(entry)
        files = [variant.asset for variants in image.variants.values() for variant in variants]
        missing = [asset for asset in files if asset not in assets]
        if missing or "jpeg" not in image.variants:
            log.warning("image %r left out: %s missing (run make static)", name, missing or "jpeg")
            continue
        images[name] = image
    return images


def _srcset(variants: tuple[Variant, ...]) -> str:
    return ", ".join(f"{asset_url(variant.asset)} {variant.width}w" for variant in variants)


def responsive_image(name: str) -> ResponsiveImage | None:
    """The built picture called name (portrait, poster-justice, ...), or None if not built."""
    image = current_app.extensions[EXTENSION].get(name)
    if image is None:
        return None
    jpegs = image.variants["jpeg"]
    fallback = [variant for variant in jpegs if variant.width <= FALLBACK_WIDTH] or jpegs[:1]
    return ResponsiveImage(
        width=image.width,
        height=image.height,
        srcset={fmt: _srcset(variants) for fmt, variants in image.variants.items()},
        src=asset_url(fallback[-1].asset),
    )


def register(app: Flask, static_folder: Path) -> None:
    """Read the image manifest once; after web/assets.py has hashed the static files."""
    app.extensions[EXTENSION] = load(static_folder, app.extensions["campaign_site.assets"])
    app.add_template_global(responsive_image)
