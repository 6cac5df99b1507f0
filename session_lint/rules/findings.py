"""From the engine's facts to findings: which rule reports each, with its message."""

from __future__ import annotations

from typing import List, Optional

from session_lint.flow import ir
from session_lint.flow.engine import Run
from session_lint.flow.facts import Detached, Hold, SessionKind
from session_lint.report.findings import Finding
from session_lint.rules import hold_rule, messages
from session_lint.rules.rule import HeldAt
from session_lint.rules.sl201 import RULE as DETACHED


def hold_finding(hold: Hold, fn: ir.FunctionIR, shown: str, factory: Optional[str] = None) -> Finding:
    held = HeldAt(hold, factory)
    return Finding(shown, hold.pos.line, hold.pos.col, hold_rule(held).code, messages.held(held), function=fn.name,
                   session=hold.key.name, chain=hold.chain, function_line=fn.pos.line, end_line=hold.pos.end_line,
                   end_col=hold.pos.end_col, hold=hold)


def detached_finding(pos: ir.Pos, found: Detached, fn: ir.FunctionIR, shown: str) -> Finding:
    return Finding(shown, pos.line, pos.col, DETACHED.code, messages.detached(found), function=fn.name,
                   session=found.session.name, function_line=fn.pos.line, end_line=pos.end_line, end_col=pos.end_col,
                   detached=found)


def findings_of(run: Run, fn: ir.FunctionIR, shown: str, explicit_only: bool) -> List[Finding]:
    """What one interpretation of ``fn`` reports; ``explicit_only``: only holds of sessions the
    function makes itself (the others are its callers' to report)."""
    out = [detached_finding(pos, found, fn, shown) for pos, found in run.detached.items()]
    for hold in run.holds.values():
        explicit = hold.key.kind is SessionKind.EXPLICIT
        if explicit_only and not explicit:
            continue
        out.append(hold_finding(hold, fn, shown, run.explicit.get(hold.key)))
    return out
