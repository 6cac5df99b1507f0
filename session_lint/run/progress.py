"""The progress line on a terminal: shown as soon as a run starts, kept to one line that is
rewritten in place at most ten times a second, and erased when the run ends, so the findings
printed after it start on a clean line."""

from __future__ import annotations

import os
import time
from typing import Optional, TextIO

_ERASE = "\r\x1b[K"


class Progress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False
        self._last = 0.0

    @classmethod
    def for_terminal(cls, stream: TextIO, quiet: bool = False) -> Optional["Progress"]:
        """A progress line when ``stream`` is a terminal; none when piped, quiet, or in CI (whose
        logs keep every carriage return as a line of its own)."""
        if quiet or os.environ.get("CI") or not stream.isatty():
            return None
        return cls(stream)

    def _write(self, text: str) -> None:
        self.stream.write(f"{_ERASE}session-lint: {text}")
        self.stream.flush()
        self.shown = True

    def start(self) -> None:
        self._write("finding files...")
        self._last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - self._last >= 0.1:
            self._last = now
            self._write(f"{done}/{total} files" + (", analyzing..." if done == total else ""))

    def clear(self) -> None:
        if self.shown:
            self.stream.write(_ERASE)
            self.stream.flush()
            self.shown = False
