"""The settings table in docs/configuration.md, made from what campaign_site/config.py reads.

    python -m scripts.settings_table           # print the table
    python -m scripts.settings_table --write   # put it into docs/configuration.md

The names and the plain defaults come from config.py itself (read with `ast`, never run);
what each setting means is written once, in scripts/setting_meanings.py. tests/test_readme.py
fails when config.py reads a setting the table does not explain, when the table explains one
nothing reads, and when docs/configuration.md's table differs from what this prints.
"""

import ast
import sys
from pathlib import Path

from scripts.setting_meanings import ROWS, Row

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "campaign_site" / "config.py"
CONFIGURATION = ROOT / "docs" / "configuration.md"
START = "<!-- settings:start (python -m scripts.settings_table --write) -->"
END = "<!-- settings:end -->"

# config.py's helpers that read one setting each: _int_env("NAME", default) and the like.
READERS = {
    "_env",
    "_int_env",
    "_float_env",
    "_bool_env",
    "_list_env",
    "_datetime_env",
    "_hours_or_off_env",
}
NOT_PLAIN = object()  # a default the code computes: the row must say it in words


def _reads_environment(call: ast.Call) -> bool:
    """config.py's readers, os.environ.get and os.getenv."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in READERS
    return isinstance(func, ast.Attribute) and ast.unparse(func) in {
        "os.environ.get",
        "os.getenv",
    }


def _names(arg: ast.expr, bound: dict[str, list[str]]) -> list[str] | None:
    """The setting names an argument can be: a literal, a loop variable over literals, or an
    f-string of those. None when it cannot be worked out."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.Name):
        return bound.get(arg.id)
    if isinstance(arg, (ast.Tuple, ast.List)):
        parts = [_names(element, bound) for element in arg.elts]
        return None if None in parts else [name for part in parts for name in part or []]
    if isinstance(arg, ast.JoinedStr):
        names = [""]
        for part in arg.values:
            if isinstance(part, ast.Constant):
                options: list[str] | None = [str(part.value)]
            elif isinstance(part, ast.FormattedValue):
                options = _names(part.value, bound)
            else:
                options = None
            if options is None:
                return None
            names = [name + option for name in names for option in options]
        return names
    return None


def _default(call: ast.Call) -> object:
    """The default a read falls back to: a plain value, None (unset) or NOT_PLAIN."""
    if len(call.args) < 2:
        return None
    try:
        return ast.literal_eval(call.args[1])
    except ValueError:
        return NOT_PLAIN


def settings_read(source: str) -> dict[str, object]:
    """Every setting config.py reads from the environment, in order, with its first default."""
    found: dict[str, object] = {}

    def visit(node: ast.AST, bound: dict[str, list[str]], helper: bool) -> None:
        if isinstance(node, ast.FunctionDef):
            # The readers themselves read whatever name they are given.
            helper = node.name in READERS
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            values = _names(node.iter, bound)
            if values is not None:
                bound = {**bound, node.target.id: values}
        if isinstance(node, ast.Call) and _reads_environment(node) and node.args and not helper:
            names = _names(node.args[0], bound)
            if names is None:
                raise ValueError(
                    f"config.py line {node.lineno} reads a setting whose name is not written "
                    "out: name it literally (or loop over literal names)."
                )
            for name in names:
                found.setdefault(name, _default(node))
        for child in ast.iter_child_nodes(node):
            visit(child, bound, helper)

    visit(ast.parse(source), {}, False)
    return found


def shown(value: object) -> str:
    """A default as the table shows it."""
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def default_of(row: Row, read: dict[str, object]) -> str:
    """The row's default: its own words, or the plain defaults config.py gives its names."""
    if row.default is not None:
        return row.default
    values = [read.get(name, NOT_PLAIN) for name in row.names]
    if NOT_PLAIN in values:
        raise ValueError(f"{row.names}: config.py computes the default; say it in the row")
    shown_values = [shown(value) for value in values]
    if len(set(shown_values)) == 1:
        return shown_values[0]
    return " / ".join(shown_values)


def table(read: dict[str, object] | None = None) -> str:
    """The markdown table, one line per row of setting_meanings.py."""
    read = settings_read(CONFIG.read_text()) if read is None else read
    lines = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for row in ROWS:
        label = row.label or " / ".join(f"`{name}`" for name in row.names)
        cells = (label, default_of(row, read), row.meaning.replace("|", "\\|"))
        lines.append("| " + " | ".join(" ".join(cell.split()) for cell in cells) + " |")
    return "\n".join(lines)


def with_table(text: str) -> str:
    """The page's text with the table between its markers made afresh."""
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{table()}\n{END}{after}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        CONFIGURATION.write_text(with_table(CONFIGURATION.read_text()))
    else:
        print(table())
