"""Draw static/img/share-card.png, the 1200x630 picture shown when the page is shared.

Run it again after changing the wording: `.venv/bin/python scripts/make_share_card.py`
(Pillow comes with requirements-dev.txt; the fonts are Debian's DejaVu, free to use).
The picture is our own: type and shapes only, no photograph we do not hold rights to.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "share-card.png"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
INK, PAPER, ACCENT, GOLD, MUTED = "#1c2430", "#fbfaf7", "#8c1d2c", "#e0b04f", "#c9ced6"
WIDTH, HEIGHT, MARGIN = 1200, 630, 80


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def wrap(draw: ImageDraw.ImageDraw, text: str, face, width: int) -> list[str]:
    """Greedy line breaking to fit width pixels."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=face) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line]


def main() -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), INK)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 16, HEIGHT], fill=ACCENT)
    draw.text(
        (MARGIN, 70), "GLOBAL JUSTICE CAMPAIGN", font=font("DejaVuSans-Bold.ttf", 26), fill=MUTED
    )
    headline = font("DejaVuSerif-Bold.ttf", 64)
    y = 130
    for line in wrap(draw, "Justice for Sergei Magnitsky", headline, WIDTH - 2 * MARGIN):
        draw.text((MARGIN, y), line, font=headline, fill="#ffffff")
        y += 80
    lead = font("DejaVuSerif.ttf", 34)
    y += 20
    for line in wrap(
        draw,
        "He exposed a $230 million fraud and died in custody at 37. "
        "No one has been held to account.",
        lead,
        WIDTH - 2 * MARGIN,
    ):
        draw.text((MARGIN, y), line, font=lead, fill="#e6e9ee")
        y += 48
    draw.rectangle([MARGIN, HEIGHT - 130, MARGIN + 360, HEIGHT - 122], fill=GOLD)
    draw.text(
        (MARGIN, HEIGHT - 105),
        "Sign the petition",
        font=font("DejaVuSans-Bold.ttf", 36),
        fill=PAPER,
    )
    small = font("DejaVuSans.ttf", 24)
    credit = "Supported by the Cinema for Peace Foundation"
    draw.text(
        (WIDTH - MARGIN - draw.textlength(credit, font=small), HEIGHT - 95),
        credit,
        font=small,
        fill=MUTED,
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
