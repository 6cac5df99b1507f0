"""What a module binds at its top level: imports, functions, classes, instances, session
factories and session-dependency aliases. The front end reads these to resolve names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Protocol, Set, Tuple, Union

import ast

from session_lint import sinks
from session_lint.parsed import (
    FUNCTION_TYPES,
    FuncNode,
    ParsedModule,
    call_args,
    dotted,
    name_id,
    positional_params,
    preorder,
    returned_values,
    statements,
    string_value,
)
from session_lint.orm_models import CONTEXT_MANAGER_DECORATORS, session_function_source
from session_lint.settings import Settings

# contextlib's decorators, by qualified name.
CONTEXT_MANAGER_MAKERS = frozenset(f"contextlib.{name}" for name in CONTEXT_MANAGER_DECORATORS)
# Functions whose result is a session factory when assigned at module level.
FACTORY_MAKERS = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
) | CONTEXT_MANAGER_MAKERS
ASYNC_FACTORY_MAKERS = frozenset(
    {"sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session", "contextlib.asynccontextmanager"}
)
SESSION_CLASSES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
DEPENDS = frozenset({"Depends", "Security"})


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


class ExternalNames(Protocol):
    """What other modules of the tree bind (the project index answers)."""

    def return_type(self, qual: str) -> Optional[str]: ...

    def value(self, qual: str) -> Optional[Val]: ...


class Resolver:
    """Evaluates expressions to :class:`Val` against module-level bindings plus a local
    environment."""

    def __init__(self, scan: ModuleScan, settings: Settings, external: Optional["ExternalNames"] = None) -> None:
        self.scan = scan
        self.settings = settings
        # Asks the other modules of the tree what their names are (the project index).
        self.external = external
        # The external answers, by qualified name. A resolver lives while its module is scanned
        # or lowered, and during that time what another module shows does not change (a module
        # being indexed below this one on the stack stays so; one read since stays read), so each
        # question is asked once: the project records the modules it consulted the first time.
        # A module asks the same few names tens of times (56 k questions, 1 k names, on the gateway).
        self._values: Dict[str, Optional[Val]] = {}
        self._returns: Dict[str, Optional[str]] = {}

    def external_value(self, qual: str) -> Optional[Val]:
        """What the module-level name ``qual`` of another module is bound to, asked once."""
        if qual in self._values:
            return self._values[qual]
        value = self._values[qual] = self.external.value(qual) if self.external is not None else None
        return value

    def lookup(self, name: str, env: Dict[str, Optional[Val]]) -> Optional[Val]:
        if name in env:
            return env[name]
        if name in self.scan.globals:
            return self.scan.globals[name]
        if name in self.scan.imports:
            qual = self.scan.imports[name]
            if self.configured_factory(name, qual):
                return Val("factory", qual)
            if self.external is not None:
                # ``from app.clients import http`` where app/clients.py has ``http = AsyncClient()``
                value = self.external_value(qual)
                if value is not None:
                    return value
            return Val("ref", qual)
        if name in self.scan.functions or name in self.scan.classes:
            qual = self.scan.qual_of_local(name)
            # Named in the settings as a factory: the user's word over what its body shows.
            return Val("factory" if name in self.settings.session_factories else "ref", qual)
        if name in self.settings.session_factories:
            return Val("factory", name)
        return Val("ref", name)  # a builtin or an unknown global: named as written

    def configured_factory(self, local: str, qual: str) -> bool:
        """Whether an import of ``qual`` bound to ``local`` is a session factory the settings
        name (``Session``, ``connect``, say). A network client (``requests.Session``,
        ``websockets.connect``) never is one, whatever its name."""
        factories = self.settings.session_factories
        return (local in factories or qual.rsplit(".", 1)[-1] in factories) and not sinks.is_network_client(qual)

    def eval(self, node: ast.AST, env: Dict[str, Optional[Val]], cls: Optional[ClassInfo] = None) -> Optional[Val]:
        name = name_id(node)
        if name is not None:
            if cls is not None and name in ("self", "cls") and name not in env:
                return Val("inst", cls.qual)
            return self.lookup(name, env)
        if isinstance(node, ast.Attribute):
            return self.attribute(self.eval(node.value, env, cls), node.attr)
        if isinstance(node, ast.Call):
            func = self.eval(node.func, env, cls)
            return self.result_of(func)
        if isinstance(node, ast.Await):
            return self.eval(node.value, env, cls)
        if isinstance(node, ast.IfExp):
            # ``A2AAgentService() if settings.a2a_enabled else None``: where the name is used as
            # that instance, it is that instance (used while None, the program fails anyway).
            # Two different values are not guessed between.
            if _is_none(node.orelse):
                return self.eval(node.body, env, cls)
            if _is_none(node.body):
                return self.eval(node.orelse, env, cls)
            body = self.eval(node.body, env, cls)
            return body if body is not None and body == self.eval(node.orelse, env, cls) else None
        return None

    def dotted_value(self, text: str) -> Optional[Val]:
        """What a dotted name as written (``database.SessionLocal``) is, at module level: what
        :meth:`eval` gives for the expression the text spells."""
        head, *attrs = text.split(".")
        found = self.lookup(head, {})
        for attr in attrs:
            found = self.attribute(found, attr)
        return found

    def attribute(self, base: Optional[Val], attr: str) -> Optional[Val]:
        """What ``<base>.attr`` is, ``base`` being what the expression before the dot is."""
        if base is None:
            return None
        if base.kind == "inst":
            local = self.local_class(base.qual)
            if local is not None:
                if attr in local.attr_types:
                    return local.attr_types[attr]
            if attr in self.settings.session_factories:
                # ``self.session_factory()``, ``db.session_context()``: a configured factory
                # name is one on whatever object holds it.
                return Val("factory", f"{sinks.canonical(base.qual)}.{attr}")
            return Val("ref", f"{sinks.canonical(base.qual)}.{attr}")
        if base.kind in ("ref", "factory"):
            qual = f"{base.qual}.{attr}"
            if base.kind == "ref" and self.external is not None:
                # ``database.SessionLocal`` after ``from app import db as database``: what the
                # other module binds that name to (a factory, an instance), when it is known.
                value = self.external_value(qual)
                if value is not None:
                    return value
            return Val("ref", qual)
        return None

    def result_of(self, func: Optional[Val]) -> Optional[Val]:
        """What calling ``func`` returns, when known."""
        if func is None or func.kind != "ref":
            return None
        qual = sinks.canonical(func.qual)
        if qual in sinks.CLASSES or self.local_class(qual) is not None:
            return Val("inst", qual)
        if qual in sinks.RETURNS:
            return Val("inst", sinks.RETURNS[qual])
        local_name = self.local_name(qual)
        if local_name is not None:
            if local_name in self.scan.return_types:
                return Val("inst", self.scan.return_types[local_name])
            return None
        if self.external is not None and "." in qual:
            if qual in self._returns:
                returned = self._returns[qual]
            else:
                returned = self._returns[qual] = self.external.return_type(qual)
            if returned is not None:
                return Val("inst", sinks.canonical(returned))
        return None

    def local_name(self, qual: str) -> Optional[str]:
        prefix = f"{self.scan.name}." if self.scan.name else ""
        if prefix and qual.startswith(prefix):
            return qual[len(prefix):]
        if not prefix:
            return qual
        return None

    def local_class(self, qual: str) -> Optional[ClassInfo]:
        name = self.local_name(qual)
        return self.scan.classes.get(name) if name is not None else None

    def annotation(self, node: Optional[ast.AST], env: Dict[str, Optional[Val]]) -> Optional[Val]:
        """The instance type an annotation names (``httpx.AsyncClient``, ``Optional[X]``, ``X | None``)."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation(node.left, env) or self.annotation(node.right, env)
        if isinstance(node, ast.Subscript):
            head = self.eval(node.value, env)
            if head is not None and head.qual.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated"):
                for element in _subscript_elements(node):
                    if not isinstance(element, ast.Slice):
                        found = self.annotation(element, env)
                        if found is not None:
                            return found
            return None
        ref = self.eval(node, env)
        if ref is not None and ref.kind == "ref" and ref.qual not in ("None",):
            return Val("inst", sinks.canonical(ref.qual))
        return None

    def depends_text(self, node: Optional[ast.AST]) -> Optional[str]:
        """``get_db`` for ``Depends(get_db)`` (or ``Security(...)``, ``dependency=...``): the
        dependency as written, whatever it is."""
        if not isinstance(node, ast.Call):
            return None
        name = dotted(node.func)
        if name is None or name.rsplit(".", 1)[-1] not in DEPENDS:
            return None
        dep: Optional[ast.AST] = None
        for i, arg in enumerate(call_args(node)):
            if arg.keyword is None and i == 0:
                dep = arg.value
            elif arg.keyword == "dependency":
                dep = arg.value
        return dotted(dep) if dep is not None else None

    def annotated_depends_text(self, node: Optional[ast.AST]) -> Optional[str]:
        """The dependency an annotation carries: ``Annotated[X, Depends(dep)]``, or a name of
        this module aliasing one (``DbDep``)."""
        if node is None:
            return None
        if isinstance(node, ast.Subscript):
            head = dotted(node.value)
            if head is not None and head.rsplit(".", 1)[-1] == "Annotated":
                for element in _subscript_elements(node)[1:]:
                    if not isinstance(element, ast.Slice):
                        dep = self.depends_text(element)
                        if dep is not None:
                            return dep
            return None
        name = dotted(node)
        if name is not None and name in self.scan.dependency_aliases:
            return self.scan.dependency_aliases[name]
        return None

    def session_dependency(self, text: Optional[str]) -> Optional[str]:
        """The configured session dependency ``text`` names (``deps.get_db`` -> ``get_db``)."""
        if text is None:
            return None
        last = text.rsplit(".", 1)[-1]
        return last if last in self.settings.session_dependencies else None

    def dependency_of(self, node: Optional[ast.AST]) -> Optional[str]:
        return self.session_dependency(self.depends_text(node))

    def annotated_dependency(self, node: Optional[ast.AST]) -> Optional[str]:
        return self.session_dependency(self.annotated_depends_text(node))

    def function_key(self, text: str) -> Optional[str]:
        """The global key of the function ``text`` (as written in this module) may name."""
        head, _, rest = text.partition(".")
        if head in self.scan.functions or head in self.scan.classes:
            return self.scan.qual_of_local(text)
        if head in self.scan.imports:
            return self.scan.imports[head] + (f".{rest}" if rest else "")
        return None


def _subscript_elements(node: ast.Subscript) -> List[ast.expr]:
    """``X[a, b]`` -> ``[a, b]``; ``X[a]`` -> ``[a]``."""
    index = node.slice
    return list(index.elts) if isinstance(index, ast.Tuple) else [index]


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
                _registered_endpoint(stmt.value, scan)
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
        dep = resolver.annotated_depends_text(value) if value is not None else None
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


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


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


def _registered_endpoint(call: ast.Call, scan: ModuleScan) -> None:
    if not isinstance(call.func, ast.Attribute):
        return
    if call.func.attr not in ("add_api_route", "add_api_websocket_route", "add_route", "add_websocket_route"):
        return
    endpoint = None
    args = call_args(call)
    positional = [a for a in args if a.keyword is None]
    for a in args:
        if a.keyword in ("endpoint", "route"):
            endpoint = a.value
    if endpoint is None and len(positional) >= 2:
        endpoint = positional[1].value
    if isinstance(endpoint, ast.Name):
        scan.registered_endpoints.append(endpoint.id)


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
            dep = resolver.dependency_of(stmt.value) or resolver.annotated_dependency(stmt.annotation)
            if dep is not None:
                info.dependency_attrs[attr] = (dep, stmt)
                continue
            val = resolver.annotation(stmt.annotation, {})
            if val is not None:
                info.attr_types[attr] = val
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            attr = stmt.targets[0].id
            dep = resolver.dependency_of(stmt.value)
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


def interface_digest(parsed: ParsedModule) -> str:
    """A digest of what other modules can learn from this one: the module's source with the
    bodies of its functions and methods cut out (but for a module ``__getattr__``), plus each
    method's ``self.x = ...`` assignments. An edit inside a function body leaves it unchanged, so
    modules that only read this one's names need not be redone.

    Cutting byte ranges out of the source costs next to nothing; rendering each signature back
    to text (as a libcst front end would) costs a tree walk per module."""
    import hashlib

    cuts: List[Tuple[int, int]] = []
    kept: List[bytes] = []

    def cut_body(fn: FuncNode) -> None:
        first = fn.body[0]
        cuts.append((parsed.offset(first.lineno, first.col_offset), parsed.offset(fn.end_lineno, fn.end_col_offset)))
        if fn.returns is None:
            # What it returns may be its type (see ``infer_return_types``): what in its returns
            # can name one is kept (``get_cache`` of ``return get_cache(key)``).
            kept.append(b"return " + b",".join(_type_text(value, parsed) for value in returned_values(fn) or ()))

    for stmt in parsed.tree.body:
        # A module ``__getattr__``'s body and a context manager's (a session factory, if it
        # yields a session) say what the module's names are: they are kept.
        if isinstance(stmt, FUNCTION_TYPES) and stmt.name != "__getattr__" and not _decorated_as_context_manager(stmt):
            cut_body(stmt)
        elif isinstance(stmt, ast.ClassDef):
            for inner in stmt.body:
                if isinstance(inner, FUNCTION_TYPES):
                    cut_body(inner)
                    for target, value, annotation in self_assignments(inner):
                        value_text = parsed.segment(value) if value is not None else b""
                        annotation_text = parsed.segment(annotation) if annotation is not None else b""
                        kept.append(b"self." + target.encode() + b"=" + value_text + b":" + annotation_text)
    parts: List[bytes] = []
    at = 0
    for start, end in cuts:
        parts.append(parsed.span(at, start))
        at = end
    parts.append(parsed.span(at, None))
    return hashlib.sha256(b"\0".join(parts + kept)).hexdigest()


def _type_text(value: ast.expr, parsed: ParsedModule) -> bytes:
    """What in a returned expression can decide its type, as text (a module-level function: a
    recursive closure would be a reference cycle holding the whole parsed module, and the run
    keeps the cycle collector off)."""
    if isinstance(value, ast.Await):
        return _type_text(value.value, parsed)
    if isinstance(value, ast.Call):
        return _type_text(value.func, parsed) + b"()"  # its arguments do not decide its type
    if isinstance(value, ast.IfExp):
        return _type_text(value.body, parsed) + b"|" + _type_text(value.orelse, parsed)
    if _is_none(value):
        return b"None"
    if isinstance(value, (ast.Name, ast.Attribute)):
        return parsed.segment(value)
    return b"?"  # cannot give an instance, whatever it says


def _decorated_as_context_manager(fn: FuncNode) -> bool:
    """Whether a decorator of ``fn`` is named ``contextmanager`` or ``asynccontextmanager``
    (by name: the digest is computed without resolving imports)."""
    for decorator in fn.decorator_list:
        name = dotted(decorator)
        if name is not None and name.rsplit(".", 1)[-1] in CONTEXT_MANAGER_DECORATORS:
            return True
    return False
