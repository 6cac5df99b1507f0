"""``session-lint fix`` over many files: check, plan every fix and check it again
(:mod:`session_lint.fix.planner`), then print a diff or write each changed file atomically."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from session_lint.config import Settings
from session_lint.fix.model import Outcome, Status
from session_lint.fix.planner import plan_fixes
from session_lint.fix.writes import WriteRefused, inside, write_atomically
from session_lint.report.findings import Finding, FixNote, FixStatus
from session_lint.rules import FIXABLE
from session_lint.run.analysis import Analysis
from session_lint.run.check import RunResult, check_paths


@dataclass
class FileReport:
    """A file ``fix`` rewrote (or would): its diff, or why it was not written."""

    path: str
    diff: str = ""
    error: str = ""
    changed: bool = False


@dataclass
class FixResult:
    files: List[FileReport] = field(default_factory=list)
    outcomes: List[Outcome] = field(default_factory=list)
    check: Optional[RunResult] = None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    def resolved(self) -> List[Outcome]:
        return [o for o in self.outcomes if o.applied]


def with_fix_status(findings: Sequence[Finding], settings: Settings, analysis: Analysis) -> List[Finding]:
    """``findings`` with ``fix`` filled in for the fixable ones: what ``session-lint fix`` would
    do (planned and checked again, nothing written)."""
    if not any(f.code in FIXABLE for f in findings):
        return list(findings)
    roots = sorted({str(Path(f.path).parent) for f in findings})
    try:
        plan = plan_fixes(findings, analysis, settings, [Path(r) for r in roots], unsafe_fixes=False)
        notes: Dict[Finding, FixNote] = {o.finding: o.note() for o in plan.outcomes}
    except Exception as exc:  # noqa: BLE001 - a status we cannot compute is reported as such
        notes = {f: FixNote(FixStatus.REFUSED, f"cannot plan ({type(exc).__name__})")
                 for f in findings if f.code in FIXABLE}
    return [dataclasses.replace(f, fix=notes[f]) if f in notes else f for f in findings]


def fix_paths(
    paths: Sequence[str],
    settings: Settings,
    *,
    unsafe_fixes: bool = False,
    diff: bool = False,
    excludes: Sequence[str] = (),
    cache_dir: Optional[Path] = None,
) -> FixResult:
    holder: Dict[str, Analysis] = {}
    check = check_paths(paths, settings, excludes, cache_dir, keep_analysis=holder)
    result = FixResult(check=check)
    roots = [Path(p) for p in paths]
    try:
        plan = plan_fixes(check.findings, holder["analysis"], settings, roots, unsafe_fixes)
    except Exception as exc:  # noqa: BLE001 - reported, nothing written
        result.files.append(FileReport("", error=f"internal error, nothing written: {type(exc).__name__}: {exc}"))
        return result
    result.outcomes = plan.outcomes
    if not diff:
        clear_stale_temporaries(paths, excludes)
    for shown, new in sorted(plan.sources.items()):
        path = Path(shown)
        report = FileReport(shown, changed=True)
        result.files.append(report)
        original = plan.originals[shown]
        if diff:
            report.diff = _unified(shown, original, new, _encoding(holder["analysis"], shown))
            continue
        if not inside(path, roots):
            report.error = "not written: the file resolves outside the given paths"
            report.changed = False
            continue
        try:
            write_atomically(path, new, original)
        except (WriteRefused, OSError) as exc:
            report.error = f"not written: {exc}"
            report.changed = False
    unwritten = {f.path for f in result.files if not f.changed}
    for outcome in result.outcomes:
        if outcome.applied and outcome.files & unwritten:
            outcome.applied = False
            outcome.status = Status.REFUSED
            outcome.reason = "the file it changes was not written"
    return result


def _encoding(analysis: Analysis, path: str) -> str:
    for module in analysis.project.modules():
        if module.path == path:
            return module.encoding
    return "utf-8"


def clear_stale_temporaries(paths: Sequence[str], excludes: Sequence[str] = ()) -> None:
    """Removes the temporary files a killed ``fix`` left beside the files it was rewriting
    (``.name.py.XXXX.session-lint``; the files themselves are intact, old or new)."""
    from session_lint.source.discovery import discover

    folders = {path.parent for path, problem in discover(paths, excludes)}
    for folder in folders:
        for stale in folder.glob(".*.session-lint"):
            try:
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()
            except OSError:
                pass


def _unified(shown: str, before: bytes, after: bytes, encoding: str) -> str:
    a = before.decode(encoding, errors="replace").splitlines(keepends=True)
    b = after.decode(encoding, errors="replace").splitlines(keepends=True)
    # As ``diff -u`` does, a last line without its newline is marked, so that ``patch`` and
    # ``git apply`` reproduce the file and the next output starts on a line of its own.
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in difflib.unified_diff(a, b, fromfile=f"a/{shown}", tofile=f"b/{shown}"))
