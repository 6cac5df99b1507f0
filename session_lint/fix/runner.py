"""``session-lint fix`` over many files: check, plan and rewrite each file with fixable
findings, verify the result, then print a diff or write it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from session_lint.report.findings import Finding
from session_lint.fix.plan import Factory, FileFix, Outcome, Status, direct_calls, fix_source
from session_lint.index.module_index import ModuleIndex
from session_lint.index.project import Project
from session_lint.run.analysis import Analysis
from session_lint.run.check import RunResult, check_paths
from session_lint.config import Settings
from session_lint.fix.writes import WriteRefused, inside, write_atomically


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


def resolve_factories(index: ModuleIndex, findings: Sequence[Finding], settings: Settings, project: Project) -> List[Factory]:
    """The short-lived session factories the handlers of ``index`` may use, best first: the
    configured ``fix-factory``, else the configured factories that the session dependency's own
    module defines (``mcpgateway.db.fresh_db_session`` next to ``mcpgateway.db.get_db``), else
    those this module already imports. The planner takes the first whose asyncness fits."""
    found: List[Factory] = []
    for spec in settings.fix_factory:
        module, _, name = spec.rpartition(".")
        where = None if module in ("", index.name) else module
        known = project.value(spec) if where else index.globals.get(name)
        commits = known is None or known.kind != "factory" or known.qual.startswith("contextlib.")
        # Configured explicitly: used whatever the session's asyncness.
        found.append(Factory(where, name, commits, False))
        found.append(Factory(where, name, commits, True))
    if found:
        return found
    dependency_keys: List[str] = []
    for fn in (index.functions or {}).values():
        if any(f.function == fn.name and f.function_line == fn.pos.line for f in findings):
            dependency_keys.extend(p.dependency_key for p in fn.session_params if p.dependency_key)
    for key in dict.fromkeys(dependency_keys):
        module = key.rpartition(".")[0]
        facts = index if module == index.name else project.load(module)
        if facts is None:
            continue
        for name in settings.session_factories:
            where: Optional[str] = None if module == index.name else module
            value = facts.globals.get(name)
            if value is None and name in facts.imports:
                # Imported there: import it from where it is defined.
                value = project.value(facts.imports[name])
                origin = facts.imports[name].rpartition(".")[0]
                where = None if origin == index.name else origin
            if value is not None and value.kind == "factory":
                found.append(Factory(where, name, value.qual.startswith("contextlib."),
                                     value.is_async or "async" in name.lower()))
            elif name in facts.function_names or name in facts.imports:
                found.append(Factory(where, name, True, "async" in name.lower()))
    # The modules the factories found so far come from may define better ones
    # (``fresh_db_session`` next to ``SessionLocal`` in ``mcpgateway.db``).
    for origin in dict.fromkeys(f.module for f in list(found) if f.module):
        facts = project.load(origin)
        if facts is None:
            continue
        for name in settings.session_factories:
            value = facts.globals.get(name)
            if value is not None and value.kind == "factory":
                found.append(Factory(origin, name, value.qual.startswith("contextlib."),
                                     value.is_async or "async" in name.lower()))
            elif name in facts.function_names:
                found.append(Factory(origin, name, True, "async" in name.lower()))
    for name in settings.session_factories:
        if name in index.imports:
            value = project.value(index.imports[name])
            commits = value is None or value.kind != "factory" or value.qual.startswith("contextlib.")
            found.append(Factory(index.imports[name].rpartition(".")[0] or None, name, commits, "async" in name.lower()))
    # A factory that commits on exit keeps the dependency's behaviour; prefer one.
    found.sort(key=lambda f: not f.commits)
    return found


def with_fix_status(findings: Sequence[Finding], settings: Settings, analysis: Analysis) -> List[Finding]:
    """``findings`` with ``fix`` filled in for SL101/SL102: what ``session-lint fix`` would do
    (planned, nothing written)."""
    import dataclasses

    by_path: Dict[str, List[Finding]] = {}
    for f in findings:
        if f.code in ("SL101", "SL102"):
            by_path.setdefault(f.path, []).append(f)
    status: Dict[Tuple[str, str, int], str] = {}
    project = analysis.project
    callers = direct_calls(project.modules(), project.function) if by_path else {}
    for shown, group in by_path.items():
        path = Path(shown)
        try:
            data = path.read_bytes()
            index = project.index(data, path)
            planned = fix_source(data, group, index, resolve_factories(index, group, settings, project), False, callers)
        except Exception as exc:  # noqa: BLE001 - a status we cannot compute is reported as such
            for f in group:
                status[(shown, f.function, f.function_line)] = f"refused: cannot plan ({type(exc).__name__})"
            continue
        for o in planned.outcomes:
            text = {Status.FIXED: "safe", Status.UNSAFE: f"unsafe: {o.reason}", Status.REFUSED: f"refused: {o.reason}"}[o.status]
            status[(shown, o.function, o.line)] = text
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
    result = FixResult(check=check)
    by_path: Dict[str, List[Finding]] = {}
    for f in check.findings:
        by_path.setdefault(f.path, []).append(f)
    roots = [Path(p) for p in paths]
    callers = direct_calls(project.modules(), project.function)
    if not diff:
        clear_stale_temporaries(paths, excludes)
    for shown, findings in sorted(by_path.items()):
        if not any(f.code in ("SL101", "SL102") for f in findings):
            continue
        path = Path(shown)
        report = FileReport(shown)
        result.files.append(report)
        try:
            original = path.read_bytes()
            index = project.index(original, path)
            factories = resolve_factories(index, findings, settings, project)
            fixed: FileFix = fix_source(original, findings, index, factories, unsafe_fixes, callers)
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
