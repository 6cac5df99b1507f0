"""What the three parts of a function's lowering (statements, calls, ORM loads) share: the module
being lowered, seen through :class:`ModuleContext`, and the state of the function so far."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Protocol, Set, Tuple

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.index.bindings import ClassInfo, ModuleScan, Val
from session_lint.index.resolver import Resolver
from session_lint.knowledge.catalogue import SinkTable
from session_lint.source.parsed import FuncNode, ParsedModule

Env = Dict[str, Optional[Val]]


class ModuleContext(Protocol):
    """The module a function is lowered in."""

    scan: ModuleScan
    settings: Settings
    parsed: ParsedModule
    sinks: SinkTable
    resolver: Resolver
    # Function keys are global: the module's dotted name and a dot, then the name inside it.
    prefix: str

    def pos(self, node: ast.AST) -> ir.Pos: ...

    def method_key(self, cls: ClassInfo, method: str) -> Optional[str]: ...

    def lower_later(self, key: str, node: FuncNode, cls: Optional[ClassInfo], env: Env, defs: Dict[str, str],
                    outer_locals: frozenset) -> None: ...

    def will_lower(self, key: str) -> bool: ...


class FunctionState:
    """The state of one function's lowering, read and written by all three of its parts."""

    m: ModuleContext
    key: str
    node: FuncNode
    cls: Optional[ClassInfo]
    env: Env
    defs: Dict[str, str]  # local function name -> key
    outer_locals: frozenset
    locals: Set[str]
    read_names: Set[str]
    task_groups: Dict[str, List[ir.Node]]
    pending: Dict[str, List[ir.Node]]  # name -> what awaiting it runs
    has_explicit: bool
    is_async: bool
    # Calls whose result is bound to a name, by node: ``svc = Service(db)``, and a constructor
    # called as an argument (``Manager(storage=Storage(db))``), whose result has a made-up name.
    results: Dict[ast.Call, str]
    # Names bound to ORM objects loaded in this function (so far, in source order): their
    # attribute reads become Touch events (SL201).
    orm_names: Set[str]
    # Parameters that may be sessions (annotated as one, or declared with a dependency), and
    # names the function binds to sessions it makes.
    session_names: Set[str]
    # Names bound to SQL statements that lock rows or write (``stmt = select(T).with_for_update()``,
    # ``stmt = update(T)...``), for the ``execute(stmt)`` that runs them: (locks, writes).
    statements: Dict[str, Tuple[bool, bool]]
