"""A module as the front end reads it: the stdlib ``ast`` tree, and what ``ast`` leaves out that
the analysis needs (positions in characters, source order, the text a node spans).

The front end parses with ``ast``, not libcst: on the gateway's 10 MB of source ``ast.parse`` is
about ten times faster than ``libcst.parse_module`` and a hundred times faster than libcst with
position metadata. libcst is kept for ``fix``, which must reproduce every byte.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from typing import Iterator, List, NamedTuple, Optional, Set, Union

from session_lint.flow import ir

FuncNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)

# The parser's own line ends: ``str.splitlines`` would also split on form feeds and the like.
_LINE_END = re.compile(rb"\r\n|\r|\n")
_NON_ASCII = re.compile(rb"[\x80-\xff]+")

# ``True``, ``False`` and ``None`` are names in libcst and in what users write, constants in ast.
_KEYWORD_CONSTANTS = {True: "True", False: "False", None: "None"}


def name_id(node: Optional[ast.AST]) -> Optional[str]:
    """The name ``node`` is (``True``/``False``/``None`` included), else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or value is True or value is False:
            return _KEYWORD_CONSTANTS[value]
    return None


def dotted(node: Optional[ast.AST]) -> Optional[str]:
    """``a.b.c`` for a chain of names and attributes, else ``None``."""
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return name_id(node)


def string_value(node: Optional[ast.AST]) -> Optional[Union[str, bytes]]:
    """The value of a string (or bytes) literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value
    return None


def is_none(node: Optional[ast.AST]) -> bool:
    """Whether ``node`` is the literal ``None``."""
    return isinstance(node, ast.Constant) and node.value is None


def subscript_elements(node: ast.Subscript) -> List[ast.expr]:
    """``X[a, b]`` -> ``[a, b]``; ``X[a]`` -> ``[a]``."""
    index = node.slice
    return list(index.elts) if isinstance(index, ast.Tuple) else [index]


class Arg(NamedTuple):
    """One argument of a call as written: ``keyword`` is None for positional ones (``*x`` and
    ``**x`` included), ``star`` is ``""``, ``"*"`` or ``"**"``."""

    keyword: Optional[str]
    star: str
    value: ast.expr


def call_args(call: ast.Call) -> List[Arg]:
    """The arguments of ``call`` in source order (``ast`` keeps positional and keyword ones in
    separate lists; ``f(k=1, *rest)`` interleaves them)."""
    out = [Arg(None, "*", a.value) if isinstance(a, ast.Starred) else Arg(None, "", a) for a in call.args]
    keywords = [Arg(k.arg, "" if k.arg is not None else "**", k.value) for k in call.keywords]
    if not keywords:
        return out
    if not out:
        return keywords
    merged = out + keywords
    merged.sort(key=lambda a: (a.value.lineno, a.value.col_offset))
    return merged


def positional_params(args: ast.arguments) -> List[ast.arg]:
    """Parameters that can be named at a call, in order (no ``*args``/``**kwargs``)."""
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def param_default(args: ast.arguments, param: ast.arg) -> Optional[ast.expr]:
    """The default value of ``param`` (``ast`` keeps defaults apart from parameters)."""
    positional = [*args.posonlyargs, *args.args]
    for index, candidate in enumerate(positional):
        if candidate is param:
            offset = index - (len(positional) - len(args.defaults))
            return args.defaults[offset] if offset >= 0 else None
    for index, candidate in enumerate(args.kwonlyargs):
        if candidate is param:
            return args.kw_defaults[index]
    return None


def statements(body: List[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in ``body`` and the blocks nested in it (nested functions and classes
    too), in source order. Cheaper than a walk over every node, for what only statements bind."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        nested: List[ast.stmt] = []
        for block in statement_blocks(stmt):
            nested.extend(block)
        stack.extend(reversed(nested))


def statement_blocks(stmt: ast.stmt) -> List[List[ast.stmt]]:
    """The statement lists directly inside ``stmt`` (a function's or class's body included)."""
    if isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While)):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (ast.With, ast.AsyncWith, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.body]
    if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
    if isinstance(stmt, ast.Match):
        return [case.body for case in stmt.cases]
    return []


def returned_values(fn: ast.AST) -> Optional[List[ast.expr]]:
    """What the ``return`` statements of ``fn`` itself give (``return None`` aside; nested
    functions and classes return their own), in source order. None for a generator, whose call
    gives a generator whatever it returns."""
    values: List[ast.expr] = []
    stack: List[ast.stmt] = list(reversed(fn.body))  # type: ignore[attr-defined]
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        value = getattr(stmt, "value", None)
        if isinstance(value, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(stmt, ast.Return) and value is not None and not (
                isinstance(value, ast.Constant) and value.value is None):
            values.append(value)
        for block in reversed(statement_blocks(stmt)):
            stack.extend(reversed(block))
    return values


def children(node: ast.AST) -> List[ast.AST]:
    """The child nodes of ``node`` in source order (``ast`` lists a dict's keys before its
    values, a conditional's test before its body, a function's body before its decorators)."""
    if isinstance(node, ast.Dict):
        out: List[ast.AST] = []
        for key, value in zip(node.keys, node.values):
            if key is not None:
                out.append(key)
            out.append(value)
        return out
    if isinstance(node, ast.IfExp):
        return [node.body, node.test, node.orelse]
    if isinstance(node, ast.Call):
        return [node.func, *(a.value for a in call_args(node))]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        rest = [c for c in child_nodes(node) if c not in node.decorator_list]
        return [*node.decorator_list, *rest]
    return child_nodes(node)


def child_nodes(node: ast.AST) -> List[ast.AST]:
    """What ``ast.iter_child_nodes`` gives, as a list and without a generator per node (the
    front end and the depth guard ask for the children of most nodes of every module)."""
    out: List[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif type(value) is list:
            out.extend(item for item in value if isinstance(item, ast.AST))
    return out


def preorder(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and everything below it, parents first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def encoding_of(data: Union[bytes, str]) -> str:
    """The source encoding, as the parser decides it (a BOM or a coding cookie)."""
    if isinstance(data, str):
        return "utf-8"
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:
        return "utf-8"


class ParsedModule:
    """One parsed module and the means to place its nodes in the source.

    ``ast`` columns are UTF-8 byte offsets; the tool reports character columns (what editors and
    libcst show), so lines with non-ASCII text are converted, and only those.
    """

    def __init__(self, tree: ast.Module, data: Union[bytes, str], encoding: str) -> None:
        self.tree = tree
        self.encoding = encoding
        if isinstance(data, str):
            text = data
        else:
            text = data.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        self.ascii = text.isascii()
        self._utf8 = text.encode("utf-8", "surrogatepass")
        self._line_starts: Optional[List[int]] = None
        self._non_ascii: Optional[Set[int]] = None

    # ------------------------------------------------------------ positions

    def pos(self, node: ast.AST) -> ir.Pos:
        line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        end_line, end_col = node.end_lineno or line, node.end_col_offset or 0  # type: ignore[attr-defined]
        if self.ascii:
            return ir.Pos(line, col, end_line, end_col)
        return ir.Pos(line, self.column(line, col), end_line, self.column(end_line, end_col))

    def column(self, line: int, byte_col: int) -> int:
        """The character column of UTF-8 byte offset ``byte_col`` on ``line``."""
        if self.ascii or line not in self.non_ascii_lines():
            return byte_col
        return len(self.line_bytes(line)[:byte_col].decode("utf-8", errors="replace"))

    def non_ascii_lines(self) -> Set[int]:
        if self._non_ascii is None:
            starts = self.line_starts()
            self._non_ascii = {bisect.bisect_right(starts, m.start()) for m in _NON_ASCII.finditer(self._utf8)}
        return self._non_ascii

    def line_bytes(self, line: int) -> bytes:
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            return b""
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self._utf8)
        return self._utf8[start:end]

    def line_starts(self) -> List[int]:
        if self._line_starts is None:
            starts = [0]
            starts.extend(m.end() for m in _LINE_END.finditer(self._utf8))
            self._line_starts = starts
        return self._line_starts

    def offset(self, line: int, byte_col: int) -> int:
        """The offset in the UTF-8 source of ``(line, byte_col)`` as ``ast`` gives them."""
        starts = self.line_starts()
        if line - 1 >= len(starts):
            return len(self._utf8)
        return starts[line - 1] + byte_col

    def segment(self, node: ast.AST) -> bytes:
        """The UTF-8 source text ``node`` spans."""
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self._utf8[start:end]

    def span(self, start: int, end: Optional[int]) -> bytes:
        """The UTF-8 source between two offsets (``end`` None: to the end)."""
        return self._utf8[start:end]

    def decorator_pos(self, expr: ast.expr) -> ir.Pos:
        """Where a decorator starts: at its ``@``, which ``ast`` does not record."""
        pos = self.pos(expr)
        raw = self.line_bytes(expr.lineno)
        at = raw.rfind(b"@", 0, expr.col_offset)
        if at < 0:
            return pos
        return ir.Pos(pos.line, self.column(expr.lineno, at), pos.end_line, pos.end_col)

    def param_pos(self, param: ast.arg) -> ir.Pos:
        """A parameter's name (``ast`` spans its annotation too)."""
        col = self.column(param.lineno, param.col_offset)
        return ir.Pos(param.lineno, col, param.lineno, col + len(param.arg))
