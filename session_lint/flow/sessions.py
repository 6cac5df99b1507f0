"""What session events mean for a transaction: a method call on a session opens it (or, for
``commit()``/``rollback()``/``close()``/``invalidate()``, ends it), names alias sessions, an
explicit session begins closed and its block's end closes it, and a slow operation met while a
transaction is open is a :class:`~session_lint.flow.facts.Hold`."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Tuple

from session_lint.flow import ir
from session_lint.flow.engine_base import EngineBase
from session_lint.flow.facts import UNKNOWN_FACTORY, EndHow, Ending, Hold, Mark, Opener, OpenedBy, SessionKey, Site
from session_lint.flow.machine import Outcome
from session_lint.flow.state import State
from session_lint.knowledge.sqlalchemy import BEGIN_METHOD, NESTED_METHOD, NON_OPENING_METHODS, RELEASING_METHODS, STRICT_ISOLATION

# ``commit()`` and ``rollback()`` end a transaction on purpose (``close()`` only gives the
# connection back): a callee that ends one its caller handed it has done one of these.
_ENDS = {"commit": EndHow.COMMITTED, "rollback": EndHow.ROLLED_BACK}


class SessionTransfer(EngineBase):
    """The session part of :class:`~session_lint.flow.engine.Engine`."""

    def n_Use(self, node: ir.Use, state: State) -> Outcome:
        after = state
        for key in state.keys_of(node.name):
            if node.method in _ENDS and not node.keeps_loaded:
                # (A commit that keeps loaded objects as they were expires nothing of a caller's.)
                self.run.ended.setdefault(key, set()).add(_ENDS[node.method])
            if state.objs:
                after = self.objects_after(node, key, after)
            if node.method in RELEASING_METHODS:
                after = after.released(key)
            elif node.method not in NON_OPENING_METHODS:
                site = Site(node.pos.line, node.pos.col, Opener(OpenedBy.OPERATION, node.name, node.method))
                after = after.opened(key, site)
                for mark in _marks(node):
                    after = after.marked(key, mark, site)
        if node.method == "commit" and after is not state:
            # A commit that raises has not committed (the flush failed, or the COMMIT itself):
            # its handler sees the transaction, and the objects, as they were before it.
            return Outcome(normal=after, exc=state)
        return self.event(state, after)

    def n_Bind(self, node: ir.Bind, state: State) -> Outcome:
        sources = (node.source, *node.also)
        after = state.bound(node.target, [key for name in sources for key in state.keys_of(name)])
        if state.objs:
            after = after.holding(node.target, [held for name in sources for held in state.held(name)])
        return Outcome(normal=after)

    def n_Unbind(self, node: ir.Unbind, state: State) -> Outcome:
        return Outcome(normal=state.unbound(node.target))

    def n_OpenSession(self, node: ir.OpenSession, state: State) -> Outcome:
        key = SessionKey.explicit(node.name, node.pos)
        self.run.explicit[key] = node.factory
        self.configs[key] = self.config(node.factory_key, node.expire_on_commit)
        after = state.released(key).bound(node.name, [key])
        return Outcome(normal=after)

    def n_CloseSession(self, node: ir.CloseSession, state: State) -> Outcome:
        after = state
        for key in state.keys_of(node.name):
            after = after.released(key)
            config = self.configs.get(key, UNKNOWN_FACTORY)
            line = node.pos.end_line or node.pos.line
            end = Ending(line, EndHow.CLOSED)
            if self.leaving == "exc" and config.rolls_back_on_error:
                # An exception leaving the block: the factory rolled back (expiring every object)
                # before it closed.
                on_error = Ending(line, EndHow.ROLLED_BACK_ON_EXCEPTION)
                after = after.changed(key, lambda h: replace(h, ended=on_error, expired=on_error))
            elif config.commits_on_exit and config.expire_on_commit:
                after = after.changed(key, lambda h: replace(h, ended=end, expired=h.expired or end))
            else:
                after = after.changed(key, lambda h: replace(h, ended=h.ended or end))
        # The context manager's exit closes the session on every path, exceptions included.
        return Outcome(normal=after, exc=after)

    def n_Share(self, node: ir.Share, state: State) -> Outcome:
        after = state
        for key in state.keys_of(node.name):
            after = after.marked(key, Mark.SHARED, Site(node.pos.line, node.pos.col, Opener(OpenedBy.PASSED, "tasks")))
        return Outcome(normal=after)

    def n_Yield(self, node: ir.Yield, state: State) -> Outcome:
        seen = self.run.yields.get(node.pos)
        merged = self.join(seen[1], state) if seen is not None else state
        self.run.yields[node.pos] = (node.name, merged or state)
        return Outcome(normal=state)

    def n_Sink(self, node: ir.Sink, state: State) -> Outcome:
        if self.probes:
            self.probe(node.pos, state)
        for key in state.open_keys():
            self.hold(key, node.pos, (node.qualname,), node.blocking, state)
        return self.event(state, state)

    def hold(self, key: SessionKey, pos: ir.Pos, chain: Tuple[str, ...], blocking: bool, state: State) -> None:
        site = state.sites(key)[0]
        ident = (key, pos, chain)
        if ident not in self.run.holds:
            self.run.holds[ident] = Hold(key, pos, chain, blocking, site)

    def unresolved(self, pos: ir.Pos, label: str, keys: Iterable[SessionKey]) -> None:
        if pos not in self.run.unresolved:
            self.run.unresolved[pos] = label
            self.run.unresolved_open[pos] = frozenset(keys)


def _marks(node: ir.Use) -> Tuple[Mark, ...]:
    """What a method call on a session does that ending its transaction early would change."""
    found = []
    if node.writes:
        found.append(Mark.WRITE)
    if node.locks:
        found.append(Mark.LOCK)
    if node.method == NESTED_METHOD:
        found.append(Mark.NESTED)
    elif node.method == BEGIN_METHOD:
        found.append(Mark.BEGIN)
    if node.isolation in STRICT_ISOLATION:
        found.append(Mark.ISOLATION)
    return tuple(found)
