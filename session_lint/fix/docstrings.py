"""Dropping a removed parameter's entry from a docstring (Google's ``Args:`` and Sphinx's
``:param:`` styles), as written, without reflowing anything else."""

from __future__ import annotations

import re
from typing import List, Optional


_ARGS_HEADER = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")


def drop_docstring_entry(text: str, name: str) -> str:
    """``text`` (a docstring literal as written) without the ``name`` entry of its ``Args:``
    section (Google style) or its ``:param name:``/``:type name:`` lines (Sphinx style)."""
    lines = text.splitlines(keepends=True)
    out: List[str] = []
    i = 0
    in_args: Optional[int] = None
    entry = re.compile(rf"^(\s*)\*{{0,2}}{re.escape(name)}\b\s*(\([^)]*\))?\s*:")
    sphinx = re.compile(rf"^\s*:(param|type)\s+([\w\[\], ]+\s+)?{re.escape(name)}\s*:")
    while i < len(lines):
        line = lines[i]
        header = _ARGS_HEADER.match(line)
        if header:
            in_args = len(header.group(1))
            out.append(line)
            i += 1
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if in_args is not None and stripped and indent <= in_args:
            in_args = None
        if in_args is not None:
            m = entry.match(line)
            if m and len(m.group(1)) > in_args:
                own = len(m.group(1))
                i += 1
                while i < len(lines) and (not lines[i].strip() and i + 1 < len(lines) and _indent(lines[i + 1]) > own
                                          or lines[i].strip() and _indent(lines[i]) > own):
                    i += 1
                continue
        if sphinx.match(line):
            own = indent
            i += 1
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) > own and not lines[i].lstrip().startswith(":"):
                i += 1
            continue
        out.append(line)
        i += 1
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
