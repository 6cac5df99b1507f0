"""Summaries of functions as callees: what awaiting one does to the sessions its caller holds.

A summary answers, for a callee and the open/closed state of each session it is handed (a
parameter, a closure variable, or :data:`~session_lint.flow.facts.OUTER` for the caller's
transactions it cannot see): which of them it holds across a sink, by which chain, and which it
leaves open. Summaries are computed by the same engine as every other analysis, on demand, and
memoised; recursion is solved by iterating to a fixed point from "does nothing".
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Set, Tuple

from session_lint.flow import ir
from session_lint.flow.engine import Engine, EntrySession, OrmOracle
from session_lint.flow.facts import CALLER, CalleeEffect, EndHow, SessionKey, Site

EntryKey = Tuple[Tuple[SessionKey, bool], ...]

_MAX_ROUNDS = 8


class Summaries:
    """The callee oracle over a table of lowered functions."""

    def __init__(self, lookup: Callable[[str], Optional[ir.FunctionIR]], orm: Optional[OrmOracle] = None) -> None:
        self._lookup = lookup
        # ORM classes and session factories of the tree (see OrmIndex), for SL201.
        self.orm = orm
        self.memo: Dict[Tuple[str, EntryKey], CalleeEffect] = {}
        self.in_progress: Set[Tuple[str, EntryKey]] = set()
        self.read_early: Set[Tuple[str, EntryKey]] = set()
        # What the outermost computation under way has memoised: only these can have been
        # derived from the approximations of a recursive cluster it is iterating.
        self._fresh: List[Tuple[str, EntryKey]] = []

    def lookup(self, callee: str) -> Optional[ir.FunctionIR]:
        return self._lookup(callee)

    def effect(self, callee: str, entry: EntryKey) -> Optional[CalleeEffect]:
        fn = self._lookup(callee)
        if fn is None:
            return None
        ident = (callee, entry)
        if ident in self.in_progress:
            # A recursive call: answer with the current approximation and remember that the
            # answer may have to be revised.
            self.read_early.add(ident)
            return self.memo.get(ident) or CalleeEffect({}, {key.name: is_open for key, is_open in entry if not key.is_outer})
        if ident in self.memo:
            return self.memo[ident]
        outermost = not self.in_progress
        if outermost:
            self._fresh = []
        result = self._compute(fn, entry, ident)
        if outermost and self.read_early:
            # Iterate the recursive cluster from its approximations until none changes.
            for _ in range(_MAX_ROUNDS):
                early = set(self.read_early)
                self.read_early.clear()
                approx = {k: self.memo[k] for k in early if k in self.memo}
                # Drop whatever was derived from older approximations; summaries finished
                # before this outermost call began do not depend on them and stay.
                for key in self._fresh:
                    self.memo.pop(key, None)
                self._fresh = []
                self.memo.update(approx)
                result = self._compute(fn, entry, ident)
                if all(self.memo.get(k) == approx.get(k) for k in early):
                    break
            self.read_early.clear()
        return result

    def _compute(self, fn: ir.FunctionIR, entry: EntryKey, ident) -> CalleeEffect:
        self.in_progress.add(ident)
        try:
            sessions = [
                EntrySession(key.name, key, Site(fn.pos.line, fn.pos.col, CALLER) if is_open else None)
                for key, is_open in entry
            ]
            run = Engine(fn, self).interpret(sessions)
        finally:
            self.in_progress.discard(ident)
        names = {key for key, _ in entry}
        holds: Dict[SessionKey, Tuple[Tuple[str, ...], bool]] = {}
        for hold in run.holds.values():
            if hold.key not in names:
                continue  # the callee's own sessions are reported where they are made
            best = holds.get(hold.key)
            candidate = (hold.chain, hold.blocking)
            # The shortest chain; among equals, the first met in source order.
            if best is None or len(candidate[0]) < len(best[0]):
                holds[hold.key] = candidate
        exit_open: Dict[str, bool] = {}
        for key, is_open in entry:
            if key.is_outer:
                continue
            exit_open[key.name] = run.exit.is_open(key) if run.exit is not None else is_open
        # Only a callee that leaves the session's transaction ended on every way out counts,
        # and a rollback only when it never commits: ``try: ... commit() except: rollback()``
        # is a commit, its rollback being the error path's.
        ended = {
            name: (EndHow.COMMITTED if EndHow.COMMITTED in run.ended[key] else EndHow.ROLLED_BACK)
            for name, key in ((name, SessionKey.param(name)) for name in exit_open)
            if key in run.ended and not exit_open[name]
        }
        unresolved = tuple(dict.fromkeys(
            label for pos, label in sorted(run.unresolved.items(), key=lambda item: (item[0].line, item[0].col))
            if run.unresolved_open[pos] & names))  # not while only the callee's own sessions were open
        marks = {}
        if run.exit is not None and run.exit.marks:
            for name, still_open in exit_open.items():
                found = frozenset(mark for mark, _site in run.exit.marks_of(SessionKey.param(name)))
                if still_open and found:
                    marks[name] = found
        effect = CalleeEffect(holds, exit_open, ended, tuple(sorted(run.awaited_params.items())), _handed_back(fn, run),
                              unresolved, marks)
        self.memo[ident] = effect
        self._fresh.append(ident)
        return effect


def _handed_back(fn: ir.FunctionIR, run) -> frozenset:
    """Parameters ``fn`` yields untouched: a context manager that hands back the session it was
    given, so that what its caller binds on entering it is that session. One that also uses
    the parameter (commits after the yield, closes it) is left out: what it does after the
    yield happens when its caller's block ends, which a summary taken at the call cannot say."""
    yielded = {name for name, _state in run.yields.values() if name in fn.params}
    if not yielded:
        return frozenset()
    used = set()
    for node in ir.walk(fn.body):
        if isinstance(node, ir.Use):
            used.add(node.name)
        elif isinstance(node, ir.Call):
            used.update(name for _where, name in node.args)
    return frozenset(yielded - used)
