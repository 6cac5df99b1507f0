"""What a call means for the sessions of the caller: which of them the callee receives (by
argument, closure, or an object whose constructor stored one), the holds that happen while it
runs (from its summary), functions handed to it that it awaits, what it leaves open or ended,
and for a callee that cannot be followed, that a session handed to it is used."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from session_lint.flow import ir
from session_lint.flow.engine_base import EngineBase
from session_lint.flow.facts import OUTER, CalleeEffect, Opener, OpenedBy, SessionKey, Site
from session_lint.flow.machine import Outcome
from session_lint.flow.state import State

# Our session key -> the callee-side names it arrives under.
Passed = Dict[SessionKey, List[str]]


class CallTransfer(EngineBase):
    """The calls part of :class:`~session_lint.flow.engine.Engine`."""

    def n_Call(self, node: ir.Call, state: State, via: Tuple[str, ...] = ()) -> Outcome:
        if self.probes and not via:
            self.probe(node.pos, state)
        target = self.oracle.lookup(node.callee) if (self.oracle and node.callee) else None
        if node.awaited and target is None and node.receiver is None and (
                node.label in self.fn.params or node.label in self.fn.free_names):
            # ``await check(n)`` on a parameter (or, in a nested function, its parent's)
            self.run.awaited_params.setdefault(node.label, ())
        if target is not None and target.is_async and not node.awaited and not node.threaded:
            # Calling an async function only makes a coroutine: nothing runs until it is awaited
            # (the front end emits the awaited call where that happens).
            return Outcome(normal=state.unbound(node.entered) if node.entered else state)
        passed = self._passed(node, target, state)
        effect = self._effect(node, target, state, passed)
        # Chains name functions (``invoke_tool -> _call_backend``), not the call's spelling.
        label = target.name if target is not None else node.label
        after = state
        if effect is not None and target is not None:
            after = self._callbacks(node, target, effect, label, after, via)
        if effect is None or target is None:
            return self.event(state, self._unknown_callee(node, state, passed, label))
        if effect.unresolved:
            # The callee awaited something it could not follow while one of ours was open.
            self.unresolved(node.pos, f"{label} -> {effect.unresolved[0]}", [*state.open_keys(), *passed])
        # Holds first: they happen while the callee runs, before its effect on exit.
        self._holds_during(node, effect, label, state, passed, via)
        if node.result and target.name == "__init__":
            after = after.carrying(node.result, [*passed, *self._carried(node, state)])
        if node.result and target.name == "__init__":
            # The new object keeps the sessions its constructor stored (``self.db = db``).
            for param, attr in stores(target):
                for key, names in passed.items():
                    if param in names:
                        name = f"{node.result}.{attr}"
                        after = after.bound(name, after.keys_of(name) + [key])
        if node.entered:
            # Entering the call binds its target: the old value goes (after the arguments were
            # read, so ``async with reuse(db) as db`` keeps db), and a context manager that
            # hands back a session it was given makes the target that session.
            after = after.unbound(node.entered)
            for key, names in passed.items():
                if effect.hands_back.intersection(names):
                    after = after.bound(node.entered, after.keys_of(node.entered) + [key])
        return self.event(state, self._after_callee(node, effect, label, state, passed, after))

    def _passed(self, node: ir.Call, target: Optional[ir.FunctionIR], state: State) -> Passed:
        """Which of our sessions the callee receives, and under which of its names."""
        passed: Passed = {}
        for where, name in node.args:
            keys = state.keys_of(name)
            if not keys:
                continue
            param = param_for(target, where) if target is not None else None
            for key in keys:
                passed.setdefault(key, [])
                if param is not None:
                    passed[key].append(param)
        if target is not None:
            # Closures: a nested function reads its parent's session under the same name.
            for name in sorted(target.free_names):
                for key in state.keys_of(name):
                    passed.setdefault(key, []).append(name)
            # ``svc.method()`` where ``svc = Service(db)`` stored the session: the method sees it
            # as ``self.db``.
            if target.bound_method and node.receiver:
                prefix = node.receiver + "."
                for alias_name, key in sorted(state.alias):
                    if alias_name.startswith(prefix) and "." not in alias_name[len(prefix):]:
                        passed.setdefault(key, []).append("self." + alias_name[len(prefix):])
        return passed

    def _carried(self, node: ir.Call, state: State) -> List[SessionKey]:
        """Sessions kept by objects handed to the call (``Manager(storage=Storage(db))``)."""
        if not state.carry:
            return []
        names = {name for _where, name in node.args}
        return [key for name, key in state.carry if name in names]

    def _effect(self, node: ir.Call, target: Optional[ir.FunctionIR], state: State,
                passed: Passed) -> Optional[CalleeEffect]:
        """The callee's summary for the sessions it receives, open or not, and ours it cannot see."""
        if target is None or self.oracle is None or node.callee is None:
            return None
        entry: Dict[SessionKey, bool] = {OUTER: bool(set(state.open_keys()) - set(passed))}
        for key, names in passed.items():
            for name in names:
                param = SessionKey.param(name)
                entry[param] = entry.get(param, False) or state.is_open(key)
        return self.oracle.effect(node.callee, tuple(sorted(entry.items())))

    def _callbacks(self, node: ir.Call, target: ir.FunctionIR, effect: CalleeEffect, label: str, state: State,
                   via: Tuple[str, ...]) -> State:
        """Functions handed to a callee that awaits what it receives there run during the call,
        as if awaited here, in the chain after the callee; and our parameters the callee awaits
        are ours awaited too."""
        awaits = dict(effect.awaits)
        if not awaits:
            return state
        after = state
        if node.functions and node.awaited:
            # ``await run_checks(names, check)`` where run_checks awaits what it gets as ``check``
            for where, key in node.functions:
                param = param_for(target, where)
                if param is None or param not in awaits:
                    continue
                inner = ir.Call(key, key.rsplit(".", 1)[-1], (), True, node.pos, node.threaded)
                after = self.n_Call(inner, after, via + (label,) + awaits[param]).normal or after
        mine = set(self.fn.params) | self.fn.free_names
        for where, name in node.args:
            param = param_for(target, where)
            if name in mine and param in awaits:
                # handed on to a callee that awaits it
                self.run.awaited_params.setdefault(name, (label,) + awaits[param])
        for name in sorted(target.free_names & set(awaits) & mine):
            # awaited by a nested function that reads it
            self.run.awaited_params.setdefault(name, (label,) + awaits[name])
        return after

    def _unknown_callee(self, node: ir.Call, state: State, passed: Passed, label: str) -> State:
        """A callee the analysis cannot follow: a session handed to it is used, as the spec says."""
        after = state.unbound(node.entered) if node.entered else state
        if node.result and node.constructs:
            after = after.carrying(node.result, [*passed, *self._carried(node, state)])
        for key in [] if node.keeps else passed:
            after = after.opened(key, Site(node.pos.line, node.pos.col, Opener(OpenedBy.PASSED, label)))
        if node.receiver and state.carry:
            # ``users.get_by_email(...)`` where ``users = SQLAlchemyUserDatabase(db, User)``: a
            # method of an object that keeps the session, of a class the analysis cannot read,
            # may run a statement through it.
            method = label[len(node.receiver) + 1:] if label.startswith(node.receiver + ".") else label
            for key in sorted({k for n, k in state.carry if n == node.receiver}):
                opener = Opener(OpenedBy.OPERATION, node.receiver, method)
                after = after.opened(key, Site(node.pos.line, node.pos.col, opener))
        # Listed for --explain-unresolved: not a known non-sink, and not the session's own
        # method (awaiting the database is not a call to another host).
        if node.awaited and state.open_keys() and not node.quiet and not (
                node.receiver and state.keys_of(node.receiver)):
            self.unresolved(node.pos, label, state.open_keys())
        return after

    def _holds_during(self, node: ir.Call, effect: CalleeEffect, label: str, state: State, passed: Passed,
                      via: Tuple[str, ...]) -> None:
        for ckey, (chain, blocking) in effect.holds.items():
            full = via + (label,) + chain
            # Offloaded to a thread and awaited: the event loop is free, the session is not.
            blocking = blocking and not node.threaded
            if ckey.is_outer:
                for key in state.open_keys():
                    if key not in passed:
                        self.hold(key, node.pos, full, blocking, state)
                continue
            for key, names in passed.items():
                if ckey.name in names:
                    opener = Opener(OpenedBy.CALLEE, label, ckey.name)
                    view = state.opened(key, Site(node.pos.line, node.pos.col, opener))
                    self.hold(key, node.pos, full, blocking, view)

    def _after_callee(self, node: ir.Call, effect: CalleeEffect, label: str, state: State, passed: Passed,
                      after: State) -> State:
        """Each session handed over as the callee leaves it: still open, or ended."""
        for key, names in passed.items():
            if not names:
                after = after.opened(key, Site(node.pos.line, node.pos.col, Opener(OpenedBy.PASSED, label)))
                continue
            how = next((effect.ended[n] for n in names if n in effect.ended), None)
            if how is not None and after.objs:
                after = self.ended_in_callee(key, how, label, node.pos, after)
            still_open = any(effect.exit_open.get(n, state.is_open(key)) for n in names)
            if still_open:
                site = Site(node.pos.line, node.pos.col, Opener(OpenedBy.CALLEE, label, names[0]))
                after = after.opened(key, site)
                for mark in sorted({m for n in names for m in effect.marks.get(n, ())}):
                    after = after.marked(key, mark, site)
            else:
                after = after.released(key)
        return after


def stores(fn: ir.FunctionIR) -> Tuple[Tuple[str, str], ...]:
    """``(param, attr)`` for each ``self.attr = param`` in a constructor (computed once per
    function and kept on it)."""
    cached = fn.__dict__.get("_stores")
    if cached is None:
        found = (
            (node.source, node.target[len("self."):])
            for node in ir.walk(fn.body)
            if isinstance(node, ir.Bind) and node.target.startswith("self.") and node.source in fn.params
        )
        cached = tuple(dict.fromkeys(found))
        fn.__dict__["_stores"] = cached
    return cached


def param_for(fn: ir.FunctionIR, where) -> Optional[str]:
    if isinstance(where, str):
        return where if where in fn.params else None
    params = fn.params[1:] if fn.bound_method else fn.params
    if 0 <= where < len(params):
        return params[where]
    return None
