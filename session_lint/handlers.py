"""Which functions are FastAPI handlers, and what each function declares with ``Depends``:
the sessions it receives and the other dependencies FastAPI runs before it."""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Tuple

import ast

from session_lint import ir
from session_lint.lowering import LoweredModule
from session_lint.module_scan import ClassInfo, ModuleScan, Resolver
from session_lint.parsed import FuncNode, ParsedModule, dotted, param_default, positional_params, statements

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "route", "websocket"}
)

# Resolves ``pkg.mod.Alias`` (an ``Annotated`` alias defined in another module) to the
# dependency it carries, as written there, and that dependency's global key.
AliasLookup = Callable[[str], Optional[Tuple[str, Optional[str]]]]


def route_decorator_index(node: FuncNode) -> Optional[int]:
    """Index of the decorator that registers ``node`` as a route (``@router.get(...)``)."""
    for index, expr in enumerate(node.decorator_list):
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr in ROUTE_METHODS:
                return index
    return None


def annotate(
    lowered: LoweredModule,
    scan: ModuleScan,
    resolver: Resolver,
    parsed: ParsedModule,
    imported_alias: AliasLookup,
) -> None:
    """Fills in, on every lowered function, its declared dependencies, and marks handlers."""
    registered = {scan.qual_of_local(name) for name in scan.registered_endpoints}
    for key, fn in lowered.functions.items():
        node = lowered.nodes[key]
        cls = lowered.classes.get(key)
        sessions, subs = declared_dependencies(node, cls, resolver, parsed, imported_alias)
        route = route_decorator_index(node)
        is_handler = route is not None or key in registered
        if is_handler:
            openers = _opening_decorators(node, route, resolver, parsed)
            if openers:
                sessions = [dataclasses.replace(p, opened_by_decorator=openers[0]) for p in sessions]
        fn.session_params = tuple(sessions)
        fn.sub_dependencies = tuple(subs)
        fn.is_handler = is_handler


def declared_dependencies(
    node: FuncNode,
    cls: Optional[ClassInfo],
    resolver: Resolver,
    parsed: ParsedModule,
    imported_alias: AliasLookup,
) -> Tuple[List[ir.SessionParam], List[ir.SubDependency]]:
    sessions: List[ir.SessionParam] = []
    subs: List[ir.SubDependency] = []
    for param in positional_params(node.args):
        found = _param_dependency(node.args, param, resolver, imported_alias)
        if found is None:
            continue
        text, key = found
        session = resolver.session_dependency(text)
        if session is not None:
            sessions.append(ir.SessionParam(param.arg, session, parsed.param_pos(param), key))
        else:
            subs.append(ir.SubDependency(param.arg, text, key, parsed.param_pos(param)))
    if cls is not None and node in cls.methods.values():
        # Class-based views: the session arrives through ``self``.
        for attr, (dep, decl) in cls.dependency_attrs.items():
            sessions.append(ir.SessionParam(f"self.{attr}", dep, parsed.pos(decl), resolver.function_key(dep)))
        init = cls.methods.get("__init__")
        if init is not None and init is not node:
            by_param: Dict[str, Tuple[str, Optional[str], ast.arg]] = {}
            for param in [*init.args.args, *init.args.kwonlyargs]:
                found = _param_dependency(init.args, param, resolver, imported_alias)
                if found is not None and resolver.session_dependency(found[0]) is not None:
                    dependency = resolver.session_dependency(found[0])
                    by_param[param.arg] = (dependency, found[1], param)  # type: ignore[assignment]
            for attr, source in _self_copies(init):
                if source in by_param:
                    dep, key, param = by_param[source]
                    sessions.append(ir.SessionParam(f"self.{attr}", dep, parsed.param_pos(param), key))
    return sessions, subs


def _param_dependency(args: ast.arguments, param: ast.arg, resolver: Resolver,
                      imported_alias: AliasLookup) -> Optional[Tuple[str, Optional[str]]]:
    text = resolver.depends_text(param_default(args, param)) or resolver.annotated_depends_text(param.annotation)
    if text is not None:
        return text, resolver.function_key(text)
    if param.annotation is not None:
        name = dotted(param.annotation)
        if name is not None:
            head, _, rest = name.partition(".")
            if head in resolver.scan.imports:
                return imported_alias(resolver.scan.imports[head] + (f".{rest}" if rest else ""))
    return None


def _opening_decorators(
    node: FuncNode, route: Optional[int], resolver: Resolver, parsed: ParsedModule
) -> List[Tuple[ir.Pos, str, Optional[str]]]:
    """Decorators that query through the session before the body runs. Only those below the
    route decorator wrap what FastAPI calls: one above it wraps a function nobody registers."""
    found = []
    start = (route + 1) if route is not None else 0
    for expr in node.decorator_list[start:]:
        target = expr.func if isinstance(expr, ast.Call) else expr
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in resolver.settings.session_decorators:
            found.append((parsed.decorator_pos(expr), f"@{name.rsplit('.', 1)[-1]}", resolver.function_key(name)))
    return found


def _self_copies(init: FuncNode) -> List[Tuple[str, str]]:
    """``(attr, param)`` for every ``self.attr = param`` in ``init``."""
    out: List[Tuple[str, str]] = []
    for stmt in statements(init.body):
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
            for target in stmt.targets:
                owner = target.value if isinstance(target, ast.Attribute) else None
                if isinstance(owner, ast.Name) and owner.id == "self":
                    out.append((target.attr, stmt.value.id))  # type: ignore[attr-defined]
    return out
