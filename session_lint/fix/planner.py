"""Planning the fixes of a run: for each finding, extract (SPEC 4a) when it is a handler whose
session is used only before the slow call, release in place (SPEC 4b) otherwise; then every
planned rewrite checked by running the engine again on the rewritten code, and planned again
(bounded) while findings remain that another release resolves, as ruff repeats its fixes.

Nothing is written here: the result is the new source of each file and one outcome per finding.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint.config import Settings
from session_lint.fix.apply import apply_plans
from session_lint.fix.callers import direct_calls
from session_lint.fix.extract import Plan, Planner
from session_lint.fix.facts import FactsOracle
from session_lint.fix.factories import resolve_factories
from session_lint.fix.model import Outcome, Refusal, Rewrite, Status, Why
from session_lint.fix.release import Refused, Release, ReleasePlanner, group_releases
from session_lint.fix.release_edit import ReleaseEdit, ReleaseEditor
from session_lint.flow import ir
from session_lint.flow.engine import Engine, EntrySession
from session_lint.flow.facts import CALLER, Detached, SessionConfig, SessionKey, SessionKind, Site
from session_lint.index.module_index import ModuleIndex
from session_lint.report.findings import Finding, identities
from session_lint.rules import FIXABLE
from session_lint.run.analysis import Analysis, check_index

# Rounds of plan, rewrite, check again; each round only makes progress or stops.
ROUNDS = 4

# A release's place: the function's key and the position it goes before.
Place = Tuple[str, ir.Pos]
# A finding across rewrites: its fingerprint, and which of the findings sharing it it is.
Identity = Tuple[str, int]


@dataclass
class FixPlan:
    """The new source of every file a fix changes, and what was done for each finding."""

    sources: Dict[str, bytes] = field(default_factory=dict)
    originals: Dict[str, bytes] = field(default_factory=dict)
    outcomes: List[Outcome] = field(default_factory=list)
    # The places (function, position) changed for each finding.
    places: Dict[Identity, Set[Place]] = field(default_factory=dict)


def plan_fixes(findings: Sequence[Finding], analysis: Analysis, settings: Settings, roots: Sequence[Path],
               unsafe_fixes: bool) -> FixPlan:
    """Every fix for ``findings`` (a check's findings, over ``analysis``), checked again: a
    rewrite after which its finding is still held, or that adds a finding, is dropped and its
    place not used again."""
    fixable = [f for f in findings if f.code in FIXABLE and f.hold is not None]
    ids = identities(findings)
    blocked: Dict[Place, Tuple[str, Why]] = {}
    # Findings the rounds could not resolve: refused, their releases no longer planned (a place
    # they shared with findings it resolves stays in use).
    given_up: Dict[Identity, Outcome] = {}
    result = FixPlan()
    for _attempt in range(ROUNDS):
        result = _attempt_fixes(fixable, findings, analysis, settings, roots, unsafe_fixes, blocked, given_up)
        if not result.sources:
            break
        checked = _recheck(result.sources, settings, roots, analysis, [f.path for f in fixable])
        still = {ident: f for f, ident in identities(checked.findings).items()}
        failed = [o for o in result.outcomes if o.applied and ids[o.finding] in still]
        if not failed:
            break
        for outcome in failed:
            left = still[ids[outcome.finding]]
            given_up[ids[outcome.finding]] = Outcome(
                outcome.finding, Status.REFUSED, f"re-checked, it is still held on another path: {left.message}",
                outcome.rewrite, outcome.where, why=Why.STILL_HELD)
    else:
        # Out of attempts: nothing that did not check is kept.
        result = _attempt_fixes(fixable, findings, analysis, settings, roots, unsafe_fixes, blocked, given_up,
                                rounds=0)
    for path in result.sources:
        result.originals[path] = Path(path).read_bytes()
    return result


def _attempt_fixes(fixable: Sequence[Finding], findings: Sequence[Finding], analysis: Analysis, settings: Settings,
                   roots: Sequence[Path], unsafe_fixes: bool, blocked: Dict[Place, Tuple[str, Why]],
                   given_up: Dict[Identity, Outcome], rounds: int = ROUNDS) -> FixPlan:
    """Rounds of plan, rewrite and check again, each only adding to what checked."""
    result = FixPlan()
    ids = identities(findings)
    outcomes: Dict[Identity, Outcome] = {ids[f]: given_up[ids[f]] for f in fixable if ids[f] in given_up}
    current = analysis
    pending: Sequence[Finding] = [f for f in fixable if ids[f] not in given_up]
    for _round in range(rounds):
        if not pending:
            break
        round_plan = _Round(current, settings, unsafe_fixes, result.sources, blocked).plan(pending)
        if not round_plan.sources:
            _merge(outcomes, round_plan.outcomes, ids)
            break
        sources = {**result.sources, **round_plan.sources}
        checked = _recheck(sources, settings, roots, current, [f.path for f in fixable])
        checked_ids = identities(checked.findings)
        known = set(ids.values())
        added = [f for f, ident in checked_ids.items() if ident not in known]
        if added:
            # A rewrite that makes a finding of its own is dropped, and its place not used again.
            new = min(added, key=lambda f: (f.path, f.line, f.col))
            for place in round_plan.places_of(added):
                blocked[place] = (f"re-checked, the rewrite adds {new.code} at line {new.line}: {new.message}",
                                  Why.ADDS_FINDING)
            continue
        reloads = _reloads(round_plan.applied, current, checked.analysis)
        if reloads:
            for release, pos, read in reloads:
                blocked[release.place] = (f"re-checked, '{read}' (line {pos.line}) would be loaded again after "
                                          f"the release, in a new transaction: copy it before line "
                                          f"{release.pos.line} by hand", Why.RELOADS)
            continue
        _merge(outcomes, round_plan.outcomes, ids)
        for finding, places in round_plan.places.items():
            result.places.setdefault(ids[finding], set()).update(places)
        result.sources = sources
        current = checked.analysis
        # The findings of this round still held on another path: the next round releases that.
        pending = [f for f, ident in checked_ids.items() if f.code in FIXABLE and f.hold is not None
                   and ident in outcomes and outcomes[ident].applied]
        ids = {**ids, **{f: ident for f, ident in checked_ids.items()}}
    if len(outcomes) < len(fixable):
        # Findings no round got to (or all rounds dropped): what planning says of them now.
        final = _Round(analysis, settings, unsafe_fixes, {}, blocked).plan(
            [f for f in fixable if ids[f] not in outcomes])
        for finding, outcome in final.outcomes.items():
            if outcome.applied:
                reasons = [blocked[place] for place in sorted(final.places.get(finding, ()), key=str)
                           if place in blocked]
                reason, why = reasons[0] if reasons else ("not applied", Why.ANALYSIS)
                outcome = Outcome(finding, Status.REFUSED, reason, outcome.rewrite, outcome.where, why=why)
            outcomes.setdefault(ids[finding], outcome)
    for finding in fixable:
        outcome = outcomes.get(ids[finding])
        if outcome is not None:
            result.outcomes.append(Outcome(finding, outcome.status, outcome.reason, outcome.rewrite, outcome.where,
                                           outcome.applied, outcome.why, outcome.files))
    return result


def _merge(outcomes: Dict[Identity, Outcome], new: Dict[Finding, Outcome], ids: Dict[Finding, Identity]) -> None:
    """A later round's outcome adds to an earlier one's: a second release for the same finding
    (another path to the same slow call) is named beside the first."""
    for finding, outcome in new.items():
        ident = ids[finding]
        known = outcomes.get(ident)
        if known is None or not known.applied:
            outcomes[ident] = outcome
        elif outcome.applied and outcome.where not in known.where:
            known.where = f"{known.where}; {outcome.where}"
            if outcome.status is Status.UNSAFE:
                known.status = Status.UNSAFE
                known.reason = "; ".join(r for r in (known.reason, outcome.reason) if r)


@dataclass
class _Checked:
    analysis: Analysis
    findings: List[Finding]


def _recheck(sources: Dict[str, bytes], settings: Settings, roots: Sequence[Path], analysis: Analysis,
             paths: Iterable[str]) -> _Checked:
    """The findings of the rewritten files and of the files whose findings were fixed, from a
    fresh analysis that reads the rewritten files from ``sources`` and the rest from disk."""
    # The run's cache (if any): modules the rewrite did not change are read from it. Every file
    # is indexed in the order the check indexed it, so that what import cycles let each module
    # see is the same as in the check the findings came from.
    fresh = Analysis(settings, roots, analysis.project.cache)
    fresh.files = list(analysis.files)
    fresh.project.overlay = {Path(path).resolve(): data for path, data in sources.items()}
    fresh.project.reuse(analysis.project)
    order = [str(p) for p in analysis.files] + sorted(set(sources) - {str(p) for p in analysis.files})
    for path in order:
        if path not in sources and not analysis.project.has(Path(path)):
            continue  # not indexed by the check either (too large, unreadable): nothing changed it
        try:
            data = sources[path] if path in sources else Path(path).read_bytes()
            fresh.project.index(data, Path(path))
        except Exception:  # noqa: BLE001 - a rewrite that does not index is refused by its parse check
            continue
    found: List[Finding] = []
    for path in sorted(set(paths) | set(sources)):
        data = sources.get(path)
        if data is None:
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue
        try:
            index = fresh.project.index(data, Path(path))
        except Exception:  # noqa: BLE001
            continue
        found.extend(check_index(index, data, settings, fresh, path))
    return _Checked(fresh, found)


class _Round:
    """One round of planning over the current sources."""

    def __init__(self, analysis: Analysis, settings: Settings, unsafe_fixes: bool, sources: Dict[str, bytes],
                 blocked: Dict[Place, Tuple[str, Why]]) -> None:
        self.analysis = analysis
        self.project = analysis.project
        self.settings = settings
        self.unsafe_fixes = unsafe_fixes
        self.current = sources
        self.blocked = blocked
        self.callers = direct_calls(self.project.modules(), self.project.function)
        self.facts = FactsOracle(analysis)
        self.releaser = ReleasePlanner(analysis, self.callers)
        self.outcomes: Dict[Finding, Outcome] = {}
        self.sources: Dict[str, bytes] = {}
        # Every place changed for a finding: a release on each path to its slow call.
        self.places: Dict[Finding, Set[Place]] = {}
        self.applied: List[Release] = []
        # What each function's release does for a finding, until the finding's outcome is known.
        self._parts: Dict[Finding, List[Outcome]] = {}
        # The findings an extraction resolves, by file.
        self._extracted: Dict[str, Set[Finding]] = {}

    def places_of(self, added: Sequence[Finding]) -> Set[Place]:
        """The planned places in the functions where ``added`` findings appeared (else all)."""
        functions = {(f.path, f.function) for f in added}
        every = {place for places in self.places.values() for place in places}
        hit = {place for finding, places in self.places.items() for place in places
               if (finding.path, finding.function) in functions or any(
                   self._path_of_key(place[0]) == path for path, _fn in functions)}
        return hit or every

    def _path_of_key(self, key: str) -> Optional[str]:
        fn = self.project.function(key)
        return self.releaser._path_of(fn) if fn is not None else None

    def plan(self, findings: Sequence[Finding]) -> "_Round":
        by_path: Dict[str, List[Finding]] = {}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        extracts: Dict[str, List[Plan]] = {}
        releases: List[Release] = []
        wrappers: Dict[str, MetadataWrapper] = {}
        for path, group in sorted(by_path.items()):
            index = self._index(path)
            if index is None:
                for f in group:
                    self.outcomes[f] = Outcome(f, Status.REFUSED, "the file cannot be read again", why=Why.ANALYSIS)
                continue
            wrapper = self._wrapper(path, wrappers)
            rest = self._extract(path, group, index, wrapper, extracts)
            for f in rest:
                fn = self.facts.function(index, f)
                if fn is None:
                    self.outcomes[f] = Outcome(f, Status.REFUSED, "the function is not found again", why=Why.ANALYSIS)
                    continue
                try:
                    releases.extend(self.releaser.locate(f, fn, path))
                except Refused as refused:
                    self.outcomes[f] = Outcome(f, Status.REFUSED, refused.reason, where=refused.where, why=refused.why)
        edits: Dict[str, List[Tuple[ReleaseEdit, List[Release]]]] = {}
        self._release_all(group_releases(releases), wrappers, edits, extracts)
        self._settle()
        for path in sorted(set(extracts) | set(edits)):
            plans = [p for p in extracts.get(path, []) if self._applies(p.unsafe)]
            # A function's release is written when it resolves some finding: a release on one of
            # the paths of a finding refused on another is left out with it.
            chosen = [(edit, group) for edit, group in edits.get(path, [])
                      if any(self.outcomes[f].applied for r in group for f in r.findings)]
            if not plans and not chosen:
                continue
            for _edit, group in chosen:
                self.applied.extend(group)
            index = self._index(path)
            module_name = index.name if index is not None else ""
            new = apply_plans(wrappers[path], plans, module_name, [edit for edit, _group in chosen]).bytes
            if new != wrappers[path].module.bytes and _parses(new):
                self.sources[path] = new
            elif new != wrappers[path].module.bytes:
                touched = self._extracted.get(path, set()) | {
                    f for _edit, group in chosen for r in group for f in r.findings}
                for f in touched:
                    outcome = self.outcomes[f]
                    outcome.applied, outcome.status, outcome.reason = False, Status.REFUSED, "the rewrite did not parse"
        return self

    def _settle(self) -> None:
        """Each released finding's outcome from the releases on its paths: refused if one is,
        unsafe if one is, applied only if every one is."""
        for finding, parts in self._parts.items():
            refused = [p for p in parts if p.status is Status.REFUSED]
            if refused:
                self.outcomes[finding] = Outcome(finding, Status.REFUSED, refused[0].reason, where=refused[0].where,
                                                 why=refused[0].why)
                continue
            reasons = list(dict.fromkeys(p.reason for p in parts if p.reason))
            status = Status.UNSAFE if any(p.status is Status.UNSAFE for p in parts) else Status.FIXED
            self.outcomes[finding] = Outcome(finding, status, "; ".join(reasons), Rewrite.RELEASE,
                                             "; ".join(dict.fromkeys(p.where for p in parts)),
                                             all(p.applied for p in parts), next((p.why for p in parts if p.why), None),
                                             frozenset(path for p in parts for path in p.files))

    # ------------------------------------------------------------ extract (4a)

    def _extract(self, path: str, group: List[Finding], index: ModuleIndex, wrapper: MetadataWrapper,
                 extracts: Dict[str, List[Plan]]) -> List[Finding]:
        """Plans 4a for the handlers of one file; the findings left for 4b."""
        factories = resolve_factories(index, group, self.settings, self.project)
        planner = Planner(wrapper, index, factories, self.callers)
        by_handler: Dict[cst.FunctionDef, List[Finding]] = {}
        rest: List[Finding] = []
        functions = _functions_of(wrapper)
        for f in group:
            if f.code not in ("SL101", "SL102"):
                rest.append(f)
                continue
            candidates = [fn for fn in functions if fn.name.value == f.function and planner.contains(fn, f.line, f.col)]
            if candidates:
                innermost = max(candidates, key=lambda fn: planner.line_of(fn))
                by_handler.setdefault(innermost, []).append(f)
            else:
                rest.append(f)
        for func, handler_findings in by_handler.items():
            first = min(handler_findings, key=lambda f: (f.line, f.col))
            try:
                plan = planner.plan(func, handler_findings, self.facts.at(index, first))
            except Refusal:
                rest.extend(handler_findings)  # 4a does not apply: release where it is held
                continue
            where = f"{func.name.value} ({path}:{planner.line_of(func)})"
            status = Status.UNSAFE if plan.unsafe else Status.FIXED
            applied = self._applies(plan.unsafe)
            extracts.setdefault(path, []).append(plan)
            place = (f"{path}:{func.name.value}", ir.Pos(planner.line_of(func), 0))
            if place in self.blocked:
                rest.extend(handler_findings)  # the extraction did not check: try a release
                extracts[path].remove(plan)
                continue
            for f in handler_findings:
                self.outcomes[f] = Outcome(f, status, "; ".join(plan.unsafe), Rewrite.EXTRACT, where, applied,
                                           files=frozenset({path}))
                self.places[f] = {place}
            if applied:
                self._extracted.setdefault(path, set()).update(handler_findings)
        return rest

    # ------------------------------------------------------------ release (4b)

    def _release_all(self, releases: Sequence[Release], wrappers: Dict[str, MetadataWrapper],
                     edits: Dict[str, List[Tuple[ReleaseEdit, List[Release]]]],
                     extracts: Dict[str, List[Plan]]) -> None:
        """Plans the releases of each function together: their copies are made once."""
        by_function: Dict[Tuple[str, str], List[Release]] = {}
        for release in releases:
            by_function.setdefault((release.path, release.fn.key), []).append(release)
        for (path, _key), group in sorted(by_function.items()):
            fn = group[0].fn
            where = f"{fn.name} ({path}:{fn.pos.line})"
            blocked = [r for r in group if r.place in self.blocked]
            if blocked:
                for release in group:
                    self._refuse(release, *self.blocked[blocked[0].place], where)
                continue
            if any(p.func.name.value == fn.name for p in extracts.get(path, [])):
                for release in group:
                    self._refuse(release, "the function is rewritten by extraction already", Why.EXTRACT, where)
                continue
            editor = _editor(self._wrapper(path, wrappers))
            try:
                edit = editor.plan(group, self._is_mapped)
            except Refused as refused:
                for release in group:
                    self._refuse(release, refused.reason, refused.why, where)
                continue
            if edit.blocks:
                # Reads no copy can serve: the commit keeps what the session loaded instead, so
                # nothing loads again after it, and those reads see the values from before it.
                edit.unsafe = ["; ".join(edit.blocks) + ": no copy serves that, so the commit keeps loaded objects "
                               "as they were (expire_on_commit off around it), and reads after it see the values "
                               "from before it instead of loading them again"]
            why = Why.KEPT_LOADED if edit.unsafe else Why.WRITES
            unsafe = sorted({u for r in group for u in r.unsafe}) + edit.unsafe
            edit.unsafe = unsafe
            applied = self._applies(unsafe)
            status = Status.UNSAFE if unsafe else Status.FIXED
            lines = sorted({editor.line_of(anchor) for anchor in edit.commits})
            at = f"{where}, before line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
            for release in group:
                for f in release.findings:
                    self._parts.setdefault(f, []).append(
                        Outcome(f, status, "; ".join(unsafe), Rewrite.RELEASE, at, applied,
                                why if unsafe else None, frozenset({path})))
                    self.places.setdefault(f, set()).add(release.place)
            if applied:
                edits.setdefault(path, []).append((edit, group))

    def _refuse(self, release: Release, reason: str, why: Why, where: str) -> None:
        for f in release.findings:
            self._parts.setdefault(f, []).append(Outcome(f, Status.REFUSED, reason, where=where, why=why))

    # ------------------------------------------------------------ helpers

    def _is_mapped(self, model: str) -> bool:
        """Whether objects of ``model`` are ORM objects: a mapped class of the project, or a class
        the analysis could not resolve (loaded through the session, it is one)."""
        if not model or "." not in model:
            return True
        return self.analysis.orm.model(model) is not None or self.project.function(model + ".__init__") is None

    def _applies(self, unsafe: Sequence[str]) -> bool:
        return not unsafe or self.unsafe_fixes

    def _source(self, path: str) -> bytes:
        return self.current[path] if path in self.current else Path(path).read_bytes()

    def _index(self, path: str) -> Optional[ModuleIndex]:
        try:
            return self.project.index(self._source(path), Path(path))
        except Exception:  # noqa: BLE001 - reported as refused by the caller
            return None

    def _wrapper(self, path: str, wrappers: Dict[str, MetadataWrapper]) -> MetadataWrapper:
        if path not in wrappers:
            wrappers[path] = _parsed(path, self._source(path))
        return wrappers[path]


# The parsed modules of the last rounds, with their metadata and what is planned from it: a file
# the previous round did not change is planned again from the same tree (parsing a large module
# and resolving its metadata takes seconds).
@dataclass
class _Parsed:
    wrapper: MetadataWrapper
    editor: Optional[ReleaseEditor] = None
    functions: Optional[List[cst.FunctionDef]] = None


_PARSED: "OrderedDict[Tuple[str, bytes], _Parsed]" = OrderedDict()
_BY_WRAPPER: Dict[int, _Parsed] = {}
_PARSED_KEPT = 24


def _parsed(path: str, source: bytes) -> MetadataWrapper:
    key = (path, hashlib.sha256(source).digest())
    found = _PARSED.get(key)
    if found is None:
        found = _Parsed(MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True))
        _PARSED[key] = found
        _BY_WRAPPER[id(found.wrapper)] = found
        while len(_PARSED) > _PARSED_KEPT:
            _key, old = _PARSED.popitem(last=False)
            _BY_WRAPPER.pop(id(old.wrapper), None)
    else:
        _PARSED.move_to_end(key)
    return found.wrapper


def _editor(wrapper: MetadataWrapper) -> ReleaseEditor:
    """One editor per parsed module: its metadata is resolved once."""
    held = _BY_WRAPPER.get(id(wrapper))
    if held is None or held.wrapper is not wrapper:
        return ReleaseEditor(wrapper)
    if held.editor is None:
        held.editor = ReleaseEditor(wrapper)
    return held.editor


def _functions_of(wrapper: MetadataWrapper) -> List[cst.FunctionDef]:
    """Every function of the module (read off its position metadata, which planning resolves
    anyway)."""
    held = _BY_WRAPPER.get(id(wrapper))
    if held is not None and held.wrapper is wrapper and held.functions is not None:
        return held.functions
    found = [n for n in wrapper.resolve(PositionProvider) if isinstance(n, cst.FunctionDef)]
    if held is not None and held.wrapper is wrapper:
        held.functions = found
    return found


def _parses(source: bytes) -> bool:
    try:
        cst.parse_module(source)
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except Exception:  # noqa: BLE001 - any failure to parse refuses the rewrite
        return False
    return True


def _reloads(releases: Sequence[Release], before: Analysis, after: Analysis) -> List[Tuple[Release, ir.Pos, str]]:
    """The releases after which their function reads an object of the session it expired that
    it did not read before the rewrite, with the first such read: where, and what."""
    found = []
    for release in releases:
        if release.key.kind is not SessionKind.PARAM:
            continue  # an explicit session's factory is known: the re-check's SL201 sees these
        new_fn = after.project.function(release.fn.key)
        if new_fn is None:
            continue
        known = {read.path for _pos, read in detached_reads(before, release.fn, release.session, release.expires)}
        new = [(pos, read) for pos, read in detached_reads(after, new_fn, release.session, release.expires)
               if read.path not in known]
        if new:
            pos, read = new[0]
            found.append((release, pos, ".".join(read.path)))
    return found


def detached_reads(analysis: Analysis, fn: ir.FunctionIR, session: str,
                   expires: Optional[bool]) -> List[Tuple[ir.Pos, Detached]]:
    """Where ``fn`` reads an ORM object of ``session`` after that session expired or detached
    it, the session arriving open with a factory that expires on commit as ``expires`` says
    (SQLAlchemy's default when unknown): what a release that copied too little leaves."""
    key = SessionKey.param(session)
    config = SessionConfig(True if expires is None else expires, False, False)
    entry = [EntrySession(session, key, Site(fn.pos.line, fn.pos.col, CALLER), config=config)]
    run = Engine(fn, analysis.summaries).interpret(entry)
    return sorted(((pos, found) for pos, found in run.detached.items() if found.session == key),
                  key=lambda item: (item[0].line, item[0].col))
