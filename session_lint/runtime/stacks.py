"""Stacks as the plugin sees them: captured cheaply when something happens, read only when a
finding is made.

A captured stack is a tuple of ``(id(frame), code, lasti)``, innermost first. Frames themselves
are not kept: a kept frame keeps its locals alive, and a session that a project leaves to the
garbage collector would then never give its connection back while the plugin watched it. The id
and the code object together name a frame for as long as it runs, which is the only time two
stacks are compared (the network call happens inside the frames it shares with the begin).
"""

from __future__ import annotations

import asyncio
import linecache
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

FrameRef = Tuple[int, CodeType, int]
Stack = Tuple[FrameRef, ...]

# Where one bounded walk stops: deep recursion in a test must not make every begin expensive.
_MAX_DEPTH = 400

APP, TEST, LIBRARY = "app", "test", "library"

# Folders under the project root that hold installed code, not the project's.
_INSTALLED = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "build", ".eggs",
                        "node_modules", "__pypackages__"})
# The project's own test code: what pytest collects, its fixtures, and the helpers beside them.
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})
_PLUGIN_DIR = str(Path(__file__).resolve().parent) + os.sep


def capture(skip: int = 1) -> Stack:
    """The current thread's stack, and, inside a greenlet that SQLAlchemy's asyncio layer spawned,
    the stack of the greenlet waiting on it: that is where the application's code is."""
    frames: List[FrameRef] = []
    frame: Optional[FrameType] = sys._getframe(skip)
    greenlet_mod = sys.modules.get("greenlet")
    current = greenlet_mod.getcurrent() if greenlet_mod is not None else None
    while len(frames) < _MAX_DEPTH:
        while frame is not None and len(frames) < _MAX_DEPTH:
            frames.append((id(frame), frame.f_code, frame.f_lasti))
            frame = frame.f_back
        parent = getattr(current, "parent", None)
        if parent is None:
            break
        frame = parent.gr_frame
        current = parent
    return tuple(frames)


def awaiting_tasks_stack() -> Stack:
    """The frames of the asyncio tasks waiting on the current one (``await task``,
    ``asyncio.gather``), innermost first. A child task's own stack starts at the event loop, so
    without these a call made in one would not reach the function that started it."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return ()
    frames: List[FrameRef] = []
    seen = set()
    while task is not None and id(task) not in seen and len(frames) < _MAX_DEPTH:
        seen.add(id(task))
        task = _waiter_of(task)
        if task is not None:
            frames.extend(_coroutine_frames(task))
    return tuple(frames)


def _waiter_of(task: "asyncio.Task") -> "Optional[asyncio.Task]":
    try:
        others = asyncio.all_tasks(task.get_loop())
    except RuntimeError:
        return None
    for other in others:
        waiting_on = getattr(other, "_fut_waiter", None)
        if waiting_on is None:
            continue
        if waiting_on is task or task in (getattr(waiting_on, "_children", None) or ()):
            return other
    return None


def _coroutine_frames(task: "asyncio.Task") -> List[FrameRef]:
    """A suspended task's frames, innermost first, following each coroutine's ``cr_await``."""
    outer_first: List[FrameRef] = []
    awaitable = task.get_coro()
    while awaitable is not None and len(outer_first) < _MAX_DEPTH:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            break
        outer_first.append((id(frame), frame.f_code, frame.f_lasti))
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return outer_first[::-1]


class Classifier:
    """Which frames are the project's: its application code, or its tests. Everything outside
    the root, installed under it, or this plugin's own code is a library."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._root_prefix = str(self.root) + os.sep
        self._kinds: Dict[str, str] = {}
        self._paths: Dict[str, str] = {}

    def kind(self, filename: str) -> str:
        try:
            return self._kinds[filename]
        except KeyError:
            found = self._kinds[filename] = self._classify(filename)
            return found

    def _classify(self, filename: str) -> str:
        if filename.startswith("<"):
            return LIBRARY
        path = os.path.realpath(filename)
        if path.startswith(_PLUGIN_DIR) or not path.startswith(self._root_prefix):
            return LIBRARY
        parts = path[len(self._root_prefix):].split(os.sep)
        if any(part in _INSTALLED for part in parts[:-1]):
            return LIBRARY
        self._paths[filename] = "/".join(parts)
        name = parts[-1]
        if (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
                or any(part in _TEST_FOLDERS for part in parts[:-1])):
            return TEST
        return APP

    def path(self, filename: str) -> str:
        """The path as ``session-lint check`` run from the project root shows it."""
        self.kind(filename)
        return self._paths.get(filename, filename)

    def project_frames(self, stack: Iterable[FrameRef]) -> List[FrameRef]:
        return [ref for ref in stack if self.kind(ref[1].co_filename) != LIBRARY]


@dataclass(frozen=True)
class Position:
    """Where a frame was: its line and the span of the instruction it was at."""

    line: int
    col: int  # 0-based, as ``ast`` reports it
    end_line: int
    end_col: int


_POSITIONS: Dict[CodeType, List[Tuple[Optional[int], Optional[int], Optional[int], Optional[int]]]] = {}


def position(ref: FrameRef) -> Position:
    """The source span of the instruction a frame was executing: for a suspended ``await`` the
    whole ``await`` expression, for a call the call; the same place ``check`` reports."""
    _id, code, lasti = ref
    table = _POSITIONS.get(code)
    if table is None:
        table = _POSITIONS[code] = _positions_of(code)
    index = max(lasti, 0) // 2
    line = col = end_line = end_col = None
    if index < len(table):
        line, end_line, col, end_col = table[index]
    if line is None:
        line = code.co_firstlineno
    return Position(line, col or 0, end_line or line, end_col or 0)


def _positions_of(code: CodeType) -> list:
    if hasattr(code, "co_positions"):
        return list(code.co_positions())
    # Python 3.10 knows lines but not columns: a finding there is at column 1 of its line.
    table: list = []
    for start, end, line in code.co_lines():
        table.extend([(line, line, None, None)] * ((end - start) // 2))
    return table


def qualname(code: CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)


def source_text(filename: str, where: Position) -> str:
    """The source of ``where`` when it is on one line; else its first line from the column on."""
    text = linecache.getline(filename, where.line)
    if not text:
        return ""
    if where.end_line == where.line and where.end_col > where.col:
        return text[where.col:where.end_col]
    return text[where.col:].rstrip("\n")


def callee_text(filename: str, where: Position) -> str:
    """``db.get`` for ``db.get(Tool, 1)``, ``await client.post`` without the ``await``: what a
    person reads as the thing called."""
    text = source_text(filename, where).strip()
    if text.startswith("await "):
        text = text[len("await "):].lstrip()
    head = text.split("(", 1)[0].strip()
    return head or text


def describe(classifier: Classifier, stack: Sequence[FrameRef]) -> List[str]:
    """``path:line function`` for each project frame, innermost first: what a report shows."""
    shown = []
    for ref in classifier.project_frames(stack):
        code = ref[1]
        shown.append(f"{classifier.path(code.co_filename)}:{position(ref).line} {qualname(code)}")
    return shown
