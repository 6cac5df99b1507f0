"""What planning a fix produces: per finding, what ``fix`` does with it (which rewrite, or why it
is unsafe or refused, and the function where that happens or a person must act), and per file,
the new source."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import FrozenSet, List, Optional

from session_lint.report.findings import Finding, FixNote, FixStatus


class Status(enum.Enum):
    FIXED = "fixed"
    UNSAFE = "unsafe"  # fixable only with --unsafe-fixes
    REFUSED = "refused"


class Rewrite(enum.Enum):
    """Which rewrite of SPEC section 4 resolves a finding."""

    EXTRACT = "extract"  # 4a: the handler's database phase moves into a short-lived session
    RELEASE = "release"  # 4b: the transaction is committed where it is held, before the slow call


class Why(enum.Enum):
    """What keeps a fix from being safe, or from being made: how the summary counts them."""

    WRITES = "pending writes committed early"
    KEPT_LOADED = "objects kept as loaded"
    LOCK = "a row lock"
    SAVEPOINT = "a savepoint"
    BEGIN = "an explicit begin()"
    SHARED = "a session shared with tasks"
    ISOLATION = "a strict isolation level"
    UNNAMED = "a session the handler never names"
    CALL_USES_SESSION = "the slow call's statement uses the session"
    STILL_HELD = "still held on another path"
    ADDS_FINDING = "the rewrite adds a finding"
    RELOADS = "an object loads again after the release"
    EXTRACT = "the handler rewrite does not apply"
    ANALYSIS = "the analysis cannot follow it"


# What ``check --format json`` says a finding's fix would be.
NOTE = {Status.FIXED: FixStatus.SAFE, Status.UNSAFE: FixStatus.UNSAFE, Status.REFUSED: FixStatus.REFUSED}


@dataclass
class Outcome:
    """What ``fix`` does (or would do) with one finding."""

    finding: Finding
    status: Status
    reason: str = ""
    rewrite: Optional[Rewrite] = None
    # The function changed, or where a person must act: ``name (path:line)``.
    where: str = ""
    # Whether the rewrite was written (or, with --diff, would be): an unsafe one only with
    # --unsafe-fixes.
    applied: bool = False
    # What makes it unsafe or refused.
    why: Optional[Why] = None
    # The files the rewrite changes.
    files: FrozenSet[str] = frozenset()

    def note(self) -> FixNote:
        return FixNote(NOTE[self.status], self.reason, self.rewrite.value if self.rewrite else "", self.where)


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
    def __init__(self, reason: str, where: str = "", why: Why = Why.EXTRACT) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where
        self.why = why
