"""What a module binds at its top level, as plain records (imports, functions, classes,
instances), and the values names are known to have: shared by the scan that fills them, the
resolver that reads them and the frameworks that look up dependencies in them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from session_lint.source.parsed import FuncNode


@dataclass(frozen=True)
class Val:
    """What an expression is known to be: ``ref`` (the named thing itself: a module, class or
    function), ``inst`` (an instance of the named class), ``coro`` (a coroutine or task that,
    once awaited, runs ``qual``), or ``factory`` (a session factory)."""

    kind: str
    qual: str
    is_async: bool = False


@dataclass
class ClassInfo:
    name: str
    qual: str
    node: ast.ClassDef
    methods: Dict[str, FuncNode] = field(default_factory=dict)
    attr_types: Dict[str, Val] = field(default_factory=dict)
    # Class-level attributes declared with a session dependency (class-based views).
    dependency_attrs: Dict[str, Tuple[str, ast.stmt]] = field(default_factory=dict)
    bases: Tuple[str, ...] = ()


@dataclass
class ModuleScan:
    name: str
    imports: Dict[str, str] = field(default_factory=dict)
    functions: Dict[str, FuncNode] = field(default_factory=dict)
    classes: Dict[str, ClassInfo] = field(default_factory=dict)
    globals: Dict[str, Val] = field(default_factory=dict)
    # ``DbDep = Annotated[Session, Depends(get_db)]``: alias name -> the dependency as written
    dependency_aliases: Dict[str, str] = field(default_factory=dict)
    return_types: Dict[str, str] = field(default_factory=dict)
    # ``app.add_api_route("/x", endpoint)``: names of functions registered as endpoints
    registered_endpoints: List[str] = field(default_factory=list)
    # ``_MAX_RETRIES = 3``: module-level names bound to an integer literal (how often a
    # ``for _ in range(_MAX_RETRIES)`` runs).
    int_constants: Dict[str, int] = field(default_factory=dict)

    def qual_of_local(self, name: str) -> str:
        return f"{self.name}.{name}" if self.name else name


def resolve_relative(module: str, is_package: bool, level: int, target: Optional[str]) -> str:
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    if target:
        parts.append(target)
    return ".".join(parts)


def import_bindings(
    stmt: Union[ast.Import, ast.ImportFrom], module: str, is_package: bool
) -> Dict[str, str]:
    """Local name -> qualified name for one import statement."""
    out: Dict[str, str] = {}
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            full = alias.name
            if alias.asname is not None:
                out[alias.asname] = full
            else:
                head = full.split(".")[0]
                out[head] = head
        return out
    base = stmt.module
    level = stmt.level or 0
    if level:
        base = resolve_relative(module, is_package, level, base)
    for alias in stmt.names:
        name = alias.name
        if name == "*":
            return out
        local = alias.asname if alias.asname is not None else name
        out[local] = f"{base}.{name}" if base else name
    return out
