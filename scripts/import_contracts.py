"""A custom import-linter contract: which names some packages may take from Flask.

import-linter's own contracts see external packages whole (`flask`, never `flask.request`),
but the rule here is finer: the petition's rules and crypto may read the app's settings
(current_app) but never the request, the session, a template or a blueprint.
"""

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

FROM_IMPORT = "from {module} import "


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
                    names = _imported_names(detail["line_contents"], module)
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


def _imported_names(line: str, module: str) -> set[str] | None:
    """The names a `from module import a, b as c` line takes; None for `import module` (all)."""
    prefix = FROM_IMPORT.format(module=module)
    if not line.startswith(prefix):
        return None
    names = line[len(prefix) :].strip("() ")
    return {name.split(" as ")[0].strip() for name in names.split(",") if name.strip()}
