"""The front end for one function: lowers it, parsed with the stdlib ``ast``, to
:mod:`session_lint.flow.ir`.

It resolves what each call is (through :class:`~session_lint.index.resolver.Resolver`), asks the
catalogue (:mod:`session_lint.knowledge.catalogue`) whether it waits on another host, and records
session operations by variable name. It makes no judgement about transactions: that is the
engine's job. Statements, calls and ORM loads are lowered by the three parts it is made of.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional

from session_lint.flow import ir
from session_lint.flow.lower.calls import CallLowering
from session_lint.flow.lower.context import Env, ModuleContext
from session_lint.flow.lower.names import is_static, kwargs_of, params_of
from session_lint.flow.lower.orm import OrmLowering
from session_lint.flow.lower.statements import StatementLowering
from session_lint.index.bindings import ClassInfo, Val
from session_lint.knowledge import frameworks
from session_lint.knowledge.sqlalchemy import SESSION_CLASSES
from session_lint.source.parsed import FUNCTION_TYPES, FuncNode, dotted, param_default, statement_blocks


class FunctionLowerer(StatementLowering, CallLowering, OrmLowering):
    def __init__(
        self,
        module: ModuleContext,
        key: str,
        node: FuncNode,
        cls: Optional[ClassInfo],
        outer_env: Env,
        outer_defs: Dict[str, str],
        outer_locals: frozenset,
    ) -> None:
        self.m = module
        self.key = key
        self.node = node
        self.cls = cls
        self.env = dict(outer_env)
        self.defs = dict(outer_defs)
        self.outer_locals = outer_locals
        self.locals = set()
        self.read_names = set()
        self.task_groups = {}
        self.pending = {}
        self.has_explicit = False
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        self.results = {}
        self.orm_names = set()
        self.session_names = set()
        self.statements = {}

    # ------------------------------------------------------------ entry

    def lower(self) -> ir.FunctionIR:
        params = params_of(self.node.args)
        for p in params:
            self.locals.add(p.arg)
            self.env[p.arg] = self.m.resolver.annotation(p.annotation, self.env)
            if _may_be_a_session(p, self.env[p.arg], self.node.args):
                self.session_names.add(p.arg)
        if self.cls is not None and params and not is_static(self.node) and self.node in self.cls.methods.values():
            first = params[0].arg
            is_classmethod = any(dotted(d) == "classmethod" for d in self.node.decorator_list)
            self.env[first] = Val("ref" if is_classmethod else "inst", self.cls.qual)
        # Nested functions are callable from anywhere in the body, so collect them first.
        self._collect_defs(self.node.body)
        body = self.block(self.node.body)
        names = tuple(p.arg for p in params)
        bound = self.cls is not None and not is_static(self.node)
        free = frozenset(n for n in self.read_names if n in self.outer_locals and n not in self.locals)
        return ir.FunctionIR(
            key=self.key,
            name=self.node.name,
            is_async=self.is_async,
            params=names,
            pos=self.m.pos(self.node),
            body=body,
            bound_method=bound,
            free_names=free,
            has_explicit_session=self.has_explicit,
            kwargs_keys=kwargs_of(self.node, self.m.parsed),
        )

    def _collect_defs(self, body: List[ast.stmt]) -> None:
        # Functions defined anywhere in this body (not in nested functions or classes: deeper
        # ones belong to those).
        stack = list(reversed(body))
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, FUNCTION_TYPES):
                self.defs[stmt.name] = f"{self.key}.<locals>.{stmt.name}"
                continue
            if isinstance(stmt, ast.ClassDef):
                continue
            nested: List[ast.stmt] = []
            for block in statement_blocks(stmt):
                nested.extend(block)
            stack.extend(reversed(nested))

    def _lower_nested(self, node: FuncNode) -> None:
        key = self.defs.get(node.name)
        if key is None or self.m.will_lower(key):
            return
        visible = frozenset(self.locals | self.outer_locals)
        self.m.lower_later(key, node, self.cls, dict(self.env), dict(self.defs), visible)


def _may_be_a_session(param: ast.arg, annotated: Optional[Val], args: ast.arguments) -> bool:
    """A parameter annotated as a session, or declared with a dependency (``Depends(get_db)``)."""
    if annotated is not None and annotated.kind == "inst" and annotated.qual in SESSION_CLASSES:
        return True
    return frameworks.dependency(param_default(args, param)) is not None or (
        frameworks.annotated_dependency(param.annotation, {}) is not None)
