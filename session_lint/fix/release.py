"""SPEC 4b, release in place: where a held transaction is ended, and whether that is safe.

A finding's hold is followed down its chain to the deepest function that can name the session
and in which the transaction is open at that point: when a callee receives the session and
opens it again before its own slow call, the release goes into that callee (recursively);
otherwise it goes before the statement that awaits the callee. Safety is read from the engine's
facts at that point, and at every call on the way down and from every other caller of that
function: pending writes make it unsafe; a row lock, a savepoint, an explicit ``begin()``, a
session shared with concurrent tasks or a strict isolation level refuse it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from session_lint.fix.model import Why
from session_lint.flow import ir
from session_lint.flow.calls import param_for
from session_lint.flow.engine import Engine, EntrySession
from session_lint.flow.facts import OUTER, Mark, SessionKey, SessionKind, Site
from session_lint.flow.state import State
from session_lint.report.findings import Finding
from session_lint.run.analysis import Analysis

# How far a release is followed down a chain, and up to other callers.
_DEPTH = 8

# Marks that refuse a release, and why (the fact a person must deal with).
REFUSING = {
    Mark.LOCK: (Why.LOCK, "a row lock (with_for_update or FOR UPDATE) taken at line {line} would be given up "
                          "before the slow call"),
    Mark.NESTED: (Why.SAVEPOINT, "a savepoint (begin_nested) at line {line} is open"),
    Mark.BEGIN: (Why.BEGIN, "the transaction is begun explicitly (begin) at line {line}: its block decides where "
                            "it ends"),
    Mark.SHARED: (Why.SHARED, "the session is handed at line {line} to tasks that run at the same time"),
    Mark.ISOLATION: (Why.ISOLATION, "the transaction sets a strict isolation level at line {line}"),
}


@dataclass
class Release:
    """One planned ``<session>.commit()``: in function ``fn`` (of the module at ``path``), before
    the statement holding ``pos``, for the session named ``session`` there."""

    fn: ir.FunctionIR
    path: str
    session: str
    key: SessionKey
    pos: ir.Pos
    state: State
    is_async: bool
    # Whether committing expires what the session loaded (its factory's expire_on_commit;
    # None: unknown, taken as SQLAlchemy's default, True).
    expires: Optional[bool]
    findings: List[Finding] = field(default_factory=list)
    # Where the open transaction wrote, on the way to the release ("line 12 in the caller f").
    writes: List[str] = field(default_factory=list)

    @property
    def unsafe(self) -> List[str]:
        if not self.writes:
            return []
        shown = ", ".join(self.writes[:3]) + (f" and {len(self.writes) - 3} more" if len(self.writes) > 3 else "")
        return [f"pending writes ({shown}) would be committed before the slow call, so a failing call no longer "
                "undoes them"]

    @property
    def place(self) -> Tuple[str, ir.Pos]:
        return self.fn.key, self.pos


class Refused(Exception):
    """A release that must not be made: the fact that blocks it, and the function where a person
    must act (``path:line``)."""

    def __init__(self, reason: str, where: str, why: Why = Why.ANALYSIS) -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where
        self.why = why


class ReleasePlanner:
    """Finds where each finding's transaction is released, over one analysis."""

    def __init__(self, analysis: Analysis, callers: Dict[str, List[Tuple[str, str, int]]]) -> None:
        self.analysis = analysis
        self.summaries = analysis.summaries
        self.callers = callers
        self._runs: Dict[Tuple[str, Tuple[Tuple[str, bool], ...], ir.Pos], Optional[State]] = {}

    # ------------------------------------------------------------ where

    def locate(self, finding: Finding, fn: ir.FunctionIR, path: str) -> List[Release]:
        """Every release that resolves ``finding``: its chain followed down to the function
        that holds the transaction, and there a release before each slow call that holds it
        (a REST branch and an MCP branch are two places)."""
        hold = finding.hold
        assert hold is not None
        if hold.key.kind is SessionKind.SUB_DEPENDENCY:
            dependency = hold.key.name.rsplit(".", 1)[-1]
            raise Refused(f"the {dependency} session is opened by the dependency {hold.key.via} and never named "
                          f"here: ask for it as a parameter (Depends({dependency}) gives the handler the same "
                          f"session) and commit it before line {hold.pos.line}, or have {hold.key.via} commit "
                          "before it returns", f"{path}:{fn.pos.line}", Why.UNNAMED)
        entry = self._entry(fn)
        key, pos, chain = hold.key, hold.pos, hold.chain
        expires = self._expires(fn, key)
        is_async = self._is_async(fn, key)
        above: List[Tuple[ir.FunctionIR, str, SessionKey, ir.Pos, List[EntrySession]]] = []
        for _ in range(_DEPTH):
            state = self._state(fn, entry, pos)
            if state is None:
                raise Refused("the analysis does not reach the slow call again", f"{path}:{fn.pos.line}")
            deeper = self._deeper(fn, state, key, pos, chain) if len(chain) > 1 else None
            if deeper is None:
                break
            above.append((fn, path, key, pos, entry))
            fn, key, pos, chain, entry = deeper
            path = self._path_of(fn) or path
            is_async = is_async or self._is_async(fn, key)
        else:
            raise Refused("the chain is deeper than the fix follows", f"{path}:{fn.pos.line}")
        if not above:
            # The finding's own function: the slow call it reports.
            release = Release(fn, path, key.name, key, pos, state, is_async, expires, [finding])
            self._judge(release, above, entry)
            return [release]
        return self._every_hold(fn, path, key, entry, above, is_async, expires, finding, _DEPTH)

    def _every_hold(self, fn: ir.FunctionIR, path: str, key: SessionKey, entry: List[EntrySession], above,
                    is_async: bool, expires: Optional[bool], finding: Finding, depth: int) -> List[Release]:
        """A release before each slow call of ``fn`` that holds ``key`` (or in the callee that
        opens it again first)."""
        run = Engine(fn, self.summaries).interpret(entry)
        holds = sorted((h for h in run.holds.values() if h.key == key), key=lambda h: (h.pos.line, h.pos.col))
        releases: List[Release] = []
        for hold in holds:
            state = self._state(fn, entry, hold.pos)
            if state is None:
                continue
            deeper = self._deeper(fn, state, key, hold.pos, hold.chain) if len(hold.chain) > 1 else None
            if deeper is not None and depth > 0:
                target, inner_key, _pos, _chain, inner_entry = deeper
                releases.extend(self._every_hold(target, self._path_of(target) or path, inner_key, inner_entry,
                                                 [*above, (fn, path, key, hold.pos, entry)],
                                                 is_async or self._is_async(target, inner_key), expires, finding,
                                                 depth - 1))
                continue
            release = Release(fn, path, key.name, key, hold.pos, state, is_async or self._is_async(fn, key), expires,
                              [finding])
            self._judge(release, above, entry)
            releases.append(release)
        if not releases:
            raise Refused("no slow call holds the session there any more", f"{path}:{fn.pos.line}")
        return releases

    def _deeper(self, fn: ir.FunctionIR, state: State, key: SessionKey, pos: ir.Pos, chain: Tuple[str, ...]):
        """The callee at ``pos`` and the hold in it, when it receives the session and opens it
        again before its own slow call (then the release belongs there); else None."""
        call = self._call_at(fn, pos, chain[0])
        target = self.summaries.lookup(call.callee) if call is not None and call.callee else None
        if call is None or target is None:
            return None
        names = Engine(fn, self.summaries)._passed(call, target, state).get(key, [])
        if not names:
            return None  # held through the caller's transaction: released here, before the call
        entry_flags: Dict[SessionKey, bool] = {OUTER: False}
        for name in names:
            entry_flags[SessionKey.param(name)] = False
        effect = self.summaries.effect(call.callee, tuple(sorted(entry_flags.items())))
        opened_again = [name for name in names if effect is not None and SessionKey.param(name) in effect.holds]
        if not opened_again:
            return None
        name = opened_again[0]
        inner_key = SessionKey.param(name)
        entry = [EntrySession(k.name, k, None) for k in entry_flags if not k.is_outer]
        run = Engine(target, self.summaries).interpret(entry)
        holds = sorted((h for h in run.holds.values() if h.key == inner_key),
                       key=lambda h: (h.chain != chain[1:], h.pos.line, h.pos.col))
        if not holds:
            return None
        return target, inner_key, holds[0].pos, holds[0].chain, entry

    # ------------------------------------------------------------ whether

    def _judge(self, release: Release, above, entry: List[EntrySession]) -> None:
        """Refuses, or notes as unsafe, what the facts at the release point and on every way
        into it show."""
        where = f"{release.path}:{release.fn.pos.line}"
        for mark, site in release.state.marks_of(release.key):
            self._mark(release, mark, site, where, "")
        for caller, path, key, pos, caller_entry in above:
            state = self._state(caller, caller_entry, pos)
            for mark, site in (state.marks_of(key) if state is not None else ()):
                self._mark(release, mark, site, f"{path}:{caller.pos.line}", f" in the caller {caller.name}")
        for caller_path, caller, state, key in self._other_callers(release):
            for mark, site in state.marks_of(key):
                self._mark(release, mark, site, f"{caller_path}:{caller.pos.line}", f" in the caller {caller.name}")
        strict = self._isolation([(release.fn, release.key, entry),
                                  *((caller, key, caller_entry) for caller, _path, key, _pos, caller_entry in above)])
        if strict is not None:
            level, path, line = strict
            raise Refused(f"the session's engine runs at isolation level {level} ({path}:{line}): splitting a "
                          "transaction changes what it sees", where, Why.ISOLATION)

    def _isolation(self, frames) -> Optional[Tuple[str, str, int]]:
        """The strict isolation level the release's session runs at: its factory's (through the
        dependencies and session factories the functions on the way to it name, ``frames`` of
        (function, session key there, entry)); when no factory is known, any the project sets."""
        keys = [e.factory_key for _fn, _key, entry in frames for e in entry if e.factory_key]
        for fn, key, _entry in frames:
            if key.kind is SessionKind.EXPLICIT:
                keys.extend(node.factory_key for node in ir.walk(fn.body)
                            if isinstance(node, ir.OpenSession) and node.name == key.name
                            and node.pos.line == key.line and node.factory_key)
        configs = [c for c in (self.analysis.orm.session_config(k) for k in keys) if c is not None]
        strict = next((c.isolation for c in configs if c.isolation is not None), None)
        if strict is not None or configs:
            return strict
        return self.analysis.orm.strict_isolation()

    def _mark(self, release: Release, mark: Mark, site: Site, where: str, whose: str) -> None:
        if mark is Mark.WRITE:
            if f"line {site.line}{whose}" not in release.writes:
                release.writes.append(f"line {site.line}{whose}")
            return
        why, text = REFUSING[mark]
        raise Refused(text.format(line=site.line) + whose, where, why)

    def _other_callers(self, release: Release):
        """Every other direct caller of the release's function that hands it the session while
        its own transaction is open: ``(path, caller, state at the call, key there)``."""
        if release.fn.is_handler:
            return
        sites = self.callers.get(release.fn.key, ())
        for caller_path, caller_name, line in sites:
            caller = self._function(caller_path, caller_name, line)
            if caller is None:
                continue
            entry = self._entry(caller, open_params=True)
            for call in (n for n in ir.walk(caller.body) if isinstance(n, ir.Call) and n.pos.line == line):
                target = self.summaries.lookup(call.callee) if call.callee else None
                if target is None or target.key != release.fn.key:
                    continue
                state = self._state(caller, entry, call.pos)
                if state is None:
                    continue
                for where, name in call.args:
                    if param_for(target, where) == release.key.name:
                        for key in state.keys_of(name):
                            if state.is_open(key):
                                yield caller_path, caller, state, key

    # ------------------------------------------------------------ the engine, asked

    def _state(self, fn: ir.FunctionIR, entry: List[EntrySession], pos: ir.Pos) -> Optional[State]:
        ident = (fn.key, tuple((e.name, e.open_site is not None) for e in entry), pos)
        if ident not in self._runs:
            run = Engine(fn, self.summaries, probes=frozenset({pos})).interpret(entry)
            self._runs[ident] = run.states_at.get(pos)
        return self._runs[ident]

    def _entry(self, fn: ir.FunctionIR, open_params: bool = False) -> List[EntrySession]:
        if fn.is_handler:
            return self.analysis.entries.handler(fn)
        if open_params:
            from session_lint.flow.facts import CALLER
            site = Site(fn.pos.line, fn.pos.col, CALLER)
            return [EntrySession(p, SessionKey.param(p), site) for p in fn.params]
        if fn.has_explicit_session:
            return []
        return self.analysis.entries.service(fn)

    def _call_at(self, fn: ir.FunctionIR, pos: ir.Pos, name: str) -> Optional[ir.Call]:
        found = [n for n in ir.walk(fn.body) if isinstance(n, ir.Call) and n.pos == pos and n.callee]
        for call in found:
            target = self.summaries.lookup(call.callee)
            if target is not None and target.name == name:
                return call
        return found[0] if found else None

    def _function(self, path: str, name: str, line: int) -> Optional[ir.FunctionIR]:
        for module in self.analysis.project.modules():
            if module.path == path:
                for fn in (module.functions or {}).values():
                    if fn.name == name and fn.pos.line <= line <= fn.pos.end_line:
                        return fn
        return None

    def _path_of(self, fn: ir.FunctionIR) -> Optional[str]:
        for module in self.analysis.project.modules():
            if module.functions and fn.key in module.functions:
                return module.path
        return None

    def _expires(self, fn: ir.FunctionIR, key: SessionKey) -> Optional[bool]:
        """Whether committing the session expires its objects: its factory's setting."""
        orm = self.analysis.orm
        if key.kind is SessionKind.EXPLICIT:
            for node in ir.walk(fn.body):
                if isinstance(node, ir.OpenSession) and node.name == key.name and node.pos.line == key.line:
                    if node.expire_on_commit is not None:
                        return node.expire_on_commit
                    config = orm.session_config(node.factory_key) if node.factory_key else None
                    return config.expire_on_commit if config is not None else None
            return None
        for param in fn.session_params:
            if param.name == key.name and param.dependency_key:
                config = orm.session_config(param.dependency_key)
                return config.expire_on_commit if config is not None else None
        return None

    @staticmethod
    def _is_async(fn: ir.FunctionIR, key: SessionKey) -> bool:
        if any(p.name == key.name and p.is_async for p in fn.session_params):
            return True
        for node in ir.walk(fn.body):
            if isinstance(node, ir.Use) and node.name == key.name and node.awaited:
                return True
            if isinstance(node, ir.OpenSession) and node.name == key.name and node.is_async:
                return True
        return False


def group_releases(releases: Sequence[Release]) -> List[Release]:
    """One release per function and place, resolving every finding that needs it."""
    merged: Dict[Tuple[str, ir.Pos], Release] = {}
    for release in releases:
        known = merged.get(release.place)
        if known is None:
            merged[release.place] = release
            continue
        known.findings.extend(f for f in release.findings if f not in known.findings)
        known.writes.extend(w for w in release.writes if w not in known.writes)
    return list(merged.values())
