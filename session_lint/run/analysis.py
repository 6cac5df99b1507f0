"""One file in, findings out: parse, scan, lower, annotate handlers, run the engine from each
handler's entry state and each function that makes its own session."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.flow.engine import Engine, EntrySession, Hold, Run, Site, stores
from session_lint.flow.lower import lower_module
from session_lint.flow.summaries import Summaries
from session_lint.index.cache import Cache
from session_lint.index.module_index import ModuleIndex
from session_lint.index.orm_index import OrmIndex
from session_lint.index.project import Project
from session_lint.report.findings import Finding, fingerprint, suppressed
from session_lint.source.parse import ParseFailure

# Engine keys of sessions a handler holds without naming them (SL105) start with this.
SUB_DEPENDENCY_PREFIX = "~"


class Analysis:
    """One run's analysis: the project index, the ORM facts and callee summaries over it, and
    the answers to questions many files ask of the finished index (which sessions a dependency
    leaves open). Built once per run and shared, forked, by its workers."""

    def __init__(self, settings: Settings, roots: Iterable[Path] = (), cache: Optional[Cache] = None) -> None:
        self.settings = settings
        self.project = Project(settings, lower_module, roots, cache)
        self.orm = OrmIndex(self.project)
        self.summaries = Summaries(self.project.function, self.orm)
        self.memo: Dict[Tuple[str, Optional[str]], object] = {}


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
        if not settings.enabled("SL003"):
            return None, []
        found = Finding(shown, 1, 0, "SL003", f"not analyzed: {len(raw) / 1024 / 1024:.1f} MB is more than "
                                              f"max-file-size-kb ({settings.max_file_size_kb} KB)")
        return None, [dataclasses.replace(found, fingerprint=fingerprint(found, "SL003"))]
    try:
        return analysis.project.index(raw, path, tree), []
    except ParseFailure as failure:
        found = Finding(shown, failure.line, failure.col, "SL001", failure.message)
        if not settings.enabled("SL001"):
            return None, []
        return None, [dataclasses.replace(found, fingerprint=fingerprint(found, failure.message))]


def check_index(index: ModuleIndex, raw: bytes, settings: Settings, analysis: Analysis, shown: str,
                apply_noqa: bool = True, unresolved: Optional[List[Tuple[str, int, int, str]]] = None) -> List[Finding]:
    """The second half of :func:`analyze`: the engine over an indexed file, then ``# noqa``."""
    checker = Checker(index, analysis)
    findings = checker.findings(shown)
    if unresolved is not None:
        for pos, label in sorted(checker.unresolved.items(), key=lambda item: (item[0].line, item[0].col)):
            unresolved.append((shown, pos.line, pos.col, label))
    if not findings:
        return []
    text = raw.decode(index.encoding, errors="replace")
    lines = text.splitlines()
    kept = []
    for finding in findings:
        if not settings.enabled(finding.code):
            continue
        if apply_noqa and 0 < finding.line <= len(lines) and suppressed(lines[finding.line - 1], finding.code):
            continue
        line_text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        kept.append(dataclasses.replace(finding, fingerprint=fingerprint(finding, line_text)))
    return sorted(set(kept))


class Checker:
    """Runs the engine over one prepared module's handlers and session-making functions."""

    def __init__(self, index: ModuleIndex, analysis: Analysis) -> None:
        self.index = index
        self.analysis = analysis
        self.unresolved: Dict[ir.Pos, str] = {}

    def findings(self, shown: str) -> List[Finding]:
        out: List[Finding] = []
        for fn in (self.index.functions or {}).values():
            lists_unresolved = True
            if fn.is_handler:
                run = Engine(fn, self.analysis.summaries).interpret(self.handler_entry(fn))
                out.extend(_report(run, fn, shown, explicit_only=False))
            elif fn.has_explicit_session:
                run = Engine(fn, self.analysis.summaries).interpret([])
                out.extend(_report(run, fn, shown, explicit_only=True))
            elif _loads_through_parameters(fn):
                # A service function handed its session: only SL201 can be found here (a rollback
                # always expires what it loaded; its factory's settings are the caller's). Its
                # entry names are only guessed to be sessions, so its unfollowed calls are not
                # listed: a caller with a real session lists those it reaches.
                entry = [EntrySession(name, name) for name in self.service_sessions(fn)]
                run = Engine(fn, self.analysis.summaries).interpret(entry)
                out.extend(_report(run, fn, shown, explicit_only=True))
                lists_unresolved = False
            else:
                continue
            if lists_unresolved:
                self.unresolved.update(run.unresolved)
        return out

    def service_sessions(self, fn: ir.FunctionIR) -> List[str]:
        """The names ``fn`` loads objects through that it was handed: parameters, and for
        ``self.*`` (a method's own call returned them) what its class's constructor stored."""
        names = [n for n in _loads_through_parameters(fn) if n != "self.*"]
        if "self.*" in _loads_through_parameters(fn) and fn.bound_method:
            init = self.analysis.project.function(fn.key.rsplit(".", 1)[0] + ".__init__")
            if init is not None:
                names.extend(f"self.{attr}" for _param, attr in stores(init))
        return sorted(set(names))

    def decorator_reads(self, key: Optional[str], param: str) -> bool:
        return _decorator_reads(self.analysis, key, param)

    def handler_entry(self, fn: ir.FunctionIR) -> List[EntrySession]:
        """The sessions a handler starts with, and which are already open (and why)."""
        opened: Dict[str, Tuple[ir.Pos, str, str]] = {}  # session dependency -> (pos, why, via)
        for sub in fn.sub_dependencies:
            for dependency, what in dependency_sessions(sub.key, self.analysis).items():
                opened.setdefault(dependency, (sub.pos, what, sub.label))
        entry: List[EntrySession] = []
        named: Set[str] = set()
        for p in fn.session_params:
            named.add(p.dependency)
            site = None
            if p.opened_by_decorator is not None and self.decorator_reads(p.opened_by_decorator[2], p.name):
                pos, why, _key = p.opened_by_decorator
                site = Site(pos.line, pos.col, why)
            elif p.dependency in opened:
                pos, why, _via = opened[p.dependency]
                site = Site(pos.line, pos.col, why)
            else:
                why = dependency_open_reason(p.dependency_key, self.analysis)
                if why is not None:
                    site = Site(p.pos.line, p.pos.col, why)
            entry.append(EntrySession(p.name, p.name, site, p.dependency_key))
        for dependency, (pos, why, via) in sorted(opened.items()):
            if dependency not in named:
                # FastAPI caches the session per request and closes it after the response:
                # the handler holds it though it never names it.
                key = f"{SUB_DEPENDENCY_PREFIX}{dependency}|{via}"
                entry.append(EntrySession(key, key, Site(pos.line, pos.col, why)))
        return entry


def _loads_through_parameters(fn: ir.FunctionIR) -> Tuple[str, ...]:
    """Names of the parameters (or ``self.<attr>``) that ``fn`` loads ORM objects through."""
    cached = fn.__dict__.get("_param_loads")
    if cached is None:
        found: Set[str] = set()
        for node in ir.walk(fn.body):
            if isinstance(node, ir.Load):
                for name in (node.session,) + node.via:
                    if name in fn.params or name.startswith("self."):
                        found.add(name)
        cached = tuple(sorted(found))
        fn.__dict__["_param_loads"] = cached
    return cached


def _decorator_reads(analysis: Analysis, key: Optional[str], param: str) -> bool:
    """Whether the decorator ``key`` reads the handler's parameter ``param``: when its code is
    in the tree and reads named keys from ``**kwargs`` (``kwargs.get("db")``), only those;
    otherwise, as configured, any session parameter."""
    fn = analysis.project.function(key) if key else None
    if fn is None or not fn.kwargs_keys:
        return True
    return param in fn.kwargs_keys


def dependency_open_reason(key: Optional[str], analysis: Analysis) -> Optional[str]:
    """Why a session dependency hands over a session whose transaction is already open (a ``SET``
    before its ``yield``), or None."""
    fn = analysis.project.function(key) if key else None
    if fn is None:
        return None
    run = Engine(fn, analysis.summaries).interpret([])
    for _pos, (name, state) in sorted(run.yields.items(), key=lambda item: (item[0].line, item[0].col)):
        if name is None:
            continue
        for k in state.keys_of(name):
            sites = state.sites(k)
            if sites:
                return f"{fn.name} runs {sites[0].what} before yield"
    return None


_DEPTH = 8


def dependency_sessions(key: Optional[str], analysis: Analysis, depth: int = _DEPTH, seen: Optional[Set[str]] = None) -> Dict[str, str]:
    """Session dependencies (``get_db``) that the dependency ``key``, or one it depends on, leaves
    with an open transaction when the handler starts: dependency -> what opened it
    (``get_current_user_with_permissions -> get_current_user: db.query``)."""
    if seen is None and depth == _DEPTH:
        # Every handler behind the same dependency asks the same question: answer it once.
        memo_key = ("dependency_sessions", key)
        if memo_key not in analysis.memo:
            analysis.memo[memo_key] = _dependency_sessions(key, analysis, depth, set())
        return dict(analysis.memo[memo_key])  # type: ignore[arg-type]
    return _dependency_sessions(key, analysis, depth, seen if seen is not None else set())


def _dependency_sessions(key: Optional[str], analysis: Analysis, depth: int, seen: Set[str]) -> Dict[str, str]:
    fn = analysis.project.function(key) if key else None
    if fn is None or depth <= 0:
        return {}
    if fn.key in seen:
        return {}
    seen.add(fn.key)
    opened: Dict[str, str] = {}
    for sub in fn.sub_dependencies:
        for dependency, what in dependency_sessions(sub.key, analysis, depth - 1, seen).items():
            opened.setdefault(dependency, f"{fn.name} -> {what}")
    entry = [
        EntrySession(p.name, p.name, Site(p.pos.line, p.pos.col, opened[p.dependency]) if p.dependency in opened else None)
        for p in fn.session_params
    ]
    run = Engine(fn, analysis.summaries).interpret(entry)
    # What the handler sees: the state where the dependency hands over (its yield) or returns.
    states = [state for _name, state in run.yields.values()]
    if run.exit is not None:
        states.append(run.exit)
    for p in fn.session_params:
        for state in states:
            sites = state.sites(p.name)
            if sites:
                opened.setdefault(p.dependency, f"{fn.name}: {sites[0].what}")
                break
    return opened


def _report(run: Run, fn: ir.FunctionIR, shown: str, explicit_only: bool) -> List[Finding]:
    out = [
        Finding(shown, pos.line, pos.col, "SL201", text, function=fn.name, session=session,
                function_line=fn.pos.line, end_line=pos.end_line, end_col=pos.end_col)
        for pos, (text, session) in run.detached.items()
    ]
    for hold in run.holds.values():
        explicit = hold.key in run.explicit
        if explicit_only and not explicit:
            continue
        via = None
        if hold.key.startswith(SUB_DEPENDENCY_PREFIX):
            name, _, via = hold.key[1:].partition("|")
        else:
            name = hold.key.split("@", 1)[0]
        code = _code(hold, explicit, via is not None)
        out.append(
            Finding(
                shown,
                hold.pos.line,
                hold.pos.col,
                code,
                message(hold, name, run.explicit.get(hold.key), via),
                function=fn.name,
                session=name,
                chain=hold.chain,
                opened_by=hold.site.what,
                function_line=fn.pos.line,
                end_line=hold.pos.end_line,
                end_col=hold.pos.end_col,
            )
        )
    return out


def _code(hold: Hold, explicit: bool, sub_dependency: bool) -> str:
    if hold.blocking:
        return "SL104"
    if explicit:
        return "SL103"
    if sub_dependency:
        return "SL105"
    return "SL101" if len(hold.chain) == 1 else "SL102"


def message(hold: Hold, name: str, factory: Optional[str], via: Optional[str] = None) -> str:
    chain = " -> ".join(hold.chain)
    what = f"blocking call {chain}" if hold.blocking else f"slow await {chain}"
    if via is not None:
        who = f"the {name} session of dependency {via}"
    else:
        made = f" (from {factory}())" if factory else ""
        who = f"session '{name}'{made}"
    return f"{what} while {who} open since line {hold.site.line} ({hold.site.what})"
