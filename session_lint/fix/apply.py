"""Applying the rewrites planned for a module in one pass: extract plans (SPEC 4a: the database
phase wrapped in the factory's ``with`` block with the extracted locals at its end, reads after
it replaced by those locals, the session parameter and its docstring entry dropped) and release
edits (SPEC 4b: copies and ``commit()`` before the statement holding the slow call), then the
imports brought up to date."""

from __future__ import annotations

from typing import Dict, Sequence

import libcst as cst

from session_lint.fix.docstrings import drop_docstring_entry
from session_lint.fix.extract import Plan
from session_lint.fix.imports import update_imports
from session_lint.fix.release_edit import ReleaseEdit, ReleaseRewriter
from session_lint.fix.syntax import find_param, without_param


def apply_plans(wrapper: cst.MetadataWrapper, plans: Sequence[Plan], module_name: str,
                releases: Sequence[ReleaseEdit] = ()) -> cst.Module:
    rewritten = wrapper.module.visit(_Rewriter({p.func: p for p in plans}, releases))
    if not plans:
        return rewritten
    added = [(p.factory.module, p.factory.name) for p in plans if p.factory.module is not None]
    removed = [node for p in plans for node in p.removed]
    return update_imports(wrapper, rewritten, added, removed, module_name)


class _Rewriter(ReleaseRewriter):
    """Rewrites each planned handler (its phase, its reads after the phase, its signature) and
    makes each release's edits."""

    def __init__(self, plans: Dict[cst.FunctionDef, Plan], releases: Sequence[ReleaseEdit] = ()) -> None:
        super().__init__(releases)
        self.plans = plans
        self.by_owner: Dict[cst.CSTNode, Plan] = {p.block_owner: p for p in plans.values()}
        for p in plans.values():
            self.replace.update(p.replace)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.BaseExpression) -> cst.BaseExpression:
        local = self.replace.get(original)
        if local is not None:
            return cst.Name(local)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        local = self.replace.get(original)
        return cst.Name(local) if local is not None else updated

    def _wrap(self, plan: Plan, body: Sequence[cst.BaseStatement], original_body: Sequence[cst.BaseStatement]):
        phase_ids = [original_body.index(s) for s in plan.phase]
        start, stop = phase_ids[0], phase_ids[-1] + 1
        moved = list(body[start:stop])
        first = moved[0]
        leading = first.leading_lines
        moved[0] = first.with_changes(leading_lines=())
        for local, chain in plan.extractions:
            value: cst.BaseExpression = cst.Name(chain[0])
            for attr in chain[1:]:
                value = cst.Attribute(value=value, attr=cst.Name(attr))
            moved.append(cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(local))], value=value)]))
        factory_call = cst.Call(func=cst.Name(plan.factory.name))
        with_stmt = cst.With(
            items=[cst.WithItem(item=factory_call, asname=cst.AsName(name=cst.Name(plan.session)))],
            body=cst.IndentedBlock(body=moved),
            asynchronous=cst.Asynchronous() if plan.is_async else None,
            leading_lines=leading,
        )
        return list(body[:start]) + [with_stmt] + list(body[stop:])

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        plan = self.by_owner.get(original_node)
        if plan is not None and isinstance(updated_node, cst.CSTNode):
            updated_node = self._rewrite_owner(plan, original_node, updated_node)
        if isinstance(original_node, cst.FunctionDef) and original_node in self.plans:
            updated_node = self._rewrite_function(self.plans[original_node], updated_node)
        return updated_node

    def _rewrite_owner(self, plan: Plan, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        # The owner is a node whose ``body`` (an IndentedBlock) holds the phase.
        if isinstance(original, cst.IndentedBlock):
            return updated.with_changes(body=self._wrap(plan, updated.body, list(original.body)))
        block = updated.body
        original_block = original.body
        new = block.with_changes(body=self._wrap(plan, block.body, list(original_block.body)))
        return updated.with_changes(body=new)

    def _rewrite_function(self, plan: Plan, updated: cst.FunctionDef) -> cst.FunctionDef:
        params = without_param(updated.params, find_param(updated.params, plan.session) or plan.param)
        updated = updated.with_changes(params=params)
        body = updated.body
        if isinstance(body, cst.IndentedBlock) and body.body:
            first = body.body[0]
            if isinstance(first, cst.SimpleStatementLine) and first.body and isinstance(first.body[0], cst.Expr):
                doc = first.body[0].value
                if isinstance(doc, cst.SimpleString):
                    new_value = drop_docstring_entry(doc.value, plan.session)
                    if new_value != doc.value:
                        new_first = first.with_changes(body=[first.body[0].with_changes(value=doc.with_changes(value=new_value))])
                        updated = updated.with_changes(body=body.with_changes(body=[new_first, *body.body[1:]]))
        return updated
