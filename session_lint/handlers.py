"""Which functions are FastAPI handlers, and which sessions each one receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import libcst as cst

from session_lint import ir
from session_lint.module_scan import ClassInfo, ModuleScan, Resolver, dotted

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "route", "websocket"}
)


@dataclass
class Handler:
    key: str
    node: cst.FunctionDef
    sessions: List[ir.SessionParam]


def route_decorator_index(node: cst.FunctionDef) -> Optional[int]:
    """Index of the decorator that registers ``node`` as a route (``@router.get(...)``)."""
    for index, deco in enumerate(node.decorators):
        expr = deco.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if expr.func.attr.value in ROUTE_METHODS:
                return index
    return None


def find_handlers(
    scan: ModuleScan,
    nodes: Dict[str, cst.FunctionDef],
    classes: Dict[str, Optional[ClassInfo]],
    resolver: Resolver,
    position: Callable[[cst.CSTNode], ir.Pos],
    imported_alias: Callable[[str], Optional[str]],
    dependency_opens: Callable[[str], Optional[str]],
) -> List[Handler]:
    registered = set(scan.registered_endpoints)
    handlers: List[Handler] = []
    for key, node in nodes.items():
        route = route_decorator_index(node)
        if route is None and key not in registered:
            continue
        sessions = _session_params(node, classes.get(key), resolver, position, imported_alias, scan)
        openers = _opening_decorators(node, route, resolver, position)
        resolved = []
        for param in sessions:
            opened = None
            if openers:
                pos, name = openers[0]
                opened = (pos, f"@{name}")
            else:
                why = dependency_opens(param.dependency)
                if why is not None:
                    opened = (param.pos, why)
            resolved.append(ir.SessionParam(param.name, param.dependency, param.pos, opened))
        handlers.append(Handler(key, node, resolved))
    return handlers


def _opening_decorators(
    node: cst.FunctionDef, route: Optional[int], resolver: Resolver, position
) -> List[Tuple[ir.Pos, str]]:
    """Decorators that query through the session before the body runs. Only those below the
    route decorator wrap what FastAPI calls: one above it wraps a function nobody registers."""
    found = []
    start = (route + 1) if route is not None else 0
    for deco in node.decorators[start:]:
        expr = deco.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in resolver.settings.session_decorators:
            found.append((position(deco), name.rsplit(".", 1)[-1]))
    return found


def _session_params(
    node: cst.FunctionDef,
    cls: Optional[ClassInfo],
    resolver: Resolver,
    position,
    imported_alias: Callable[[str], Optional[str]],
    scan: ModuleScan,
) -> List[ir.SessionParam]:
    found: List[ir.SessionParam] = []
    params = list(node.params.posonly_params) + list(node.params.params) + list(node.params.kwonly_params)
    for param in params:
        dep = _param_dependency(param, resolver, imported_alias, scan)
        if dep is not None:
            found.append(ir.SessionParam(param.name.value, dep, position(param)))
    if cls is not None:
        # Class-based views: the session arrives through ``self``.
        for attr, (dep, decl) in cls.dependency_attrs.items():
            found.append(ir.SessionParam(f"self.{attr}", dep, position(decl)))
        init = cls.methods.get("__init__")
        if init is not None:
            deps = {}
            for param in list(init.params.params) + list(init.params.kwonly_params):
                dep = _param_dependency(param, resolver, imported_alias, scan)
                if dep is not None:
                    deps[param.name.value] = (dep, param)
            for attr, source in _self_copies(init):
                if source in deps:
                    dep, param = deps[source]
                    found.append(ir.SessionParam(f"self.{attr}", dep, position(param)))
    return found


def _param_dependency(param: cst.Param, resolver: Resolver, imported_alias, scan: ModuleScan) -> Optional[str]:
    dep = resolver.dependency_of(param.default) or resolver.annotated_dependency(param.annotation)
    if dep is not None:
        return dep
    if param.annotation is not None:
        name = dotted(param.annotation.annotation)
        if name is not None:
            head, _, rest = name.partition(".")
            if head in scan.imports:
                qual = scan.imports[head] + (f".{rest}" if rest else "")
                return imported_alias(qual)
    return None


def _self_copies(init: cst.FunctionDef) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.Name):
                for t in node.targets:
                    target = t.target
                    if (
                        isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name)
                        and target.value.value == "self"
                    ):
                        out.append((target.attr.value, node.value.value))

    init.body.visit(Finder())
    return out
