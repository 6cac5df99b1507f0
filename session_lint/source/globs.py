"""File patterns as ruff reads them in ``exclude`` and ``per-file-ignores``: a pattern without a
``/`` is matched against a file's or folder's own name at any depth (``migrations``,
``*_pb2.py``); one with a ``/`` is a path, made absolute against the folder of the
configuration file that gave it (``tests/**/*.py``), where ``**`` spans any number of folders
and ``*`` stays within one."""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Optional, Pattern, Tuple


def anchored(pattern: str, base: Optional[Path]) -> str:
    """``pattern`` as it is kept in the settings: a path pattern made absolute against ``base``
    (so that it means the same whichever folder the run starts in); a name pattern as it is."""
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if "/" in body.rstrip("/") and base is not None and not os.path.isabs(body):
        body = os.path.normpath(os.path.join(os.path.abspath(base), body))
    elif "/" in body.rstrip("/"):
        body = os.path.normpath(body)
    else:
        body = body.rstrip("/")
    return ("!" if negated else "") + body


def _regex(pattern: str) -> Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                inner = pattern[i + 1:end]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    # A folder pattern also matches everything under the folder.
    return re.compile("".join(out) + "(?:/.*)?", re.DOTALL)


class PathMatcher:
    """Whether a path matches any of some patterns (kept as :func:`anchored` gives them)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.names: Tuple[str, ...] = tuple(p for p in patterns if "/" not in p)
        self.paths: Tuple[Pattern[str], ...] = tuple(_regex(p) for p in patterns if "/" in p)

    def __bool__(self) -> bool:
        return bool(self.names or self.paths)

    def name_matches(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.names)

    def matches(self, path: str) -> bool:
        """``path`` (as given, relative to the working folder or absolute) matches by its name
        or by its whole absolute path."""
        if self.name_matches(os.path.basename(path.rstrip("/"))):
            return True
        if not self.paths:
            return False
        full = os.path.abspath(path)
        return any(p.fullmatch(full) for p in self.paths)
