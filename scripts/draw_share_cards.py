"""Draw static/img/share-card-<language>.png, the 1200x630 picture a shared link shows.

    .venv/bin/python -m scripts.draw_share_cards

One card per language, in its own words and script, so a link shared from /ru/ previews in
Russian. The words come from the translation catalogs (campaign_site/public/seo.py names the
msgids), and each card keeps them in a PNG text chunk: tests/test_share_metadata.py fails when
a translation changes and the cards were not drawn again. Served under content-hashed names
(web/assets.py), a redrawn card gets a new address, so previews never show a stale one.
The picture is our own: type and shapes only, in the site's colours, with Debian's DejaVu
fonts (they cover Cyrillic; free to use). Pillow comes with requirements-dev.txt.
"""

import json
from pathlib import Path

from flask_babel import force_locale
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from campaign_site import create_app
from campaign_site.public.seo import SHARE_IMAGE_SIZE, share_card_text, share_image
from campaign_site.web.catalogs import compile_catalogs
from campaign_site.web.i18n import LANGUAGES

STATIC = Path(__file__).resolve().parents[1] / "static"
TEXT_KEY = "campaign_site:text"  # the PNG text chunk holding the words the card was drawn from
FONTS = Path("/usr/share/fonts/truetype/dejavu")
# static/css/site.css: --ink, --paper, --accent; the gold rule and the soft greys are the card's.
INK, PAPER, ACCENT, GOLD, MUTED, LEAD = (
    "#1c2430",
    "#fbfaf7",
    "#8c1d2c",
    "#e0b04f",
    "#c9ced6",
    "#e6e9ee",
)
WIDTH, HEIGHT = SHARE_IMAGE_SIZE
MARGIN = 80
TEXT_TOP, TEXT_BOTTOM = 130, HEIGHT - 160  # title and subtitle stay between these
SCALES = (1.0, 0.94, 0.88, 0.82, 0.76, 0.7)  # tried in turn until the words fit


def font(name: str, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), round(size))


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line breaking to fit width pixels."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and face.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line]


def layout(text: dict[str, str]) -> list[tuple[int, str, ImageFont.FreeTypeFont, str]]:
    """(y, line, font, colour) for the title and subtitle, at the largest scale that fits."""
    width = WIDTH - 2 * MARGIN
    for scale in SCALES:
        title, lead = font("DejaVuSerif-Bold.ttf", 64 * scale), font("DejaVuSerif.ttf", 34 * scale)
        lines, y = [], TEXT_TOP
        for line in wrap(text["title"], title, width):
            lines.append((y, line, title, "#ffffff"))
            y += round(80 * scale)
        y += round(20 * scale)
        for line in wrap(text["subtitle"], lead, width):
            lines.append((y, line, lead, LEAD))
            y += round(48 * scale)
        fits = all(face.getlength(line) <= width for _, line, face, _ in lines)
        if fits and y <= TEXT_BOTTOM:
            return lines
    raise ValueError(f"the share card's words do not fit, even at {SCALES[-1]:.0%}: {text}")


def draw_card(text: dict[str, str]) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), INK)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 16, HEIGHT], fill=ACCENT)
    draw.text(
        (MARGIN, 70), text["campaign"].upper(), font=font("DejaVuSans-Bold.ttf", 26), fill=MUTED
    )
    for y, line, face, colour in layout(text):
        draw.text((MARGIN, y), line, font=face, fill=colour)
    draw.rectangle([MARGIN, HEIGHT - 130, MARGIN + 360, HEIGHT - 122], fill=GOLD)
    draw.text(
        (MARGIN, HEIGHT - 105), text["action"], font=font("DejaVuSans-Bold.ttf", 36), fill=PAPER
    )
    return image


def save(image: Image.Image, text: dict[str, str], path: Path) -> None:
    """An optimised PNG carrying its words (UTF-8 iTXt: tEXt holds only Latin-1)."""
    info = PngInfo()
    info.add_itxt(TEXT_KEY, json.dumps(text, ensure_ascii=False, sort_keys=True))
    image.save(path, optimize=True, pnginfo=info)


def main() -> None:
    compile_catalogs()  # draw from the .po files as they are now, as gunicorn.conf.py serves them
    app = create_app({})  # testing settings: built-in keys, so nothing is written to instance/
    with app.app_context():
        for language in LANGUAGES:
            with force_locale(language):
                text = share_card_text()
            path = STATIC / share_image(language)
            save(draw_card(text), text, path)
            print(f"wrote {path.relative_to(STATIC.parent)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
