"""Reading a module's source into a syntax tree: CPython's own parser (fast, precise about
syntax errors, never crashing the process), guarded against trees too deep for a recursive walk."""

from __future__ import annotations

import ast
import re
import sys
import warnings
from typing import Optional, Tuple, Union

from session_lint.run.timing import measure
from session_lint.source.parsed import ParsedModule, child_nodes, encoding_of


class ParseFailure(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.message = message


# Syntax a newer Python reads (the version that added it, what to call it, how its line looks):
# session-lint parses with the Python that runs it, so under an older one such a file does not
# parse, and the message must say why rather than look like a broken file.
NEWER_SYNTAX: Tuple[Tuple[Tuple[int, int], str, "re.Pattern[str]"], ...] = (
    ((3, 11), "except*", re.compile(r"^\s*except\s*\*")),
    ((3, 12), "a type statement", re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[[^\]]*\]\s*)?=")),
    ((3, 12), "type parameters", re.compile(r"^\s*(async\s+def|def|class)\s+[A-Za-z_]\w*\s*\[")),
    ((3, 12), "an f-string nesting its own quotes", re.compile(
        r"(?<![\w.])[rR]?[fF][rR]?(\"[^\"]*\{[^}]*\"[^}]*\}|'[^']*\{[^}]*'[^}]*\})")),
    ((3, 14), "except with unparenthesized types", re.compile(r"^\s*except\s+(?!\()[^:#]*,[^:#]*:")),
    ((3, 14), "a t-string", re.compile(r"(?<![\w.])([tT][rR]?|[rR][tT])['\"]")),
)


def newer_syntax(line: str, message: str = "", running: Tuple[int, int] = sys.version_info[:2]) -> Optional[str]:
    """Why a line the running Python cannot parse (``message``: its complaint) may be valid in a
    newer one: ``(except*, 3.11+): run session-lint under Python 3.11 or newer``; None when
    nothing says so."""
    for version, what, pattern in NEWER_SYNTAX:
        if what.startswith("an f-string") and not message.startswith("f-string"):
            continue  # an f-string that is broken in any version says something else
        if running < version and pattern.search(line):
            needed = ".".join(map(str, version))
            return (f"uses syntax of a newer Python ({what}, {needed}+): run session-lint under Python {needed} "
                    f"or newer (this is {'.'.join(map(str, running))})")
    return None


# Deeper syntax trees are refused: the front end walks expressions recursively, and a few
# thousand nested operators would exhaust Python's stack.
MAX_DEPTH = 300


def _deeper_than(tree: ast.AST, limit: int) -> bool:
    """Whether any node of ``tree`` is more than ``limit`` levels deep, counted without recursion.

    A node on one line cannot hold more than two levels per character it spans (each nested
    expression takes at least one character of its parent's, and the nodes ``ast`` gives no
    position to, such as a comprehension's clause, never nest in each other), so one short
    enough to stay within the limit is not walked: that leaves most of a module unvisited."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        end_line = getattr(node, "end_lineno", None)
        if end_line is not None and end_line == node.lineno:  # type: ignore[attr-defined]
            if depth + 2 * (node.end_col_offset - node.col_offset) + 2 <= limit:  # type: ignore[attr-defined]
                continue
        stack.extend((child, depth + 1) for child in child_nodes(node))
    return False


def undecodable_at(data: Union[bytes, str]) -> Optional[Tuple[int, int]]:
    """Line (from 1) and character column (from 0) of the first byte that the source's encoding
    (a BOM, a coding cookie, else UTF-8) cannot decode; None when it all decodes."""
    if isinstance(data, str):
        return None
    encoding = encoding_of(data)
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        return data.count(b"\n", 0, exc.start) + 1, len(data[line_start:exc.start].decode(encoding, "replace"))
    except LookupError:  # an encoding Python does not know: nothing to point at
        return None
    return None


def parse(data: Union[bytes, str]) -> ParsedModule:
    """CPython's own parser: fast, precise about syntax errors, and it never crashes the
    process."""
    try:
        with warnings.catch_warnings(), measure("parsing"):
            warnings.simplefilter("ignore")  # the analyzed code's SyntaxWarnings are not ours to print
            tree = compile(data, "<checked>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as syntax:
        line = syntax.lineno or 1
        col = max((syntax.offset or 1) - 1, 0)
        what = "cannot decode" if any(w in str(syntax.msg) for w in ("encoding", "codec", "decode")) else "cannot parse"
        if what == "cannot decode":
            # CPython places a decode error at the string or token around the byte, and each
            # version at another column (3.11 its end, 3.12 its start): report the byte itself.
            line, col = undecodable_at(data) or (line, col)
        newer = newer_syntax(syntax.text or "", str(syntax.msg)) if what == "cannot parse" else None
        if newer is not None:
            raise ParseFailure(line, col, f"{what}: {newer}") from None
        raise ParseFailure(line, col, f"{what}: {syntax.msg}") from None
    except ValueError as exc:  # null bytes
        raise ParseFailure(1, 0, f"cannot parse: {exc}") from None
    except (RecursionError, MemoryError):
        raise ParseFailure(1, 0, "cannot parse: nested too deeply") from None
    return parsed_from(tree, data)


def parsed_from(tree: ast.Module, data: Union[bytes, str]) -> ParsedModule:
    """A module parsed already (flake8 hands its plugins the tree it made), once it passes the
    depth guard."""
    if _deeper_than(tree, MAX_DEPTH):
        raise ParseFailure(1, 0, f"cannot analyze: nested more than {MAX_DEPTH} levels deep")
    return ParsedModule(tree, data, encoding_of(data))
