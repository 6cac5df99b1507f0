"""Per-file time limits that nest: the analysis of one file may index another module (an import
it follows); that module's time counts against that module, not against the file that asked."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


class FileTimeout(BaseException):
    """Raised into a file's analysis when its time is up (a BaseException, so that no
    ``except Exception`` on the way swallows it)."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupts the enclosed code after ``seconds`` with :class:`FileTimeout`. An enclosing
    limit is paused meanwhile and resumes with the time it had left. Python code is interrupted
    between bytecodes (a native parse runs to its end first; the file-size limit bounds that).
    Only in the main thread of a platform with SIGALRM; elsewhere there is no limit."""
    if not _usable() or seconds <= 0:
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    signal.setitimer(signal.ITIMER_REAL, 0)

    def expire(signum, frame):
        raise FileTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            signal.setitimer(signal.ITIMER_REAL, outer_left)
