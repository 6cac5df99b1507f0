"""What the analysis asks of a web framework (:class:`Framework`), and what a framework may
ask of the module it reads (:class:`ModuleNames`)."""

from __future__ import annotations

import ast
from typing import Callable, Dict, FrozenSet, Mapping, Optional, Protocol, Sequence, Tuple

from session_lint.flow import ir
from session_lint.index.bindings import ClassInfo, ModuleScan
from session_lint.source.parsed import FuncNode, ParsedModule

# Resolves ``pkg.mod.Alias`` (an ``Annotated`` alias defined in another module) to the
# dependency it carries, as written there, and that dependency's global key.
AliasLookup = Callable[[str], Optional[Tuple[str, Optional[str]]]]


class ModuleNames(Protocol):
    """What a framework asks of the module it reads (the index's resolver answers)."""

    scan: ModuleScan

    def function_key(self, text: str) -> Optional[str]: ...


class Framework:
    """The questions the analysis asks of a web framework. Each has a default that knows
    nothing, so a framework implements only what it has."""

    name = ""
    # Calls of the framework known not to use a session handed to them (``fastapi.Depends``).
    non_users: FrozenSet[str] = frozenset()

    def dependency(self, node: Optional[ast.AST]) -> Optional[str]:
        """The dependency a parameter default (or annotation element) declares, as written
        (``get_db`` for ``Depends(get_db)``)."""
        return None

    def annotated_dependency(self, node: Optional[ast.AST], aliases: Mapping[str, str]) -> Optional[str]:
        """The dependency an annotation carries (``Annotated[Session, Depends(get_db)]``, or a
        module alias of one in ``aliases``)."""
        return None

    def registered_endpoint(self, call: ast.Call) -> Optional[str]:
        """The name of the function a module-level call registers as a handler, if it does
        (``app.add_api_route("/x", endpoint)``)."""
        return None

    def annotate(self, functions: Dict[str, ir.FunctionIR], nodes: Mapping[str, FuncNode],
                 classes: Mapping[str, Optional[ClassInfo]], names: ModuleNames, parsed: ParsedModule,
                 session_dependencies: Sequence[str], session_decorators: Sequence[str],
                 imported_alias: AliasLookup) -> None:
        """Marks the handlers among ``functions`` and fills in the sessions and other
        dependencies each function declares."""
