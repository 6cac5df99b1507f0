"""What the engine knows where a fix is planned: at the slow call of a finding, which names
hold objects loaded through the held session, which keep the session itself, and whether the
open transaction has written. ``fix`` plans from these, never from a second reading of the
code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from session_lint.flow import ir
from session_lint.flow.engine import Engine
from session_lint.flow.facts import Mark, SessionKey, SessionKind, Site
from session_lint.flow.state import State
from session_lint.index.module_index import ModuleIndex
from session_lint.report.findings import Finding
from session_lint.run.analysis import Analysis


@dataclass(frozen=True)
class HeldFacts:
    """The held session at one slow call."""

    key: SessionKey
    # Names holding ORM objects loaded through it (or objects a call handed it may have given).
    orm_names: FrozenSet[str]
    # Names that keep the session itself: aliases (``s = db``), objects built with it.
    carriers: FrozenSet[str]
    # Where the open transaction wrote (``add``, ``flush``, DML, an assigned attribute).
    writes: Tuple[Site, ...]
    # An ``AsyncSession``: annotated as one, or its methods awaited.
    is_async: bool


class FactsOracle:
    """Runs the engine, with probes at the findings' slow calls, over the functions ``fix``
    plans for (each once)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._states: Dict[Tuple[str, ir.Pos], Optional[State]] = {}

    def function(self, index: ModuleIndex, finding: Finding) -> Optional[ir.FunctionIR]:
        for fn in (index.functions or {}).values():
            if fn.name == finding.function and fn.pos.line == finding.function_line:
                return fn
        return None

    def at(self, index: ModuleIndex, finding: Finding) -> Optional[HeldFacts]:
        hold = finding.hold
        fn = self.function(index, finding)
        if hold is None or fn is None:
            return None
        state = self._state(fn, hold.pos)
        if state is None:
            return None
        key = hold.key
        orm = frozenset(n for n, h in state.objs if h.key == key and "." not in n)
        carriers = {n for n, k in state.alias if k == key and n != key.name and "." not in n}
        carriers.update(state.carriers(key))
        return HeldFacts(key, orm, frozenset(carriers), tuple(site for mark, site in state.marks_of(key) if mark is Mark.WRITE), _is_async(fn, key))

    def _state(self, fn: ir.FunctionIR, pos: ir.Pos) -> Optional[State]:
        ident = (fn.key, pos)
        if ident not in self._states:
            if fn.is_handler:
                entry = self.analysis.entries.handler(fn)
            elif fn.has_explicit_session:
                entry = []
            else:
                entry = self.analysis.entries.service(fn)
            run = Engine(fn, self.analysis.summaries, probes=frozenset({pos})).interpret(entry)
            self._states[ident] = run.states_at.get(pos)
        return self._states[ident]


def _is_async(fn: ir.FunctionIR, key: SessionKey) -> bool:
    if key.kind is SessionKind.PARAM and any(p.name == key.name and p.is_async for p in fn.session_params):
        return True
    return any(isinstance(node, ir.Use) and node.name == key.name and node.awaited for node in ir.walk(fn.body))
