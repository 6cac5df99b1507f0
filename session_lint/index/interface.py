"""A digest of what other modules can learn from a module: its text with function bodies cut
out. The cache keys a lowered module on the digests of the modules its lowering read."""

from __future__ import annotations

import ast
import hashlib
from typing import List, Tuple

from session_lint.index.scan import self_assignments
from session_lint.knowledge.python import CONTEXT_MANAGER_DECORATORS
from session_lint.source.parsed import FUNCTION_TYPES, FuncNode, ParsedModule, dotted, is_none, returned_values


def interface_digest(parsed: ParsedModule) -> str:
    """A digest of what other modules can learn from this one: the module's source with the
    bodies of its functions and methods cut out (but for a module ``__getattr__``), plus each
    method's ``self.x = ...`` assignments. An edit inside a function body leaves it unchanged, so
    modules that only read this one's names need not be redone.

    Cutting byte ranges out of the source costs next to nothing; rendering each signature back
    to text (as a libcst front end would) costs a tree walk per module."""
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
    if is_none(value):
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
