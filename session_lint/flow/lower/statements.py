"""Lowering statements and expressions: control flow to the structure of :mod:`session_lint.flow.ir`,
assignments to bindings, and every expression walked in the order Python evaluates it."""

from __future__ import annotations

import ast
import dataclasses
from typing import List, Optional, Sequence, Tuple, Union

from session_lint.flow import ir
from session_lint.flow.lower.context import FunctionState
from session_lint.flow.lower.names import (
    CHOICES,
    COMPREHENSIONS,
    LEAVES,
    SOURCE_ORDER_FIELDS,
    alternatives,
    always_true,
    at_pos,
    attribute_chain,
    call_label,
    name_of,
    pattern_names,
)
from session_lint.index.bindings import Val, import_bindings
from session_lint.knowledge.catalogue import Kind
from session_lint.knowledge.sqlalchemy import BEGIN_METHOD
from session_lint.source.parsed import FuncNode, call_args, children


class StatementLowering(FunctionState):
    """The statements part of :class:`~session_lint.flow.lower.function.FunctionLowerer`."""

    def block(self, stmts: Sequence[ast.stmt]) -> ir.Block:
        items: List[ir.Node] = []
        at = 0
        while at < len(stmts):
            session = kept_loaded_commit(stmts[at: at + 3])
            if session is None:
                self.statement(stmts[at], items)
                at += 1
                continue
            start = len(items)
            self.statement(stmts[at + 1], items)
            items[start:] = keeping_loaded(items[start:], session)
            at += 3
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
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            kind = self.statement_kind(value)
            if any(kind):
                self.statements[targets[0].id] = kind
            else:
                self.statements.pop(targets[0].id, None)
        factory = self.factory_call(value)
        inner = value.value if isinstance(value, ast.Await) else value
        result = name_of(targets[0]) if len(targets) == 1 and isinstance(inner, ast.Call) and factory is None else None
        if result is not None and "." not in result:
            # ``svc = Service(db)``: the old value of ``svc`` is gone before the new object's
            # attributes are bound (the engine binds ``svc.db`` at the call).
            out.append(ir.Unbind(result))
            self.results[inner] = result  # type: ignore[index]
        else:
            result = None
        if factory is not None:
            assert isinstance(value, ast.Call)
            for arg in call_args(value):
                self.expr(arg.value, out)
        else:
            self.expr(value, out)
        self.results.pop(inner, None)  # type: ignore[arg-type]
        source = name_of(value)
        also: Tuple[str, ...] = ()
        if source is None and type(value) in CHOICES:
            # ``c = conn or fallback``: an alias of whichever it is.
            choices = alternatives(value)
            if choices:
                source, also = choices[0], choices[1:]
        coroutine = self.coroutine_nodes(value, None) if not isinstance(value, ast.Await) else []
        val = self.m.resolver.eval(value, self.env, self.cls)
        if (val is None or val.kind != "inst") and annotation is not None:
            val = self.m.resolver.annotation(annotation, self.env) or val
        for target in targets:
            self.bind_target(target, out, value_val=val, unbind=result is None)
            name = name_of(target)
            if name is None:
                continue
            if factory is not None:
                self.has_explicit = True
                self.session_names.add(name)
                out.append(ir.OpenSession(name, factory.label, self.m.pos(value), factory.is_async, factory.key,
                                          factory.expire_on_commit))
            elif source is not None:
                out.append(ir.Bind(name, source, also))
                if "." not in name and any(n in self.orm_names for n in (source, *also)):
                    self.orm_names.add(name)
            elif "." not in name and len(targets) == 1:
                root, attrs = attribute_chain(value) if isinstance(value, ast.Attribute) else (None, ())
                if root is not None and root in self.orm_names:
                    # ``gateway = tool.gateway``: a related object, if the attribute is a relationship.
                    out.append(ir.Derive(name, root, attrs))
                    self.orm_names.add(name)
                else:
                    self.load(name, value, out)
            if coroutine and "." not in name:
                self.pending[name] = coroutine

    def bind_target(self, target: ast.AST, out: List[ir.Node], value_val: Optional[Val] = None,
                    unbind: bool = True) -> None:
        """A name (or tuple of names) takes a new value."""
        name = name_of(target)
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
            if self.orm_names:
                root, attrs = attribute_chain(target)
                if root is not None and root in self.orm_names:
                    # ``tool.name = ...``: a write the session will flush.
                    out.append(ir.Store(root, attrs, self.m.pos(target)))
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
        infinite = always_true(stmt.test)
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
        at_least_once = isinstance(stmt, ast.For) and never_empty(self, stmt.iter)
        out.append(ir.Loop(ir.Block(tuple(head)), body, orelse, False, at_least_once))

    s_AsyncFor = s_For

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
            for name in pattern_names(case.pattern):
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
                name = name_of(target) if target is not None else None
                if name is not None:
                    self.bind_target(target, enter)  # type: ignore[arg-type]
                    self.has_explicit = True
                    self.session_names.add(name)
                    enter.append(ir.OpenSession(name, factory.label, self.m.pos(expr), factory.is_async or is_async,
                                                factory.key, factory.expire_on_commit))
                    exit_nodes.insert(0, ir.CloseSession(name, stmt_pos))
                continue
            if isinstance(expr, ast.Call):
                kind, qual, callee = self.classify_call(expr)
                self.call_parts(expr, enter)
                receiver = name_of(expr.func.value) if isinstance(expr.func, ast.Attribute) else None
                if receiver is not None and expr.func.attr == BEGIN_METHOD:  # type: ignore[attr-defined]
                    # ``with db.begin():`` commits (or rolls back) when the block ends.
                    exit_nodes.insert(0, ir.Use(receiver, "commit", stmt_pos))
                if is_async and kind in (Kind.CONTEXT, Kind.AWAIT):
                    enter.append(ir.Sink(qual or call_label(expr.func), stmt_pos, blocking=False))
                elif not is_async and kind is Kind.BLOCKING:
                    enter.append(ir.Sink(qual or call_label(expr.func), self.m.pos(expr), blocking=True))
                elif kind is Kind.TASK_GROUP and target is not None and isinstance(target, ast.Name):
                    groups.append(target.id)
                elif callee is not None and callee.key is not None:
                    entered = name_of(target) if target is not None else None
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
                exit_nodes.append(at_pos(node, stmt_pos))
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
        if kind is ast.Constant or kind in LEAVES:
            return
        if kind is ast.Call:
            self.call(node, out)  # type: ignore[arg-type]
            return
        if kind is ast.Attribute:
            if self.orm_names:
                root, attrs = attribute_chain(node)  # type: ignore[arg-type]
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
        if self.orm_names and kind in COMPREHENSIONS:
            if self.comprehension(node, out):
                return
        if kind is ast.Yield:
            inner = node.value  # type: ignore[attr-defined]
            self.expr(inner, out)
            out.append(ir.Yield(name_of(inner) if inner is not None else None, self.m.pos(node)))
            return
        if kind is ast.YieldFrom:
            self.expr(node.value, out)  # type: ignore[attr-defined]
            out.append(ir.Yield(None, self.m.pos(node)))
            return
        fields = SOURCE_ORDER_FIELDS.get(kind)
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


def keeping_loaded(items: List[ir.Node], session: str) -> List[ir.Node]:
    """The events of a commit of ``session`` written between ``expire_on_commit = False`` and
    ``= True`` (what a release that keeps loaded objects readable writes)."""
    return [dataclasses.replace(n, keeps_loaded=True) if isinstance(n, ir.Use) and n.method == "commit"
            and n.name == session else n for n in items]


def kept_loaded_commit(stmts: Sequence[ast.stmt]) -> Optional[str]:
    """The session of ``s.expire_on_commit = False``, ``s.commit()`` (or ``await s.commit()``),
    ``s.expire_on_commit = True`` when ``stmts`` are those three statements; else None."""
    if len(stmts) != 3:
        return None
    first, middle, last = stmts
    off, on = _expire_setting(first), _expire_setting(last)
    if off is None or on is None or off[1] is not False or on[1] is not True or off[0] != on[0]:
        return None
    if not isinstance(middle, ast.Expr):
        return None
    call = middle.value.value if isinstance(middle.value, ast.Await) else middle.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "commit"
            and name_of(call.func.value) == off[0] and not call.args and not call.keywords):
        return None
    return off[0]


def _expire_setting(stmt: ast.stmt) -> Optional[Tuple[str, object]]:
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Constant)):
        return None
    target = stmt.targets[0]
    if not (isinstance(target, ast.Attribute) and target.attr == "expire_on_commit"):
        return None
    name = name_of(target.value)
    return (name, stmt.value.value) if name else None


def never_empty(lowering: FunctionState, iterable: ast.expr) -> bool:
    """Whether iterating ``iterable`` gives at least one element: a literal list or tuple
    with elements, or ``range(n)``/``range(a, b)`` over integers this module states (a
    literal, or a module-level name bound once to one, as retry loops use)."""
    if isinstance(iterable, (ast.List, ast.Tuple)):
        return bool(iterable.elts) and not any(isinstance(e, ast.Starred) for e in iterable.elts)
    if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range"):
        return False
    if iterable.keywords or "range" in lowering.env or "range" in lowering.m.scan.globals or "range" in lowering.m.scan.imports \
            or "range" in lowering.m.scan.functions:
        return False
    bounds = [_known_int(lowering, arg) for arg in iterable.args]
    if None in bounds or not 1 <= len(bounds) <= 2:
        return False
    start, stop = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
    return start < stop  # type: ignore[operator]

def _known_int(lowering: FunctionState, node: ast.expr) -> Optional[int]:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name) and node.id not in lowering.env and node.id not in lowering.locals:
        return lowering.m.scan.int_constants.get(node.id)
    return None
