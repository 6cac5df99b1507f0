"""``session-lint check --runtime-findings FILE``: static findings read against what the
project's tests showed at runtime.

A static hold finding (SL101-SL105) is

- *confirmed at runtime* when the plugin reported SL191 at the same file and line (or at a line
  of a slow call in the block of the statement reported, which ``check`` does not report again);
- *confirmed at runtime* too when a network call made from that line was held, though the plugin
  reported the hold at another function of the stack (the one that began the transaction);
- *exercised by tests, no hold seen* when a network call was made from that line during the
  tests but no transaction was open then (the analysis may be wrong, or the tests may not reach
  the path that opens it: a person reads it);
- *not exercised by tests* when no test made a network call from that line. That is not a
  verdict: it says the tests do not cover it.

A runtime finding at a line with no static hold finding is *runtime only*: a miss of the static
analysis, with the library call the tests saw (a candidate for the catalogue of network
libraries, or a call path the analysis could not follow).

Everything here is a pure function of its inputs; :func:`from_file` only reads the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from session_lint.runtime.report import (
    STATIC_HOLD_CODES,
    NetworkCallSite,
    RuntimeFinding,
    RuntimeReport,
    read_report,
)

CONFIRMED = "confirmed at runtime"
NO_HOLD_SEEN = "exercised by tests, no hold seen"
NOT_EXERCISED = "not exercised by tests"
RUNTIME_ONLY = "runtime only"


@dataclass(frozen=True)
class Mark:
    status: str
    library_calls: Tuple[str, ...] = ()
    count: int = 0
    tests: Tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"status": self.status, "library_calls": list(self.library_calls), "count": self.count,
                "tests": list(self.tests)}

    def text(self) -> str:
        if not self.library_calls:
            return self.status
        return f"{self.status}: {', '.join(self.library_calls)}, {self.count} time(s)"


@dataclass
class CrossCheck:
    """The static findings with their marks (in the order given), then the runtime-only ones."""

    static: List[Tuple[object, Optional[Mark]]] = field(default_factory=list)
    runtime_only: List[RuntimeFinding] = field(default_factory=list)

    def findings(self) -> list:
        return [f for f, _mark in self.static] + [r.finding for r in self.runtime_only]

    def marks(self) -> List[Optional[Mark]]:
        """One mark per entry of :meth:`findings`, in its order."""
        only = [Mark(RUNTIME_ONLY, r.library_calls, r.holds, r.tests) for r in self.runtime_only]
        return [mark for _f, mark in self.static] + only

    def counts(self) -> Dict[str, int]:
        found: Dict[str, int] = {}
        for mark in self.marks():
            if mark is not None:
                found[mark.status] = found.get(mark.status, 0) + 1
        return found


def _normal(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def same_file(a: str, b: str) -> bool:
    """Whether two reported paths name the same file: ``check`` shows paths as given on its
    command line, the plugin relative to pytest's root, so one may be a suffix of the other."""
    a, b = _normal(a), _normal(b)
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _at(items: Sequence, path: str, line: int, where) -> list:
    return [item for item in items if where(item)[1] == line and same_file(where(item)[0], path)]


def _lines(finding) -> Tuple[int, ...]:
    """The lines a static finding stands for: its own, and those of the slow calls in the block of
    the statement it reports (``check`` reports one finding per statement; the tests see each
    call)."""
    return (finding.line, *finding.folded_lines)


def crosscheck(static: Sequence, runtime: RuntimeReport,
               selected: Callable[[str, str], bool] = lambda code, path: True) -> CrossCheck:
    """Marks for ``static`` (``Finding`` records of ``check``) from ``runtime`` (what the plugin
    wrote). A runtime-only finding is added where ``selected(code, path)``: the run's rule
    selection and per-file ignores apply to SL191 as to any code."""
    result = CrossCheck()
    by_line: Dict[int, List[RuntimeFinding]] = {}
    for found in runtime.findings:
        by_line.setdefault(found.finding.line, []).append(found)
    calls_by_line: Dict[int, List[NetworkCallSite]] = {}
    for call in runtime.network_calls:
        calls_by_line.setdefault(call.line, []).append(call)
    matched = set()
    for finding in static:
        if finding.code not in STATIC_HOLD_CODES:
            result.static.append((finding, None))
            continue
        lines = _lines(finding)
        seen = [r for line in lines
                for r in _at(by_line.get(line, ()), finding.path, line, lambda r: (r.finding.path, r.finding.line))]
        if seen:
            matched.update(id(r) for r in seen)
            tests = tuple(dict.fromkeys(t for r in seen for t in r.tests))
            # A transaction held at a with statement is held at the calls in its block as well:
            # counted once per line, not once per call of the statement.
            holds: Dict[int, int] = {}
            for r in seen:
                holds[r.finding.line] = holds.get(r.finding.line, 0) + r.holds
            mark = Mark(CONFIRMED, tuple(dict.fromkeys(c for r in seen for c in r.library_calls)),
                        max(holds.values()), tests)
        else:
            calls = [c for line in lines
                     for c in _at(calls_by_line.get(line, ()), finding.path, line, lambda c: (c.path, c.line))]
            held = [c for c in calls if c.held]
            if held:
                # Held while this line ran, reported at the function that began the transaction.
                mark = Mark(CONFIRMED, tuple(dict.fromkeys(c.library_call for c in held)), sum(c.held for c in held))
            elif calls:
                mark = Mark(NO_HOLD_SEEN, tuple(dict.fromkeys(c.library_call for c in calls)),
                            sum(c.count for c in calls))
            else:
                mark = Mark(NOT_EXERCISED)
        result.static.append((finding, mark))
    static_holds = [f for f in static if f.code in STATIC_HOLD_CODES]
    for found in runtime.findings:
        if id(found) in matched:
            continue
        line = found.finding.line
        if any(line in _lines(f) and same_file(f.path, found.finding.path) for f in static_holds):
            continue  # the same line as a static finding seen through another runtime record
        if selected(found.finding.code, found.finding.path):
            result.runtime_only.append(found)
    return result


def from_file(static: Sequence, path: Path,
              selected: Callable[[str, str], bool] = lambda code, path: True) -> CrossCheck:
    """:func:`crosscheck` against the report at ``path``. Raises ``ValueError`` naming the file
    when it is not a runtime report."""
    return crosscheck(static, read_report(path), selected)


def annotate(rendered: str, fmt: str, check: CrossCheck) -> str:
    """``rendered`` (``render(check.findings(), fmt)``) with each finding's mark: a ``runtime`` key
    in json, a property in sarif, a ``runtime:`` line closing each finding in the full format, a
    bracketed note at the end of each line in concise and github."""
    marks = check.marks()
    if fmt == "json":
        items = json.loads(rendered)
        for item, mark, runtime in zip(items, marks, _runtime_details(check)):
            item["runtime"] = None if mark is None else {**mark.as_json(), **runtime}
        return json.dumps(items, indent=2) + "\n"
    if fmt == "sarif":
        log = json.loads(rendered)
        for result, mark, runtime in zip(log["runs"][0]["results"], marks, _runtime_details(check)):
            if mark is not None:
                result.setdefault("properties", {})["runtime"] = {**mark.as_json(), **runtime}
        return json.dumps(log, indent=2) + "\n"
    if fmt == "full":
        # A block per finding, a blank line between them; no line within a block is empty.
        blocks = rendered.rstrip("\n").split("\n\n") if rendered else []
        if len(blocks) != len(marks):
            return rendered
        return "\n\n".join(block + (f"\nruntime: {mark.text()}" if mark is not None else "")
                           for block, mark in zip(blocks, marks)) + "\n"
    lines = rendered.splitlines()
    if len(lines) != len(marks):
        return rendered  # a format whose lines are not one per finding: left as it is
    return "".join(line + (f"  [{mark.text()}]" if mark is not None else "") + "\n" for line, mark in zip(lines, marks))


def _runtime_details(check: CrossCheck) -> List[dict]:
    return [{} for _ in check.static] + [r.details() for r in check.runtime_only]


def summary(check: CrossCheck) -> str:
    counts = check.counts()
    order = (CONFIRMED, NO_HOLD_SEEN, NOT_EXERCISED, RUNTIME_ONLY)
    return "session-lint: runtime cross-check: " + ", ".join(f"{counts.get(status, 0)} {status}" for status in order)
