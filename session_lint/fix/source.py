"""Fixing one file: its findings grouped by handler, each handler planned (or refused, or left as
unsafe), the plans applied together."""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from session_lint.fix.apply import apply_plans
from session_lint.fix.callers import CallSite, direct_calls
from session_lint.fix.extract import Plan, Planner
from session_lint.fix.facts import FactsOracle
from session_lint.fix.model import Factory, FileFix, Outcome, Refusal, Status
from session_lint.index.module_index import ModuleIndex
from session_lint.report.findings import Finding
from session_lint.rules import FIXABLE


def fix_source(
    data: bytes,
    findings: Sequence[Finding],
    index: Optional[ModuleIndex],
    factories: Sequence[Factory],
    unsafe_fixes: bool,
    facts: FactsOracle,
    callers: Optional[Mapping[str, Sequence[CallSite]]] = None,
) -> FileFix:
    """The rewrite of one file for its ``findings`` (those of this file only). ``callers``:
    who calls each function of the project (see :func:`direct_calls`); without it, only the
    calls inside this file are seen."""
    module = cst.parse_module(data)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    if callers is None and index is not None:
        # Only this module's calls are known (the codemod, one file at a time).
        callers = direct_calls([index], (index.functions or {}).get)
    planner = Planner(wrapper, index, factories, callers or {})

    functions: List[cst.FunctionDef] = []
    module.visit(_Functions(functions.append))
    grouped: Dict[cst.FunctionDef, List[Finding]] = {}
    for f in findings:
        if f.code not in FIXABLE:
            continue
        # The innermost function with that name containing the finding.
        candidates = [fn for fn in functions if fn.name.value == f.function and planner.contains(fn, f.line, f.col)]
        if candidates:
            grouped.setdefault(candidates[-1], []).append(f)
    result = FileFix(None)
    plans: List[Plan] = []
    for func, group in grouped.items():
        line = planner.line_of(func) or group[0].function_line
        first = min(group, key=lambda f: (f.line, f.col))
        held = facts.at(index, first) if index is not None else None
        try:
            plan = planner.plan(func, group, held)
        except Refusal as refusal:
            result.outcomes.append(Outcome(func.name.value, line, Status.REFUSED, refusal.reason))
            continue
        if plan.unsafe and not unsafe_fixes:
            result.outcomes.append(Outcome(func.name.value, line, Status.UNSAFE, "; ".join(plan.unsafe)))
            continue
        plans.append(plan)
        reason = "; ".join(plan.unsafe) if plan.unsafe else ""
        result.outcomes.append(Outcome(func.name.value, line, Status.FIXED, reason))
    if plans:
        result.source = apply_plans(wrapper, plans, index.name if index is not None else "").bytes
    result.outcomes.sort(key=lambda o: o.line)
    return result


class _Functions(cst.CSTVisitor):
    def __init__(self, report) -> None:
        self.report = report

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.report(node)
