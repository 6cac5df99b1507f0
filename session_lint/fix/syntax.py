"""What the rewrites need to read off the libcst tree of the code they rewrite: names,
bindings, statement blocks, attribute paths, parameters. Syntax only: what the code means
(which names hold ORM objects, whether the session wrote) comes from the engine's facts."""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst


def dotted(node: Optional[cst.CSTNode]) -> Optional[str]:
    """``a.b.c`` for a chain of libcst names and attributes, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


class _VariableNames(cst.CSTVisitor):
    """Reports every name that names a variable: not the attribute of ``x.attr``, nor the
    keyword of ``f(keyword=...)``."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report

    def visit_Name(self, node: cst.Name) -> None:
        self.report(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def names_in(node: cst.CSTNode) -> Set[str]:
    """Every identifier in ``node`` that names a variable (not ``x.attr`` or ``f(keyword=)``)."""
    found: Set[str] = set()

    node.visit(_VariableNames(found.add))
    return found


def refers(node: cst.CSTNode, name: str) -> bool:
    return name in names_in(node)


def sub_blocks(stmt: cst.CSTNode) -> List[Tuple[str, Sequence[cst.BaseStatement], cst.CSTNode]]:
    """The statement lists directly inside a compound statement, each with a label and the node
    holding it."""
    out: List[Tuple[str, Sequence[cst.BaseStatement], cst.CSTNode]] = []

    def suite(label: str, s: Optional[cst.BaseSuite], holder: cst.CSTNode) -> None:
        if isinstance(s, cst.IndentedBlock):
            out.append((label, s.body, holder))

    if isinstance(stmt, cst.If):
        suite("if", stmt.body, stmt)
        if isinstance(stmt.orelse, cst.Else):
            suite("else", stmt.orelse.body, stmt.orelse)
        elif isinstance(stmt.orelse, cst.If):
            out.extend(sub_blocks(stmt.orelse))
    elif isinstance(stmt, (cst.For, cst.While)):
        suite("loop", stmt.body, stmt)
        if stmt.orelse is not None:
            suite("else", stmt.orelse.body, stmt.orelse)
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        suite("try", stmt.body, stmt)
        for h in stmt.handlers:
            suite("except", h.body, h)
        if stmt.orelse is not None:
            suite("else", stmt.orelse.body, stmt.orelse)
        if stmt.finalbody is not None:
            suite("finally", stmt.finalbody.body, stmt.finalbody)
    elif isinstance(stmt, cst.With):
        suite("with", stmt.body, stmt)
    elif isinstance(stmt, cst.Match):
        for case in stmt.cases:
            suite("case", case.body, case)
    return out


def statement_kind(stmt: cst.CSTNode) -> str:
    return {cst.If: "if", cst.For: "for", cst.While: "while", cst.Try: "try", cst.TryStar: "try",
            cst.With: "with", cst.Match: "match"}.get(type(stmt), type(stmt).__name__)


def assigned_names(stmts: Iterable[cst.CSTNode]) -> Dict[str, List[cst.CSTNode]]:
    """Names bound by ``stmts`` (not inside nested functions), each with the nodes binding it."""
    bindings = _Bindings()
    for stmt in stmts:
        stmt.visit(bindings)
    return bindings.found


class _Bindings(cst.CSTVisitor):
    """Collects the names a piece of code binds, and what binds each."""

    def __init__(self) -> None:
        self.found: Dict[str, List[cst.CSTNode]] = {}

    def _target(self, target: cst.CSTNode, owner: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.found.setdefault(target.value, []).append(owner)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._target(el.value, owner)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value, owner)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._target(t.target, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target, node)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target, node)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target, node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._target(node.asname.name, node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._target(node.name.name, node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.found.setdefault(node.name.value, []).append(node)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.found.setdefault(node.name.value, []).append(node)
        return False

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        name = node.asname.name if node.asname is not None else node.name
        if isinstance(name, cst.Name):
            self.found.setdefault(name.value, []).append(node)
        elif isinstance(name, cst.Attribute):
            head = dotted(name)
            if head:
                self.found.setdefault(head.split(".")[0], []).append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def attribute_path(node: cst.CSTNode) -> Optional[Tuple[str, ...]]:
    """``("tool", "gateway", "url")`` for ``tool.gateway.url``."""
    text = dotted(node)
    return tuple(text.split(".")) if text else None


def read_path(use: cst.Name, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> cst.CSTNode:
    """The longest attribute path read from ``use`` that is a value (``tool.gateway.url`` in
    ``tool.gateway.url.strip()``): the path stops before a method that is called. ``parents``:
    libcst's ``ParentNodeProvider`` metadata."""
    top: cst.CSTNode = use
    while True:
        up = parents.get(top)
        if isinstance(up, cst.Attribute) and up.value is top:
            above = parents.get(up)
            if isinstance(above, cst.Call) and above.func is up:
                return top  # ``top.method(...)``: the path's value is the receiver
            top = up
            continue
        return top


def probed_attributes(node: cst.CSTNode) -> Set[Tuple[str, str]]:
    """``("tool", "oauth_config")`` for each ``hasattr(tool, "oauth_config")`` in ``node``: the
    attributes the code reads only where they exist."""
    probes = _Probes()
    node.visit(probes)
    return probes.found


class _Probes(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: Set[Tuple[str, str]] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if (isinstance(node.func, cst.Name) and node.func.value == "hasattr" and len(node.args) == 2
                and isinstance(node.args[0].value, cst.Name) and isinstance(node.args[1].value, cst.SimpleString)):
            attr = node.args[1].value.evaluated_value
            if isinstance(attr, str):
                self.found.add((node.args[0].value.value, attr))


def has_return(stmt: cst.CSTNode) -> bool:
    """Whether ``stmt`` holds a ``return`` of its own (not of a nested function)."""
    finder = _OwnReturns()
    stmt.visit(finder)
    return finder.found


class _OwnReturns(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def ends_abruptly(block: Sequence[cst.BaseStatement]) -> bool:
    """Whether a block always leaves by ``raise``/``return``/``break``/``continue``."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Raise, cst.Return, cst.Break, cst.Continue)) for s in last.body)
    if isinstance(last, cst.If) and isinstance(last.orelse, (cst.Else, cst.If)):
        branches = [b for _l, b, _h in sub_blocks(last)]
        return all(ends_abruptly(b) for b in branches)
    return False


def definitely_assigns(stmt: cst.CSTNode, name: str) -> bool:
    """Whether every normal way through ``stmt`` binds ``name``."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return name in assigned_names([stmt])
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        body = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else []
        handlers_leave = all(ends_abruptly(h.body.body) for h in stmt.handlers if isinstance(h.body, cst.IndentedBlock))
        in_body = any(definitely_assigns(s, name) for s in body)
        in_final = stmt.finalbody is not None and any(definitely_assigns(s, name) for s in stmt.finalbody.body.body)
        return (in_body and handlers_leave) or bool(in_final)
    if isinstance(stmt, cst.If):
        branches = [b for _l, b, _h in sub_blocks(stmt)]
        if not isinstance(stmt.orelse, (cst.Else, cst.If)):
            return False
        return all(any(definitely_assigns(s, name) for s in b) or ends_abruptly(b) for b in branches)
    if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock):
        return any(definitely_assigns(s, name) for s in stmt.body.body)
    return False


def header_refers(stmt: cst.CSTNode, name: str) -> bool:
    if isinstance(stmt, cst.If):
        return refers(stmt.test, name)
    if isinstance(stmt, cst.While):
        return refers(stmt.test, name)
    if isinstance(stmt, cst.For):
        return refers(stmt.iter, name) or refers(stmt.target, name)
    if isinstance(stmt, cst.With):
        return any(refers(item, name) for item in stmt.items)
    if isinstance(stmt, cst.Match):
        return refers(stmt.subject, name)
    return False


def find_param(params: cst.Parameters, name: str) -> Optional[cst.Param]:
    for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
        if p.name.value == name:
            return p
    return None


class _NameUses(cst.CSTVisitor):
    """Reports each ``Name`` node of one name that is a variable (``x.tool`` is not a use of
    ``tool``)."""

    def __init__(self, name: str, report: Callable[[cst.Name], None]) -> None:
        self.name = name
        self.report = report

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.report(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False


def name_nodes(node: cst.CSTNode, name: str) -> List[cst.Name]:
    found: List[cst.Name] = []
    node.visit(_NameUses(name, found.append))
    return found


def choose_name(chain: Tuple[str, ...], taken: Set[str]) -> str:
    """A readable local for ``chain`` that collides with nothing: ``gateway_url`` for
    ``tool.gateway_url`` and ``tool.gateway.url``, ``tool_name`` for ``tool.name``."""
    last = chain[-1]
    if len(chain) >= 3:
        first_choice = f"{chain[-2]}_{last}"
    elif "_" in last.strip("_"):
        first_choice = last
    else:
        first_choice = f"{chain[0]}_{last}"
    candidates = [first_choice, f"{chain[0]}_{last}", "_".join(chain)]
    for candidate in candidates:
        candidate = candidate.lstrip("_") or candidate
        if candidate not in taken and candidate.isidentifier():
            return candidate
    n = 2
    while f"{first_choice}_{n}" in taken:
        n += 1
    return f"{first_choice}_{n}"


def comp_fors(node: Optional[cst.CompFor]) -> List[cst.CompFor]:
    out = []
    while node is not None:
        out.append(node)
        node = node.inner_for_in
    return out


def target_names(target: cst.CSTNode) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in target_names(el.value)]
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return []


def without_param(params: cst.Parameters, target: cst.Param) -> cst.Parameters:
    def drop(seq: Sequence[cst.Param]) -> List[cst.Param]:
        items = list(seq)
        if target not in items:
            return items
        at = items.index(target)
        items.pop(at)
        if at == len(items) and items:
            # The dropped parameter was last: the one before takes its comma (usually none,
            # or the trailing comma of a multi-line signature).
            items[-1] = items[-1].with_changes(comma=target.comma)
        return items

    changes = {
        "posonly_params": drop(params.posonly_params),
        "params": drop(params.params),
        "kwonly_params": drop(params.kwonly_params),
    }
    if target in params.kwonly_params and not changes["kwonly_params"] and isinstance(params.star_arg, cst.ParamStar):
        # The bare ``*`` goes with the last keyword-only parameter, and its comma moves to the
        # parameter before it.
        changes["star_arg"] = cst.MaybeSentinel.DEFAULT
        before = changes["params"]
        if before:
            before[-1] = before[-1].with_changes(comma=target.comma)
    return params.with_changes(**changes)


