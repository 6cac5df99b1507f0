"""What a module binds at its top level: imports, functions, classes, instances, session
factories and session-dependency aliases. The front end reads these to resolve names."""

from __future__ import annotations

import ast
from collections import Counter
from typing import Callable, Dict, List, Optional, Set, Tuple

from session_lint.config import Settings
from session_lint.index.bindings import ClassInfo, ModuleScan, Val, import_bindings
from session_lint.index.orm_facts import session_function_source
from session_lint.index.resolver import ExternalNames, Resolver
from session_lint.knowledge import catalogue as sinks
from session_lint.knowledge import frameworks
from session_lint.knowledge.frameworks.fastapi import session_dependency
from session_lint.knowledge.python import ASYNC_CONTEXT_MANAGER_MAKERS, CONTEXT_MANAGER_MAKERS
from session_lint.knowledge.sqlalchemy import ASYNC_SESSION_MAKERS, SESSION_CLASSES, SESSION_MAKERS
from session_lint.source.parsed import (
    FUNCTION_TYPES,
    FuncNode,
    ParsedModule,
    dotted,
    name_id,
    positional_params,
    preorder,
    returned_values,
    statements,
    string_value,
)

# Calls whose result, bound at module level, is a session factory (a ``@contextmanager``
# function is one only if it yields a session: see ``_yields_a_session``).
FACTORY_MAKERS = SESSION_MAKERS | CONTEXT_MANAGER_MAKERS
ASYNC_FACTORY_MAKERS = ASYNC_SESSION_MAKERS | ASYNC_CONTEXT_MANAGER_MAKERS

_TYPE_ALIAS = getattr(ast, "TypeAlias", None)  # ``type DbDep = ...`` (3.12)


def _visit_block(body: List[ast.stmt], scan: ModuleScan, name: str, is_package: bool,
                 pending_assigns: List[Tuple[str, Optional[ast.expr], Optional[ast.expr]]]) -> None:
    """The bindings of one block of the module's top level, into ``scan`` and ``pending_assigns``.
    A module-level function, not a closure: a recursive closure is a reference cycle that would
    keep the scan, and with it the module's syntax tree, alive until the collector runs."""
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            scan.imports.update(import_bindings(stmt, name, is_package))
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                pending_assigns.append((stmt.targets[0].id, stmt.value, None))
        elif isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name):
                pending_assigns.append((stmt.target.id, stmt.value, stmt.annotation))
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Call):
                endpoint = frameworks.registered_endpoint(stmt.value)
                if endpoint is not None:
                    scan.registered_endpoints.append(endpoint)
        elif isinstance(stmt, FUNCTION_TYPES):
            scan.functions[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            scan.classes[stmt.name] = _scan_class(stmt, scan)
        elif isinstance(stmt, ast.If):
            # ``if TYPE_CHECKING:`` still binds names.
            _visit_block(stmt.body, scan, name, is_package, pending_assigns)
            _visit_block(stmt.orelse, scan, name, is_package, pending_assigns)
        elif isinstance(stmt, ast.Try):
            # ``try: import x except ImportError: x = None`` too.
            _visit_block(stmt.body, scan, name, is_package, pending_assigns)
            for handler in stmt.handlers:
                _visit_block(handler.body, scan, name, is_package, pending_assigns)
        elif _TYPE_ALIAS is not None and isinstance(stmt, _TYPE_ALIAS):
            pending_assigns.append((stmt.name.id, stmt.value, None))  # type: ignore[attr-defined]


def scan_module(
    parsed: ParsedModule,
    name: str,
    is_package: bool,
    settings: Settings,
    external: Optional["ExternalNames"] = None,
    names_known: Optional[Callable[[ModuleScan, "Resolver"], None]] = None,
) -> ModuleScan:
    """The module's top-level bindings. ``names_known`` is called once its imports, functions
    and classes are known, before anything is asked of other modules: a module that this one's
    questions lead to and that imports it back (an import inside a function, closing a cycle)
    then sees those names instead of nothing, whichever of the two is read first."""
    scan = ModuleScan(name=name)
    resolver = Resolver(scan, settings, external)
    pending_assigns: List[Tuple[str, Optional[ast.expr], Optional[ast.expr]]] = []

    _visit_block(parsed.tree.body, scan, name, is_package, pending_assigns)
    if names_known is not None:
        names_known(scan, resolver)
    _session_subclasses(scan, resolver)

    # Return annotations let ``client = get_client()`` (and ``await self._get_client()``) resolve.
    annotated = list(scan.functions.items())
    for cname, info in scan.classes.items():
        annotated.extend((f"{cname}.{m}", node) for m, node in info.methods.items())
    for fname, fnode in annotated:
        if fnode.returns is not None:
            val = resolver.annotation(fnode.returns, {})
            if val is not None:
                scan.return_types[fname] = val.qual

    # A name bound more than once is left out: which of its values holds is unknown.
    bindings = Counter(target for target, _value, _annotation in pending_assigns)
    scan.int_constants = {target: value.value for target, value, _annotation in pending_assigns
                          if bindings[target] == 1 and isinstance(value, ast.Constant) and type(value.value) is int}
    for target, value, annotation in pending_assigns:
        dep = frameworks.annotated_dependency(value, scan.dependency_aliases) if value is not None else None
        if dep is not None:
            scan.dependency_aliases[target] = dep
            continue
        if value is None:
            ann = resolver.annotation(annotation, {})
            if ann is not None:
                scan.globals[target] = ann
            continue
        if isinstance(value, ast.Call):
            maker = resolver.eval(value.func, {})
            if maker is not None and maker.kind == "ref" and maker.qual in FACTORY_MAKERS:
                # The maker's name says whether the factory commits on exit (a contextmanager over
                # a dependency) or only closes (a sessionmaker).
                scan.globals[target] = Val("factory", maker.qual, maker.qual in ASYNC_FACTORY_MAKERS)
                continue
        val = resolver.eval(value, {})
        if val is None and annotation is not None:
            val = resolver.annotation(annotation, {})
        if val is not None and val.kind == "inst":
            scan.globals[target] = val

    # ``@contextmanager def session_scope(): db = SessionLocal(); ... yield db``: a factory
    # (its settings, such as a commit after the yield, are read with the ORM facts).
    # One may yield a session another makes, defined further down: repeated until none is added.
    candidates = {name: maker for name, maker in ((name, _context_manager_of(node, resolver))
                                                  for name, node in scan.functions.items())
                  if maker is not None and name not in scan.globals}
    while candidates:
        found = {name: maker for name, maker in candidates.items()
                 if _yields_a_session(scan.functions[name], resolver)}
        if not found:
            break
        for name, maker in found.items():
            scan.globals[name] = Val("factory", maker, maker in ASYNC_FACTORY_MAKERS)
            del candidates[name]

    lazy = scan.functions.get("__getattr__")
    if lazy is not None:
        for attr, val in _lazy_singletons(lazy, resolver).items():
            scan.globals.setdefault(attr, val)

    # Attribute types need module bindings, so they come after the module is known.
    for info in scan.classes.values():
        _class_attr_types(info, resolver)
    return scan


def infer_return_types(scan: ModuleScan, resolver: Resolver) -> None:
    """Unannotated functions whose every return gives one instance type (or None) return that:
    ``def _get_auth_cache(self): try: return get_auth_cache() except ImportError: return None``.
    Run once the module's whole top level is known to others: evaluating a return may read a
    module that imports this one back."""
    functions = list(scan.functions.items())
    for cname, info in scan.classes.items():
        functions.extend((f"{cname}.{m}", node) for m, node in info.methods.items())
    for fname, fnode in functions:
        if fnode.returns is None and fname not in scan.return_types:
            cls = scan.classes.get(fname.split(".", 1)[0]) if "." in fname else None
            returned = _returned_type(fnode, resolver, cls)
            if returned is not None:
                scan.return_types[fname] = returned


def _returned_type(fn: FuncNode, resolver: Resolver, cls: Optional[ClassInfo]) -> Optional[str]:
    """The one instance type every ``return`` of ``fn`` gives (``return None`` aside), when each
    can be told from module-level names alone; None otherwise, and for a generator."""
    found: Set[str] = set()
    for value in returned_values(fn) or ():
        if cls is not None and isinstance(value, ast.Call) and name_id(value.func) == "cls":
            found.add(cls.qual)  # ``return cls(...)`` in a classmethod
            continue
        val = resolver.eval(value, {}, cls)
        if val is None or val.kind != "inst":
            return None
        found.add(val.qual)
        if len(found) > 1:
            return None
    return found.pop() if found else None


def _session_subclasses(scan: ModuleScan, resolver: Resolver) -> None:
    """``class Session(sqlmodel.Session)``: a project's own session class is, to the analysis,
    the session class it extends (``Session(engine)`` makes a session, ``db: Session`` is one),
    in this module and in those that import it. A subclass of a subclass further down is
    found by going round again.

    Only bases named ``...Session`` are looked up. Looking up any other base would index the
    module it comes from (most often the project's models) in the middle of this scan, and an
    import cycle through it would then see that module half-indexed: found on letta, where the
    models' return types went missing and two commits with them."""
    pending = dict(scan.classes)
    while pending:
        found: Dict[str, Val] = {}
        for cname, info in pending.items():
            for base in info.bases:
                if not base.endswith("Session"):
                    continue
                val = resolver.dotted_value(base)
                if val is not None and val.kind == "ref" and sinks.canonical(val.qual) in SESSION_CLASSES:
                    found[cname] = Val("ref", sinks.canonical(val.qual))
                    break
        if not found:
            return
        for cname, val in found.items():
            scan.globals.setdefault(cname, val)
            del pending[cname]


def _context_manager_of(fn: FuncNode, resolver: Resolver) -> Optional[str]:
    """``contextlib.contextmanager`` (or the async one) when ``fn`` is decorated with it."""
    for decorator in fn.decorator_list:
        found = resolver.eval(decorator, {})
        if found is not None and found.kind == "ref" and found.qual in CONTEXT_MANAGER_MAKERS:
            return found.qual
    return None


def _yields_a_session(fn: FuncNode, resolver: Resolver) -> bool:
    """Whether ``fn`` makes a session (a factory's call, ``Session(...)``) and yields it; any
    other generator (a timer, a temporary file) is not a session factory."""
    made = session_function_source(fn)
    if made is None:
        return False
    found = resolver.dotted_value(made)
    if found is None:
        return False
    return found.kind == "factory" or (found.kind == "ref" and found.qual in SESSION_CLASSES)


def _lazy_singletons(fn: FuncNode, resolver: Resolver) -> Dict[str, Val]:
    """``gateway_service`` -> instance of ``GatewayService`` for a module ``__getattr__`` that
    builds singletons on first access (``if name == "gateway_service": ... GatewayService()``)."""
    found: Dict[str, Val] = {}
    for node in statements(fn.body):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            continue
        attr = string_value(test.comparators[0])
        if attr is None:
            continue
        for stmt in node.body:
            done = False
            for call in preorder(stmt):
                if not isinstance(call, ast.Call):
                    continue
                val = resolver.eval(call, {})
                if val is not None and val.kind == "inst" and isinstance(attr, str):
                    found.setdefault(attr, val)
                    done = True
                    break
            if done:
                break
    return found


def _scan_class(node: ast.ClassDef, scan: ModuleScan) -> ClassInfo:
    info = ClassInfo(name=node.name, qual=scan.qual_of_local(node.name), node=node)
    info.bases = tuple(b for b in (dotted(base) for base in node.bases) if b)
    for stmt in node.body:
        if isinstance(stmt, FUNCTION_TYPES):
            info.methods[stmt.name] = stmt
    return info


def _class_attr_types(info: ClassInfo, resolver: Resolver) -> None:
    for stmt in info.node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            attr = stmt.target.id
            dep = _session_dependency(stmt.value, stmt.annotation, resolver)
            if dep is not None:
                info.dependency_attrs[attr] = (dep, stmt)
                continue
            val = resolver.annotation(stmt.annotation, {})
            if val is not None:
                info.attr_types[attr] = val
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            attr = stmt.targets[0].id
            dep = _session_dependency(stmt.value, None, resolver)
            if dep is not None:
                info.dependency_attrs[attr] = (dep, stmt)
                continue
            val = resolver.eval(stmt.value, {})
            if val is not None and val.kind == "inst":
                info.attr_types[attr] = val
    # ``self.x = httpx.AsyncClient()`` / ``self.x: httpx.AsyncClient = ...`` in any method.
    for method in info.methods.values():
        env: Dict[str, Optional[Val]] = {}
        # ``from app.services import GatewayService`` inside ``__init__`` binds names too.
        for stmt in statements(method.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for local, qual in import_bindings(stmt, resolver.scan.name, False).items():
                    env[local] = resolver.external.value(qual) if resolver.external is not None else None
                    if env[local] is None:
                        env[local] = Val("ref", qual)
        for param in positional_params(method.args):
            val = resolver.annotation(param.annotation, {})
            if val is not None:
                env[param.arg] = val
        for target, value, annotation in self_assignments(method):
            val = resolver.eval(value, env, info) if value is not None else None
            if (val is None or val.kind != "inst") and annotation is not None:
                val = resolver.annotation(annotation, env)
            if val is not None and val.kind == "inst" and target not in info.attr_types:
                info.attr_types[target] = val


def _session_dependency(value: Optional[ast.expr], annotation: Optional[ast.expr], resolver: Resolver) -> Optional[str]:
    """The configured session dependency a class attribute declares (class-based views)."""
    declared = session_dependency(frameworks.dependency(value), resolver.settings.session_dependencies)
    if declared is None and annotation is not None:
        declared = session_dependency(frameworks.annotated_dependency(annotation, resolver.scan.dependency_aliases),
                                      resolver.settings.session_dependencies)
    return declared


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def self_assignments(method: FuncNode) -> List[Tuple[str, Optional[ast.expr], Optional[ast.expr]]]:
    """``(attr, value, annotation)`` for every ``self.attr = value`` (or annotated) in ``method``,
    nested blocks included, in source order."""
    found: List[Tuple[str, Optional[ast.expr], Optional[ast.expr]]] = []
    for stmt in statements(method.body):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                attr = _self_attr(target)
                if attr:
                    found.append((attr, stmt.value, None))
        elif isinstance(stmt, ast.AnnAssign):
            attr = _self_attr(stmt.target)
            if attr:
                found.append((attr, stmt.value, stmt.annotation))
    return found


