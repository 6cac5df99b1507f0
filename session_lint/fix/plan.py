"""``session-lint fix``: rewrites a handler that holds its dependency session across a slow await
into the short-lived-session pattern (SPEC section 4).

For each handler with SL101/SL102 findings it plans, on the libcst tree, which statements form
the database phase (from the first use of the session to the statement holding the first slow
await), which ORM-loaded names are used after it and how (attribute chains can be extracted into
plain locals; an object used whole escapes), and then either rewrites, or reports why it will
not. Every byte outside the rewritten handlers, the import it needs and the imports it made
unused stays as it was.
"""

from __future__ import annotations

import builtins
import enum
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint.flow import ir
from session_lint.report.findings import Finding
from session_lint.index.module_index import ModuleIndex

FIXABLE = ("SL101", "SL102")

# Session methods whose result is a plain value, not an ORM object.
VALUE_METHODS = frozenset({"count", "exists", "scalar_one_or_none_value", "rowcount"})
# Session methods that write: a factory that does not commit on exit would lose them.
WRITE_METHODS = frozenset({"add", "add_all", "delete", "merge", "flush", "bulk_save_objects", "bulk_insert_mappings"})


class Status(enum.Enum):
    FIXED = "fixed"
    UNSAFE = "unsafe"  # fixable only with --unsafe-fixes
    REFUSED = "refused"


@dataclass
class Outcome:
    function: str
    line: int
    status: Status
    reason: str = ""


@dataclass
class FileFix:
    """The result of fixing one file: the new source (None when nothing changed)."""

    source: Optional[bytes]
    outcomes: List[Outcome] = field(default_factory=list)


@dataclass
class Factory:
    module: Optional[str]  # None: defined in the file itself
    name: str
    commits: bool  # False for a bare sessionmaker: ``with SessionLocal() as db`` only closes
    is_async: bool = False


class Refusal(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- small tree helpers


def dotted(node: Optional[cst.CSTNode]) -> Optional[str]:
    """``a.b.c`` for a chain of libcst names and attributes, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _names_in(node: cst.CSTNode) -> Set[str]:
    """Every identifier in ``node`` that names a variable (not ``x.attr`` or ``f(keyword=)``)."""
    found: Set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

    node.visit(V())
    return found


def refers(node: cst.CSTNode, name: str) -> bool:
    return name in _names_in(node)


def _sub_blocks(stmt: cst.CSTNode) -> List[Tuple[str, Sequence[cst.BaseStatement], cst.CSTNode]]:
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
            out.extend(_sub_blocks(stmt.orelse))
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


def _kind(stmt: cst.CSTNode) -> str:
    return {cst.If: "if", cst.For: "for", cst.While: "while", cst.Try: "try", cst.TryStar: "try",
            cst.With: "with", cst.Match: "match"}.get(type(stmt), type(stmt).__name__)


def _assigned_names(stmts: Iterable[cst.CSTNode]) -> Dict[str, List[cst.CSTNode]]:
    """Names bound by ``stmts`` (not inside nested functions), each with the nodes binding it."""
    found: Dict[str, List[cst.CSTNode]] = {}

    class V(cst.CSTVisitor):
        def _target(self, target: cst.CSTNode, owner: cst.CSTNode) -> None:
            if isinstance(target, cst.Name):
                found.setdefault(target.value, []).append(owner)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for el in target.elements:
                    self._target(el.value, owner)
            elif isinstance(target, cst.StarredElement):
                self._target(target.value, owner)

        def visit_Assign(self, n: cst.Assign) -> None:
            for t in n.targets:
                self._target(t.target, n)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            self._target(n.target, n)

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            self._target(n.target, n)

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            self._target(n.target, n)

        def visit_For(self, n: cst.For) -> None:
            self._target(n.target, n)

        def visit_WithItem(self, n: cst.WithItem) -> None:
            if n.asname is not None:
                self._target(n.asname.name, n)

        def visit_ExceptHandler(self, n: cst.ExceptHandler) -> None:
            if n.name is not None:
                self._target(n.name.name, n)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            found.setdefault(n.name.value, []).append(n)
            return False

        def visit_ClassDef(self, n: cst.ClassDef) -> bool:
            found.setdefault(n.name.value, []).append(n)
            return False

        def visit_ImportAlias(self, n: cst.ImportAlias) -> None:
            name = n.asname.name if n.asname is not None else n.name
            if isinstance(name, cst.Name):
                found.setdefault(name.value, []).append(n)
            elif isinstance(name, cst.Attribute):
                head = dotted(name)
                if head:
                    found.setdefault(head.split(".")[0], []).append(n)

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

    for stmt in stmts:
        stmt.visit(V())
    return found


class _Parents(cst.CSTVisitor):
    def __init__(self) -> None:
        self.parent: Dict[cst.CSTNode, cst.CSTNode] = {}
        self._stack: List[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parent[node] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def _chain(node: cst.CSTNode) -> Optional[Tuple[str, ...]]:
    """``("tool", "gateway", "url")`` for ``tool.gateway.url``."""
    text = dotted(node)
    return tuple(text.split(".")) if text else None


# ---------------------------------------------------------------- who calls a handler

# A call of a function from project code: (path of the calling module, calling function, line).
CallSite = Tuple[str, str, int]


def direct_calls(modules: Iterable[ModuleIndex],
                 resolve: Callable[[str], Optional[ir.FunctionIR]]) -> Dict[str, List[CallSite]]:
    """For each function of the project (by key), the places that call it by name. A route
    handler is normally only called by FastAPI; one that project code also calls cannot lose a
    parameter without those calls breaking (``sync(..., db=db)`` into a fixed ``fetch``)."""
    found: Dict[str, List[CallSite]] = {}
    for module in modules:
        for caller in (module.functions or {}).values():
            for call in (n for n in ir.walk(caller.body) if isinstance(n, ir.Call)):
                target = resolve(call.callee) if call.callee else None
                if target is not None:
                    found.setdefault(target.key, []).append((module.path, caller.name, call.pos.line))
    return found


# ---------------------------------------------------------------- the plan for one handler


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
    removed_names: Set[str]  # names the dropped parameter used (Depends, get_db, Session)


class Planner:
    def __init__(self, module: cst.Module, positions, index: Optional[ModuleIndex], factories: Sequence[Factory],
                 callers: Optional[Mapping[str, Sequence[CallSite]]] = None) -> None:
        self.module = module
        self.positions = positions
        self.index = index
        self.factories = list(factories)
        if callers is None and index is not None:
            # Only this module's calls are known (the codemod, one file at a time).
            local = index.functions or {}
            callers = direct_calls([index], local.get)
        self.callers: Mapping[str, Sequence[CallSite]] = callers or {}
        self.module_names = _names_in(module) | set(dir(builtins))

    def contains(self, node: cst.CSTNode, line: int, col: int) -> bool:
        rng = self.positions.get(node)
        if rng is None:
            return False
        start, end = (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)
        return start <= (line, col) < end or start <= (line, col) <= end

    def plan(self, func: cst.FunctionDef, findings: Sequence[Finding]) -> Plan:
        session = findings[0].session
        if any(f.session != session for f in findings):
            raise Refusal("the handler holds several sessions")
        if "." in session:
            raise Refusal(f"the session '{session}' comes through self (a class-based view); move it to a parameter first")
        param = _find_param(func.params, session)
        if param is None:
            raise Refusal(f"'{session}' is not a parameter of {func.name.value}")
        first = min(findings, key=lambda f: (f.line, f.col))
        unsafe: List[str] = []
        opener = first.opened_by
        if opener.startswith("@"):
            unsafe.append(f"{opener} reads the session parameter this fix removes")
        elif " before yield" in opener or ": " in opener:
            raise Refusal(f"the transaction is opened before the body runs ({opener}); the fix belongs there")

        body = func.body
        if not isinstance(body, cst.IndentedBlock):
            raise Refusal("the handler body is on one line")
        self._refuse_if_callee_takes_session(body, session, first)
        self._refuse_if_called_directly(func, findings[0].function_line, session)
        owner, stmts, i, k, later = self._locate(body, list(body.body), session, first, [])
        phase = list(stmts[i:k])
        while len(phase) > 1:
            tail = phase[-1]
            needed = {session} | _orm_names(phase[:-1], session) | _carriers(phase[:-1], session)
            if _names_in(tail) & needed or _is_compound_with_return(tail):
                break
            phase.pop()  # runs after the block as it did before the slow call
        if not phase:
            if opener.startswith("@"):
                raise Refusal(f"the body never uses '{session}'; it is held because {opener} queried through it")
            raise Refusal(f"no database phase before the slow call at line {first.line}")

        is_async = _is_async_session(param, phase, session)
        factory = next((f for f in self.factories if f.is_async == is_async), None)
        if factory is None:
            kind = "async " if is_async else ""
            raise Refusal(f"no {kind}short-lived session factory found next to the dependency; set fix-factory")
        if not factory.commits and _writes(phase, session):
            unsafe.append(f"{factory.name}() does not commit on exit and the database phase writes")

        # What the phase binds and the code after it reads.
        bound = _assigned_names(phase)
        after: List[cst.CSTNode] = list(stmts[k:]) + later
        parents = _Parents()
        for node in after:
            node.visit(parents)
        orm = _orm_names(phase, session)
        used_after = {name for node in after for name in _names_in(node)}
        for carrier in sorted(_carriers(phase, session) & used_after):
            use = next(node for node in after if carrier in _names_in(node))
            line = self.positions[use].start.line if use in self.positions else 0
            raise Refusal(f"the session is used again after the slow call, through '{carrier}' (line {line})")
        taken = set(self.module_names) | _names_in(func)
        extractions: List[Tuple[str, Tuple[str, ...]]] = []
        by_chain: Dict[Tuple[str, ...], str] = {}
        replace: Dict[cst.CSTNode, str] = {}
        for name in sorted(bound):
            if name not in used_after or name not in orm:
                continue
            if not any(_definitely_assigns(s, name) for s in phase):
                raise Refusal(f"'{name}' is assigned only on some paths of the database phase, "
                              "so its values cannot be copied out at the end of it")
            if name in _assigned_names(after):
                unsafe.append(f"'{name}' is assigned again after the database phase")
                continue
            escapes = []
            for node in after:
                for use in _name_nodes(node, name):
                    top, method = _climb(use, parents.parent)
                    chain = _chain(top)
                    if top is use or chain is None or isinstance(parents.parent.get(top), cst.AssignTarget) or _is_store(top, parents.parent):
                        escapes.append(use)
                        continue
                    if chain not in by_chain:
                        local = _choose_name(chain, taken)
                        taken.add(local)
                        by_chain[chain] = local
                        extractions.append((local, chain))
                    replace[top] = by_chain[chain]
            if escapes:
                line = self.positions[escapes[0]].start.line if escapes[0] in self.positions else 0
                unsafe.append(f"'{name}' is used whole after the database phase (line {line}): the ORM object escapes the session")
        removed = _names_in(param.annotation) if param.annotation is not None else set()
        if param.default is not None:
            removed |= _names_in(param.default)
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

    def _refuse_if_callee_takes_session(self, body: cst.IndentedBlock, session: str, first: Finding) -> None:
        """When the slow callee is handed the session (or an object built with it), no rewrite
        of the handler can help, whatever shape the handler has around the call: say so first,
        rather than the try, branch or later use that the planner would otherwise trip on."""
        if len(first.chain) < 2:
            return
        awaited = self._await_at(body, first.line, first.col)
        if awaited is None:
            return
        names = _names_in(awaited.expression)
        chain = " -> ".join(first.chain)
        if session in names:
            raise Refusal(f"the slow call receives the session ({chain}): the fix belongs in {first.chain[0]}")
        through = sorted(names & _carriers(body.body, session))
        if through:
            raise Refusal(f"the slow call reaches the session through '{through[0]}' ({chain}): "
                          f"the fix belongs in {first.chain[0]}")

    def _await_at(self, body: cst.CSTNode, line: int, col: int) -> Optional[cst.Await]:
        found: List[cst.Await] = []
        positions = self.positions

        class V(cst.CSTVisitor):
            def visit_Await(self, n: cst.Await) -> None:
                rng = positions.get(n)
                if rng is not None and (rng.start.line, rng.start.column) == (line, col):
                    found.append(n)

            def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
                return False

        body.visit(V())
        return found[0] if found else None

    def _locate(self, owner: cst.CSTNode, stmts: List[cst.BaseStatement], session: str, first: Finding,
                later: List[cst.CSTNode]):
        """The statement list holding both the database phase and, after it, the statement with
        the first slow await: ``(owner, stmts, first_use_index, sink_index, code_after_owner)``."""
        k = next((n for n, s in enumerate(stmts) if self.contains(s, first.line, first.col)), None)
        if k is None:
            raise Refusal(f"cannot find the slow call at line {first.line}")
        for s in stmts[k + 1:]:
            if refers(s, session):
                line = self.positions[s].start.line
                raise Refusal(f"the session is used again after the slow call (line {line})")
        for node in later:
            if refers(node, session):
                line = self.positions[node].start.line if node in self.positions else 0
                raise Refusal(f"the session is used again after the slow call (line {line})")
        before = [n for n, s in enumerate(stmts[:k]) if refers(s, session)]
        sink_stmt = stmts[k]
        if refers(sink_stmt, session):
            inner = None
            for label, block, holder in _sub_blocks(sink_stmt):
                if any(self.contains(s, first.line, first.col) for s in block):
                    inner = (label, block, holder)
            line = self.positions[sink_stmt].start.line
            if inner is None:
                chain = " -> ".join(first.chain)
                if len(first.chain) > 1:
                    raise Refusal(f"the slow call receives the session ({chain}): the fix belongs in {first.chain[0]}")
                raise Refusal(f"the slow call needs the session itself (line {line})")
            if before:
                raise Refusal(f"the database phase and the slow call share the {_kind(sink_stmt)} at line {line}")
            label, block, holder = inner
            # Everything of the compound statement outside that block runs around it.
            rest = [b for b in _sub_blocks(sink_stmt) if b[2] is not holder]
            for _l, other, _h in rest:
                for s in other:
                    if refers(s, session):
                        raise Refusal(f"the session is also used in the {_l} part of the {_kind(sink_stmt)} at line {line}")
            if _header_refers(sink_stmt, session):
                raise Refusal(f"the {_kind(sink_stmt)} at line {line} uses the session in its header")
            after_here = list(stmts[k + 1:]) + later
            for _l, other, _h in rest:
                after_here.extend(other)  # except/finally/else run after the block too
            return self._locate(holder, list(block), session, first, after_here)
        if not before:
            return owner, stmts, k, k, list(later)
        return owner, stmts, before[0], k, list(later)


def _is_compound_with_return(stmt: cst.CSTNode) -> bool:
    found = []

    class V(cst.CSTVisitor):
        def visit_Return(self, n: cst.Return) -> None:
            found.append(n)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    stmt.visit(V())
    return bool(found)


def _ends_abruptly(block: Sequence[cst.BaseStatement]) -> bool:
    """Whether a block always leaves by ``raise``/``return``/``break``/``continue``."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Raise, cst.Return, cst.Break, cst.Continue)) for s in last.body)
    if isinstance(last, cst.If) and isinstance(last.orelse, (cst.Else, cst.If)):
        branches = [b for _l, b, _h in _sub_blocks(last)]
        return all(_ends_abruptly(b) for b in branches)
    return False


def _definitely_assigns(stmt: cst.CSTNode, name: str) -> bool:
    """Whether every normal way through ``stmt`` binds ``name``."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return name in _assigned_names([stmt])
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        body = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else []
        handlers_leave = all(_ends_abruptly(h.body.body) for h in stmt.handlers if isinstance(h.body, cst.IndentedBlock))
        in_body = any(_definitely_assigns(s, name) for s in body)
        in_final = stmt.finalbody is not None and any(_definitely_assigns(s, name) for s in stmt.finalbody.body.body)
        return (in_body and handlers_leave) or bool(in_final)
    if isinstance(stmt, cst.If):
        branches = [b for _l, b, _h in _sub_blocks(stmt)]
        if not isinstance(stmt.orelse, (cst.Else, cst.If)):
            return False
        return all(any(_definitely_assigns(s, name) for s in b) or _ends_abruptly(b) for b in branches)
    if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock):
        return any(_definitely_assigns(s, name) for s in stmt.body.body)
    return False


def _header_refers(stmt: cst.CSTNode, name: str) -> bool:
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


def _find_param(params: cst.Parameters, name: str) -> Optional[cst.Param]:
    for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
        if p.name.value == name:
            return p
    return None


def _name_nodes(node: cst.CSTNode, name: str) -> List[cst.Name]:
    found: List[cst.Name] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            # ``x.tool`` is not a use of ``tool``
            n.value.visit(self)
            return False

    node.visit(V())
    return found


def _climb(use: cst.Name, parent: Dict[cst.CSTNode, cst.CSTNode]) -> Tuple[cst.CSTNode, bool]:
    """The longest attribute chain read from ``use`` that is a value (``tool.gateway.url`` in
    ``tool.gateway.url.strip()``): the chain stops before a method that is called."""
    top: cst.CSTNode = use
    while True:
        up = parent.get(top)
        if isinstance(up, cst.Attribute) and up.value is top:
            above = parent.get(up)
            if isinstance(above, cst.Call) and above.func is up:
                return top, True  # ``top.method(...)``: the chain's value is the receiver
            top = up
            continue
        return top, False


def _is_store(node: cst.CSTNode, parent: Dict[cst.CSTNode, cst.CSTNode]) -> bool:
    up = parent.get(node)
    if isinstance(up, (cst.AssignTarget,)):
        return True
    if isinstance(up, cst.AugAssign) and up.target is node:
        return True
    if isinstance(up, cst.AnnAssign) and up.target is node:
        return True
    return False


def _choose_name(chain: Tuple[str, ...], taken: Set[str]) -> str:
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


def _carriers(phase: Sequence[cst.BaseStatement], session: str) -> Set[str]:
    """Names bound in the phase to something that keeps the session itself: an alias
    (``s = db``) or an object built with it (``svc = EmailAuthService(db)``; a class is told
    from a function by its capitalised name). Using one after the phase uses the session."""
    found: Set[str] = set()

    def carries(value: Optional[cst.CSTNode]) -> bool:
        if isinstance(value, cst.Name):
            return value.value == session or value.value in found
        if isinstance(value, cst.Call):
            name = dotted(value.func)
            last = name.rsplit(".", 1)[-1] if name else ""
            return last[:1].isupper() and any(carries(a.value) for a in value.args)
        return False

    class V(cst.CSTVisitor):
        def visit_Assign(self, n: cst.Assign) -> None:
            if carries(n.value):
                for t in n.targets:
                    found.update(_target_names(t.target))

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            if carries(n.value):
                found.update(_target_names(n.target))

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    for _ in range(2):
        for stmt in phase:
            stmt.visit(V())
    return found


def _orm_names(phase: Sequence[cst.BaseStatement], session: str) -> Set[str]:
    """Names bound in the phase to what the session loaded (objects, lists of them, results of
    functions it was passed to), as opposed to plain values read from them (``url = tool.url``,
    ``n = q.count()``)."""
    orm: Set[str] = set()

    def touches(node: cst.CSTNode) -> bool:
        names = _names_in(node)
        return session in names or bool(names & orm)

    def loaded(value: Optional[cst.CSTNode]) -> bool:
        if value is None:
            return False
        node = value.expression if isinstance(value, cst.Await) else value
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                if func.attr.value in VALUE_METHODS:
                    return False
                root = func.value
                while isinstance(root, (cst.Call, cst.Attribute, cst.Subscript, cst.Await)):
                    root = root.func if isinstance(root, cst.Call) else (root.expression if isinstance(root, cst.Await) else root.value)
                if isinstance(root, cst.Name) and (root.value == session or root.value in orm):
                    return True
            if isinstance(func, cst.Name) and func.value in ("len", "bool", "str", "int", "float", "isinstance", "repr"):
                return False
            # ``crud.get_tool(db, tool_id)``: what a function given the session returns may be
            # an object of that session.
            return any(touches(a.value) for a in node.args)
        if isinstance(node, cst.Subscript):
            return loaded(node.value) or (isinstance(node.value, cst.Name) and node.value.value in orm)
        if isinstance(node, cst.Name):
            return node.value in orm or node.value == session
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return isinstance(node.elt, cst.Name) and any(
                (isinstance(f.iter, cst.Name) and f.iter.value in orm) or loaded(f.iter) for f in _comp_fors(node.for_in)
            )
        return False

    class V(cst.CSTVisitor):
        def visit_Assign(self, n: cst.Assign) -> None:
            if loaded(n.value):
                for t in n.targets:
                    for name in _target_names(t.target):
                        orm.add(name)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            if loaded(n.value):
                orm.update(_target_names(n.target))

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            if loaded(n.value):
                orm.update(_target_names(n.target))

        def visit_For(self, n: cst.For) -> None:
            if loaded(n.iter):
                orm.update(_target_names(n.target))

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

    # Twice, so that a name derived from one bound later in source order is seen.
    for _ in range(2):
        for stmt in phase:
            stmt.visit(V())
    return orm


def _comp_fors(node: Optional[cst.CompFor]) -> List[cst.CompFor]:
    out = []
    while node is not None:
        out.append(node)
        node = node.inner_for_in
    return out


def _target_names(target: cst.CSTNode) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _is_async_session(param: cst.Param, phase: Sequence[cst.CSTNode], session: str) -> bool:
    if param.annotation is not None and "AsyncSession" in _names_in(param.annotation):
        return True
    found = []

    class V(cst.CSTVisitor):
        def visit_Await(self, n: cst.Await) -> None:
            inner = n.expression
            while isinstance(inner, (cst.Call, cst.Attribute)):
                inner = inner.func if isinstance(inner, cst.Call) else inner.value
            if isinstance(inner, cst.Name) and inner.value == session:
                found.append(n)

    for s in phase:
        s.visit(V())
    return bool(found)


def _writes(phase: Sequence[cst.CSTNode], session: str) -> bool:
    found = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            if isinstance(n.func, cst.Attribute) and isinstance(n.func.value, cst.Name):
                if n.func.value.value == session and n.func.attr.value in WRITE_METHODS:
                    found.append(n)

    for s in phase:
        s.visit(V())
    return bool(found)


# ---------------------------------------------------------------- applying plans


_ARGS_HEADER = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")


def drop_docstring_entry(text: str, name: str) -> str:
    """``text`` (a docstring literal as written) without the ``name`` entry of its ``Args:``
    section (Google style) or its ``:param name:``/``:type name:`` lines (Sphinx style)."""
    lines = text.splitlines(keepends=True)
    out: List[str] = []
    i = 0
    in_args: Optional[int] = None
    entry = re.compile(rf"^(\s*)\*{{0,2}}{re.escape(name)}\b\s*(\([^)]*\))?\s*:")
    sphinx = re.compile(rf"^\s*:(param|type)\s+([\w\[\], ]+\s+)?{re.escape(name)}\s*:")
    while i < len(lines):
        line = lines[i]
        header = _ARGS_HEADER.match(line)
        if header:
            in_args = len(header.group(1))
            out.append(line)
            i += 1
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if in_args is not None and stripped and indent <= in_args:
            in_args = None
        if in_args is not None:
            m = entry.match(line)
            if m and len(m.group(1)) > in_args:
                own = len(m.group(1))
                i += 1
                while i < len(lines) and (not lines[i].strip() and i + 1 < len(lines) and _indent(lines[i + 1]) > own
                                          or lines[i].strip() and _indent(lines[i]) > own):
                    i += 1
                continue
        if sphinx.match(line):
            own = indent
            i += 1
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) > own and not lines[i].lstrip().startswith(":"):
                i += 1
            continue
        out.append(line)
        i += 1
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _without_param(params: cst.Parameters, target: cst.Param) -> cst.Parameters:
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


class _Rewriter(cst.CSTTransformer):
    def __init__(self, plans: Dict[cst.FunctionDef, Plan]) -> None:
        self.plans = plans
        self.by_owner: Dict[cst.CSTNode, Plan] = {p.block_owner: p for p in plans.values()}
        self.replace: Dict[cst.CSTNode, str] = {}
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
        params = _without_param(updated.params, _find_param(updated.params, plan.session) or plan.param)
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


def apply_plans(module: cst.Module, plans: Sequence[Plan]) -> cst.Module:
    by_func = {p.func: p for p in plans}
    rewritten = module.visit(_Rewriter(by_func))
    factories = {(p.factory.module, p.factory.name) for p in plans}
    for mod, name in sorted(factories, key=lambda x: (x[0] or "", x[1])):
        if mod is not None:
            rewritten = _add_import(rewritten, mod, name)
    removed: Set[str] = set()
    for p in plans:
        removed |= p.removed_names
    return _drop_unused_imports(rewritten, removed)


def _add_import(module: cst.Module, mod: str, name: str) -> cst.Module:
    """``from mod import name``: nothing when the module already binds ``name``; else merged
    into an existing ``from mod import ...`` (in sorted position when its names are sorted); else
    a new line after the last import."""
    if name in _top_level_bindings(module):
        return module
    body = list(module.body)
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for j, small in enumerate(stmt.body):
            if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                    and dotted(small.module) == mod and not isinstance(small.names, cst.ImportStar):
                names = list(small.names)
                existing = [dotted(a.name) for a in names]
                if name in existing:
                    return module
                alias = cst.ImportAlias(name=cst.Name(name))
                keys = [e or "" for e in existing]
                at = len(names)
                if keys == sorted(keys, key=str.lower):
                    at = next((n for n, e in enumerate(keys) if e.lower() > name.lower()), len(names))
                if at == len(names):
                    # The new last name takes the old last name's comma (a trailing comma stays).
                    last = names[-1]
                    names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                    alias = alias.with_changes(comma=last.comma)
                    names.append(alias)
                else:
                    comma = names[at].comma if at < len(names) - 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    if isinstance(comma, cst.MaybeSentinel):
                        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    names.insert(at, alias.with_changes(comma=comma))
                new_small = small.with_changes(names=names)
                new_stmt = stmt.with_changes(body=[*stmt.body[:j], new_small, *stmt.body[j + 1:]])
                body[i] = new_stmt
                return module.with_changes(body=body)
    last_import = -1
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
            last_import = i
    new = cst.SimpleStatementLine(body=[cst.ImportFrom(module=_dotted_expr(mod), names=[cst.ImportAlias(name=cst.Name(name))])])
    body.insert(last_import + 1, new)
    return module.with_changes(body=body)


def _top_level_bindings(module: cst.Module) -> Set[str]:
    bound: Set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        target = alias.asname.name if alias.asname is not None else alias.name
                        text = dotted(target)
                        if text:
                            bound.add(text.split(".")[0])
                elif isinstance(small, cst.Assign):
                    for t in small.targets:
                        bound.update(_target_names(t.target))
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            bound.add(stmt.name.value)
    return bound


def _dotted_expr(text: str) -> Union[cst.Name, cst.Attribute]:
    parts = text.split(".")
    node: Union[cst.Name, cst.Attribute] = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _strings_in(node: cst.CSTNode) -> List[str]:
    found: List[str] = []

    class V(cst.CSTVisitor):
        def visit_SimpleString(self, n: cst.SimpleString) -> None:
            found.append(n.value)

    node.visit(V())
    return found


def _drop_unused_imports(module: cst.Module, candidates: Set[str]) -> cst.Module:
    """Removes from ``from x import a, b`` the names in ``candidates`` that nothing else in the
    module uses any more (the dependency, ``Depends`` and the session type the dropped
    parameters named)."""
    if not candidates:
        return module
    used: Set[str] = set()

    class Uses(cst.CSTVisitor):
        def visit_ImportFrom(self, n: cst.ImportFrom) -> bool:
            return False

        def visit_Import(self, n: cst.Import) -> bool:
            return False

        def visit_Name(self, n: cst.Name) -> None:
            used.add(n.value)

        def visit_Annotation(self, n: cst.Annotation) -> None:
            # ``"Session"`` as a string annotation still needs the import.
            for text in _strings_in(n):
                used.update(re.findall(r"[A-Za-z_]\w*", text))

        def visit_Assign(self, n: cst.Assign) -> None:
            if any(isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in n.targets):
                for text in _strings_in(n.value):
                    used.update(re.findall(r"[A-Za-z_]\w*", text))

    module.visit(Uses())
    unused = candidates - used
    if not unused:
        return module

    class Drop(cst.CSTTransformer):
        def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
            if isinstance(updated.names, cst.ImportStar):
                return updated
            keep = []
            for alias in updated.names:
                local = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(local, cst.Name) and local.value in unused:
                    continue
                keep.append(alias)
            if len(keep) == len(updated.names):
                return updated
            if not keep:
                return cst.RemovalSentinel.REMOVE
            last_original = updated.names[-1]
            keep[-1] = keep[-1].with_changes(comma=last_original.comma)
            return updated.with_changes(names=keep)

    result = module.visit(Drop())
    if result.body and module.body and result.body[0] is not module.body[0] and len(result.body) < len(module.body):
        # The first statement went: the file must not now start with the blank lines that
        # separated it from the next one.
        first = result.body[0]
        lines = list(first.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        result = result.with_changes(body=[first.with_changes(leading_lines=lines), *result.body[1:]])
    return result


# ---------------------------------------------------------------- one file


def fix_source(
    data: bytes,
    findings: Sequence[Finding],
    index: Optional[ModuleIndex],
    factories: Sequence[Factory],
    unsafe_fixes: bool,
    callers: Optional[Mapping[str, Sequence[CallSite]]] = None,
) -> FileFix:
    """The rewrite of one file for its ``findings`` (those of this file only). ``callers``:
    who calls each function of the project (see :func:`direct_calls`); without it, only the
    calls inside this file are seen."""
    module = cst.parse_module(data)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    planner = Planner(module, positions, index, factories, callers)

    functions: List[cst.FunctionDef] = []

    class Funcs(cst.CSTVisitor):
        def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
            functions.append(n)

    module.visit(Funcs())
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
        line = positions[func].start.line if func in positions else group[0].function_line
        try:
            plan = planner.plan(func, group)
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
        new = apply_plans(module, plans)
        result.source = new.bytes
    result.outcomes.sort(key=lambda o: o.line)
    return result
