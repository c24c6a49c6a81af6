"""The README cannot go stale where a check can see it: the layout table, the paths it names."""

import re
from pathlib import Path

from scripts.layout_table import README, readme_with_table

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
