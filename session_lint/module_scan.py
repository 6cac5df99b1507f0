"""What a module binds at its top level: imports, functions, classes, instances, session
factories and session-dependency aliases. The front end reads these to resolve names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Tuple, Union

import libcst as cst

from session_lint import sinks
from session_lint.settings import Settings

FuncNode = cst.FunctionDef

# Functions whose result is a session factory when assigned at module level.
FACTORY_MAKERS = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
    }
)
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
    node: cst.ClassDef
    methods: Dict[str, FuncNode] = field(default_factory=dict)
    attr_types: Dict[str, Val] = field(default_factory=dict)
    # Class-level attributes declared with a session dependency (class-based views).
    dependency_attrs: Dict[str, Tuple[str, cst.CSTNode]] = field(default_factory=dict)
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

    def qual_of_local(self, name: str) -> str:
        return f"{self.name}.{name}" if self.name else name


def dotted(node: cst.CSTNode) -> Optional[str]:
    """``a.b.c`` for a chain of names and attributes, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


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
    stmt: Union[cst.Import, cst.ImportFrom], module: str, is_package: bool
) -> Dict[str, str]:
    """Local name -> qualified name for one import statement."""
    out: Dict[str, str] = {}
    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None:
                out[alias.asname.name.value] = full  # type: ignore[union-attr]
            else:
                head = full.split(".")[0]
                out[head] = head
        return out
    base = dotted(stmt.module) if stmt.module is not None else None
    level = len(stmt.relative)
    if level:
        base = resolve_relative(module, is_package, level, base)
    if isinstance(stmt.names, cst.ImportStar):
        return out
    for alias in stmt.names:
        name = dotted(alias.name) or ""
        local = alias.asname.name.value if alias.asname is not None else name  # type: ignore[union-attr]
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

    def lookup(self, name: str, env: Dict[str, Optional[Val]]) -> Optional[Val]:
        if name in env:
            return env[name]
        if name in self.scan.globals:
            return self.scan.globals[name]
        if name in self.scan.imports:
            qual = self.scan.imports[name]
            if name in self.settings.session_factories or qual.rsplit(".", 1)[-1] in self.settings.session_factories:
                return Val("factory", qual)
            if self.external is not None:
                # ``from app.clients import http`` where app/clients.py has ``http = AsyncClient()``
                value = self.external.value(qual)
                if value is not None:
                    return value
            return Val("ref", qual)
        if name in self.scan.functions or name in self.scan.classes:
            return Val("ref", self.scan.qual_of_local(name))
        if name in self.settings.session_factories:
            return Val("factory", name)
        return Val("ref", name)  # a builtin or an unknown global: named as written

    def eval(self, node: cst.CSTNode, env: Dict[str, Optional[Val]], cls: Optional[ClassInfo] = None) -> Optional[Val]:
        if isinstance(node, cst.Name):
            if cls is not None and node.value in ("self", "cls") and node.value not in env:
                return Val("inst", cls.qual)
            return self.lookup(node.value, env)
        if isinstance(node, cst.Attribute):
            base = self.eval(node.value, env, cls)
            if base is None:
                return None
            attr = node.attr.value
            if base.kind == "inst":
                local = self.local_class(base.qual)
                if local is not None:
                    if attr in local.attr_types:
                        return local.attr_types[attr]
                return Val("ref", f"{sinks.canonical(base.qual)}.{attr}")
            if base.kind in ("ref", "factory"):
                return Val("ref", f"{base.qual}.{attr}")
            return None
        if isinstance(node, cst.Call):
            func = self.eval(node.func, env, cls)
            return self.result_of(func)
        if isinstance(node, cst.Await):
            return self.eval(node.expression, env, cls)
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
            returned = self.external.return_type(qual)
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

    def annotation(self, node: Optional[cst.CSTNode], env: Dict[str, Optional[Val]]) -> Optional[Val]:
        """The instance type an annotation names (``httpx.AsyncClient``, ``Optional[X]``, ``X | None``)."""
        if node is None:
            return None
        if isinstance(node, cst.Annotation):
            node = node.annotation
        if isinstance(node, cst.SimpleString):
            try:
                node = cst.parse_expression(node.evaluated_value)  # type: ignore[arg-type]
            except Exception:
                return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self.annotation(node.left, env) or self.annotation(node.right, env)
        if isinstance(node, cst.Subscript):
            head = self.eval(node.value, env)
            if head is not None and head.qual.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated"):
                for element in node.slice:
                    if isinstance(element.slice, cst.Index):
                        found = self.annotation(element.slice.value, env)
                        if found is not None:
                            return found
            return None
        ref = self.eval(node, env)
        if ref is not None and ref.kind == "ref" and ref.qual not in ("None",):
            return Val("inst", sinks.canonical(ref.qual))
        return None

    def depends_text(self, node: Optional[cst.CSTNode]) -> Optional[str]:
        """``get_db`` for ``Depends(get_db)`` (or ``Security(...)``, ``dependency=...``): the
        dependency as written, whatever it is."""
        if not isinstance(node, cst.Call):
            return None
        name = dotted(node.func)
        if name is None or name.rsplit(".", 1)[-1] not in DEPENDS:
            return None
        dep: Optional[cst.CSTNode] = None
        for i, arg in enumerate(node.args):
            if arg.keyword is None and i == 0:
                dep = arg.value
            elif arg.keyword is not None and arg.keyword.value == "dependency":
                dep = arg.value
        return dotted(dep) if dep is not None else None

    def annotated_depends_text(self, node: Optional[cst.CSTNode]) -> Optional[str]:
        """The dependency an annotation carries: ``Annotated[X, Depends(dep)]``, or a name of
        this module aliasing one (``DbDep``)."""
        if node is None:
            return None
        if isinstance(node, cst.Annotation):
            node = node.annotation
        if isinstance(node, cst.Subscript):
            head = dotted(node.value)
            if head is not None and head.rsplit(".", 1)[-1] == "Annotated":
                for element in list(node.slice)[1:]:
                    if isinstance(element.slice, cst.Index):
                        dep = self.depends_text(element.slice.value)
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

    def dependency_of(self, node: Optional[cst.CSTNode]) -> Optional[str]:
        return self.session_dependency(self.depends_text(node))

    def annotated_dependency(self, node: Optional[cst.CSTNode]) -> Optional[str]:
        return self.session_dependency(self.annotated_depends_text(node))

    def function_key(self, text: str) -> Optional[str]:
        """The global key of the function ``text`` (as written in this module) may name."""
        head, _, rest = text.partition(".")
        if head in self.scan.functions or head in self.scan.classes:
            return self.scan.qual_of_local(text)
        if head in self.scan.imports:
            return self.scan.imports[head] + (f".{rest}" if rest else "")
        return None


def scan_module(
    module: cst.Module,
    name: str,
    is_package: bool,
    settings: Settings,
    external: Optional["ExternalNames"] = None,
) -> ModuleScan:
    scan = ModuleScan(name=name)
    resolver = Resolver(scan, settings, external)
    pending_assigns: List[Tuple[str, cst.BaseExpression, Optional[cst.Annotation]]] = []

    def visit_block(statements) -> None:
        for stmt in statements:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        scan.imports.update(import_bindings(small, name, is_package))
                    elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                        if isinstance(target, cst.Name):
                            pending_assigns.append((target.value, small.value, None))
                    elif isinstance(small, cst.AnnAssign):
                        if isinstance(small.target, cst.Name):
                            pending_assigns.append((small.target.value, small.value, small.annotation))  # type: ignore[arg-type]
                    elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                        _registered_endpoint(small.value, scan)
            elif isinstance(stmt, cst.FunctionDef):
                scan.functions[stmt.name.value] = stmt
            elif isinstance(stmt, cst.ClassDef):
                scan.classes[stmt.name.value] = _scan_class(stmt, scan)
            elif isinstance(stmt, (cst.If, cst.Try)):
                # ``try: import x except ImportError`` and ``if TYPE_CHECKING:`` still bind names.
                visit_block(stmt.body.body)
                if isinstance(stmt, cst.Try):
                    for handler in stmt.handlers:
                        visit_block(handler.body.body)
                elif stmt.orelse is not None and isinstance(stmt.orelse, cst.Else):
                    visit_block(stmt.orelse.body.body)
            elif getattr(stmt, "__class__", None).__name__ == "TypeAlias":  # ``type DbDep = ...`` (3.12)
                alias_name = stmt.name.value  # type: ignore[attr-defined]
                pending_assigns.append((alias_name, stmt.value, None))  # type: ignore[attr-defined]

    visit_block(module.body)

    # Return annotations let ``client = get_client()`` (and ``await self._get_client()``) resolve.
    annotated = list(scan.functions.items())
    for cname, info in scan.classes.items():
        annotated.extend((f"{cname}.{m}", node) for m, node in info.methods.items())
    for fname, fnode in annotated:
        if fnode.returns is not None:
            val = resolver.annotation(fnode.returns, {})
            if val is not None:
                scan.return_types[fname] = val.qual

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
        if isinstance(value, cst.Call):
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

    lazy = scan.functions.get("__getattr__")
    if lazy is not None:
        for attr, val in _lazy_singletons(lazy, resolver).items():
            scan.globals.setdefault(attr, val)

    # Attribute types need module bindings, so they come after the module is known.
    for info in scan.classes.values():
        _class_attr_types(info, resolver)
    return scan


def _lazy_singletons(fn: cst.FunctionDef, resolver: Resolver) -> Dict[str, Val]:
    """``gateway_service`` -> instance of ``GatewayService`` for a module ``__getattr__`` that
    builds singletons on first access (``if name == "gateway_service": ... GatewayService()``)."""
    found: Dict[str, Val] = {}

    class Finder(cst.CSTVisitor):
        def visit_If(self, node: cst.If) -> None:
            test = node.test
            if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
                return
            target = test.comparisons[0]
            if not isinstance(target.operator, cst.Equal) or not isinstance(target.comparator, cst.SimpleString):
                return
            attr = target.comparator.evaluated_value
            calls: List[cst.Call] = []

            class Calls(cst.CSTVisitor):
                def visit_Call(self, call: cst.Call) -> None:
                    calls.append(call)

            node.body.visit(Calls())
            for call in calls:
                val = resolver.eval(call, {})
                if val is not None and val.kind == "inst" and isinstance(attr, str):
                    found.setdefault(attr, val)
                    break

    fn.body.visit(Finder())
    return found


def _registered_endpoint(call: cst.Call, scan: ModuleScan) -> None:
    if not isinstance(call.func, cst.Attribute):
        return
    if call.func.attr.value not in ("add_api_route", "add_api_websocket_route", "add_route", "add_websocket_route"):
        return
    endpoint = None
    positional = [a for a in call.args if a.keyword is None]
    for a in call.args:
        if a.keyword is not None and a.keyword.value in ("endpoint", "route"):
            endpoint = a.value
    if endpoint is None and len(positional) >= 2:
        endpoint = positional[1].value
    if isinstance(endpoint, cst.Name):
        scan.registered_endpoints.append(endpoint.value)


def _scan_class(node: cst.ClassDef, scan: ModuleScan) -> ClassInfo:
    info = ClassInfo(name=node.name.value, qual=scan.qual_of_local(node.name.value), node=node)
    info.bases = tuple(b for b in (dotted(arg.value) for arg in node.bases) if b)
    if isinstance(node.body, cst.IndentedBlock):
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                info.methods[stmt.name.value] = stmt
    return info


def _class_attr_types(info: ClassInfo, resolver: Resolver) -> None:
    body = info.node.body
    if not isinstance(body, cst.IndentedBlock):
        return
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    attr = small.target.value
                    dep = resolver.dependency_of(small.value) or resolver.annotated_dependency(small.annotation)
                    if dep is not None:
                        info.dependency_attrs[attr] = (dep, small)
                        continue
                    val = resolver.annotation(small.annotation, {})
                    if val is not None:
                        info.attr_types[attr] = val
                elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    attr = small.targets[0].target.value  # type: ignore[union-attr]
                    dep = resolver.dependency_of(small.value)
                    if dep is not None:
                        info.dependency_attrs[attr] = (dep, small)
                        continue
                    val = resolver.eval(small.value, {})
                    if val is not None and val.kind == "inst":
                        info.attr_types[attr] = val
    # ``self.x = httpx.AsyncClient()`` / ``self.x: httpx.AsyncClient = ...`` in any method.
    for method in info.methods.values():
        env: Dict[str, Optional[Val]] = {}
        # ``from app.services import GatewayService`` inside ``__init__`` binds names too.
        for stmt in _local_imports(method):
            for local, qual in import_bindings(stmt, resolver.scan.name, False).items():
                env[local] = resolver.external.value(qual) if resolver.external is not None else None
                if env[local] is None:
                    env[local] = Val("ref", qual)
        for param in _all_params(method.params):
            val = resolver.annotation(param.annotation, {})
            if val is not None:
                env[param.name.value] = val
        for assign in _self_assignments(method):
            target, value, annotation = assign
            val = resolver.eval(value, env, info) if value is not None else None
            if (val is None or val.kind != "inst") and annotation is not None:
                val = resolver.annotation(annotation, env)
            if val is not None and val.kind == "inst" and target not in info.attr_types:
                info.attr_types[target] = val


def _local_imports(fn: cst.FunctionDef) -> List[Union[cst.Import, cst.ImportFrom]]:
    found: List[Union[cst.Import, cst.ImportFrom]] = []

    class Finder(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            found.append(node)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            found.append(node)

    fn.body.visit(Finder())
    return found


def _all_params(params: cst.Parameters) -> List[cst.Param]:
    out = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    return out


class _SelfAssignments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: List[Tuple[str, Optional[cst.BaseExpression], Optional[cst.Annotation]]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            attr = _self_attr(t.target)
            if attr:
                self.found.append((attr, node.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        attr = _self_attr(node.target)
        if attr:
            self.found.append((attr, node.value, node.annotation))


def _self_attr(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _self_assignments(method: cst.FunctionDef):
    visitor = _SelfAssignments()
    method.body.visit(visitor)
    return visitor.found


def interface_digest(module: cst.Module) -> str:
    """A digest of what other modules can learn from this one: every top-level statement, with
    function bodies left out (but for a module ``__getattr__``), and of classes their attribute
    declarations, method signatures and ``self.x = ...`` assignments. An edit inside a function
    body leaves it unchanged, so modules that only read this one's names need not be redone."""
    import hashlib

    parts: List[str] = []
    empty = cst.SimpleStatementSuite(body=[cst.Pass()])

    def header(fn: cst.FunctionDef) -> str:
        return module.code_for_node(fn.with_changes(body=empty, leading_lines=()))

    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value != "__getattr__":
            parts.append(header(stmt))
        elif isinstance(stmt, cst.ClassDef):
            parts.append(module.code_for_node(stmt.with_changes(body=empty, leading_lines=())))
            if isinstance(stmt.body, cst.IndentedBlock):
                for inner in stmt.body.body:
                    if isinstance(inner, cst.FunctionDef):
                        parts.append(header(inner))
                        for target, value, annotation in _self_assignments(inner):
                            parts.append(f"self.{target}={module.code_for_node(value) if value is not None else ''}"
                                         f":{module.code_for_node(annotation.annotation) if annotation is not None else ''}")
                    else:
                        parts.append(module.code_for_node(inner))
        else:
            parts.append(module.code_for_node(stmt))
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
