"""The README's layout table, made from the package's own module docstrings.

    python -m scripts.layout_table           # print the table
    python -m scripts.layout_table --write   # put it into README.md between the markers

tests/test_readme.py fails when README.md's table differs from what this prints, so the
table changes with the code (write a module's docstring, then run --write).
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- layout:start (python -m scripts.layout_table --write) -->", "<!-- layout:end -->"

# Folders outside the package, which have no docstring to read.
TOP_LEVEL = [
    (
        "templates/",
        "Jinja templates: the campaign page, email-link pages, admin, `email/<kind>.txt` and `.html`",
    ),
    (
        "static/",
        "one stylesheet, one small script (`js/site.js`: live count, email check, sign bar), images",
    ),
    (
        "campaign_site/translations/",
        "gettext catalogs, one per language of `languages.py` but English; `babel.cfg` says what is extracted",
    ),
    ("migrations/", "Alembic migrations (Flask-Migrate); the tests build every database with them"),
    (
        "tests/",
        "pytest, in lanes (`browser`, `bench`, `slow` markers)",
    ),
    (".importlinter", "the import contracts between the package's parts, run by `make checks`"),
    ("benchmarks/", "`make bench`; see `benchmarks/README.md` and `RESULTS.md`"),
    (
        "docs/",
        "the documentation by reader: running, configuration, deploying, operating, security, fraud, backups, languages, benchmarks",
    ),
    ("scripts/", "the share cards, this table, the settings table, the custom import contract"),
]


def summary(path: Path) -> str:
    """The first paragraph of a module's docstring, on one line."""
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    return " ".join(docstring.split("\n\n", 1)[0].split()).replace("|", "\\|")


def rows() -> list[tuple[str, str]]:
    package = ROOT / "campaign_site"
    found = []
    for path in sorted(
        package.rglob("*.py"), key=lambda p: (len(p.relative_to(package).parts) > 1, str(p))
    ):
        if "translations" in path.parts:
            continue
        name = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and path.parent != package:
            name = path.parent.relative_to(ROOT).as_posix() + "/"
        found.append((name, summary(path)))
    return found + TOP_LEVEL


def table() -> str:
    lines = ["| Path | What |", "| --- | --- |"]
    lines += [f"| `{path}` | {what} |" for path, what in rows()]
    return "\n".join(lines)


def readme_with_table(text: str) -> str:
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{table()}\n{END}{after}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        README.write_text(readme_with_table(README.read_text()))
    else:
        print(table())
