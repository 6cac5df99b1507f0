"""Imports after a rewrite, with LibCST's own codemod visitors: the factory a rewrite uses is
added (``AddImportsVisitor``: nothing when the module already binds it, merged into an existing
``from x import ...``, else a new line after the imports), and the names a removed parameter
used (``Depends``, ``get_db``, ``Session``) go where nothing else uses them any more
(``RemoveImportsVisitor``, which reads the scopes of the tree as rewritten).

Two touches of style LibCST leaves to the caller: a name merged into ``from x import a, b``
goes where isort would put it (in order when the names were sorted, else last), and a file
whose first import went does not start with the blank lines that followed it.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Tuple

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node


def update_imports(original: cst.MetadataWrapper, rewritten: cst.Module, added: Iterable[Tuple[str, str]],
                   removed: Sequence[cst.CSTNode], module_name: str) -> cst.Module:
    """``rewritten`` with ``added`` (``(module, name)``) imported and the imports that only
    ``removed`` (nodes of ``original``'s tree) used dropped."""
    package = module_name.rpartition(".")[0] if module_name else ""
    # What the removed nodes referred to is read from the tree they were part of.
    reading = CodemodContext(wrapper=original, full_module_name=module_name or None, full_package_name=package or None)
    for node in removed:
        RemoveImportsVisitor.remove_unused_import_by_node(reading, node)
    context = CodemodContext(full_module_name=module_name or None, full_package_name=package or None)
    context.scratch.update(reading.scratch)
    result = rewritten
    for module, name in sorted(set(added)):
        if name in _top_level_bindings(result):
            continue
        add = CodemodContext(full_module_name=module_name or None, full_package_name=package or None)
        AddImportsVisitor.add_needed_import(add, module, name)
        result = AddImportsVisitor(add).transform_module(result)
        result = result.visit(_PlaceMergedName(module, name))
    return _without_leading_blank_lines(result, RemoveImportsVisitor(context).transform_module(result))


def _top_level_bindings(module: cst.Module) -> set:
    """Names bound at the top of ``module`` by an import, an assignment, a def or a class: a
    factory defined (or already imported) there needs no import."""
    bound: set = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        text = get_full_name_for_node(alias.asname.name if alias.asname is not None else alias.name)
                        if text:
                            bound.add(text.split(".")[0])
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            bound.add(target.target.value)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            bound.add(stmt.name.value)
    return bound


class _PlaceMergedName(cst.CSTTransformer):
    """``AddImportsVisitor`` puts a name merged into an existing ``from module import ...``
    first; isort (and a maintainer) would put it in order among names that are sorted, and
    last otherwise."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if isinstance(updated.names, cst.ImportStar) or get_full_name_for_node(updated.module) != self.module:
            return updated
        names = list(updated.names)
        if len(names) < 2 or get_full_name_for_node(names[0].name) != self.name:
            return updated
        added, rest = names[0], names[1:]
        keys = [(get_full_name_for_node(alias.name) or "").lower() for alias in rest]
        at = len(rest)
        if keys == sorted(keys):
            at = next((n for n, key in enumerate(keys) if key > self.name.lower()), len(rest))
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if at == len(rest):
            # The new last name takes the old last name's comma (a trailing comma stays).
            last = rest[-1]
            rest[-1] = last.with_changes(comma=space)
            placed = added.with_changes(comma=last.comma)
            return updated.with_changes(names=[*rest, placed])
        comma = rest[at].comma if at < len(rest) - 1 else space
        if isinstance(comma, cst.MaybeSentinel):
            comma = space
        return updated.with_changes(names=[*rest[:at], added.with_changes(comma=comma), *rest[at:]])


def _without_leading_blank_lines(before: cst.Module, after: cst.Module) -> cst.Module:
    """When the first statement went, the file must not now start with the blank lines that
    separated it from the next one."""
    if not after.body or not before.body or len(after.body) >= len(before.body):
        return after
    first: Optional[cst.BaseStatement] = after.body[0]
    if first is None or first is before.body[0]:
        return after
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return after.with_changes(body=[first.with_changes(leading_lines=lines), *after.body[1:]])
