"""From the engine's facts to findings: which rule reports each, with its message."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from session_lint.flow import ir
from session_lint.flow.engine import Run
from session_lint.flow.facts import Detached, Hold, SessionKind
from session_lint.report.findings import Finding
from session_lint.rules import hold_rule, messages
from session_lint.rules.rule import HeldAt
from session_lint.rules.sl201 import RULE as DETACHED


def hold_finding(hold: Hold, fn: ir.FunctionIR, shown: str, factory: Optional[str] = None,
                 folded: Tuple[Hold, ...] = ()) -> Finding:
    held = HeldAt(hold, factory)
    return Finding(shown, hold.pos.line, hold.pos.col, hold_rule(held).code, messages.held(held), function=fn.name,
                   session=hold.key.name, chain=hold.chain, function_line=fn.pos.line, end_line=hold.pos.end_line,
                   end_col=hold.pos.end_col, folded_lines=tuple(sorted({h.pos.line for h in folded})), hold=hold)


def detached_finding(pos: ir.Pos, found: Detached, fn: ir.FunctionIR, shown: str) -> Finding:
    return Finding(shown, pos.line, pos.col, DETACHED.code, messages.detached(found), function=fn.name,
                   session=found.session.name, function_line=fn.pos.line, end_line=pos.end_line, end_col=pos.end_col,
                   detached=found)


def findings_of(run: Run, fn: ir.FunctionIR, shown: str, explicit_only: bool) -> List[Finding]:
    """What one interpretation of ``fn`` reports; ``explicit_only``: only holds of sessions the
    function makes itself (the others are its callers' to report)."""
    out = [detached_finding(pos, found, fn, shown) for pos, found in run.detached.items()]
    holds = [h for h in run.holds.values() if not explicit_only or h.key.kind is SessionKind.EXPLICIT]
    for hold, folded in one_per_block(holds, fn):
        out.append(hold_finding(hold, fn, shown, run.explicit.get(hold.key), folded))
    return out


def one_per_block(holds: List[Hold], fn: ir.FunctionIR) -> List[Tuple[Hold, Tuple[Hold, ...]]]:
    """One finding per statement: a hold inside the body of a ``with`` whose entering is itself a
    slow operation held by the same transaction (same session, same opening) is that
    statement's, and is not reported again. ``async with sse_client(...)``, then ``async with
    ClientSession(...)`` and ``await session.call_tool(...)`` in its body, are one finding at the
    outer statement, where the fix ends the transaction; two awaits side by side stay two.
    Each hold reported comes with those it stands for."""
    if len(holds) < 2:
        return [(hold, ()) for hold in holds]
    openers: Dict[ir.Pos, List[Hold]] = {}
    for hold in holds:
        openers.setdefault(hold.pos, []).append(hold)
    inside: Dict[ir.Pos, List[Hold]] = {}  # a position in a with's body -> the holds entering that with
    for node in ir.walk(fn.body):
        if not isinstance(node, ir.With):
            continue
        entering = [h for event in ir.walk(node.enter) for h in openers.get(getattr(event, "pos", None), ())]
        if not entering:
            continue
        for part in (node.body, node.exit):
            for event in ir.walk(part):
                pos = getattr(event, "pos", None)
                if pos in openers:
                    inside.setdefault(pos, []).extend(entering)
    reported: List[Hold] = []
    stands_for: Dict[Hold, List[Hold]] = {}
    for hold in holds:
        outers = [outer for outer in inside.get(hold.pos, ()) if outer.key == hold.key and outer.site == hold.site]
        for outer in outers:
            # The walk reaches into nested blocks: the outermost statement stands for all of them.
            stands_for.setdefault(outer, []).append(hold)
        if not outers:
            reported.append(hold)
    return [(hold, tuple(stands_for.get(hold, ()))) for hold in reported]
