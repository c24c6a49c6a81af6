"""The rules between the package's parts (.importlinter) hold, and breaking one fails by name."""

import ast
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


@pytest.mark.slow  # each copies the package and runs lint-imports on it (a second or so)
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


def test_every_part_of_the_package_has_its_place_in_the_layers():
    """A new folder or module must be placed in a layer, or the layers say nothing about it."""
    config = (ROOT / ".importlinter").read_text()
    layers = config.split("layers =", 1)[1].split("[importlinter", 1)[0]
    placed = {
        name.strip() for line in layers.splitlines() for name in line.split("|") if name.strip()
    }
    package = ROOT / "campaign_site"
    parts = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    parts |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert parts - placed == set(), "add these to the layers in .importlinter"


def test_the_box_layout_is_not_re_exported_from_crypto():
    """Importing a layout name through sealed_box or key_maintenance would slip past the
    contract that bans box_format outside crypto/."""
    from campaign_site.crypto import box_format, key_maintenance, keyrings, sealed_box

    layout = {name for name in vars(box_format) if name.isupper()} - set(vars(keyrings))
    assert layout
    for module in (sealed_box, key_maintenance):
        assert layout.isdisjoint(vars(module)), module.__name__


def test_templates_get_their_data_from_views_not_from_queries_or_optional_includes(app):
    """A page's data and its permissions are in its view: no template includes a partial
    "if it exists", and the admin registers no template global but the permission check."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    optional = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if "ignore missing" in path.read_text()
    ]
    assert optional == []
    admin_globals = [
        name
        for name, value in app.jinja_env.globals.items()
        if getattr(value, "__module__", "").startswith("campaign_site.admin")
    ]
    assert admin_globals == ["admin_can"]


def test_no_test_module_imports_another():
    """Shared helpers live in tests/support.py (or browser_support.py): importing a test module
    from another runs its module code twice and ties the two files together."""
    tests = ROOT / "tests"
    test_modules = {path.stem for path in tests.glob("test_*.py")}
    offenders = []
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported = [node.module]
            else:
                continue
            offenders += [
                f"{path.name}:{node.lineno} imports {name}"
                for name in imported
                if name.split(".")[0] in test_modules
            ]
    assert offenders == [], "move what they share into tests/support.py"
