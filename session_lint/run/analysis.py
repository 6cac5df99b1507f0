"""One file in, findings out: the file indexed (parsed, scanned, lowered, handlers marked), the
engine run from each handler's entry state and over each function that makes its own session,
the rules' findings, ``# noqa``."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.flow.engine import Engine
from session_lint.flow.entry import Entries, loads_through_parameters
from session_lint.flow.lower import lower_module
from session_lint.flow.summaries import Summaries
from session_lint.index.cache import Cache
from session_lint.index.module_index import ModuleIndex
from session_lint.index.orm_index import OrmIndex
from session_lint.index.project import Project
from session_lint.report.findings import Finding, fingerprint, suppressed as is_suppressed
from session_lint.report.noqa import UNUSED_NOQA, unused_noqa
from session_lint.rules.findings import findings_of
from session_lint.source.parse import ParseFailure

class Analysis:
    """One run's analysis: the project index, the ORM facts and callee summaries over it, and
    the entry states of handlers (which sessions a dependency leaves open: many handlers ask).
    Built once per run and shared, forked, by its workers."""

    def __init__(self, settings: Settings, roots: Iterable[Path] = (), cache: Optional[Cache] = None) -> None:
        self.settings = settings
        self.project = Project(settings, lower_module, roots, cache)
        self.orm = OrmIndex(self.project)
        self.summaries = Summaries(self.project.function, self.orm)
        self.entries = Entries(self.project.function, self.summaries)
        # The files a run checks, in the order it indexes them (modules that import each other
        # see more of each other the later they are indexed: a re-check keeps the order).
        self.files: List[Path] = []


def fix_factory_problem(settings: Settings, paths: Sequence[str]) -> Optional[str]:
    """What is wrong with the configured ``fix-factory`` in the tree under ``paths`` (its module
    is not there, or does not define the name), or None. ``fix`` would otherwise write an import
    that fails only when the rewritten handler first runs."""
    if not settings.fix_factory:
        return None
    spec = settings.fix_factory[0]
    module, _, name = spec.rpartition(".")
    if not module or not name:
        return f"fix-factory '{spec}' is not module.name (for example app.db.fresh_db_session)"
    analysis = Analysis(settings, [Path(p) for p in paths])
    found = analysis.project.load(module)
    if found is None:
        return f"fix-factory '{spec}': no module '{module}' in the checked tree"
    if not (name in found.globals or name in found.function_names or name in found.classes or name in found.imports):
        return f"fix-factory '{spec}': {found.path} defines no '{name}'"
    return None


def analyze(
    data: Union[bytes, str],
    path: Union[str, Path],
    settings: Settings,
    analysis: Optional[Analysis] = None,
    display_path: Optional[str] = None,
    apply_noqa: bool = True,
    unresolved: Optional[List[Tuple[str, int, int, str]]] = None,
    tree: Optional[ast.Module] = None,
) -> List[Finding]:
    """Every finding in one file, after ``# noqa`` and ``select``/``ignore``. When
    ``unresolved`` is given, the awaited calls made while a session was open that could not be
    followed are appended to it as ``(path, line, col, call)``. ``tree``: the file parsed
    already, if it was."""
    path = Path(path)
    shown = display_path if display_path is not None else str(path)
    analysis = analysis or Analysis(settings)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    index, failed = index_file(raw, path, settings, analysis, shown, tree)
    if index is None:
        return failed
    return check_index(index, raw, settings, analysis, shown, apply_noqa, unresolved)


def index_file(raw: bytes, path: Path, settings: Settings, analysis: Analysis, shown: str,
               tree: Optional[ast.Module] = None) -> Tuple[Optional[ModuleIndex], List[Finding]]:
    """The first half of :func:`analyze`: the file's index, or why there is none (SL001, SL003)."""
    limit = settings.max_file_size_kb * 1024
    if len(raw) > limit:
        if not settings.enabled("SL003", shown):
            return None, []
        found = Finding(shown, 1, 0, "SL003", f"not analyzed: {len(raw) / 1024 / 1024:.1f} MB is more than "
                                              f"max-file-size-kb ({settings.max_file_size_kb} KB)")
        return None, [dataclasses.replace(found, fingerprint=fingerprint(found, "SL003"))]
    try:
        return analysis.project.index(raw, path, tree), []
    except ParseFailure as failure:
        found = Finding(shown, failure.line, failure.col, "SL001", failure.message)
        if not settings.enabled("SL001", shown):
            return None, []
        return None, [dataclasses.replace(found, fingerprint=fingerprint(found, failure.message))]


def check_index(index: ModuleIndex, raw: bytes, settings: Settings, analysis: Analysis, shown: str,
                apply_noqa: bool = True, unresolved: Optional[List[Tuple[str, int, int, str]]] = None,
                suppressed: Optional[List[Finding]] = None) -> List[Finding]:
    """The second half of :func:`analyze`: the engine over an indexed file, then ``# noqa``
    (the findings it silences are appended to ``suppressed``, when given) and, when SL900 is
    selected, the ``# noqa`` comments that silenced nothing."""
    checker = Checker(index, analysis)
    findings = checker.findings(shown)
    if unresolved is not None:
        for pos, label in sorted(checker.unresolved.items(), key=lambda item: (item[0].line, item[0].col)):
            unresolved.append((shown, pos.line, pos.col, label))
    unused_wanted = apply_noqa and settings.enabled(UNUSED_NOQA, shown)
    if not findings and not unused_wanted:
        return []
    text = raw.decode(index.encoding, errors="replace")
    lines = text.splitlines()
    kept = []
    used: Dict[int, Set[str]] = {}
    for finding in findings:
        if not settings.enabled(finding.code, shown):
            continue
        line_text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        if apply_noqa and line_text and is_suppressed(line_text, finding.code):
            used.setdefault(finding.line, set()).add(finding.code)
            if suppressed is not None:
                suppressed.append(finding)
            continue
        kept.append(dataclasses.replace(finding, fingerprint=fingerprint(finding, line_text)))
    if unused_wanted:
        kept.extend(unused_noqa(text, used, settings, shown))
    return sorted(set(kept))


class Checker:
    """Runs the engine over one indexed module's handlers and session-making functions."""

    def __init__(self, index: ModuleIndex, analysis: Analysis) -> None:
        self.index = index
        self.analysis = analysis
        self.unresolved: Dict[ir.Pos, str] = {}

    def findings(self, shown: str) -> List[Finding]:
        out: List[Finding] = []
        summaries = self.analysis.summaries
        entries = self.analysis.entries
        for fn in (self.index.functions or {}).values():
            lists_unresolved = True
            if fn.is_handler:
                run = Engine(fn, summaries).interpret(entries.handler(fn))
                out.extend(findings_of(run, fn, shown, explicit_only=False))
            elif fn.has_explicit_session:
                run = Engine(fn, summaries).interpret([])
                out.extend(findings_of(run, fn, shown, explicit_only=True))
            elif any(loads_through_parameters(fn)):
                # A service function handed its session: only SL201 can be found here (a rollback
                # always expires what it loaded; its factory's settings are the caller's). Its
                # entry names are only guessed to be sessions, so its unfollowed calls are not
                # listed: a caller with a real session lists those it reaches.
                run = Engine(fn, summaries).interpret(entries.service(fn))
                out.extend(findings_of(run, fn, shown, explicit_only=True))
                lists_unresolved = False
            else:
                continue
            if lists_unresolved:
                self.unresolved.update(run.unresolved)
        return out
