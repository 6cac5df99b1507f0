"""Which functions are FastAPI handlers, and what each function declares with ``Depends``:
the sessions it receives and the other dependencies FastAPI runs before it."""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Tuple

import libcst as cst

from session_lint import ir
from session_lint.lowering import LoweredModule
from session_lint.module_scan import ClassInfo, ModuleScan, Resolver, dotted

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "route", "websocket"}
)

# Resolves ``pkg.mod.Alias`` (an ``Annotated`` alias defined in another module) to the
# dependency it carries, as written there, and that dependency's global key.
AliasLookup = Callable[[str], Optional[Tuple[str, Optional[str]]]]


def route_decorator_index(node: cst.FunctionDef) -> Optional[int]:
    """Index of the decorator that registers ``node`` as a route (``@router.get(...)``)."""
    for index, deco in enumerate(node.decorators):
        expr = deco.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if expr.func.attr.value in ROUTE_METHODS:
                return index
    return None


def annotate(
    lowered: LoweredModule,
    scan: ModuleScan,
    resolver: Resolver,
    position: Callable[[cst.CSTNode], ir.Pos],
    imported_alias: AliasLookup,
) -> None:
    """Fills in, on every lowered function, its declared dependencies, and marks handlers."""
    registered = {scan.qual_of_local(name) for name in scan.registered_endpoints}
    for key, fn in lowered.functions.items():
        node = lowered.nodes[key]
        cls = lowered.classes.get(key)
        sessions, subs = declared_dependencies(node, cls, resolver, position, imported_alias)
        route = route_decorator_index(node)
        is_handler = route is not None or key in registered
        if is_handler:
            openers = _opening_decorators(node, route, resolver, position)
            if openers:
                sessions = [dataclasses.replace(p, opened_by_decorator=openers[0]) for p in sessions]
        fn.session_params = tuple(sessions)
        fn.sub_dependencies = tuple(subs)
        fn.is_handler = is_handler


def declared_dependencies(
    node: cst.FunctionDef,
    cls: Optional[ClassInfo],
    resolver: Resolver,
    position,
    imported_alias: AliasLookup,
) -> Tuple[List[ir.SessionParam], List[ir.SubDependency]]:
    sessions: List[ir.SessionParam] = []
    subs: List[ir.SubDependency] = []
    params = list(node.params.posonly_params) + list(node.params.params) + list(node.params.kwonly_params)
    for param in params:
        found = _param_dependency(param, resolver, imported_alias)
        if found is None:
            continue
        text, key = found
        session = resolver.session_dependency(text)
        if session is not None:
            sessions.append(ir.SessionParam(param.name.value, session, position(param), key))
        else:
            subs.append(ir.SubDependency(param.name.value, text, key, position(param)))
    if cls is not None and node in cls.methods.values():
        # Class-based views: the session arrives through ``self``.
        for attr, (dep, decl) in cls.dependency_attrs.items():
            sessions.append(ir.SessionParam(f"self.{attr}", dep, position(decl), resolver.function_key(dep)))
        init = cls.methods.get("__init__")
        if init is not None and init is not node:
            by_param: Dict[str, Tuple[str, Optional[str], cst.Param]] = {}
            for param in list(init.params.params) + list(init.params.kwonly_params):
                found = _param_dependency(param, resolver, imported_alias)
                if found is not None and resolver.session_dependency(found[0]) is not None:
                    by_param[param.name.value] = (resolver.session_dependency(found[0]), found[1], param)  # type: ignore[assignment]
            for attr, source in _self_copies(init):
                if source in by_param:
                    dep, key, param = by_param[source]
                    sessions.append(ir.SessionParam(f"self.{attr}", dep, position(param), key))
    return sessions, subs


def _param_dependency(param: cst.Param, resolver: Resolver, imported_alias: AliasLookup) -> Optional[Tuple[str, Optional[str]]]:
    text = resolver.depends_text(param.default) or resolver.annotated_depends_text(param.annotation)
    if text is not None:
        return text, resolver.function_key(text)
    if param.annotation is not None:
        name = dotted(param.annotation.annotation)
        if name is not None:
            head, _, rest = name.partition(".")
            if head in resolver.scan.imports:
                return imported_alias(resolver.scan.imports[head] + (f".{rest}" if rest else ""))
    return None


def _opening_decorators(
    node: cst.FunctionDef, route: Optional[int], resolver: Resolver, position
) -> List[Tuple[ir.Pos, str, Optional[str]]]:
    """Decorators that query through the session before the body runs. Only those below the
    route decorator wrap what FastAPI calls: one above it wraps a function nobody registers."""
    found = []
    start = (route + 1) if route is not None else 0
    for deco in node.decorators[start:]:
        expr = deco.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in resolver.settings.session_decorators:
            found.append((position(deco), f"@{name.rsplit('.', 1)[-1]}", resolver.function_key(name)))
    return found


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
