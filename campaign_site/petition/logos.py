"""An organisation's logo, made safe to serve: a PNG or JPEG of at most 2 MB, decoded under
bounds and re-encoded from its pixels alone.

Nothing of the uploaded file is kept: the pixels are copied into a new image (no metadata,
no text chunks, no colour profile, no trailing bytes) scaled to fit LOGO_BOX, and written
again as PNG (a PNG, so transparency survives) or JPEG. Every way a hostile file can fail
(an SVG, a text file renamed, a decompression bomb, a header claiming huge dimensions, a
truncated or corrupt file) ends in LogoRefused with the reason, never in an exception from
Pillow: the form turns the reason into a sentence in the visitor's language.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from PIL import Image, ImageOps

LOGO_MAX_BYTES = 2 * 1024 * 1024
# What the header may claim before anything is decoded: a logo is never larger, and a
# decoded 16-megapixel RGBA image is 64 MB, the most one upload may cost in memory.
LOGO_MAX_SIDE = 5000
LOGO_MAX_PIXELS = 16_000_000
LOGO_MIN_SIDE = 16
# The stored size: twice what the page shows (CSS 160 x 80), for sharp high-density screens.
LOGO_BOX = (320, 160)
JPEG_QUALITY = 88

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class Refusal(StrEnum):
    """Why a logo was refused; the form says each in the visitor's language."""

    EMPTY = "empty"
    TOO_LARGE = "too-large"  # more than LOGO_MAX_BYTES
    NOT_PNG_OR_JPEG = "not-png-or-jpeg"  # SVG, GIF, a text file renamed, ...
    TOO_MANY_PIXELS = "too-many-pixels"  # a decompression bomb, or a huge header
    TOO_SMALL = "too-small"
    UNREADABLE = "unreadable"  # truncated or corrupt


class LogoRefused(Exception):
    """The upload is not a logo we will store; .reason says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Logo:
    """A re-encoded logo, ready to store and serve."""

    data: bytes
    content_type: str  # image/png or image/jpeg
    width: int
    height: int

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes (hex): the logo's URL names it, so it may be cached forever."""
        return hashlib.sha256(self.data).hexdigest()


def read_bounded(stream: IO[bytes]) -> bytes:
    """At most one byte more than LOGO_MAX_BYTES from an upload's stream, so a larger file
    is known to be too large without reading it all."""
    return stream.read(LOGO_MAX_BYTES + 1)


def _format_of(data: bytes) -> str:
    """PNG or JPEG by the file's first bytes, whatever its name or declared type says."""
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    raise LogoRefused(Refusal.NOT_PNG_OR_JPEG)


def reencode(data: bytes) -> Logo:
    """The uploaded bytes as a safe logo, or LogoRefused."""
    if not data:
        raise LogoRefused(Refusal.EMPTY)
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused(Refusal.TOO_LARGE)
    kind = _format_of(data)
    with warnings.catch_warnings():
        # Pillow warns (and beyond twice its limit refuses) on huge images: both are refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode_and_encode(data, kind)
        except LogoRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise LogoRefused(Refusal.TOO_MANY_PIXELS) from None
        except Exception:  # noqa: BLE001 - any decoder failure is "we cannot read this file"
            raise LogoRefused(Refusal.UNREADABLE) from None


def _decode_and_encode(data: bytes, kind: str) -> Logo:
    # Only the format the first bytes announced: never SVG, EPS, or any other Pillow decoder.
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        width, height = image.size  # from the header alone: nothing decoded yet
        if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE or width * height > LOGO_MAX_PIXELS:
            raise LogoRefused(Refusal.TOO_MANY_PIXELS)
        if width < LOGO_MIN_SIDE or height < LOGO_MIN_SIDE:
            raise LogoRefused(Refusal.TOO_SMALL)
        if kind == "JPEG":
            image.draft("RGB", LOGO_BOX)  # decode at a fraction of the size where it can
        image.load()  # the whole file decoded: a truncated one fails here
        upright = ImageOps.exif_transpose(image)  # a phone photo stays the right way up
    pixels = _clean_copy(upright, kind)
    pixels.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Logo(out.getvalue(), CONTENT_TYPES[kind], pixels.width, pixels.height)


def _clean_copy(image: Image.Image, kind: str) -> Image.Image:
    """The pixels alone, in a new image: no info dict (EXIF, ICC, text chunks) to carry over."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if kind == "PNG" and has_alpha else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())
