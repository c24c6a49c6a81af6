"""The README cannot go stale where a check can see it: the layout table, the paths it names."""

import re
from pathlib import Path

from scripts import settings_table
from scripts.layout_table import README, readme_with_table
from scripts.setting_meanings import ROWS

ROOT = Path(__file__).resolve().parents[1]


def test_the_layout_table_is_the_one_the_docstrings_make():
    text = README.read_text()
    assert readme_with_table(text) == text, "run: python -m scripts.layout_table --write"


def test_every_package_path_the_readme_names_exists():
    named = set(
        re.findall(
            r"`((?:campaign_site/)?(?:petition|crypto|mail|web|public|admin)/[\w/.]+\.py)`",
            README.read_text(),
        )
    )
    assert named
    missing = [
        p for p in named if not (ROOT / p).exists() and not (ROOT / "campaign_site" / p).exists()
    ]
    assert not missing, missing


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
