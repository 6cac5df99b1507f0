"""``session-lint fix`` over many files: check, plan and rewrite each file with fixable
findings, verify the result, then print a diff or write it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from session_lint.config import Settings
from session_lint.fix.callers import direct_calls
from session_lint.fix.facts import FactsOracle
from session_lint.fix.factories import resolve_factories
from session_lint.fix.model import FileFix, Outcome, Status
from session_lint.fix.source import fix_source
from session_lint.fix.writes import WriteRefused, inside, write_atomically
from session_lint.report.findings import Finding, FixNote, FixStatus
from session_lint.rules import FIXABLE
from session_lint.run.analysis import Analysis
from session_lint.run.check import RunResult, check_paths


@dataclass
class FileReport:
    path: str
    outcomes: List[Outcome] = field(default_factory=list)
    diff: str = ""
    error: str = ""
    changed: bool = False


@dataclass
class FixResult:
    files: List[FileReport] = field(default_factory=list)
    check: Optional[RunResult] = None

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files for o in f.outcomes if o.status is status)


def with_fix_status(findings: Sequence[Finding], settings: Settings, analysis: Analysis) -> List[Finding]:
    """``findings`` with ``fix`` filled in for the fixable ones: what ``session-lint fix`` would
    do (planned, nothing written)."""
    import dataclasses

    by_path: Dict[str, List[Finding]] = {}
    for f in findings:
        if f.code in FIXABLE:
            by_path.setdefault(f.path, []).append(f)
    status: Dict[Tuple[str, str, int], FixNote] = {}
    project = analysis.project
    callers = direct_calls(project.modules(), project.function) if by_path else {}
    facts = FactsOracle(analysis)
    for shown, group in by_path.items():
        path = Path(shown)
        try:
            data = path.read_bytes()
            index = project.index(data, path)
            factories = resolve_factories(index, group, settings, project)
            planned = fix_source(data, group, index, factories, False, facts, callers)
        except Exception as exc:  # noqa: BLE001 - a status we cannot compute is reported as such
            for f in group:
                status[(shown, f.function, f.function_line)] = FixNote(FixStatus.REFUSED,
                                                                       f"cannot plan ({type(exc).__name__})")
            continue
        for o in planned.outcomes:
            status[(shown, o.function, o.line)] = o.note()
    out = []
    for f in findings:
        key = (f.path, f.function, f.function_line)
        out.append(dataclasses.replace(f, fix=status[key]) if key in status else f)
    return out


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
    project = holder["analysis"].project
    facts = FactsOracle(holder["analysis"])
    result = FixResult(check=check)
    by_path: Dict[str, List[Finding]] = {}
    for f in check.findings:
        by_path.setdefault(f.path, []).append(f)
    roots = [Path(p) for p in paths]
    callers = direct_calls(project.modules(), project.function)
    if not diff:
        clear_stale_temporaries(paths, excludes)
    for shown, findings in sorted(by_path.items()):
        if not any(f.code in FIXABLE for f in findings):
            continue
        path = Path(shown)
        report = FileReport(shown)
        result.files.append(report)
        try:
            original = path.read_bytes()
            index = project.index(original, path)
            factories = resolve_factories(index, findings, settings, project)
            fixed: FileFix = fix_source(original, findings, index, factories, unsafe_fixes, facts, callers)
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
            report.error = f"internal error, file left as it was: {type(exc).__name__}: {exc}"
            continue
        report.outcomes = fixed.outcomes
        if fixed.source is None or fixed.source == original:
            continue
        problem = _verify(fixed.source)
        if problem:
            report.error = f"the rewrite does not parse ({problem}); file left as it was"
            for o in report.outcomes:
                if o.status is Status.FIXED:
                    o.status, o.reason = Status.REFUSED, "the rewrite did not parse"
            continue
        report.changed = True
        if diff:
            report.diff = _unified(shown, original, fixed.source, index.encoding)
            continue
        if not inside(path, roots):
            report.error = "not written: the file resolves outside the given paths"
            report.changed = False
            continue
        try:
            write_atomically(path, fixed.source, original)
        except (WriteRefused, OSError) as exc:
            report.error = f"not written: {exc}"
            report.changed = False
    return result


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


def _verify(source: bytes) -> str:
    import libcst as cst

    try:
        cst.parse_module(source)
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return ""


def _unified(shown: str, before: bytes, after: bytes, encoding: str) -> str:
    a = before.decode(encoding, errors="replace").splitlines(keepends=True)
    b = after.decode(encoding, errors="replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{shown}", tofile=f"b/{shown}"))
