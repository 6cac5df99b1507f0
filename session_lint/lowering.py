"""The front end: lowers each function of a module, parsed with the stdlib ``ast``, to
:mod:`session_lint.ir`.

It resolves what each call is (through :class:`~session_lint.module_scan.Resolver`), asks
:mod:`session_lint.sinks` whether it waits on another host, and records session operations by
variable name. It makes no judgement about transactions: that is the engine's job.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, List, Optional, Sequence, Set, Tuple, Union

from session_lint import ir
from session_lint.module_scan import SESSION_CLASSES, ClassInfo, ModuleScan, Resolver, Val, import_bindings
from session_lint.parsed import (
    FUNCTION_TYPES,
    Arg,
    FuncNode,
    ParsedModule,
    call_args,
    children,
    dotted,
    name_id,
    preorder,
    statement_blocks,
    statements,
    string_value,
)
from session_lint.orm_models import expire_on_commit
from session_lint.settings import Settings
from session_lint.sinks import CLASSES, Kind, SinkTable, canonical, is_network_client, is_non_user

Env = Dict[str, Optional[Val]]


@dataclass
class LoweredModule:
    functions: Dict[str, ir.FunctionIR] = field(default_factory=dict)
    nodes: Dict[str, FuncNode] = field(default_factory=dict)
    classes: Dict[str, Optional[ClassInfo]] = field(default_factory=dict)


class ModuleLowerer:
    """Lowers every function (methods and nested functions too) of one module."""

    def __init__(self, scan: ModuleScan, settings: Settings, parsed: ParsedModule, sink_table: SinkTable,
                 external=None) -> None:
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
            self._enqueue(self.prefix + name, node, None, {}, {}, frozenset())
        for cname, info in self.scan.classes.items():
            for mname, node in info.methods.items():
                self._enqueue(f"{self.prefix}{cname}.{mname}", node, info, {}, {}, frozenset())
        while self._queue:
            key, node, cls, env, defs, outer_locals = self._queue.popleft()
            if _stands_for_overrides(node, cls):
                continue
            lowerer = FunctionLowerer(self, key, node, cls, env, defs, outer_locals)
            self.out.functions[key] = lowerer.lower()
        return self.out

    def _enqueue(self, key, node, cls, env, defs, outer_locals) -> None:
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
    if any(base.rsplit(".", 1)[-1] == "Protocol" for base in cls.bases):
        return True
    if any((dotted(d) or "").rsplit(".", 1)[-1] == "abstractmethod" for d in node.decorator_list):
        return True
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return name_id(raised) == "NotImplementedError"


@dataclass
class _Callee:
    key: Optional[str]
    bound: bool


class FunctionLowerer:
    def __init__(
        self,
        module: ModuleLowerer,
        key: str,
        node: FuncNode,
        cls: Optional[ClassInfo],
        outer_env: Env,
        outer_defs: Dict[str, str],
        outer_locals: frozenset,
    ) -> None:
        self.m = module
        self.key = key
        self.node = node
        self.cls = cls
        self.env: Env = dict(outer_env)
        self.defs: Dict[str, str] = dict(outer_defs)  # local function name -> key
        self.outer_locals = outer_locals
        self.locals: Set[str] = set()
        self.read_names: Set[str] = set()
        self.task_groups: Dict[str, List[ir.Node]] = {}
        self.pending: Dict[str, List[ir.Node]] = {}  # name -> what awaiting it runs
        self.has_explicit = False
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        self._result_for: Optional[Tuple[ast.Call, str]] = None
        # Names bound to ORM objects loaded in this function (so far, in source order): their
        # attribute reads become Touch events (SL201).
        self.orm_names: Set[str] = set()

    # ------------------------------------------------------------ entry

    def lower(self) -> ir.FunctionIR:
        params = _params(self.node.args)
        for p in params:
            self.locals.add(p.arg)
            self.env[p.arg] = self.m.resolver.annotation(p.annotation, self.env)
        if self.cls is not None and params and not _is_static(self.node) and self.node in self.cls.methods.values():
            first = params[0].arg
            is_classmethod = any(dotted(d) == "classmethod" for d in self.node.decorator_list)
            self.env[first] = Val("ref" if is_classmethod else "inst", self.cls.qual)
        # Nested functions are callable from anywhere in the body, so collect them first.
        self._collect_defs(self.node.body)
        body = self.block(self.node.body)
        names = tuple(p.arg for p in params)
        bound = self.cls is not None and not _is_static(self.node)
        free = frozenset(n for n in self.read_names if n in self.outer_locals and n not in self.locals)
        return ir.FunctionIR(
            key=self.key,
            name=self.node.name,
            is_async=self.is_async,
            params=names,
            pos=self.m.pos(self.node),
            body=body,
            bound_method=bound,
            free_names=free,
            has_explicit_session=self.has_explicit,
            kwargs_keys=_kwargs_keys(self.node, self.m.parsed),
        )

    def _collect_defs(self, body: List[ast.stmt]) -> None:
        # Functions defined anywhere in this body (not in nested functions or classes: deeper
        # ones belong to those).
        stack = list(reversed(body))
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, FUNCTION_TYPES):
                self.defs[stmt.name] = f"{self.key}.<locals>.{stmt.name}"
                continue
            if isinstance(stmt, ast.ClassDef):
                continue
            nested: List[ast.stmt] = []
            for block in statement_blocks(stmt):
                nested.extend(block)
            stack.extend(reversed(nested))

    def _lower_nested(self, node: FuncNode) -> None:
        key = self.defs.get(node.name)
        if key is None or key in self.m.out.nodes:
            return
        visible = frozenset(self.locals | self.outer_locals)
        self.m._enqueue(key, node, self.cls, dict(self.env), dict(self.defs), visible)

    # ------------------------------------------------------------ statements

    def block(self, stmts: Sequence[ast.stmt]) -> ir.Block:
        items: List[ir.Node] = []
        for stmt in stmts:
            self.statement(stmt, items)
        return ir.Block(tuple(items))

    def statement(self, stmt: ast.stmt, out: List[ir.Node]) -> None:
        method = getattr(self, "s_" + type(stmt).__name__, None)
        if method is not None:
            method(stmt, out)
            return
        # Any other statement: evaluate its expressions in source order.
        self.expr(stmt, out)

    def s_Pass(self, stmt, out) -> None:
        return

    def s_Expr(self, stmt: ast.Expr, out) -> None:
        self.expr(stmt.value, out)

    def s_Import(self, stmt, out) -> None:
        self._local_import(stmt)

    def s_ImportFrom(self, stmt, out) -> None:
        self._local_import(stmt)

    def _local_import(self, stmt) -> None:
        for local, qual in import_bindings(stmt, self.m.scan.name, False).items():
            if self.m.resolver.configured_factory(local, qual):
                self.env[local] = Val("factory", qual)
            else:
                self.env[local] = Val("ref", qual)
            self.locals.add(local)

    def s_Global(self, stmt, out) -> None:
        return

    def s_Nonlocal(self, stmt, out) -> None:
        return

    def s_FunctionDef(self, stmt: FuncNode, out) -> None:
        for deco in stmt.decorator_list:
            self.expr(deco, out)
        self.locals.add(stmt.name)
        self.env[stmt.name] = None
        self._lower_nested(stmt)

    s_AsyncFunctionDef = s_FunctionDef

    def s_ClassDef(self, stmt: ast.ClassDef, out) -> None:
        self.locals.add(stmt.name)
        self.env[stmt.name] = None

    def s_Return(self, stmt: ast.Return, out) -> None:
        value: List[ir.Node] = []
        if stmt.value is not None:
            self.expr(stmt.value, value)
        out.append(ir.Return(ir.Block(tuple(value))))

    def s_Raise(self, stmt: ast.Raise, out) -> None:
        value: List[ir.Node] = []
        if stmt.exc is not None:
            self.expr(stmt.exc, value)
        if stmt.cause is not None:
            self.expr(stmt.cause, value)
        out.append(ir.Raise(ir.Block(tuple(value))))

    def s_Break(self, stmt, out) -> None:
        out.append(ir.Break())

    def s_Continue(self, stmt, out) -> None:
        out.append(ir.Continue())

    def s_Assign(self, stmt: ast.Assign, out) -> None:
        self.assign(stmt.targets, stmt.value, None, out)

    def s_AnnAssign(self, stmt: ast.AnnAssign, out) -> None:
        if stmt.value is None:
            val = self.m.resolver.annotation(stmt.annotation, self.env)
            if isinstance(stmt.target, ast.Name):
                self.env[stmt.target.id] = val
                self.locals.add(stmt.target.id)
            return
        self.assign([stmt.target], stmt.value, stmt.annotation, out)

    def s_AugAssign(self, stmt: ast.AugAssign, out) -> None:
        self.expr(stmt.value, out)
        self.expr(stmt.target, out)

    def assign(self, targets: Sequence[ast.expr], value: ast.expr, annotation, out: List[ir.Node]) -> None:
        factory = self.factory_call(value)
        inner = value.value if isinstance(value, ast.Await) else value
        result = _name_of(targets[0]) if len(targets) == 1 and isinstance(inner, ast.Call) and factory is None else None
        if result is not None and "." not in result:
            # ``svc = Service(db)``: the old value of ``svc`` is gone before the new object's
            # attributes are bound (the engine binds ``svc.db`` at the call).
            out.append(ir.Unbind(result))
            self._result_for = (inner, result)  # type: ignore[assignment]
        else:
            result = None
        if factory is not None:
            assert isinstance(value, ast.Call)
            for arg in call_args(value):
                self.expr(arg.value, out)
        else:
            self.expr(value, out)
        self._result_for = None
        source = _name_of(value)
        also: Tuple[str, ...] = ()
        if source is None and type(value) in _CHOICES:
            # ``c = conn or fallback``: an alias of whichever it is.
            choices = _alternatives(value)
            if choices:
                source, also = choices[0], choices[1:]
        coroutine = self.coroutine_nodes(value, None) if not isinstance(value, ast.Await) else []
        val = self.m.resolver.eval(value, self.env, self.cls)
        if (val is None or val.kind != "inst") and annotation is not None:
            val = self.m.resolver.annotation(annotation, self.env) or val
        for target in targets:
            self.bind_target(target, out, value_val=val, unbind=result is None)
            name = _name_of(target)
            if name is None:
                continue
            if factory is not None:
                self.has_explicit = True
                out.append(ir.OpenSession(name, factory[0], self.m.pos(value), factory[1], factory[2], factory[3]))
            elif source is not None:
                out.append(ir.Bind(name, source, also))
                if "." not in name and any(n in self.orm_names for n in (source, *also)):
                    self.orm_names.add(name)
            elif "." not in name and len(targets) == 1:
                self.load(name, value, out)
            if coroutine and "." not in name:
                self.pending[name] = coroutine

    def bind_target(self, target: ast.AST, out: List[ir.Node], value_val: Optional[Val] = None,
                    unbind: bool = True) -> None:
        """A name (or tuple of names) takes a new value."""
        name = _name_of(target)
        if name is not None:
            self.bind_name(name, out, value_val, unbind)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind_target(element, out)
            return
        if isinstance(target, ast.Starred):
            self.bind_target(target.value, out)
            return
        # a[i] = ..., obj.attr.attr = ...: evaluate the target's own expressions (setting an
        # attribute reads only what is left of it)
        if isinstance(target, ast.Attribute):
            self.expr(target.value, out)
            return
        self.expr(target, out)

    def bind_name(self, name: str, out: List[ir.Node], value_val: Optional[Val] = None, unbind: bool = True) -> None:
        if unbind:
            out.append(ir.Unbind(name))
        if "." not in name:
            self.locals.add(name)
            self.env[name] = value_val
            self.pending.pop(name, None)

    def s_If(self, stmt: ast.If, out) -> None:
        test: List[ir.Node] = []
        self.expr(stmt.test, test)
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        out.append(ir.If(ir.Block(tuple(test)), body, orelse))

    def s_While(self, stmt: ast.While, out) -> None:
        test: List[ir.Node] = []
        self.expr(stmt.test, test)
        infinite = _always_true(stmt.test)
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        out.append(ir.Loop(ir.Block(tuple(test)), body, orelse, infinite))

    def s_For(self, stmt: Union[ast.For, ast.AsyncFor], out) -> None:
        self.expr(stmt.iter, out)
        head: List[ir.Node] = []
        if isinstance(stmt, ast.AsyncFor):
            head.extend(self.iteration_nodes(stmt.iter, self.m.pos(stmt)))
        self.bind_target(stmt.target, head, value_val=None)
        if isinstance(stmt.target, ast.Name):
            self.element(stmt.target.id, stmt.iter, head)
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        at_least_once = isinstance(stmt, ast.For) and self._never_empty(stmt.iter)
        out.append(ir.Loop(ir.Block(tuple(head)), body, orelse, False, at_least_once))

    s_AsyncFor = s_For

    def _never_empty(self, iterable: ast.expr) -> bool:
        """Whether iterating ``iterable`` gives at least one element: a literal list or tuple
        with elements, or ``range(n)``/``range(a, b)`` over integers this module states (a
        literal, or a module-level name bound once to one, as retry loops use)."""
        if isinstance(iterable, (ast.List, ast.Tuple)):
            return bool(iterable.elts) and not any(isinstance(e, ast.Starred) for e in iterable.elts)
        if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range"):
            return False
        if iterable.keywords or "range" in self.env or "range" in self.m.scan.globals or "range" in self.m.scan.imports \
                or "range" in self.m.scan.functions:
            return False
        bounds = [self._known_int(arg) for arg in iterable.args]
        if None in bounds or not 1 <= len(bounds) <= 2:
            return False
        start, stop = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
        return start < stop  # type: ignore[operator]

    def _known_int(self, node: ast.expr) -> Optional[int]:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id not in self.env and node.id not in self.locals:
            return self.m.scan.int_constants.get(node.id)
        return None

    def s_Try(self, stmt, out) -> None:
        body = self.block(stmt.body)
        handlers = []
        for handler in stmt.handlers:
            items: List[ir.Node] = []
            if handler.type is not None:
                self.expr(handler.type, items)
            if handler.name is not None:
                self.bind_name(handler.name, items)
            inner = self.block(handler.body)
            handlers.append(ir.Block(tuple(items) + inner.items))
        orelse = self.block(stmt.orelse)
        final = self.block(stmt.finalbody)
        out.append(ir.Try(body, tuple(handlers), orelse, final))

    s_TryStar = s_Try

    def s_Match(self, stmt: ast.Match, out) -> None:
        subject: List[ir.Node] = []
        self.expr(stmt.subject, subject)
        cases = []
        exhaustive = False
        for case in stmt.cases:
            items: List[ir.Node] = []
            for name in _pattern_names(case.pattern):
                items.append(ir.Unbind(name))
                self.locals.add(name)
                self.env[name] = None
            if case.guard is not None:
                self.expr(case.guard, items)
            inner = self.block(case.body)
            cases.append(ir.Block(tuple(items) + inner.items))
            if case.guard is None and isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None:
                exhaustive = True
        out.append(ir.Match(ir.Block(tuple(subject)), tuple(cases), exhaustive))

    def s_With(self, stmt: Union[ast.With, ast.AsyncWith], out) -> None:
        is_async = isinstance(stmt, ast.AsyncWith)
        stmt_pos = self.m.pos(stmt)
        enter: List[ir.Node] = []
        exit_nodes: List[ir.Node] = []
        groups: List[str] = []
        for item in stmt.items:
            target = item.optional_vars
            value_val: Optional[Val] = None
            bound = False  # whether the target's old value was already dropped
            expr = item.context_expr
            factory = self.factory_call(expr)
            if factory is not None:
                for arg in call_args(expr):  # type: ignore[arg-type]
                    self.expr(arg.value, enter)
                name = _name_of(target) if target is not None else None
                if name is not None:
                    self.bind_target(target, enter)  # type: ignore[arg-type]
                    self.has_explicit = True
                    enter.append(ir.OpenSession(name, factory[0], self.m.pos(expr), factory[1] or is_async,
                                                factory[2], factory[3]))
                    exit_nodes.insert(0, ir.CloseSession(name, stmt_pos))
                continue
            if isinstance(expr, ast.Call):
                kind, qual, callee = self.classify_call(expr)
                self.call_parts(expr, enter)
                receiver = _name_of(expr.func.value) if isinstance(expr.func, ast.Attribute) else None
                if receiver is not None and expr.func.attr == "begin":  # type: ignore[attr-defined]
                    # ``with db.begin():`` commits (or rolls back) when the block ends.
                    exit_nodes.insert(0, ir.Use(receiver, "commit", stmt_pos))
                if is_async and kind in (Kind.CONTEXT, Kind.AWAIT):
                    enter.append(ir.Sink(qual or _label(expr.func), stmt_pos, blocking=False))
                elif not is_async and kind is Kind.BLOCKING:
                    enter.append(ir.Sink(qual or _label(expr.func), self.m.pos(expr), blocking=True))
                elif kind is Kind.TASK_GROUP and target is not None and isinstance(target, ast.Name):
                    groups.append(target.id)
                elif callee is not None and callee.key is not None:
                    entered = _name_of(target) if target is not None else None
                    if entered is not None and "." not in entered:
                        bound = True  # the engine rebinds the target at the call
                    else:
                        entered = None
                    call = self.call_event(expr, callee, awaited=is_async)
                    enter.append(dataclasses.replace(call, entered=entered) if entered else call)
                else:
                    self.passing_call(expr, enter, awaited=False)
                value_val = self.m.resolver.eval(expr, self.env, self.cls)
                if qual is not None and value_val is None:
                    value_val = self.m.resolver.result_of(Val("ref", qual))
                # ``async with aiohttp.ClientSession() as s`` binds the session itself
                if value_val is None and qual is not None and self.m.resolver.result_of(Val("ref", qual)) is not None:
                    value_val = self.m.resolver.result_of(Val("ref", qual))
            else:
                self.expr(expr, enter)
                value_val = self.m.resolver.eval(expr, self.env, self.cls)
            if target is not None:
                self.bind_target(target, enter, value_val=value_val, unbind=not bound)
        for name in groups:
            self.task_groups[name] = []
        body = self.block(stmt.body)
        for name in groups:
            # A task group awaits every task it started when the block ends.
            for node in self.task_groups.pop(name, []):
                exit_nodes.append(_at(node, stmt_pos))
        out.append(ir.With(ir.Block(tuple(enter)), body, ir.Block(tuple(exit_nodes))))

    s_AsyncWith = s_With

    # ------------------------------------------------------------ expressions

    def expr(self, node: Optional[ast.AST], out: List[ir.Node]) -> None:
        if node is None:
            return
        kind = type(node)
        if kind is ast.Name:
            self.read_names.add(node.id)  # type: ignore[attr-defined]
            return
        if kind is ast.Constant or kind in _LEAVES:
            return
        if kind is ast.Call:
            self.call(node, out)  # type: ignore[arg-type]
            return
        if kind is ast.Attribute:
            if self.orm_names:
                root, attrs = _attribute_chain(node)  # type: ignore[arg-type]
                if root is not None and root in self.orm_names:
                    self.read_names.add(root)
                    out.append(ir.Touch(root, attrs, self.m.pos(node)))
                    return
            self.expr(node.value, out)  # type: ignore[attr-defined]
            # The attribute's name counts as read, as it always has for closures: a nested
            # function's ``x.db`` marks ``db`` as a name it may take from its parent.
            self.read_names.add(node.attr)  # type: ignore[attr-defined]
            return
        if kind is ast.Await:
            self.await_(node, out)  # type: ignore[arg-type]
            return
        if kind is ast.Lambda:
            return  # runs later, if ever
        if kind is ast.NamedExpr:
            self.assign([node.target], node.value, None, out)  # type: ignore[attr-defined]
            return
        if self.orm_names and kind in _COMPREHENSIONS:
            if self.comprehension(node, out):
                return
        if kind is ast.Yield:
            inner = node.value  # type: ignore[attr-defined]
            self.expr(inner, out)
            out.append(ir.Yield(_name_of(inner) if inner is not None else None, self.m.pos(node)))
            return
        if kind is ast.YieldFrom:
            self.expr(node.value, out)  # type: ignore[attr-defined]
            out.append(ir.Yield(None, self.m.pos(node)))
            return
        fields = _SOURCE_ORDER_FIELDS.get(kind)
        if fields is None:
            for child in children(node):
                self.expr(child, out)
            return
        # The common expressions, read field by field: the generic walk costs a generator per node.
        for name in fields:
            value = getattr(node, name)
            if type(value) is list:
                for child in value:
                    self.expr(child, out)
            else:
                self.expr(value, out)

    def call_parts(self, node: ast.Call, out: List[ir.Node]) -> None:
        """The events of evaluating a call's function and arguments, then the method use."""
        func = node.func
        if isinstance(func, ast.Attribute):
            self.expr(func.value, out)
        else:
            self.expr(func, out)
        args = call_args(node)
        for arg in args:
            self.expr(arg.value, out)
        if isinstance(func, ast.Attribute):
            receiver = _name_of(func.value)
            if receiver is None and type(func.value) in _CHOICES:
                # ``(conn or db).execute()``: whichever of them it is, it is used.
                for name in _alternatives(func.value):
                    out.append(ir.Use(name, func.attr, self.m.pos(node)))
            if receiver is not None:
                out.append(ir.Use(receiver, func.attr, self.m.pos(node)))
                if receiver in self.orm_names:
                    # ``tool.describe()``: the method reads what its body reads from self.
                    out.append(ir.Touch(receiver, (func.attr,), self.m.pos(func)))
                target = args[0].value if args else None
                if func.attr == "add" and isinstance(target, ast.Name):
                    self.added(target.id, receiver, out, self.m.pos(node))
                elif isinstance(target, ast.Name) and target.id in self.orm_names:
                    if func.attr == "refresh":
                        out.append(ir.Refresh(target.id, receiver))
                    elif func.attr in ("expunge", "delete"):
                        out.append(ir.Expunge(target.id, receiver, func.attr + "d", self.m.pos(node)))
        elif self.orm_names and isinstance(func, ast.Name) and func.id in ("getattr", "hasattr"):
            self.dynamic_read(node, out)

    def call(self, node: ast.Call, out: List[ir.Node]) -> None:
        kind, qual, callee = self.classify_call(node)
        self.call_parts(node, out)
        pos = self.m.pos(node)
        if kind is Kind.BLOCKING:
            out.append(ir.Sink(qual or _label(node.func), pos, blocking=True))
            return
        if kind is Kind.TASK and isinstance(node.func, ast.Attribute):
            group = _name_of(node.func.value)
            if group in self.task_groups and (node.args or node.keywords):
                self.task_groups[group].extend(self.task_nodes(node, pos))  # type: ignore[index]
                return
        if is_non_user(qual):
            return
        if callee is not None and callee.key is not None:
            # An async callee only makes a coroutine here; the engine knows which it is.
            out.append(self.call_event(node, callee, awaited=False))
            return
        if kind in (Kind.WRAPPER, Kind.TASK, Kind.THREAD):
            return
        self.passing_call(node, out, awaited=False, qual=qual)

    def await_(self, node: ast.Await, out: List[ir.Node]) -> None:
        inner = node.value
        pos = self.m.pos(node)
        if isinstance(inner, ast.Call):
            kind, qual, callee = self.classify_call(inner)
            self.call_parts(inner, out)
            if kind in (Kind.AWAIT, Kind.CONTEXT):
                out.append(ir.Sink(qual or _label(inner.func), pos, blocking=False))
            elif kind in (Kind.WRAPPER, Kind.TASK):
                for arg in call_args(inner):
                    out.extend(self.coroutine_nodes(arg.value, pos))
            elif kind is Kind.THREAD:
                out.extend(self.thread_nodes(inner, qual or "", pos))
            elif kind is Kind.BLOCKING:
                out.append(ir.Sink(qual or _label(inner.func), pos, blocking=True))
            elif callee is not None and callee.key is not None:
                out.append(self.call_event(inner, callee, awaited=True, pos=pos))
            elif kind is not Kind.NOT_SINK:
                self.passing_call(inner, out, awaited=True, qual=qual, pos=pos)
            return
        self.expr(inner, out)
        out.extend(self.coroutine_nodes(inner, pos))

    def passing_call(self, node: ast.Call, out: List[ir.Node], awaited: bool, qual: Optional[str] = None, pos: Optional[ir.Pos] = None) -> None:
        """A call we cannot follow: it still matters if it receives a session."""
        args = _name_args(node)
        if is_non_user(qual):
            return
        if args or awaited:
            receiver = _receiver(node.func)
            out.append(ir.Call(None, _label(node.func), args, awaited, pos or self.m.pos(node), receiver=receiver,
                               quiet=self._quiet(qual, node)))

    def call_event(self, node: ast.Call, callee: _Callee, awaited: bool, pos: Optional[ir.Pos] = None, threaded: bool = False) -> ir.Call:
        receiver = _receiver(node.func)
        result = self._result_for[1] if self._result_for is not None and self._result_for[0] is node else None
        qual = canonical(callee.key) if callee.key else None
        args = _name_args(node)
        functions = tuple((where, key) for where, key in ((where, self.function_named(name)) for where, name in args)
                          if key is not None)
        return ir.Call(callee.key, _label(node.func), args, awaited, pos or self.m.pos(node), threaded,
                       receiver, result, quiet=self._quiet(qual, node), functions=functions)

    def function_named(self, name: str) -> Optional[str]:
        """The key of the function a plain name refers to here (a nested one, one of the module,
        one it imports), if it may be one: the oracle decides whether it exists."""
        if "." in name:
            return None
        if name in self.defs and self.env.get(name) is None:
            return self.defs[name]
        if name in self.env or name in self.locals:
            return None
        if name in self.m.scan.functions:
            return self.m.prefix + name
        if name in self.m.scan.imports:
            return self.m.scan.imports[name]
        return None

    def _quiet(self, qual: Optional[str], node: ast.Call) -> bool:
        """Whether the call is known not to wait on another host: a non-sink, or making (or
        entering) an instance of a client class the analysis tracks."""
        if qual is not None and qual in CLASSES:
            return True
        return self.m.sinks.kind([qual or "", _label(node.func)]) is Kind.NOT_SINK

    # ------------------------------------------------------------ what a call is

    def classify_call(self, node: ast.Call) -> Tuple[Optional[Kind], Optional[str], Optional[_Callee]]:
        func = node.func
        resolver = self.m.resolver
        if isinstance(func, ast.Attribute):
            # What is before the dot is evaluated once, for the call's value and its callee.
            base: Optional[Val] = resolver.eval(func.value, self.env, self.cls)
            func_val = resolver.attribute(base, func.attr)
            callee = self.resolve_callee(func, func_val, base, base_known=True)
        else:
            func_val = resolver.eval(func, self.env, self.cls)
            callee = self.resolve_callee(func, func_val)
        qual = canonical(func_val.qual) if func_val is not None and func_val.kind == "ref" else None
        text = _label(func)
        kind = self.m.sinks.kind([qual or "", text])
        return kind, qual, callee

    def resolve_callee(self, func: ast.expr, func_val: Optional[Val], base: Optional[Val] = None,
                       base_known: bool = False) -> Optional[_Callee]:
        """The global key of the project function ``func`` names, if it may be one. Keys of
        other modules are only candidates: the oracle decides whether they exist. ``base``: what
        the expression before the dot of an attribute ``func`` evaluates to, when ``base_known``."""
        name = name_id(func)
        if name is not None:
            if name in self.defs and self.env.get(name) is None:
                return _Callee(self.defs[name], False)
            if self.env.get(name) is None and name not in self.env:
                if name in self.m.scan.functions:
                    return _Callee(self.m.prefix + name, False)
                if name in self.m.scan.classes:
                    info = self.m.scan.classes[name]
                    init = self.m.method_key(info, "__init__")
                    return _Callee(init, True) if init else _Callee(None, False)
        if isinstance(func, ast.Attribute):
            if not base_known:
                base = self.m.resolver.eval(func.value, self.env, self.cls)
            if base is not None and base.kind in ("inst", "ref"):
                info = self.m.resolver.local_class(base.qual)
                if info is not None:
                    key = self.m.method_key(info, func.attr)
                    if key is not None:
                        return _Callee(key, base.kind == "inst")
                    return None
        if func_val is not None and func_val.kind == "ref" and "." in func_val.qual:
            if self.m.resolver.local_name(func_val.qual) is None:
                return _Callee(func_val.qual, False)
        return None

    def factory_call(self, node: ast.AST) -> Optional[Tuple[str, bool, Optional[str], Optional[bool]]]:
        """``(label, is_async, factory key, expire_on_commit)`` if ``node`` creates a session: a
        configured factory, a ``sessionmaker``, ``Session(engine)``, ``factory.begin()``."""
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "begin":
            inner = self.m.resolver.eval(func.value, self.env, self.cls)
            if inner is not None and inner.kind == "factory":
                return _label(func), inner.is_async, self.factory_key(func.value, inner), None
            # ``SessionLocal().begin()`` is still a fresh session
            if isinstance(func.value, ast.Call):
                return self.factory_call(func.value)
            return None
        val = self.m.resolver.eval(func, self.env, self.cls)
        if isinstance(func, ast.Attribute) and func.attr in self.m.settings.session_factories and (
                val is None or (val.kind == "ref" and not is_network_client(val.qual))):
            # ``db.session_context()`` on an object of unknown type: a configured factory name
            # is one on whatever holds it.
            return _label(func), "async" in func.attr.lower(), None, expire_on_commit(node, default=None)
        if val is None:
            return None
        if val.kind == "factory":
            is_async = val.is_async or "async" in val.qual.lower()
            return _label(func), is_async, self.factory_key(func, val), expire_on_commit(node, default=None)
        if val.kind == "ref" and val.qual in SESSION_CLASSES:
            return _label(func), "Async" in val.qual, None, expire_on_commit(node)
        return None

    def factory_key(self, func: ast.expr, val: Val) -> Optional[str]:
        """The global key of the factory ``func`` names (a module-level ``SessionLocal``'s value
        is the maker it was made by, so its own name is taken from the module)."""
        if isinstance(func, ast.Name) and func.id not in self.env:
            if func.id in self.m.scan.globals or func.id in self.m.scan.functions:
                return self.m.scan.qual_of_local(func.id)
            if func.id in self.m.scan.imports:
                return self.m.scan.imports[func.id]
        return val.qual if "." in val.qual else None

    # ------------------------------------------------------------ ORM objects (SL201)

    def load(self, name: str, value: ast.expr, out: List[ir.Node]) -> None:
        """``name = <a query through a session>``: ``name`` now holds loaded ORM objects; or
        ``name = result.scalar_one()`` on a result that holds them."""
        taken = _taken_from(value, self.orm_names)
        if taken is not None:
            out.append(ir.Each(name, taken))
            self.orm_names.add(name)
            return
        found = _load_parts(value)
        if found is None:
            self.returned_objects(name, value, out)
            return
        session, model, eager = found
        val = self.m.resolver.eval(model, self.env, self.cls)
        key = val.qual if val is not None and val.kind == "ref" else _label(model)
        out.append(ir.Load(name, session, key, eager, self.m.pos(value)))
        self.orm_names.add(name)
        if val is not None and val.kind == "ref" and self.env.get(name) is None and _loads_one(value):
            # ``item = db.get(Item, id)``: an instance of the class, so ``item.delete_async(db)``
            # is that model's method, followed like any other.
            self.env[name] = Val("inst", val.qual)

    def added(self, name: str, session: str, out: List[ir.Node], pos: ir.Pos) -> None:
        """``db.add(team)`` where ``team`` is an instance of a known class: the session holds it
        from now on (the engine keeps it only if ``session`` is one, and reports only for a
        mapped class)."""
        val = self.env.get(name)
        if val is None or val.kind != "inst":
            return
        out.append(ir.Load(name, session, val.qual, (), pos, added=True))
        self.orm_names.add(name)

    def returned_objects(self, name: str, value: ast.expr, out: List[ir.Node]) -> None:
        """``tool = await service.get_tool(db, tool_id)`` where the callee is annotated to return
        a class: what it returns came through a session it was handed (the engine keeps the
        objects only if one of those names is a session, and reports only for mapped classes)."""
        call = _unawait(value)
        if not isinstance(call, ast.Call):
            return
        returned = self.m.resolver.eval(call, self.env, self.cls)
        if returned is None or returned.kind != "inst":
            return
        via = [n for _where, n in _name_args(call)]
        if isinstance(call.func, ast.Attribute) and _name_of(call.func.value) in ("self", "cls"):
            via.append("self.*")
        if not via:
            return
        out.append(ir.Load(name, "", returned.qual, (), self.m.pos(value), tuple(dict.fromkeys(via))))
        self.orm_names.add(name)

    def dynamic_read(self, node: ast.Call, out: List[ir.Node]) -> None:
        """``getattr(tool, "gateway")`` reads the attribute a literal names."""
        if len(node.args) < 2 or not isinstance(node.args[0], ast.Name) or node.args[0].id not in self.orm_names:
            return
        attr = string_value(node.args[1])
        if isinstance(attr, str) and attr.isidentifier():
            out.append(ir.Touch(node.args[0].id, (attr,), self.m.pos(node)))

    def element(self, name: str, iterable: ast.expr, out: List[ir.Node]) -> None:
        """``for name in iterable``: one of the objects a query or a loaded list holds."""
        if isinstance(iterable, ast.Name) and iterable.id in self.orm_names:
            out.append(ir.Each(name, iterable.id))
            self.orm_names.add(name)
        else:
            self.load(name, iterable, out)

    def comprehension(self, node, out: List[ir.Node]) -> bool:
        """``[t.gateway.url for t in tools]`` over loaded objects: iterable first, then each
        element's reads. False (nothing emitted) when no ``for`` of it iterates such objects."""
        clauses = node.generators
        if not any(isinstance(c.target, ast.Name) and _iterates_objects(c.iter, self.orm_names) for c in clauses):
            return False
        for c in clauses:
            self.expr(c.iter, out)
            self.bind_target(c.target, out)
            if isinstance(c.target, ast.Name):
                self.element(c.target.id, c.iter, out)
            for cond in c.ifs:
                self.expr(cond, out)
        if isinstance(node, ast.DictComp):
            self.expr(node.key, out)
            self.expr(node.value, out)
        else:
            self.expr(node.elt, out)
        return True

    def coroutine_nodes(self, node: Optional[ast.AST], pos: Optional[ir.Pos]) -> List[ir.Node]:
        """What awaiting the awaitable ``node`` evaluates to runs (before it is awaited, with
        ``pos`` left for the caller to fill in)."""
        if node is None:
            return []
        at = pos or ir.Pos(0, 0)
        if isinstance(node, ast.Name):
            return [_at(n, at) for n in self.pending.get(node.id, [])]
        if isinstance(node, ast.Call):
            kind, qual, callee = self.classify_call(node)
            if kind in (Kind.AWAIT, Kind.CONTEXT):
                return [ir.Sink(qual or _label(node.func), at, blocking=False)]
            if kind in (Kind.WRAPPER, Kind.TASK):
                nodes: List[ir.Node] = []
                for arg in call_args(node):
                    nodes.extend(self.coroutine_nodes(arg.value, pos))
                return nodes
            if kind is Kind.THREAD:
                return self.thread_nodes(node, qual or "", at)
            if callee is not None and callee.key is not None:
                return [self.call_event(node, callee, awaited=True, pos=at)]
            return []
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            nodes = []
            for element in node.elts:
                nodes.extend(self.coroutine_nodes(element, pos))
            return nodes
        if isinstance(node, ast.Starred):
            return self.coroutine_nodes(node.value, pos)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.coroutine_nodes(node.elt, pos)
        return []

    def task_nodes(self, node: ast.Call, pos: ir.Pos) -> List[ir.Node]:
        first = call_args(node)[0].value
        return self.coroutine_nodes(first, pos)

    def thread_nodes(self, node: ast.Call, qual: str, pos: ir.Pos) -> List[ir.Node]:
        """``await asyncio.to_thread(fn, ...)`` / ``loop.run_in_executor(ex, fn, ...)``."""
        index = 1 if qual.endswith("run_in_executor") else 0
        positional = [a for a in call_args(node) if a.keyword is None]
        if len(positional) <= index:
            return []
        fn = positional[index].value
        rest = positional[index + 1:]
        return self.function_in_thread(fn, rest, pos)

    def function_in_thread(self, fn: ast.expr, rest: Sequence[Arg], pos: ir.Pos) -> List[ir.Node]:
        if isinstance(fn, ast.Call):
            inner = self.m.resolver.eval(fn.func, self.env, self.cls)
            args = call_args(fn)
            if inner is not None and inner.qual in ("functools.partial",) and args:
                return self.function_in_thread(args[0].value, args[1:], pos)
            return []
        if isinstance(fn, ast.Lambda):
            nodes: List[ir.Node] = []
            for call in preorder(fn.body):
                if not isinstance(call, ast.Call):
                    continue
                kind, qual, callee = self.classify_call(call)
                if kind is Kind.BLOCKING:
                    nodes.append(ir.Sink(qual or _label(call.func), pos, blocking=False))
                elif callee is not None and callee.key is not None:
                    nodes.append(ir.Call(callee.key, _label(call.func), _name_args(call), True, pos, threaded=True))
            return nodes
        val = self.m.resolver.eval(fn, self.env, self.cls)
        qual = canonical(val.qual) if val is not None and val.kind == "ref" else None
        kind = self.m.sinks.kind([qual or "", _label(fn)])
        if kind is Kind.BLOCKING:
            return [ir.Sink(qual or _label(fn), pos, blocking=False)]
        callee = self.resolve_callee(fn, val)
        if callee is not None and callee.key is not None:
            args = tuple((i, n) for i, n in ((i, _name_of(a.value)) for i, a in enumerate(rest)) if n is not None)
            return [ir.Call(callee.key, _label(fn), args, True, pos, threaded=True)]
        return []

    def iteration_nodes(self, iterable: ast.expr, pos: ir.Pos) -> List[ir.Node]:
        """What each step of ``async for ... in iterable`` waits on."""
        if isinstance(iterable, ast.Call):
            kind, qual, callee = self.classify_call(iterable)
            if kind in (Kind.ITERATE, Kind.AWAIT):
                return [ir.Sink(qual or _label(iterable.func), pos, blocking=False)]
            if callee is not None and callee.key is not None:
                return [self.call_event(iterable, callee, awaited=True, pos=pos)]
            return []
        val = self.m.resolver.eval(iterable, self.env, self.cls)
        if val is not None and val.kind == "ref":
            if self.m.sinks.kind([canonical(val.qual)]) is Kind.ITERATE:
                return [ir.Sink(canonical(val.qual), pos, blocking=False)]
        return []


# ---------------------------------------------------------------- helpers

# Nodes with nothing below them that can matter: operators and load/store markers.
_LEAVES = frozenset({ast.Load, ast.Store, ast.Del, *ast.operator.__subclasses__(), *ast.boolop.__subclasses__(),
                     *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__()})


# Expressions whose fields ``ast`` lists in source order, and those fields.
_SOURCE_ORDER_FIELDS = {
    ast.BinOp: ("left", "right"),
    ast.BoolOp: ("values",),
    ast.UnaryOp: ("operand",),
    ast.Compare: ("left", "comparators"),
    ast.Subscript: ("value", "slice"),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.Set: ("elts",),
    ast.Starred: ("value",),
    ast.JoinedStr: ("values",),
    ast.FormattedValue: ("value", "format_spec"),
    ast.Slice: ("lower", "upper", "step"),
    ast.Return: ("value",),
    ast.Delete: ("targets",),
    ast.Assert: ("test", "msg"),
}


def _params(args: ast.arguments) -> List[ast.arg]:
    out = [*args.posonlyargs, *args.args]
    if args.vararg is not None:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg is not None:
        out.append(args.kwarg)
    return out


def _is_static(node: FuncNode) -> bool:
    return any(dotted(d) == "staticmethod" for d in node.decorator_list)


def _name_of(node: Optional[ast.AST]) -> Optional[str]:
    """``db`` or ``self.db`` (a name the engine can track), else None."""
    name = name_id(node)
    if name is not None:
        return name
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        return f"{node.value.id}.{node.attr}"
    return None


def _label(node: ast.AST) -> str:
    text = dotted(node)
    if text is not None:
        return text
    if isinstance(node, ast.Attribute):
        return f"{_label(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_label(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{_label(node.value)}[]"
    if isinstance(node, ast.BoolOp):
        joiner = " or " if isinstance(node.op, ast.Or) else " and "
        return f"({joiner.join(_label(value) for value in node.values)})"
    if isinstance(node, ast.IfExp):
        return f"({_label(node.body)} if ... else {_label(node.orelse)})"
    return "<expression>"


def _receiver(func: ast.expr) -> Optional[str]:
    """The name a method is called on (``db`` of ``db.execute``); for ``(conn or db).execute``,
    the first of the names it may be (all are used, see ``call_parts``)."""
    if not isinstance(func, ast.Attribute):
        return None
    name = _name_of(func.value)
    if name is None and type(func.value) in _CHOICES:
        choices = _alternatives(func.value)
        return choices[0] if choices else None
    return name


def _name_args(node: ast.Call) -> Tuple[Tuple[Union[int, str], str], ...]:
    out: List[Tuple[Union[int, str], str]] = []
    index = 0
    for arg in call_args(node):
        name = _name_of(arg.value)
        names = (name,) if name is not None else _alternatives(arg.value) if type(arg.value) in _CHOICES else ()
        if arg.keyword is not None:
            out.extend((arg.keyword, name) for name in names)
        elif arg.star == "":
            out.extend((index, name) for name in names)
            index += 1
    return tuple(out)


# Expressions whose value is one of several others'.
_CHOICES = (ast.BoolOp, ast.IfExp)


def _alternatives(node: ast.AST) -> Tuple[str, ...]:
    """The names (as :func:`_name_of` gives them) whose value ``node`` may have: ``conn`` and
    ``db`` for ``conn or db`` and for ``conn if conn is not None else db``."""
    name = _name_of(node)
    if name is not None:
        return (name,)
    if isinstance(node, ast.BoolOp):
        parts: Sequence[ast.AST] = node.values
    elif isinstance(node, ast.IfExp):
        parts = (node.body, node.orelse)
    else:
        return ()
    return tuple(dict.fromkeys(found for part in parts for found in _alternatives(part)))


def _at(node: ir.Node, pos: ir.Pos) -> ir.Node:
    if isinstance(node, ir.Sink):
        return ir.Sink(node.qualname, pos, node.blocking)
    if isinstance(node, ir.Call):
        # Awaited elsewhere than made: the result it was bound to is not the call's any more.
        return dataclasses.replace(node, pos=pos, result=None)
    return node


def _attribute_chain(node: ast.Attribute) -> Tuple[Optional[str], Tuple[str, ...]]:
    """``tool.gateway.url`` -> (``tool``, ("gateway", "url"))."""
    attrs: List[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        attrs.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None, ()
    return current.id, tuple(reversed(attrs))


# Query methods whose result is not the loaded objects.
_NOT_OBJECTS = frozenset({"count", "delete", "update", "exists", "subquery", "cte", "statement", "scalar_subquery",
                          "rowcount", "values", "with_entities", "group_by", "label"})
# Session methods that load objects of the class given as first argument.
_LOAD_BY_CLASS = frozenset({"get", "get_one", "query"})
# Session methods that run a statement and give objects (``scalars``) or a result to take them from.
_LOAD_BY_STATEMENT = frozenset({"scalars", "scalar", "execute", "exec"})  # exec: SQLModel's
# What takes the objects out of a result that holds them (``result.scalar_one_or_none()``).
_RESULT_ACCESSORS = frozenset({"scalars", "scalar", "scalar_one", "scalar_one_or_none", "first", "one",
                               "one_or_none", "all", "unique", "fetchall", "fetchone"})
_EAGER_LOADERS = frozenset({"joinedload", "selectinload", "subqueryload", "immediateload", "contains_eager", "undefer"})
_PATH_LOADERS = _EAGER_LOADERS | frozenset({"defaultload", "lazyload", "noload", "raiseload"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _unawait(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Await):
        node = node.value
    return node


def _load_parts(value: ast.expr) -> Optional[Tuple[str, ast.expr, Tuple[str, ...]]]:
    """``(session name, class expression, eager paths)`` when ``value`` loads ORM objects
    through a session: ``db.get(Tool, id)``, ``db.query(Tool)...first()``,
    ``(await db.execute(select(Tool)...)).scalars().all()``, ``db.scalar(select(Tool)...)``."""
    methods: List[str] = []
    options: List[Arg] = []
    node = _unawait(value)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        receiver = _unawait(node.func.value)
        session = _name_of(receiver)
        args = call_args(node)
        if session is not None and method in _LOAD_BY_CLASS | _LOAD_BY_STATEMENT:
            if any(m in _NOT_OBJECTS for m in methods):
                return None
            if method in _LOAD_BY_CLASS:
                if not args or (method == "query" and len(args) != 1) or args[0].keyword is not None:
                    return None
                first = args[0].value
                if name_id(first) is None and not isinstance(first, ast.Attribute):
                    return None  # ``cache.get("key")``: not a class
                return session, first, _eager_paths(options)
            statement = _select_of(args[0].value if args else None, options)
            if statement is None:
                return None
            return session, statement, _eager_paths(options)
        methods.append(method)
        if method == "options":
            options.extend(args)
        node = receiver
    return None


_ONE_OBJECT = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "scalar", "get"})


def _loads_one(value: ast.expr) -> bool:
    """Whether a load (see :func:`_load_parts`) gives one object, not a list or a result:
    ``db.get(Tool, id)``, ``db.query(Tool)...first()``, ``(await db.execute(...)).scalar_one()``."""
    node = _unawait(value)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _ONE_OBJECT


def _taken_from(value: ast.expr, names: Set[str]) -> Optional[str]:
    """``result`` for ``result.scalars().first()`` when ``result`` holds loaded objects."""
    node = _unawait(value)
    steps = 0
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RESULT_ACCESSORS:
        node = _unawait(node.func.value)
        steps += 1
    if steps and isinstance(node, ast.Name) and node.id in names:
        return node.id
    return None


def _select_of(node: Optional[ast.expr], options: List[Arg]) -> Optional[ast.expr]:
    """The class of ``select(Tool).where(...).options(...)`` (gathering its options)."""
    while isinstance(node, ast.Call):
        args = call_args(node)
        if isinstance(node.func, ast.Attribute):
            if node.func.attr == "options":
                options.extend(args)
            node = node.func.value
            continue
        if dotted(node.func) in ("select", "sqlalchemy.select", "sa.select", "future.select") and len(args) == 1:
            return args[0].value
        return None
    return None


def _eager_paths(options: Sequence[Arg]) -> Tuple[str, ...]:
    """Relationship paths ``.options(selectinload(Tool.gateway).joinedload(Gateway.owner))``
    loads with the rows: ``("gateway", "gateway.owner")``."""
    paths: List[str] = []
    for arg in options:
        steps: List[Tuple[str, Optional[str]]] = []  # (loader, attribute) outermost first
        node: Optional[ast.expr] = arg.value
        while isinstance(node, ast.Call):
            loader = node.func.attr if isinstance(node.func, ast.Attribute) else dotted(node.func)
            loader = (loader or "").rsplit(".", 1)[-1]
            attr = None
            args = call_args(node)
            if args:
                target = args[0].value
                if isinstance(target, ast.Attribute):
                    attr = target.attr
                elif string_value(target) is not None:
                    attr = str(string_value(target))
            steps.append((loader, attr))
            node = node.func.value if isinstance(node.func, ast.Attribute) else None
        prefix: List[str] = []
        for loader, attr in reversed(steps):
            if loader not in _PATH_LOADERS or attr is None:
                break
            prefix.append(attr)
            if loader in _EAGER_LOADERS:
                paths.append(".".join(prefix))
    return tuple(dict.fromkeys(paths))


def _iterates_objects(iterable: ast.expr, names: Set[str]) -> bool:
    if isinstance(iterable, ast.Name):
        return iterable.id in names
    return _load_parts(iterable) is not None


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        value = test.value
        return value is True or (type(value) is int and value != 0)
    return False


def _kwargs_keys(fn: FuncNode, parsed: ParsedModule) -> frozenset:
    """``{"db"}`` for a function whose body (nested functions included, as in a decorator's
    wrapper) reads ``kwargs.get("db")`` or ``kwargs["db"]`` from a ``**kwargs`` parameter."""
    # Without ``**`` in its text no function in it takes ``**kwargs``; with it (``f(**opts)`` is
    # far more common), only a ``def`` or ``lambda`` that does takes the walk over every node.
    text = parsed.segment(fn)
    if b"**" not in text:
        return frozenset()
    if fn.args.kwarg is None and b"lambda" not in text and not any(
            isinstance(stmt, FUNCTION_TYPES) and stmt.args.kwarg is not None for stmt in statements(fn.body)):
        return frozenset()
    names: Set[str] = set()
    keys: Set[Tuple[str, object]] = set()
    for node in preorder(fn):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if node.args.kwarg is not None:
                names.add(node.args.kwarg.arg)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Name):
                args = call_args(node)
                if args and args[0].star == "" and args[0].keyword is None:
                    key = string_value(args[0].value)
                    if key is not None:
                        keys.add((func.value.id, key))
        elif isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name) and not isinstance(node.slice, (ast.Tuple, ast.Slice)):
                key = string_value(node.slice)
                if key is not None:
                    keys.add((node.value.id, key))
    return frozenset(str(key) if not isinstance(key, str) else key for owner, key in keys if owner in names)


def _pattern_names(pattern: ast.pattern) -> List[str]:
    """Names a ``case`` pattern binds, each pattern's own name before those of its parts."""
    names: List[str] = []
    for node in preorder(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name is not None:
            names.append(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest is not None:
            names.append(node.rest)
    return names
