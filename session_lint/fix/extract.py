"""SPEC 4a, extract into a short-lived session: a handler whose dependency session is used only
in a database phase before its slow await loses the session parameter, the database phase moves
into ``with <factory>() as <name>:``, and every ORM value the code after it reads is copied into
a plain local inside the block.

What the phase's names are (ORM objects loaded through the session, objects that keep the
session, writes) is the engine's fact at the slow call (:mod:`session_lint.fix.facts`); this
module only finds, on the libcst tree, where those names are bound and read.
"""

from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider, PositionProvider

from session_lint.fix.callers import CallSite
from session_lint.fix.facts import HeldFacts
from session_lint.fix.model import Factory, Refusal
from session_lint.fix.syntax import (
    assigned_names,
    attribute_path,
    choose_name,
    definitely_assigns,
    find_param,
    has_return,
    header_refers,
    name_nodes,
    names_in,
    read_path,
    refers,
    statement_kind,
    sub_blocks,
)
from session_lint.flow.facts import OpenedBy
from session_lint.index.module_index import ModuleIndex
from session_lint.report.findings import Finding
from session_lint.rules import messages


@dataclass
class Plan:
    func: cst.FunctionDef
    session: str
    param: cst.Param
    block_owner: cst.CSTNode  # the node whose statement list holds the database phase
    phase: List[cst.BaseStatement]
    extractions: List[Tuple[str, Tuple[str, ...]]]  # (local name, chain)
    replace: Dict[cst.CSTNode, str]  # attribute-chain node after the phase -> local name
    is_async: bool
    factory: Factory
    unsafe: List[str]
    removed: List[cst.CSTNode]  # the dropped parameter's annotation and default (their imports may go)


class Planner:
    """Plans the extract rewrite of the handlers of one module."""

    def __init__(self, wrapper: cst.MetadataWrapper, index: Optional[ModuleIndex], factories: Sequence[Factory],
                 callers: Mapping[str, Sequence[CallSite]]) -> None:
        self.module = wrapper.module
        self.wrapper = wrapper
        self.positions = wrapper.resolve(PositionProvider)
        self.index = index
        self.factories = list(factories)
        self.callers = callers

    # Resolved when a handler is planned: most files have none, and these walk the whole module.
    @functools.cached_property
    def module_names(self) -> Set[str]:
        return names_in(self.module) | set(dir(builtins))

    @property
    def parents(self):
        return self.wrapper.resolve(ParentNodeProvider)

    @property
    def contexts(self):
        return self.wrapper.resolve(ExpressionContextProvider)

    def contains(self, node: cst.CSTNode, line: int, col: int) -> bool:
        rng = self.positions.get(node)
        if rng is None:
            return False
        start, end = (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)
        return start <= (line, col) < end or start <= (line, col) <= end

    def line_of(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line if node in self.positions else 0

    def plan(self, func: cst.FunctionDef, findings: Sequence[Finding], facts: Optional[HeldFacts]) -> Plan:
        session = findings[0].session
        if any(f.session != session for f in findings):
            raise Refusal("the handler holds several sessions")
        if "." in session:
            raise Refusal(f"the session '{session}' comes through self (a class-based view); move it to a parameter first")
        param = find_param(func.params, session)
        if param is None:
            raise Refusal(f"'{session}' is not a parameter of {func.name.value}")
        if facts is None:
            raise Refusal("the analysis has no facts for this slow call")
        first = min(findings, key=lambda f: (f.line, f.col))
        unsafe: List[str] = []
        assert first.hold is not None
        opener = first.hold.site.opener
        if opener.kind is OpenedBy.DECORATOR:
            unsafe.append(f"{messages.opener(opener)} reads the session parameter this fix removes")
        elif opener.before_body:
            raise Refusal(f"the transaction is opened before the body runs ({messages.opener(opener)}); "
                          "the fix belongs there")

        body = func.body
        if not isinstance(body, cst.IndentedBlock):
            raise Refusal("the handler body is on one line")
        self._refuse_if_callee_takes_session(body, session, first, facts)
        self._refuse_if_called_directly(func, first.function_line, session)
        owner, stmts, i, k, later = self._locate(body, list(body.body), session, first, [])
        phase = list(stmts[i:k])
        while len(phase) > 1:
            tail = phase[-1]
            before = set(assigned_names(phase[:-1]))
            needed = {session} | (facts.orm_names & before) | (facts.carriers & before)
            if names_in(tail) & needed or has_return(tail):
                break
            phase.pop()  # runs after the block as it did before the slow call
        if not phase:
            if opener.kind is OpenedBy.DECORATOR:
                raise Refusal(f"the body never uses '{session}'; it is held because {messages.opener(opener)} "
                              "queried through it")
            raise Refusal(f"no database phase before the slow call at line {first.line}")

        is_async = facts.is_async
        factory = next((f for f in self.factories if f.is_async == is_async), None)
        if factory is None:
            kind = "async " if is_async else ""
            raise Refusal(f"no {kind}short-lived session factory found next to the dependency; set fix-factory")
        if not factory.commits and facts.writes:
            unsafe.append(f"{factory.name}() does not commit on exit and the database phase writes")

        # What the phase binds and the code after it reads.
        bound = assigned_names(phase)
        after: List[cst.CSTNode] = list(stmts[k:]) + later
        orm = facts.orm_names & set(bound)
        used_after = {name for node in after for name in names_in(node)}
        for carrier in sorted(facts.carriers & set(bound) & used_after):
            use = next(node for node in after if carrier in names_in(node))
            raise Refusal(f"the session is used again after the slow call, through '{carrier}' (line {self.line_of(use)})")
        taken = set(self.module_names) | names_in(func)
        extractions: List[Tuple[str, Tuple[str, ...]]] = []
        by_chain: Dict[Tuple[str, ...], str] = {}
        replace: Dict[cst.CSTNode, str] = {}
        for name in sorted(bound):
            if name not in used_after or name not in orm:
                continue
            if not any(definitely_assigns(s, name) for s in phase):
                raise Refusal(f"'{name}' is assigned only on some paths of the database phase, "
                              "so its values cannot be copied out at the end of it")
            if name in assigned_names(after):
                unsafe.append(f"'{name}' is assigned again after the database phase")
                continue
            escapes = []
            for node in after:
                for use in name_nodes(node, name):
                    top = read_path(use, self.parents)
                    chain = attribute_path(top)
                    if top is use or chain is None or self.contexts.get(top) in (ExpressionContext.STORE,
                                                                                 ExpressionContext.DEL):
                        escapes.append(use)
                        continue
                    if chain not in by_chain:
                        local = choose_name(chain, taken)
                        taken.add(local)
                        by_chain[chain] = local
                        extractions.append((local, chain))
                    replace[top] = by_chain[chain]
            if escapes:
                unsafe.append(f"'{name}' is used whole after the database phase (line {self.line_of(escapes[0])}): "
                              "the ORM object escapes the session")
        removed = [node for node in (param.annotation, param.default) if node is not None]
        return Plan(func, session, param, owner, phase, extractions, replace, is_async, factory, unsafe, removed)

    def _refuse_if_called_directly(self, func: cst.FunctionDef, line: int, session: str) -> None:
        functions = (self.index.functions or {}) if self.index is not None else {}
        mine = next((fn for fn in functions.values() if fn.name == func.name.value and fn.pos.line == line), None)
        if mine is None:
            return
        here = self.index.path if self.index is not None else ""
        # A call in this file first: it is the one the reader has open.
        sites = sorted(self.callers.get(mine.key, ()), key=lambda c: (c[0] != here, c))
        if sites:
            path, caller, at = sites[0]
            where = "" if path == here else f"{path}, "
            raise Refusal(f"{func.name.value} is also called directly ({where}{caller}, line {at}): "
                          f"dropping its '{session}' parameter would break that call")

    def _refuse_if_callee_takes_session(self, body: cst.IndentedBlock, session: str, first: Finding,
                                        facts: HeldFacts) -> None:
        """When the slow callee is handed the session (or an object built with it), no rewrite
        of the handler can help, whatever shape the handler has around the call: say so first,
        rather than the try, branch or later use that the planner would otherwise trip on."""
        if len(first.chain) < 2:
            return
        awaited = self._await_at(body, first.line, first.col)
        if awaited is None:
            return
        names = names_in(awaited.expression)
        chain = " -> ".join(first.chain)
        if session in names:
            raise Refusal(f"the slow call receives the session ({chain}): the fix belongs in {first.chain[0]}")
        through = sorted(names & facts.carriers)
        if through:
            raise Refusal(f"the slow call reaches the session through '{through[0]}' ({chain}): "
                          f"the fix belongs in {first.chain[0]}")

    def _await_at(self, body: cst.CSTNode, line: int, col: int) -> Optional[cst.Await]:
        finder = _AwaitAt(self.positions, line, col)
        body.visit(finder)
        return finder.found[0] if finder.found else None

    def _locate(self, owner: cst.CSTNode, stmts: List[cst.BaseStatement], session: str, first: Finding,
                later: List[cst.CSTNode]):
        """The statement list holding both the database phase and, after it, the statement with
        the first slow await: ``(owner, stmts, first_use_index, sink_index, code_after_owner)``."""
        k = next((n for n, s in enumerate(stmts) if self.contains(s, first.line, first.col)), None)
        if k is None:
            raise Refusal(f"cannot find the slow call at line {first.line}")
        for s in stmts[k + 1:]:
            if refers(s, session):
                raise Refusal(f"the session is used again after the slow call (line {self.line_of(s)})")
        for node in later:
            if refers(node, session):
                raise Refusal(f"the session is used again after the slow call (line {self.line_of(node)})")
        before = [n for n, s in enumerate(stmts[:k]) if refers(s, session)]
        sink_stmt = stmts[k]
        if refers(sink_stmt, session):
            inner = None
            for label, block, holder in sub_blocks(sink_stmt):
                if any(self.contains(s, first.line, first.col) for s in block):
                    inner = (label, block, holder)
            line = self.line_of(sink_stmt)
            if inner is None:
                chain = " -> ".join(first.chain)
                if len(first.chain) > 1:
                    raise Refusal(f"the slow call receives the session ({chain}): the fix belongs in {first.chain[0]}")
                raise Refusal(f"the slow call needs the session itself (line {line})")
            if before:
                raise Refusal(f"the database phase and the slow call share the {statement_kind(sink_stmt)} at line {line}")
            label, block, holder = inner
            # Everything of the compound statement outside that block runs around it.
            rest = [b for b in sub_blocks(sink_stmt) if b[2] is not holder]
            for part, other, _holder in rest:
                for s in other:
                    if refers(s, session):
                        raise Refusal(f"the session is also used in the {part} part of the "
                                      f"{statement_kind(sink_stmt)} at line {line}")
            if header_refers(sink_stmt, session):
                raise Refusal(f"the {statement_kind(sink_stmt)} at line {line} uses the session in its header")
            after_here = list(stmts[k + 1:]) + later
            for _part, other, _holder in rest:
                after_here.extend(other)  # except/finally/else run after the block too
            return self._locate(holder, list(block), session, first, after_here)
        if not before:
            return owner, stmts, k, k, list(later)
        return owner, stmts, before[0], k, list(later)


class _AwaitAt(cst.CSTVisitor):
    """Finds the ``await`` that starts at a position (not inside nested functions)."""

    def __init__(self, positions: Mapping[cst.CSTNode, object], line: int, col: int) -> None:
        self.positions = positions
        self.at = (line, col)
        self.found: List[cst.Await] = []

    def visit_Await(self, node: cst.Await) -> None:
        rng = self.positions.get(node)
        if rng is not None and (rng.start.line, rng.start.column) == self.at:  # type: ignore[attr-defined]
            self.found.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

