"""How long each phase of a run took (``--timings``, the benchmark's phase rows). Off unless a
run asks: measuring is a clock read per phase, and one per parsed file."""

from __future__ import annotations

import contextlib
import time
from typing import Dict, Iterator, Optional


class Timings:
    """Seconds per phase, in the order the phases first ran."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)


# The run being timed, if any: parsing happens deep inside indexing, which would otherwise have
# to pass a clock through every call on the way.
_active: Optional[Timings] = None


def activate(timings: Optional[Timings]) -> None:
    global _active
    _active = timings


@contextlib.contextmanager
def measure(phase: str) -> Iterator[None]:
    """Adds the enclosed time to ``phase`` of the active run, if one is being timed."""
    timings = _active
    if timings is None:
        yield
        return
    with timings.phase(phase):
        yield
