"""Lowering calls: what a call is (a sink, a wrapper of awaitables, a thread, a task, a session
factory, a project function, something unknown that receives names) and the events it becomes."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from session_lint.flow import ir
from session_lint.flow.lower.context import FunctionState
from session_lint.flow.lower.names import (
    CHOICES,
    alternatives,
    at_pos,
    call_label,
    call_root,
    constructs,
    made_args,
    made_name,
    name_args,
    name_of,
    receiver_of,
)
from session_lint.index.bindings import Val
from session_lint.knowledge.catalogue import CLASSES, Kind, canonical, is_network_client, is_non_user, keeps_session
from session_lint.knowledge.python import PARTIAL
from session_lint.knowledge.sqlalchemy import (
    ADD_METHOD,
    BEGIN_METHOD,
    EXPUNGING_METHODS,
    REFRESH_METHOD,
    SESSION_CLASSES,
    LOCKING_METHODS,
    STATEMENT_METHODS,
    WRITE_METHODS,
    expire_on_commit,
    is_dml,
    isolation_set,
    locks_by_keyword,
    locks_rows,
)
from session_lint.source.parsed import Arg, call_args, name_id, preorder


@dataclass(frozen=True)
class FactoryCall:
    """A call that makes a session: the factory as written, whether it makes an ``AsyncSession``,
    its global key when it can be named (for its settings), and ``expire_on_commit=`` when the
    call sets it."""

    label: str
    is_async: bool
    key: Optional[str]
    expire_on_commit: Optional[bool]


@dataclass
class Callee:
    key: Optional[str]
    bound: bool




class CallLowering(FunctionState):
    """The calls part of :class:`~session_lint.flow.lower.function.FunctionLowerer`."""

    def statement_kind(self, statement: ast.AST) -> Tuple[bool, bool]:
        """Whether a SQL statement locks rows and whether it writes: written out, or a name bound
        to one, refined by method calls (``stmt.where(...)``)."""
        root = statement
        while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
            root = root.func.value
        known = self.statements.get(root.id, (False, False)) if isinstance(root, ast.Name) else (False, False)
        return known[0] or locks_rows(statement), known[1] or is_dml(statement)

    def call_parts(self, node: ast.Call, out: List[ir.Node], awaited: bool = False) -> None:
        """The events of evaluating a call's function and arguments, then the method use."""
        func = node.func
        if isinstance(func, ast.Attribute):
            self.expr(func.value, out)
        else:
            self.expr(func, out)
        args = call_args(node)
        for arg in args:
            if isinstance(arg.value, ast.Call) and constructs(arg.value):
                self.results[arg.value] = made_name(arg.value)
            self.expr(arg.value, out)
        if isinstance(func, ast.Attribute):
            receiver = name_of(func.value)
            statement = args[0].value if args and func.attr in STATEMENT_METHODS else None
            locks, dml = self.statement_kind(statement) if statement is not None else (False, False)
            locks = locks or locks_by_keyword(node)
            writes = func.attr in WRITE_METHODS or dml
            isolation = isolation_set(node)
            if receiver is None and type(func.value) in CHOICES:
                # ``(conn or db).execute()``: whichever of them it is, it is used.
                for name in alternatives(func.value):
                    out.append(ir.Use(name, func.attr, self.m.pos(node), awaited, writes, locks, isolation))
            if receiver is None and func.attr in LOCKING_METHODS:
                # ``db.query(Tool).with_for_update().first()``: the session's query locks its rows.
                root = call_root(node)
                if root is not None:
                    out.append(ir.Use(root, func.attr, self.m.pos(node), awaited, locks=True))
            if receiver is not None:
                out.append(ir.Use(receiver, func.attr, self.m.pos(node), awaited, writes, locks, isolation))
                if receiver in self.orm_names:
                    # ``tool.describe()``: the method reads what its body reads from self.
                    out.append(ir.Touch(receiver, (func.attr,), self.m.pos(func)))
                target = args[0].value if args else None
                if func.attr == ADD_METHOD and isinstance(target, ast.Name):
                    self.added(target.id, receiver, out, self.m.pos(node))
                elif isinstance(target, ast.Name) and target.id in self.orm_names:
                    if func.attr == REFRESH_METHOD:
                        out.append(ir.Refresh(target.id, receiver))
                    elif func.attr in EXPUNGING_METHODS:
                        out.append(ir.Expunge(target.id, receiver, func.attr + "d", self.m.pos(node)))
        elif self.orm_names and isinstance(func, ast.Name) and func.id in ("getattr", "hasattr"):
            self.dynamic_read(node, out)

    def call(self, node: ast.Call, out: List[ir.Node]) -> None:
        kind, qual, callee = self.classify_call(node)
        self.call_parts(node, out)
        pos = self.m.pos(node)
        if kind is Kind.BLOCKING:
            out.append(ir.Sink(qual or call_label(node.func), pos, blocking=True))
            return
        if kind is Kind.TASK:
            # ``create_task(f(db))``: the session is used by a task while this function goes on.
            self.share(node, pos, out)
        if kind is Kind.TASK and isinstance(node.func, ast.Attribute):
            group = name_of(node.func.value)
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
            self.call_parts(inner, out, awaited=True)
            if kind in (Kind.AWAIT, Kind.CONTEXT):
                out.append(ir.Sink(qual or call_label(inner.func), pos, blocking=False))
            elif kind in (Kind.WRAPPER, Kind.TASK):
                if len(call_args(inner)) > 1:
                    self.share(inner, pos, out)  # ``gather(a(db), b(db))`` runs them at the same time
                for arg in call_args(inner):
                    out.extend(self.coroutine_nodes(arg.value, pos))
            elif kind is Kind.THREAD:
                out.extend(self.thread_nodes(inner, qual or "", pos))
            elif kind is Kind.BLOCKING:
                out.append(ir.Sink(qual or call_label(inner.func), pos, blocking=True))
            elif callee is not None and callee.key is not None:
                out.append(self.call_event(inner, callee, awaited=True, pos=pos))
            elif kind is not Kind.NOT_SINK:
                self.passing_call(inner, out, awaited=True, qual=qual, pos=pos)
            return
        self.expr(inner, out)
        out.extend(self.coroutine_nodes(inner, pos))

    def share(self, node: ast.Call, pos: ir.Pos, out: List[ir.Node]) -> None:
        """The names handed to the coroutines ``node`` runs concurrently."""
        names = {name for arg in call_args(node) if isinstance(arg.value, ast.Call)
                 for _where, name in name_args(arg.value)}
        out.extend(ir.Share(name, pos) for name in sorted(names))

    def passing_call(self, node: ast.Call, out: List[ir.Node], awaited: bool, qual: Optional[str] = None, pos: Optional[ir.Pos] = None) -> None:
        """A call we cannot follow: it still matters if it receives a session."""
        args = name_args(node) + made_args(node)
        if is_non_user(qual):
            return
        if args or awaited:
            receiver = receiver_of(node.func)
            keeps = keeps_session(qual)
            out.append(ir.Call(None, call_label(node.func), args, awaited, pos or self.m.pos(node), receiver=receiver,
                               result=self.results.get(node), quiet=self._quiet(qual, node),
                               constructs=constructs(node) or keeps, keeps=keeps))

    def call_event(self, node: ast.Call, callee: Callee, awaited: bool, pos: Optional[ir.Pos] = None, threaded: bool = False) -> ir.Call:
        receiver = receiver_of(node.func)
        result = self.results.get(node)
        qual = canonical(callee.key) if callee.key else None
        args = name_args(node) + made_args(node)
        functions = tuple((where, key) for where, key in ((where, self.function_named(name)) for where, name in args)
                          if key is not None)
        keeps = keeps_session(qual)
        return ir.Call(callee.key, call_label(node.func), args, awaited, pos or self.m.pos(node), threaded,
                       receiver, result, quiet=self._quiet(qual, node), functions=functions, constructs=keeps,
                       keeps=keeps)

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
        return self.m.sinks.kind([qual or "", call_label(node.func)]) is Kind.NOT_SINK

    # ------------------------------------------------------------ what a call is

    def classify_call(self, node: ast.Call) -> Tuple[Optional[Kind], Optional[str], Optional[Callee]]:
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
        text = call_label(func)
        kind = self.m.sinks.kind([qual or "", text])
        return kind, qual, callee

    def resolve_callee(self, func: ast.expr, func_val: Optional[Val], base: Optional[Val] = None,
                       base_known: bool = False) -> Optional[Callee]:
        """The global key of the project function ``func`` names, if it may be one. Keys of
        other modules are only candidates: the oracle decides whether they exist. ``base``: what
        the expression before the dot of an attribute ``func`` evaluates to, when ``base_known``."""
        name = name_id(func)
        if name is not None:
            if name in self.defs and self.env.get(name) is None:
                return Callee(self.defs[name], False)
            if self.env.get(name) is None and name not in self.env:
                if name in self.m.scan.functions:
                    return Callee(self.m.prefix + name, False)
                if name in self.m.scan.classes:
                    info = self.m.scan.classes[name]
                    init = self.m.method_key(info, "__init__")
                    return Callee(init, True) if init else Callee(None, False)
        if isinstance(func, ast.Attribute):
            if not base_known:
                base = self.m.resolver.eval(func.value, self.env, self.cls)
            if base is not None and base.kind in ("inst", "ref"):
                info = self.m.resolver.local_class(base.qual)
                if info is not None:
                    key = self.m.method_key(info, func.attr)
                    if key is not None:
                        return Callee(key, base.kind == "inst")
                    return None
        if func_val is not None and func_val.kind == "ref" and "." in func_val.qual:
            if self.m.resolver.local_name(func_val.qual) is None:
                return Callee(func_val.qual, False)
        return None

    def factory_call(self, node: ast.AST) -> Optional[FactoryCall]:
        """What ``node`` calls, if it creates a session: a configured factory, a
        ``sessionmaker``, ``Session(engine)``, ``factory.begin()``."""
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == BEGIN_METHOD:
            inner = self.m.resolver.eval(func.value, self.env, self.cls)
            if inner is not None and inner.kind == "factory":
                return FactoryCall(call_label(func), inner.is_async, self.factory_key(func.value, inner), None)
            # ``SessionLocal().begin()`` is still a fresh session
            if isinstance(func.value, ast.Call):
                return self.factory_call(func.value)
            return None
        val = self.m.resolver.eval(func, self.env, self.cls)
        if isinstance(func, ast.Attribute) and func.attr in self.m.settings.session_factories and (
                val is None or (val.kind == "ref" and not is_network_client(val.qual))):
            # ``db.session_context()`` on an object of unknown type: a configured factory name
            # is one on whatever holds it.
            return FactoryCall(call_label(func), "async" in func.attr.lower(), None, expire_on_commit(node, default=None))
        if val is None:
            return None
        if val.kind == "factory":
            is_async = val.is_async or "async" in val.qual.lower()
            return FactoryCall(call_label(func), is_async, self.factory_key(func, val), expire_on_commit(node, default=None))
        if val.kind == "ref" and val.qual in SESSION_CLASSES:
            return FactoryCall(call_label(func), "Async" in val.qual, None, expire_on_commit(node))
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

    def coroutine_nodes(self, node: Optional[ast.AST], pos: Optional[ir.Pos]) -> List[ir.Node]:
        """What awaiting the awaitable ``node`` evaluates to runs (before it is awaited, with
        ``pos`` left for the caller to fill in)."""
        if node is None:
            return []
        at = pos or ir.Pos(0, 0)
        if isinstance(node, ast.Name):
            return [at_pos(n, at) for n in self.pending.get(node.id, [])]
        if isinstance(node, ast.Call):
            kind, qual, callee = self.classify_call(node)
            if kind in (Kind.AWAIT, Kind.CONTEXT):
                return [ir.Sink(qual or call_label(node.func), at, blocking=False)]
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
            if inner is not None and inner.qual == PARTIAL and args:
                return self.function_in_thread(args[0].value, args[1:], pos)
            return []
        if isinstance(fn, ast.Lambda):
            nodes: List[ir.Node] = []
            for call in preorder(fn.body):
                if not isinstance(call, ast.Call):
                    continue
                kind, qual, callee = self.classify_call(call)
                if kind is Kind.BLOCKING:
                    nodes.append(ir.Sink(qual or call_label(call.func), pos, blocking=False))
                elif callee is not None and callee.key is not None:
                    nodes.append(ir.Call(callee.key, call_label(call.func), name_args(call), True, pos, threaded=True))
            return nodes
        val = self.m.resolver.eval(fn, self.env, self.cls)
        qual = canonical(val.qual) if val is not None and val.kind == "ref" else None
        kind = self.m.sinks.kind([qual or "", call_label(fn)])
        if kind is Kind.BLOCKING:
            return [ir.Sink(qual or call_label(fn), pos, blocking=False)]
        callee = self.resolve_callee(fn, val)
        if callee is not None and callee.key is not None:
            args = tuple((i, n) for i, n in ((i, name_of(a.value)) for i, a in enumerate(rest)) if n is not None)
            return [ir.Call(callee.key, call_label(fn), args, True, pos, threaded=True)]
        return []

    def iteration_nodes(self, iterable: ast.expr, pos: ir.Pos) -> List[ir.Node]:
        """What each step of ``async for ... in iterable`` waits on."""
        if isinstance(iterable, ast.Call):
            kind, qual, callee = self.classify_call(iterable)
            if kind in (Kind.ITERATE, Kind.AWAIT):
                return [ir.Sink(qual or call_label(iterable.func), pos, blocking=False)]
            if callee is not None and callee.key is not None:
                return [self.call_event(iterable, callee, awaited=True, pos=pos)]
            return []
        val = self.m.resolver.eval(iterable, self.env, self.cls)
        if val is not None and val.kind == "ref":
            if self.m.sinks.kind([canonical(val.qual)]) is Kind.ITERATE:
                return [ir.Sink(canonical(val.qual), pos, blocking=False)]
        return []
