"""A custom import-linter contract: which names some packages may take from Flask.

import-linter's own contracts see external packages whole (`flask`, never `flask.request`),
but the rule here is finer: the petition's rules and crypto may read the app's settings
(current_app) but never the request, the session, a template or a blueprint.
"""

import ast
import importlib.util
from functools import cache
from pathlib import Path

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AllowedNamesContract(Contract):
    """source_modules may import from `module` only the names in allowed_names."""

    source_modules = fields.ListField(subfield=fields.ModuleField())
    module = fields.StringField()
    allowed_names = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        allowed = set(self.allowed_names)  # type: ignore[arg-type]
        module = str(self.module)
        broken = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            for importer in {source.name, *graph.find_descendants(source.name)}:
                for detail in graph.get_import_details(importer=importer, imported=module):
                    names = _imported_names(importer, detail["line_number"], module)
                    if names is None or names - allowed:
                        broken.append((importer, detail["line_number"], detail["line_contents"]))
        return ContractCheck(kept=not broken, metadata={"broken": sorted(broken)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        allowed = ", ".join(self.allowed_names)  # type: ignore[arg-type]
        for importer, line, contents in check.metadata["broken"]:
            output.print_error(
                f"{importer}:{line}: {contents}  (only {allowed} may come from {self.module})"
            )
            output.new_line()


def _imported_names(importer: str, line: int, module: str) -> set[str] | None:
    """The names the import statement at that line takes from module (however many lines
    it spans); None for `import module` itself (everything)."""
    for node in ast.walk(_syntax_tree(importer)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == module
            and node.lineno <= line <= (node.end_lineno or line)
        ):
            return {alias.name for alias in node.names}
    return None


@cache
def _syntax_tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return ast.parse(Path(spec.origin).read_text())
