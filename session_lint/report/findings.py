"""A finding, and the ``# noqa`` comments that silence one (flake8's syntax)."""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Tuple

from session_lint.flow.facts import Detached, Hold


class FixStatus(enum.Enum):
    """What ``session-lint fix`` does with a finding."""

    SAFE = "safe"
    UNSAFE = "unsafe"  # only with --unsafe-fixes
    REFUSED = "refused"


@dataclass(frozen=True)
class FixNote:
    """What ``fix`` would do with a finding: its status, why (for a person), which rewrite
    (``extract``, ``release``) and the function it changes or where a person must act."""

    status: FixStatus
    reason: str = ""
    rewrite: str = ""
    where: str = ""


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int  # 0-based, as ast and flake8 plugins report it; shown 1-based
    code: str
    message: str
    function: str = field(default="", compare=False)
    session: str = field(default="", compare=False)
    chain: Tuple[str, ...] = field(default=(), compare=False)
    # The line of the function the finding is in.
    function_line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)
    end_col: int = field(default=0, compare=False)
    # The lines of the slow calls inside the block of the statement reported, held by the same
    # transaction and so not reported again (one finding per statement): a hold the tests saw
    # on one of them is this finding's (``check --runtime-findings``).
    folded_lines: Tuple[int, ...] = field(default=(), compare=False)
    # Stable across unrelated edits and line shifts (file, function, code, the reported line's
    # text): what a baseline matches on.
    fingerprint: str = field(default="", compare=False)
    # When asked: what ``fix`` would do with it.
    fix: Optional[FixNote] = field(default=None, compare=False)
    # The engine's fact the finding reports (a hold, a read after the session ended): what
    # ``fix`` plans from.
    hold: Optional[Hold] = field(default=None, compare=False)
    detached: Optional[Detached] = field(default=None, compare=False)

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.col + 1}: {self.code} {self.message}"


def fingerprint(finding: Finding, line_text: str) -> str:
    """What identifies a finding across edits: its file, function, code and the normalised text
    of the reported line (not the line number)."""
    text = re.sub(r"\s+", " ", line_text.split("#", 1)[0]).strip()
    raw = "|".join((finding.path.replace("\\", "/"), finding.function, finding.code, text))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def identities(findings: Iterable[Finding]) -> Dict[Finding, Tuple[str, int]]:
    """Each finding's fingerprint and which of the findings sharing it it is, in line order: the
    same slow call written twice in one function (same line text) is two findings, told apart
    across an edit that moves both."""
    seen: Dict[str, int] = {}
    out: Dict[Finding, Tuple[str, int]] = {}
    for f in sorted(findings, key=lambda f: (f.path, f.line, f.col, f.code)):
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        out[f] = (f.fingerprint, n)
    return out


# The same comment flake8 reads: ``# noqa`` or ``# noqa: SL101,SL102`` (also ``# NOQA:SL101``).
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def suppressed(line_text: str, code: str) -> bool:
    match = NOQA.search(line_text)
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    return any(code.upper().startswith(c.upper()) for c in re.split(r"[,\s]+", codes) if c)
