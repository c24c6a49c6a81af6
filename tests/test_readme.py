"""The README and docs/ cannot go stale where a check can see it: the generated tables, the
paths and links they name, and a README short enough to read."""

import re
from pathlib import Path

import pytest

from scripts import settings_table
from scripts.layout_table import README, readme_with_table
from scripts.setting_meanings import ROWS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def prose(page: Path) -> str:
    """A page without its fenced code blocks, where a '# comment' is no heading."""
    return FENCED.sub("", page.read_text())


def anchors(page: Path) -> set[str]:
    """The #fragments a page's headings get, the way GitHub makes them."""
    headings = re.findall(r"^#+ (.+)$", prose(page), re.M)
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings
    }


def page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_the_layout_table_is_the_one_the_docstrings_make():
    text = README.read_text()
    assert readme_with_table(text) == text, "run: python -m scripts.layout_table --write"


def test_the_readme_starts_with_the_two_commands_and_stays_short():
    lines = README.read_text().splitlines()
    commands = [line.split()[:2] for line in lines[3:5]]
    assert lines[2] == "```sh" and commands == [["make", "run"], ["make", "test"]], lines[:6]
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move the rest into docs/"


def test_every_setting_config_reads_has_a_row_in_the_settings_table():
    read = settings_table.settings_read(settings_table.CONFIG.read_text())
    explained = {name for row in ROWS for name in row.names}
    missing = sorted(set(read) - explained)
    assert not missing, f"add a row for {missing} to scripts/setting_meanings.py"


def test_every_row_of_the_settings_table_is_read_by_something():
    read = settings_table.settings_read(settings_table.CONFIG.read_text())
    stale = [
        name
        for row in ROWS
        for name in row.names
        if (
            name not in read
            if row.read_by is None
            else name not in (ROOT / row.read_by).read_text()
        )
    ]
    assert not stale, f"nothing reads {stale}: remove their rows from scripts/setting_meanings.py"


def test_the_settings_table_is_the_one_config_and_the_meanings_make():
    text = settings_table.CONFIGURATION.read_text()
    assert settings_table.START in text, "docs/configuration.md lost its table's markers"
    assert settings_table.with_table(text) == text, "run: python -m scripts.settings_table --write"


def test_the_readme_links_every_page_of_the_docs():
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)", README.read_text()))
    unlinked = sorted(page.name for page in PAGES[1:] if page.name not in linked)
    assert not unlinked, f"add {unlinked} to the README's Documentation table"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(target)
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(target)
    assert not broken, broken


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_package_path_a_page_names_exists(page):
    named = set(
        re.findall(
            r"`((?:campaign_site/)?(?:petition|crypto|mail|web|public|admin)/[\w/.]+\.py)`",
            page.read_text(),
        )
    )
    missing = [
        p for p in named if not (ROOT / p).exists() and not (ROOT / "campaign_site" / p).exists()
    ]
    assert not missing, missing


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_docs_speak_of_the_site_not_of_work_items(page):
    mentions = re.findall(r".{0,30}\bissues? #?\d+.{0,30}", page.read_text(), re.I)
    assert not mentions, mentions
