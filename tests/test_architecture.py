"""The rules between the package's parts (.importlinter) hold, and breaking one fails by name."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True
    )


def _copy_of_the_tree(tmp_path: Path) -> Path:
    for part in ("campaign_site", "scripts"):
        shutil.copytree(
            ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / ".importlinter", tmp_path)
    return tmp_path


def test_every_import_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "rule"),
    [
        ("petition/signing.py", "from flask import request", "take only current_app"),
        ("crypto/keyrings.py", "from flask import render_template", "take only current_app"),
        (
            "export.py",
            "from campaign_site.crypto.box_format import SEPARATOR",
            "Only crypto knows the sealed box",
        ),
        ("public/views.py", "from campaign_site.admin import auth", "never reaches admin code"),
        ("models.py", "from campaign_site.petition import signing", "The models import no rule"),
        (
            "petition/counting.py",
            "from campaign_site.web.countries import country_name",
            "know no request",
        ),
    ],
)
def test_breaking_a_rule_fails_with_its_name(tmp_path, module, line, rule):
    tree = _copy_of_the_tree(tmp_path)
    path = tree / "campaign_site" / module
    path.write_text(path.read_text() + f"\n{line}  # a change that breaks the rule\n")
    result = _lint_imports(tree)
    assert result.returncode != 0
    _, _, broken_section = result.stdout.partition("Broken contracts")
    assert rule in " ".join(broken_section.split()), result.stdout  # named among the broken ones
