"""Lowering one module: every function, method and nested function of it, each by a
:class:`~session_lint.flow.lower.function.FunctionLowerer`."""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Optional, Set, Tuple

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.flow.lower.context import Env
from session_lint.flow.lower.function import FunctionLowerer
from session_lint.index.bindings import ClassInfo, ModuleScan
from session_lint.index.resolver import ExternalNames, Resolver
from session_lint.knowledge.catalogue import SinkTable
from session_lint.knowledge.python import ABSTRACT_DECORATOR, NOT_IMPLEMENTED, PROTOCOL_BASE
from session_lint.source.parsed import FuncNode, ParsedModule, dotted, name_id


@dataclass
class LoweredModule:
    """Every lowered function of a module by global key, with the syntax node and class it came from."""

    functions: Dict[str, ir.FunctionIR] = field(default_factory=dict)
    nodes: Dict[str, FuncNode] = field(default_factory=dict)
    classes: Dict[str, Optional[ClassInfo]] = field(default_factory=dict)


class ModuleLowerer:
    """Lowers every function (methods and nested functions too) of one module."""

    def __init__(self, scan: ModuleScan, settings: Settings, parsed: ParsedModule, sink_table: SinkTable,
                 external: Optional[ExternalNames] = None) -> None:
        self.scan = scan
        self.settings = settings
        self.parsed = parsed
        self.pos = parsed.pos
        self.sinks = sink_table
        self.resolver = Resolver(scan, settings, external)
        self.out = LoweredModule()
        # Function keys are global: the module's dotted name, then the qualified name inside it.
        self.prefix = f"{scan.name}." if scan.name else ""
        self._queue: Deque[Tuple[str, FuncNode, Optional[ClassInfo], Env, Dict[str, str], frozenset]] = deque()

    def lower_all(self) -> LoweredModule:
        for name, node in self.scan.functions.items():
            self.lower_later(self.prefix + name, node, None, {}, {}, frozenset())
        for cname, info in self.scan.classes.items():
            for mname, node in info.methods.items():
                self.lower_later(f"{self.prefix}{cname}.{mname}", node, info, {}, {}, frozenset())
        while self._queue:
            key, node, cls, env, defs, outer_locals = self._queue.popleft()
            if _stands_for_overrides(node, cls):
                continue
            lowerer = FunctionLowerer(self, key, node, cls, env, defs, outer_locals)
            self.out.functions[key] = lowerer.lower()
        return self.out

    def will_lower(self, key: str) -> bool:
        return key in self.out.nodes

    def lower_later(self, key: str, node: FuncNode, cls: Optional[ClassInfo], env: Env, defs: Dict[str, str],
                    outer_locals: frozenset) -> None:
        self.out.nodes[key] = node
        self.out.classes[key] = cls
        self._queue.append((key, node, cls, env, defs, outer_locals))

    def method_key(self, cls: ClassInfo, method: str, seen: Optional[Set[str]] = None) -> Optional[str]:
        if method in cls.methods:
            return f"{self.prefix}{cls.name}.{method}"
        seen = seen or set()
        for base in cls.bases:
            info = self.scan.classes.get(base)
            if info is not None and info.name not in seen:
                seen.add(info.name)
                found = self.method_key(info, method, seen)
                if found:
                    return found
        return None


def _stands_for_overrides(node: FuncNode, cls: Optional[ClassInfo]) -> bool:
    """Whether ``node`` is an abstract method: ``@abstractmethod``, a body that only raises
    ``NotImplementedError``, or a method of a ``Protocol``. A call to one runs an override this
    body says nothing about, so it is left unlowered: an unknown callee, which uses the session
    it is handed, and whose awaiting ``--explain-unresolved`` lists."""
    if cls is None:
        return False
    if any(base.rsplit(".", 1)[-1] == PROTOCOL_BASE for base in cls.bases):
        return True
    if any((dotted(d) or "").rsplit(".", 1)[-1] == ABSTRACT_DECORATOR for d in node.decorator_list):
        return True
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return name_id(raised) == NOT_IMPLEMENTED
