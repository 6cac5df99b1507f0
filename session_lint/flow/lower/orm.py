"""Lowering what loads ORM objects (SL201): ``tool = db.get(Tool, id)``, queries, results kept
and read later, loops and comprehensions over them, objects added to a session, and what a
project function annotated to return a mapped class gives back."""

from __future__ import annotations

import ast
from typing import List, Optional, Sequence, Set, Tuple

from session_lint.flow import ir
from session_lint.flow.lower.context import FunctionState
from session_lint.flow.lower.names import call_label, call_root, name_args, name_of, unawait
from session_lint.knowledge.catalogue import is_non_user
from session_lint.knowledge.python import VALUE_TYPES
from session_lint.index.bindings import Val
from session_lint.knowledge.sqlalchemy import (
    EAGER_LOADERS,
    LOAD_BY_CLASS,
    LOAD_BY_STATEMENT,
    NOT_OBJECTS,
    ONE_OBJECT,
    OPTIONS_METHOD,
    PATH_LOADERS,
    RESULT_ACCESSORS,
    SELECT_FUNCTIONS,
)
from session_lint.source.parsed import Arg, call_args, dotted, name_id, string_value


class OrmLowering(FunctionState):
    """The ORM part of :class:`~session_lint.flow.lower.function.FunctionLowerer`."""

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
        key = val.qual if val is not None and val.kind == "ref" else call_label(model)
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
        call = unawait(value)
        if not isinstance(call, ast.Call):
            return
        returned = self.m.resolver.eval(call, self.env, self.cls)
        if returned is None:
            self.maybe_objects(name, call, out)
            return
        if returned.kind != "inst" or returned.qual in VALUE_TYPES:
            return
        via = tuple(dict.fromkeys(n for _where, n in name_args(call)))
        via_self = isinstance(call.func, ast.Attribute) and name_of(call.func.value) in ("self", "cls")
        if not via and not via_self:
            return
        out.append(ir.Load(name, "", returned.qual, (), self.m.pos(value), via, via_self=via_self))
        self.orm_names.add(name)

    def maybe_objects(self, name: str, call: ast.Call, out: List[ir.Node]) -> None:
        """``tool = crud.get_tool(db, id)``, ``rows = db.execute(text(...)).all()``: a call whose
        result cannot be told, handed (or made on) a parameter, a session the function made, or
        objects it loaded, may give objects of a session; the engine keeps them if so."""
        if is_non_user(self.m.resolver.qual_of(call.func, self.env, self.cls)) or _gives_values(call):
            return
        names = [n for _where, n in name_args(call)]
        root = call_root(call)
        if root is not None:
            names.append(root)
        candidates = tuple(dict.fromkeys(
            n for n in names if n in self.orm_names or n in self.session_names))
        if candidates:
            out.append(ir.Load(name, "", "", (), self.m.pos(call), candidates, speculative=True))
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



def _load_parts(value: ast.expr) -> Optional[Tuple[str, ast.expr, Tuple[str, ...]]]:
    """``(session name, class expression, eager paths)`` when ``value`` loads ORM objects
    through a session: ``db.get(Tool, id)``, ``db.query(Tool)...first()``,
    ``(await db.execute(select(Tool)...)).scalars().all()``, ``db.scalar(select(Tool)...)``."""
    methods: List[str] = []
    options: List[Arg] = []
    node = unawait(value)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        receiver = unawait(node.func.value)
        session = name_of(receiver)
        args = call_args(node)
        if session is not None and method in LOAD_BY_CLASS | LOAD_BY_STATEMENT:
            if any(m in NOT_OBJECTS for m in methods):
                return None
            if method in LOAD_BY_CLASS:
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
        if method == OPTIONS_METHOD:
            options.extend(args)
        node = receiver
    return None


def _loads_one(value: ast.expr) -> bool:
    """Whether a load (see :func:`_load_parts`) gives one object, not a list or a result:
    ``db.get(Tool, id)``, ``db.query(Tool)...first()``, ``(await db.execute(...)).scalar_one()``."""
    node = unawait(value)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ONE_OBJECT


def _taken_from(value: ast.expr, names: Set[str]) -> Optional[str]:
    """``result`` for ``result.scalars().first()`` when ``result`` holds loaded objects."""
    node = unawait(value)
    steps = 0
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RESULT_ACCESSORS:
        node = unawait(node.func.value)
        steps += 1
    if steps and isinstance(node, ast.Name) and node.id in names:
        return node.id
    return None


def _select_of(node: Optional[ast.expr], options: List[Arg]) -> Optional[ast.expr]:
    """The class of ``select(Tool).where(...).options(...)`` (gathering its options)."""
    while isinstance(node, ast.Call):
        args = call_args(node)
        if isinstance(node.func, ast.Attribute):
            if node.func.attr == OPTIONS_METHOD:
                options.extend(args)
            node = node.func.value
            continue
        if dotted(node.func) in SELECT_FUNCTIONS and len(args) == 1:
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
            if loader not in PATH_LOADERS or attr is None:
                break
            prefix.append(attr)
            if loader in EAGER_LOADERS:
                paths.append(".".join(prefix))
    return tuple(dict.fromkeys(paths))


def _gives_values(call: ast.Call) -> bool:
    """Whether a chain of method calls ends in, or passes through, a method whose result is a
    plain value (``db.query(Tool).count()``)."""
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in NOT_OBJECTS:
            return True
        node = unawait(node.func.value)
    return False


def _iterates_objects(iterable: ast.expr, names: Set[str]) -> bool:
    if isinstance(iterable, ast.Name):
        return iterable.id in names
    return _load_parts(iterable) is not None
