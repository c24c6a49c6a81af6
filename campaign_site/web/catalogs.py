"""The compiled translation catalogs (.mo) the site speaks its languages other than English with.

They are build output, made from the committed .po files. A site started without them
would quietly serve English under /de/ and the others, so production refuses to start
when one is missing or older than its .po (or a language has no catalog at all); gunicorn.conf.py compiles stale ones first.
Kept free of Flask, so gunicorn's master can use it before any app exists.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaign_site.languages import TRANSLATED

FOLDER = Path(__file__).resolve().parents[1] / "translations"  # campaign_site/translations


def stale_catalogs(folder: Path = FOLDER) -> list[Path]:
    """The .po files whose .mo is missing or older than they are."""
    stale = [
        folder / code / "LC_MESSAGES" / "messages.po"
        for code in TRANSLATED
        if not (folder / code / "LC_MESSAGES" / "messages.po").exists()
    ]
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(folder: Path = FOLDER) -> list[Path]:
    """Compile every stale catalog, as `pybabel compile` does; returns the .mo files written."""
    written = []
    for po in (po for po in stale_catalogs(folder) if po.exists()):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


def check_catalogs(folder: Path = FOLDER) -> None:
    """Refuse to go on with a missing or stale catalog, naming it and the fix."""
    stale = stale_catalogs(folder)
    if stale:
        names = ", ".join(
            str(po.with_suffix(".mo").relative_to(folder.parent.parent)) for po in stale
        )
        raise RuntimeError(
            f"Translation catalogs missing or older than their .po files: {names}. "
            "Run `make translations` (or `pybabel compile -d campaign_site/translations`) first."
        )
