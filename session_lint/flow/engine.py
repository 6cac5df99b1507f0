"""The transaction-state engine: the one place that knows when a session's transaction is open.

It interprets a function's intermediate form (:mod:`session_lint.flow.ir`) as a may-analysis
over every path: a session is *open* at a point if some path from the function's entry reaches
that point with a database operation on it that no ``commit()``/``rollback()``/``close()`` has
ended. Each slow operation (a :class:`~session_lint.flow.ir.Sink`, or a call whose callee's
summary reaches one) met while a session is open becomes a :class:`~session_lint.flow.facts.Hold`.

The engine is the flow machinery (:mod:`session_lint.flow.machine`) with three parts that give
the events their meaning: sessions (:mod:`~session_lint.flow.sessions`), ORM objects
(:mod:`~session_lint.flow.objects`) and calls (:mod:`~session_lint.flow.calls`).
"""

from __future__ import annotations

from typing import Iterable

from session_lint.flow.calls import CallTransfer, param_for, stores
from session_lint.flow.engine_base import CalleeOracle, EntrySession, OrmOracle, Run
from session_lint.flow.objects import ObjectTransfer
from session_lint.flow.sessions import SessionTransfer
from session_lint.flow.state import State, join

__all__ = ["Engine", "EntrySession", "Run", "CalleeOracle", "OrmOracle", "stores", "param_for"]


class Engine(SessionTransfer, ObjectTransfer, CallTransfer):
    """Interprets one function body from a given entry state."""

    def interpret(self, entry: Iterable[EntrySession]) -> Run:
        state = State()
        for e in entry:
            state = state.bound(e.name, [e.key])
            self.configs[e.key] = e.config if e.config is not None else self.config(e.factory_key, None)
            if e.open_site is not None:
                state = state.opened(e.key, e.open_site)
        out = self.block(self.fn.body, state)
        self.run.exit = join(out.normal, out.ret)
        return self.run
