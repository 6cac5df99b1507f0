"""What the front end reads off expressions whatever they mean: names, labels, call arguments,
the parts of a statement in source order."""

from __future__ import annotations

import ast
import dataclasses
from typing import List, Optional, Sequence, Set, Tuple, Union

from session_lint.flow import ir
from session_lint.source.parsed import FUNCTION_TYPES, FuncNode, ParsedModule, call_args, dotted, name_id, preorder, statements, string_value


# Nodes with nothing below them that can matter: operators and load/store markers.
LEAVES = frozenset({ast.Load, ast.Store, ast.Del, *ast.operator.__subclasses__(), *ast.boolop.__subclasses__(),
                     *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__()})


# Expressions whose fields ``ast`` lists in source order, and those fields.
SOURCE_ORDER_FIELDS = {
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


def params_of(args: ast.arguments) -> List[ast.arg]:
    out = [*args.posonlyargs, *args.args]
    if args.vararg is not None:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg is not None:
        out.append(args.kwarg)
    return out


def is_static(node: FuncNode) -> bool:
    return any(dotted(d) == "staticmethod" for d in node.decorator_list)


def name_of(node: Optional[ast.AST]) -> Optional[str]:
    """``db`` or ``self.db`` (a name the engine can track), else None."""
    name = name_id(node)
    if name is not None:
        return name
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        return f"{node.value.id}.{node.attr}"
    return None


def call_label(node: ast.AST) -> str:
    text = dotted(node)
    if text is not None:
        return text
    if isinstance(node, ast.Attribute):
        return f"{call_label(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{call_label(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{call_label(node.value)}[]"
    if isinstance(node, ast.BoolOp):
        joiner = " or " if isinstance(node.op, ast.Or) else " and "
        return f"({joiner.join(call_label(value) for value in node.values)})"
    if isinstance(node, ast.IfExp):
        return f"({call_label(node.body)} if ... else {call_label(node.orelse)})"
    return "<expression>"


def receiver_of(func: ast.expr) -> Optional[str]:
    """The name a method is called on (``db`` of ``db.execute``); for ``(conn or db).execute``,
    the first of the names it may be (all are used, see ``call_parts``)."""
    if not isinstance(func, ast.Attribute):
        return None
    name = name_of(func.value)
    if name is None and type(func.value) in CHOICES:
        choices = alternatives(func.value)
        return choices[0] if choices else None
    return name


def name_args(node: ast.Call) -> Tuple[Tuple[Union[int, str], str], ...]:
    out: List[Tuple[Union[int, str], str]] = []
    index = 0
    for arg in call_args(node):
        name = name_of(arg.value)
        names = (name,) if name is not None else alternatives(arg.value) if type(arg.value) in CHOICES else ()
        if arg.keyword is not None:
            out.extend((arg.keyword, name) for name in names)
        elif arg.star == "":
            out.extend((index, name) for name in names)
            index += 1
    return tuple(out)


def constructs(call: ast.Call) -> bool:
    """Whether a call makes an object of a class (a class is told from a function by its
    capitalised name, ``AuthService(db)``): the object may keep what it was handed."""
    return call_label(call.func).rsplit(".", 1)[-1][:1].isupper()


def made_name(call: ast.Call) -> str:
    """The name the engine knows an object by that a constructor call made as an argument of
    another call (``Storage(db)`` in ``Manager(storage=Storage(db))``): no variable holds it."""
    return f"<{call.lineno}:{call.col_offset}>"


def made_args(node: ast.Call) -> Tuple[Tuple[Union[int, str], str], ...]:
    """The arguments of ``node`` that are constructor calls, named as :func:`made_name` names
    them, placed as :func:`name_args` places arguments."""
    out: List[Tuple[Union[int, str], str]] = []
    index = 0
    for arg in call_args(node):
        if isinstance(arg.value, ast.Call) and constructs(arg.value):
            out.append((arg.keyword if arg.keyword is not None else index, made_name(arg.value)))
        if arg.keyword is None and arg.star == "":
            index += 1
    return tuple(out)


# Expressions whose value is one of several others'.
CHOICES = (ast.BoolOp, ast.IfExp)


def alternatives(node: ast.AST) -> Tuple[str, ...]:
    """The names (as :func:`name_of` gives them) whose value ``node`` may have: ``conn`` and
    ``db`` for ``conn or db`` and for ``conn if conn is not None else db``."""
    name = name_of(node)
    if name is not None:
        return (name,)
    if isinstance(node, ast.BoolOp):
        parts: Sequence[ast.AST] = node.values
    elif isinstance(node, ast.IfExp):
        parts = (node.body, node.orelse)
    else:
        return ()
    return tuple(dict.fromkeys(found for part in parts for found in alternatives(part)))


def at_pos(node: ir.Node, pos: ir.Pos) -> ir.Node:
    if isinstance(node, ir.Sink):
        return ir.Sink(node.qualname, pos, node.blocking)
    if isinstance(node, ir.Call):
        # Awaited elsewhere than made: the result it was bound to is not the call's any more.
        return dataclasses.replace(node, pos=pos, result=None)
    return node


def attribute_chain(node: ast.Attribute) -> Tuple[Optional[str], Tuple[str, ...]]:
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
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)




def call_root(call: ast.Call) -> Optional[str]:
    """The name a chain of calls, attributes and subscripts is made on (``db`` of
    ``db.execute(q).scalars().all()``), if it is one."""
    node: ast.AST = call.func
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            named = name_of(node)
            if named is not None:
                return named  # ``self.db``
            node = node.value
        elif isinstance(node, ast.Await):
            node = node.value
        else:
            break
    return name_of(node) if node is not call.func else None


def unawait(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Await):
        node = node.value
    return node


def always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        value = test.value
        return value is True or (type(value) is int and value != 0)
    return False


def kwargs_of(fn: FuncNode, parsed: ParsedModule) -> frozenset:
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


def pattern_names(pattern: ast.pattern) -> List[str]:
    """Names a ``case`` pattern binds, each pattern's own name before those of its parts."""
    names: List[str] = []
    for node in preorder(pattern):
        if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name is not None:
            names.append(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest is not None:
            names.append(node.rest)
    return names
