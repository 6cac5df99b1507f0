"""Web frameworks: what makes a function a request handler, and how a handler receives its
dependencies (the session among them). One module per framework, each declaring ``FRAMEWORK``,
an instance of :class:`Framework`; adding a framework is adding a module here with its fixture.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from session_lint.flow import ir
from session_lint.index.bindings import ClassInfo
from session_lint.knowledge.frameworks.base import AliasLookup, Framework, ModuleNames
from session_lint.source.parsed import FuncNode, ParsedModule

def _discover() -> Tuple[Framework, ...]:
    found: List[Framework] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        framework = getattr(module, "FRAMEWORK", None)
        if isinstance(framework, Framework):
            found.append(framework)
    return tuple(found)


FRAMEWORKS: Tuple[Framework, ...] = _discover()
NON_USERS: FrozenSet[str] = frozenset(name for framework in FRAMEWORKS for name in framework.non_users)


def dependency(node: Optional[ast.AST]) -> Optional[str]:
    """The dependency ``node`` declares in any framework."""
    for framework in FRAMEWORKS:
        found = framework.dependency(node)
        if found is not None:
            return found
    return None


def annotated_dependency(node: Optional[ast.AST], aliases: Mapping[str, str]) -> Optional[str]:
    for framework in FRAMEWORKS:
        found = framework.annotated_dependency(node, aliases)
        if found is not None:
            return found
    return None


def registered_endpoint(call: ast.Call) -> Optional[str]:
    for framework in FRAMEWORKS:
        found = framework.registered_endpoint(call)
        if found is not None:
            return found
    return None


def annotate(functions: Dict[str, ir.FunctionIR], nodes: Mapping[str, FuncNode],
             classes: Mapping[str, Optional[ClassInfo]], names: ModuleNames, parsed: ParsedModule,
             session_dependencies: Sequence[str], session_decorators: Sequence[str],
             imported_alias: AliasLookup) -> None:
    for framework in FRAMEWORKS:
        framework.annotate(functions, nodes, classes, names, parsed, session_dependencies, session_decorators,
                           imported_alias)
