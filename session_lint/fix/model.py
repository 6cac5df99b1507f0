"""What planning a fix produces: per handler, what ``fix`` does with it (rewritten, unsafe,
refused, and why), and per file, the new source."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import List, Optional

from session_lint.report.findings import FixNote, FixStatus


class Status(enum.Enum):
    FIXED = "fixed"
    UNSAFE = "unsafe"  # fixable only with --unsafe-fixes
    REFUSED = "refused"


# What ``check --format json`` says a finding's fix would be.
NOTE = {Status.FIXED: FixStatus.SAFE, Status.UNSAFE: FixStatus.UNSAFE, Status.REFUSED: FixStatus.REFUSED}


@dataclass
class Outcome:
    function: str
    line: int
    status: Status
    reason: str = ""

    def note(self) -> FixNote:
        return FixNote(NOTE[self.status], self.reason if self.status is not Status.FIXED else "")


@dataclass
class FileFix:
    """The result of fixing one file: the new source (None when nothing changed)."""

    source: Optional[bytes]
    outcomes: List[Outcome] = field(default_factory=list)


@dataclass(frozen=True)
class Factory:
    """A short-lived session factory a handler can be rewritten to use."""

    module: Optional[str]  # None: defined in the file itself
    name: str
    commits: bool  # False for a bare sessionmaker: ``with SessionLocal() as db`` only closes
    is_async: bool = False


class Refusal(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
