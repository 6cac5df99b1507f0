"""FastAPI: which functions are handlers (route decorators, ``add_api_route``), and what each
function declares with ``Depends``/``Security``: the sessions it receives (parameters,
``Annotated`` aliases, class-based views' attributes) and the other dependencies FastAPI runs
before it; and the decorators below the route that query through the session first."""

from __future__ import annotations

import ast
import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from session_lint.flow import ir
from session_lint.index.bindings import ClassInfo
from session_lint.knowledge.frameworks.base import AliasLookup, Framework, ModuleNames
from session_lint.knowledge.sqlalchemy import ASYNC_SESSION_CLASS
from session_lint.source.parsed import (
    FuncNode,
    ParsedModule,
    call_args,
    dotted,
    param_default,
    positional_params,
    statements,
    subscript_elements,
)

# ``@router.get(...)`` on any object: an APIRouter, the app, an alias of either.
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "route", "websocket"}
)
# ``app.add_api_route("/x", endpoint)`` and its relatives register a function as a handler.
REGISTRATION_METHODS = frozenset({"add_api_route", "add_api_websocket_route", "add_route", "add_websocket_route"})
# ``Depends(dep)`` and ``Security(dep, scopes=...)`` declare a dependency.
DEPENDENCY_MARKERS = frozenset({"Depends", "Security"})
ANNOTATED = "Annotated"


def session_dependency(text: Optional[str], session_dependencies: Sequence[str]) -> Optional[str]:
    """The configured session dependency ``text`` names (``deps.get_db`` -> ``get_db``)."""
    if text is None:
        return None
    last = text.rsplit(".", 1)[-1]
    return last if last in session_dependencies else None


class FastAPI(Framework):
    name = "fastapi"
    non_users = frozenset({"fastapi.Depends"})

    def dependency(self, node: Optional[ast.AST]) -> Optional[str]:
        """``get_db`` for ``Depends(get_db)`` (or ``Security(...)``, ``dependency=...``): the
        dependency as written, whatever it is."""
        if not isinstance(node, ast.Call):
            return None
        name = dotted(node.func)
        if name is None or name.rsplit(".", 1)[-1] not in DEPENDENCY_MARKERS:
            return None
        dep: Optional[ast.AST] = None
        for i, arg in enumerate(call_args(node)):
            if arg.keyword is None and i == 0:
                dep = arg.value
            elif arg.keyword == "dependency":
                dep = arg.value
        return dotted(dep) if dep is not None else None

    def annotated_dependency(self, node: Optional[ast.AST], aliases: Mapping[str, str]) -> Optional[str]:
        """The dependency an annotation carries: ``Annotated[X, Depends(dep)]``, or a name of
        this module aliasing one (``DbDep``)."""
        if node is None:
            return None
        if isinstance(node, ast.Subscript):
            head = dotted(node.value)
            if head is not None and head.rsplit(".", 1)[-1] == ANNOTATED:
                for element in subscript_elements(node)[1:]:
                    if not isinstance(element, ast.Slice):
                        dep = self.dependency(element)
                        if dep is not None:
                            return dep
            return None
        name = dotted(node)
        if name is not None and name in aliases:
            return aliases[name]
        return None

    def registered_endpoint(self, call: ast.Call) -> Optional[str]:
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in REGISTRATION_METHODS:
            return None
        endpoint = None
        args = call_args(call)
        positional = [a for a in args if a.keyword is None]
        for a in args:
            if a.keyword in ("endpoint", "route"):
                endpoint = a.value
        if endpoint is None and len(positional) >= 2:
            endpoint = positional[1].value
        return endpoint.id if isinstance(endpoint, ast.Name) else None

    def annotate(self, functions: Dict[str, ir.FunctionIR], nodes: Mapping[str, FuncNode],
                 classes: Mapping[str, Optional[ClassInfo]], names: ModuleNames, parsed: ParsedModule,
                 session_dependencies: Sequence[str], session_decorators: Sequence[str],
                 imported_alias: AliasLookup) -> None:
        """Fills in, on every lowered function, its declared dependencies, and marks handlers."""
        scan = names.scan
        registered = {scan.qual_of_local(name) for name in scan.registered_endpoints}
        reader = _Declarations(self, names, parsed, session_dependencies, imported_alias)
        for key, fn in functions.items():
            node = nodes[key]
            sessions, subs = reader.declared(node, classes.get(key))
            route = route_decorator_index(node)
            is_handler = route is not None or key in registered
            if is_handler:
                openers = _opening_decorators(node, route, names, parsed, session_decorators)
                if openers:
                    sessions = [dataclasses.replace(p, opened_by_decorator=openers[0]) for p in sessions]
            fn.session_params += tuple(sessions)
            fn.sub_dependencies += tuple(subs)
            fn.is_handler = fn.is_handler or is_handler


FRAMEWORK = FastAPI()


def route_decorator_index(node: FuncNode) -> Optional[int]:
    """Index of the decorator that registers ``node`` as a route (``@router.get(...)``)."""
    for index, expr in enumerate(node.decorator_list):
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr in ROUTE_METHODS:
                return index
    return None


class _Declarations:
    """Reads what one module's functions declare with ``Depends``."""

    def __init__(self, framework: FastAPI, names: ModuleNames, parsed: ParsedModule,
                 session_dependencies: Sequence[str], imported_alias: AliasLookup) -> None:
        self.framework = framework
        self.names = names
        self.parsed = parsed
        self.session_dependencies = session_dependencies
        self.imported_alias = imported_alias

    def declared(self, node: FuncNode, cls: Optional[ClassInfo]
                 ) -> Tuple[List[ir.SessionParam], List[ir.SubDependency]]:
        sessions: List[ir.SessionParam] = []
        subs: List[ir.SubDependency] = []
        parsed = self.parsed
        for param in positional_params(node.args):
            found = self.param_dependency(node.args, param)
            if found is None:
                continue
            text, key = found
            session = session_dependency(text, self.session_dependencies)
            if session is not None:
                sessions.append(ir.SessionParam(param.arg, session, parsed.param_pos(param), key,
                                                is_async=_annotated_async(param.annotation)))
            else:
                subs.append(ir.SubDependency(param.arg, text, key, parsed.param_pos(param)))
        if cls is not None and node in cls.methods.values():
            # Class-based views: the session arrives through ``self``.
            for attr, (dep, decl) in cls.dependency_attrs.items():
                sessions.append(ir.SessionParam(f"self.{attr}", dep, parsed.pos(decl), self.names.function_key(dep)))
            init = cls.methods.get("__init__")
            if init is not None and init is not node:
                by_param: Dict[str, Tuple[str, Optional[str], ast.arg]] = {}
                for param in [*init.args.args, *init.args.kwonlyargs]:
                    found = self.param_dependency(init.args, param)
                    dependency = session_dependency(found[0], self.session_dependencies) if found else None
                    if found is not None and dependency is not None:
                        by_param[param.arg] = (dependency, found[1], param)
                for attr, source in _self_copies(init):
                    if source in by_param:
                        dep, key, param = by_param[source]
                        sessions.append(ir.SessionParam(f"self.{attr}", dep, parsed.param_pos(param), key))
        return sessions, subs

    def param_dependency(self, args: ast.arguments, param: ast.arg) -> Optional[Tuple[str, Optional[str]]]:
        scan = self.names.scan
        text = self.framework.dependency(param_default(args, param)) or self.framework.annotated_dependency(
            param.annotation, scan.dependency_aliases)
        if text is not None:
            return text, self.names.function_key(text)
        if param.annotation is not None:
            name = dotted(param.annotation)
            if name is not None:
                head, _, rest = name.partition(".")
                if head in scan.imports:
                    return self.imported_alias(scan.imports[head] + (f".{rest}" if rest else ""))
        return None


def _opening_decorators(node: FuncNode, route: Optional[int], names: ModuleNames, parsed: ParsedModule,
                        session_decorators: Sequence[str]) -> List[ir.SessionDecorator]:
    """Decorators that query through the session before the body runs. Only those below the
    route decorator wrap what FastAPI calls: one above it wraps a function nobody registers."""
    found = []
    start = (route + 1) if route is not None else 0
    for expr in node.decorator_list[start:]:
        target = expr.func if isinstance(expr, ast.Call) else expr
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in session_decorators:
            found.append(ir.SessionDecorator(parsed.decorator_pos(expr), name.rsplit(".", 1)[-1], names.function_key(name)))
    return found


def _annotated_async(annotation: Optional[ast.expr]) -> bool:
    """Whether an annotation names SQLAlchemy's ``AsyncSession`` (``Annotated[AsyncSession, ...]``
    too)."""
    return annotation is not None and any(
        (dotted(node) or "").rsplit(".", 1)[-1] == ASYNC_SESSION_CLASS for node in ast.walk(annotation))


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
