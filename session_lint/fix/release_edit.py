"""Writing a release (SPEC 4b) into the function that holds the transaction: ``<session>.commit()``
as its own statement right before the statement that holds the slow await, and, when the commit
expires what the session loaded, every attribute the function reads afterwards (later statements,
``finally`` and ``except`` blocks, the next turn of a loop, closures that run during the call)
copied into a local first, where that copy is sure to have run.

Where a read comes after the release is read off the structure of the function (this module);
which names hold objects of the session comes from the engine (:class:`Release.state`).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider, PositionProvider

from session_lint.fix.model import Why
from session_lint.fix.release import Refused, Release
from session_lint.flow import ir
from session_lint.fix.syntax import (
    assigned_names,
    attribute_path,
    choose_name,
    definitely_assigns,
    name_nodes,
    names_in,
    probed_attributes,
    read_path,
    sub_blocks,
)

# A statement's place: the node holding a block, the block's statements, the index in them.
Place = Tuple[cst.CSTNode, Sequence[cst.BaseStatement], int]


@dataclass
class ReleaseEdit:
    """What a release changes in one function."""

    release: Release
    # Statement -> the statements to insert before it (extractions, then the commit).
    before: Dict[cst.BaseStatement, List[cst.BaseStatement]] = field(default_factory=dict)
    # Attribute reads -> the local that replaces them.
    replace: Dict[cst.CSTNode, str] = field(default_factory=dict)
    unsafe: List[str] = field(default_factory=list)
    # The statements a commit goes before.
    commits: Set[cst.BaseStatement] = field(default_factory=set)
    # Reads after the release that no copy can serve: the object would load again there, in a new
    # transaction.
    blocks: List[str] = field(default_factory=list)


class ReleaseEditor:
    """Plans the edits of the releases of one module."""

    def __init__(self, wrapper: cst.MetadataWrapper) -> None:
        self.module = wrapper.module
        self.positions = wrapper.resolve(PositionProvider)
        # Of the function being planned (see ``_scope``): resolving them over a whole module of
        # thousands of lines, for the one function a release changes, took seconds.
        self.parents: Mapping[cst.CSTNode, cst.CSTNode] = {}
        self.contexts: Mapping[cst.CSTNode, object] = {}
        self._defs: Optional[Dict[Tuple[str, int], cst.FunctionDef]] = None

    def _scope(self, func: cst.FunctionDef) -> None:
        """libcst's parent and expression-context metadata of ``func`` alone: its nodes, not
        copied, in a module of their own."""
        alone = cst.MetadataWrapper(cst.Module(body=[func]), unsafe_skip_copy=True)
        self.parents = alone.resolve(ParentNodeProvider)
        self.contexts = alone.resolve(ExpressionContextProvider)

    def line_of(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line if node in self.positions else 0

    def function(self, name: str, line: int) -> Optional[cst.FunctionDef]:
        """The function of a name whose ``def`` (or first decorator) is on a line."""
        if self._defs is None:
            self._defs = {}
            for node, rng in self.positions.items():
                if isinstance(node, cst.FunctionDef):
                    lines = {rng.start.line}  # type: ignore[attr-defined]
                    name_rng = self.positions.get(node.name)
                    if name_rng is not None:
                        lines.add(name_rng.start.line)  # type: ignore[attr-defined]
                    for at in lines:
                        self._defs.setdefault((node.name.value, at), node)
        return self._defs.get((name, line))

    def plan(self, releases: Sequence[Release], is_mapped: Callable[[str], bool]) -> ReleaseEdit:
        """The edit of every release in one function: a commit before each statement that holds
        a slow call, and one set of copies, made where it has run before every read that may
        follow any of the releases. When some read after a release is one no copy can serve
        (``edit.blocks``), each commit also leaves what the session loaded as it was; the reads a
        copy serves still read it, since a later commit that expires (the project's own, after
        the slow call) would load the object again there, in a transaction that stays open
        until the session closes."""
        first = releases[0]
        func = self.function(first.fn.name, first.fn.pos.line)
        if func is None or not isinstance(func.body, cst.IndentedBlock):
            raise Refused("the function is not found in the source", "")
        self._scope(func)
        paths = []
        for release in releases:
            path = self._path_to(func, release.pos)
            if not path:
                raise Refused("the statement that holds the slow call is not found in the source", "")
            anchor = path[-1][1][path[-1][2]]
            used = self._session_used_in(release, _header(anchor))
            if used:
                raise Refused(f"the statement that makes the slow call (line {self.line_of(anchor)}) also runs "
                              f"{used} itself: split it, then the release goes between", "", Why.CALL_USES_SESSION)
            paths.append(path)
        releases, paths = _undominated(list(releases), paths)
        self.is_mapped = is_mapped
        edit = ReleaseEdit(first)
        extractions: Dict[cst.BaseStatement, List[Tuple[Tuple[int, int], cst.BaseStatement]]] = {}
        expires = any(r.expires is not False for r in releases)
        if expires:
            self._extract(func, paths, releases, edit, extractions)
        for statement, added in extractions.items():
            # The copies in the order the function first reads what they copy.
            edit.before.setdefault(statement, []).extend(copy for _first, copy in sorted(added, key=lambda a: a[0]))
        keep_loaded = bool(edit.blocks)
        for release, path in zip(releases, paths):
            anchor = path[-1][1][path[-1][2]]
            if anchor not in edit.commits:
                edit.commits.add(anchor)
                edit.before.setdefault(anchor, []).extend(_commit(release.session, release.is_async, keep_loaded))
        return edit

    def _taken(self, func: cst.FunctionDef) -> Set[str]:
        """The names a new local of ``func`` must not shadow: its own, the module's, builtins."""
        module_names = set(assigned_names(self.module.body))
        return names_in(func) | module_names | set(dir(builtins))

    def _session_used_in(self, release: Release, header: cst.CSTNode) -> str:
        """A method call on the session (or an alias of it) that the statement makes, the
        engine's ``Use`` events inside its text; "" when there is none (handing the session to
        the callee that holds it is no use of it)."""
        rng = self.positions.get(header) if header in self.positions else None
        if rng is None:
            return ""
        start, end = (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)  # type: ignore[attr-defined]
        names = {n for n, k in release.state.alias if k == release.key} | {release.session}
        for node in ir.walk(release.fn.body):
            if isinstance(node, ir.Use) and node.name in names and start <= (node.pos.line, node.pos.col) <= end:
                return f"{node.name}.{node.method}()"
        return ""

    # ------------------------------------------------------------ where the release goes

    def _path_to(self, func: cst.FunctionDef, pos) -> List[Place]:
        """The places from the function's body down to the innermost statement holding ``pos``
        (not inside a nested function)."""
        path: List[Place] = []
        owner: cst.CSTNode = func.body
        stmts: Sequence[cst.BaseStatement] = func.body.body  # type: ignore[attr-defined]
        while True:
            index = next((n for n, s in enumerate(stmts) if self._contains(s, pos.line, pos.col)), None)
            if index is None:
                return path
            path.append((owner, stmts, index))
            stmt = stmts[index]
            inner = next(((holder, block) for _label, block, holder in sub_blocks(stmt)
                          if any(self._contains(s, pos.line, pos.col) for s in block)), None)
            if inner is None or isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                return path
            owner, stmts = inner

    def _contains(self, node: cst.CSTNode, line: int, col: int) -> bool:
        rng = self.positions.get(node)
        if rng is None:
            return False
        return (rng.start.line, rng.start.column) <= (line, col) <= (rng.end.line, rng.end.column)

    # ------------------------------------------------------------ what must be copied first

    def _extract(self, func: cst.FunctionDef, paths: List[List[Place]], releases: Sequence[Release],
                 edit: ReleaseEdit,
                 extractions: Dict[cst.BaseStatement, List[Tuple[Tuple[int, int], cst.BaseStatement]]]) -> None:
        # Objects loaded through the session (a mapped class, or one the analysis cannot name);
        # not an instance of some other class of the project handed the session.
        holding = [{n: h for n, h in release.state.objs if h.key == release.key and h.ended is None and "." not in n
                    and self.is_mapped(h.model)} for release in releases]
        held = [(n, h) for names_held in holding for n, h in names_held.items()]
        names = sorted({n for n, _h in held})
        # What a call handed the session gave back may be objects of it, or not (a span id):
        # reads of its attributes are copied, but using it whole is not held against a release.
        speculative = {n: all(not h.model for m, h in held if m == n) for n in names}
        whole: Dict[str, List[int]] = {}
        taken = self._taken(func)
        probed = probed_attributes(func)
        for name in names:
            # The copies of a name go where every release that may precede its reads has not
            # run yet: the first point of the releases whose function holds it there.
            path = _first_point([p for p, names_held in zip(paths, holding) if name in names_held])
            depth_of_release = len(path) - 1
            reads: List[Tuple[cst.CSTNode, Tuple[str, ...]]] = []
            # Where each attribute path is set after the release: a read after that reads the
            # value set, not the copy.
            stored: Dict[Tuple[str, ...], List[Tuple[int, int]]] = {}
            place: Tuple[int, int] = (depth_of_release, path[-1][2])
            for use in name_nodes(func.body, name):
                needed = self._copy_place(func, path, use)
                if needed is None:
                    continue  # runs before the release
                top = read_path(use, self.parents)
                chain = attribute_path(top)
                context = self.contexts.get(top)
                if top is use:
                    if not self._only_tested(use) and not speculative[name]:
                        whole.setdefault(name, []).append(self.line_of(use))
                    continue
                if chain is None:
                    continue
                if context in (ExpressionContext.STORE, ExpressionContext.DEL):
                    stored.setdefault(chain, []).append(self._start(top))  # setting an attribute loads nothing
                    continue
                reads.append((top, chain))
                place = min(place, needed)
            # A read before the path is first set again reads the copy; one after may come after
            # the value set (the copy would be out of date) or not (the object loads again).
            in_loop = self._in_loop(path, len(path) - 1)
            stale = sorted({chain for top, chain in reads if chain in stored
                            and (in_loop or self._start(top) > min(stored[chain]))})
            for chain in stale:
                edit.blocks.append(f"'{'.'.join(chain)}' is set after the release and read after that (line "
                                   f"{self.line_of(next(top for top, c in reads if c == chain))})")
            reads = [(top, chain) for top, chain in reads if chain not in stale]
            # ``hasattr(tool, "oauth_config") and tool.oauth_config``: a copy made earlier, where
            # nothing tested it, would raise where the object has no such attribute.
            tested = sorted({chain for _top, chain in reads if (name, chain[1]) in probed})
            for chain in tested:
                edit.blocks.append(f"'{'.'.join(chain[:2])}' is read only where hasattr() finds it (line "
                                   f"{self.line_of(next(top for top, c in reads if c == chain))})")
            reads = [(top, chain) for top, chain in reads if chain not in tested]
            if not reads:
                continue
            depth, index = place
            if (depth, index) != (depth_of_release, path[-1][2]) and self._quiet_until_release(func, path, depth,
                                                                                                index, name):
                # Nothing between where the copies must have run and the release can raise (or
                # run a closure): made at the release, they have run whenever they are read.
                depth, index = depth_of_release, path[-1][2]
            if not self._bound_before(func, path, depth, index, name):
                edit.blocks.append(f"'{name}' is read after the release (line {self.line_of(reads[0][0])}) where a "
                                   "copy made before it might not have run")
                continue
            target = path[depth][1][index]
            guarded = self._guarded(path, depth, index, name) or self._dereferenced(path, depth, index, name)
            by_chain: Dict[Tuple[str, ...], str] = {}
            for top, chain in reads:
                if chain not in by_chain:
                    local = choose_name(chain, taken)
                    taken.add(local)
                    by_chain[chain] = local
                    extractions.setdefault(target, []).append((self._start(top), _copy(local, chain, guarded)))
                edit.replace[top] = by_chain[chain]
        for name, lines in sorted(whole.items()):
            shown = ", ".join(str(n) for n in sorted(set(lines))[:4]) + (", ..." if len(set(lines)) > 4 else "")
            edit.blocks.append(f"'{name}' is used whole after the release (line{'s' if len(set(lines)) > 1 else ''} "
                               f"{shown})")

    def _start(self, node: cst.CSTNode) -> Tuple[int, int]:
        rng = self.positions[node]
        return rng.start.line, rng.start.column  # type: ignore[attr-defined]

    def _copy_place(self, func: cst.FunctionDef, path: List[Place], use: cst.CSTNode) -> Optional[Tuple[int, int]]:
        """Where a copy of what ``use`` reads must be made for it to have run before ``use`` on
        every way that passes the release first, as (depth in the release's path, index of the
        statement before which it goes); None when ``use`` never runs after the release."""
        ancestors: List[cst.CSTNode] = []
        node: Optional[cst.CSTNode] = use
        while node is not None and node is not func:
            ancestors.append(node)
            node = self.parents.get(node)
        up = set(map(id, ancestors))
        nested = any(isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) for n in ancestors)
        for depth, (_owner, stmts, index) in enumerate(path):
            mine = next((i for i, s in enumerate(stmts) if id(s) in up), None)
            if mine is None:
                return None
            if mine > index:
                # A later statement: after the release on the ways through it; the copy goes
                # before the statement that holds the release at this depth.
                return depth, index
            if mine < index:
                if nested or self._in_loop(path, depth):
                    # A closure defined earlier runs during the call; in a loop, the next turn.
                    return depth, mine
                return None
            if depth == len(path) - 1:
                return depth, index  # in the statement that holds the slow await itself
            inner = path[depth + 1][1]
            if any(id(s) in up for s in inner):
                continue  # in the block the release is in: look one level down
            # In another part of the compound statement that holds the release.
            if self._runs_after(stmts[index], inner, up):
                return depth, index
            return (depth, mine) if nested else None
        return None

    def _runs_after(self, stmt: cst.CSTNode, release_block: Sequence[cst.BaseStatement], up: Set[int]) -> bool:
        """Whether the part of ``stmt`` holding a use (``up``) runs after its block holding the
        release: a ``try``'s handlers, ``else`` and ``finally`` after its body, its ``finally``
        after a handler; a loop's ``else`` after its body."""
        parts = sub_blocks(stmt)
        release_label = next((label for label, block, _h in parts if block is release_block), None)
        use_label = next((label for label, block, _h in parts if any(id(s) in up for s in block)), None)
        if release_label is None or use_label is None:
            return False
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            if release_label == "try":
                return use_label in ("except", "else", "finally")
            if release_label in ("except", "else"):
                return use_label == "finally"
            return False
        if isinstance(stmt, (cst.For, cst.While)):
            return release_label == "loop" and use_label == "else"
        return False

    def _in_loop(self, path: List[Place], depth: int) -> bool:
        """Whether the block at ``depth`` of the path is (inside) a loop's body holding the release."""
        for owner, stmts, _index in path[1: depth + 1]:
            if isinstance(owner, (cst.For, cst.While)) and isinstance(owner.body, cst.IndentedBlock) \
                    and stmts is owner.body.body:
                return True
        return False

    def _only_tested(self, use: cst.Name) -> bool:
        """``if tool``, ``tool is None``, ``not tool``: the object itself, nothing loaded."""
        parent = self.parents.get(use)
        if isinstance(parent, (cst.If, cst.While)) and parent.test is use:
            return True
        if isinstance(parent, cst.IfExp) and parent.test is use:
            return True
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            return True
        if isinstance(parent, cst.Comparison) and all(isinstance(t.operator, (cst.Is, cst.IsNot))
                                                     for t in parent.comparisons):
            return True
        return False

    def _bound_before(self, func: cst.FunctionDef, path: List[Place], depth: int, index: int, name: str) -> bool:
        """Whether ``name`` is bound on every way to the statement at ``(depth, index)``: a
        parameter, or assigned for sure by a statement before it in its block or a block
        around it."""
        if name in {p.name.value for p in (*func.params.params, *func.params.kwonly_params,
                                           *func.params.posonly_params)}:
            return True
        for level, (_owner, stmts, at) in enumerate(path[: depth + 1]):
            limit = index if level == depth else at
            if any(definitely_assigns(s, name) for s in stmts[:limit]):
                return True
        return False

    def _quiet_until_release(self, func: cst.FunctionDef, path: List[Place], depth: int, index: int,
                             name: str) -> bool:
        """Whether what runs from the statement at ``(depth, index)`` up to the release (after
        the binding of ``name``, if that comes in between) calls nothing, awaits nothing and
        raises nothing, and ``name`` is bound for sure at the release."""
        last = len(path) - 1
        if not self._bound_before(func, path, last, path[-1][2], name):
            return False
        # Only through the bodies of ``try`` and ``with`` statements: entering one of them runs its
        # body, where an ``if`` or a loop may not run the part that holds the release.
        if any(not isinstance(path[level][1][path[level][2]], (cst.Try, cst.TryStar, cst.With))
               or path[level + 1][1] is not _body(path[level][1][path[level][2]])
               for level in range(depth, last)):
            return False
        window: List[cst.CSTNode] = []
        for level in range(depth, last + 1):
            _owner, stmts, at = path[level]
            start = index if level == depth else 0
            for stmt in stmts[start:at]:
                if definitely_assigns(stmt, name):
                    window = []  # the original reads it only once it is bound
                else:
                    window.append(stmt)
            if level < last:
                window.append(_header(stmts[at]))
        return not any(_may_raise(node) for node in window)

    def _guarded(self, path: List[Place], depth: int, index: int, name: str) -> bool:
        """Whether the way to ``(depth, index)`` leaves when ``name`` is None
        (``if not tool: raise``)."""
        for level, (_owner, stmts, at) in enumerate(path[: depth + 1]):
            limit = index if level == depth else at
            for stmt in stmts[:limit]:
                if isinstance(stmt, cst.If) and name in names_in(stmt.test) and _leaves(stmt.body):
                    return True
        return False


    def _dereferenced(self, path: List[Place], depth: int, index: int, name: str) -> bool:
        """Whether the way to ``(depth, index)`` (or that statement's own header) reads an
        attribute of ``name`` on every run through it: were ``name`` None there, the original
        code would fail before the copy is needed, so the copy needs no guard."""
        for level, (_owner, stmts, at) in enumerate(path[: depth + 1]):
            limit = index if level == depth else at
            ran = [s for s in stmts[:limit] if isinstance(s, cst.SimpleStatementLine)]
            ran.append(_header(stmts[limit]))
            if any(_reads_attribute_of(node, name) for node in ran):
                return True
        return False


def _body(stmt: cst.BaseStatement) -> Sequence[cst.BaseStatement]:
    body = getattr(stmt, "body", None)
    return body.body if isinstance(body, cst.IndentedBlock) else ()


def _may_raise(node: cst.CSTNode) -> bool:
    """Whether running ``node`` may call, await or raise (an attribute read or a comparison may
    too, in principle; what is counted is what code does on purpose). Defining a function runs
    only its decorators and defaults."""
    if isinstance(node, (cst.Call, cst.Await, cst.Raise, cst.Assert, cst.Subscript)):
        return True
    if isinstance(node, cst.FunctionDef):
        return bool(node.decorators) or any(p.default is not None and _may_raise(p.default)
                                            for p in (*node.params.params, *node.params.kwonly_params))
    return any(_may_raise(child) for child in node.children)


def _reads_attribute_of(node: cst.CSTNode, name: str) -> bool:
    """Whether evaluating ``node`` always reads an attribute of ``name`` (not only on some
    branch of a conditional, a boolean operator's right side, a comprehension or a lambda)."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
        return True
    if isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp,
                         cst.GeneratorExp)):
        return False
    if isinstance(node, cst.IfExp):
        return _reads_attribute_of(node.test, name)
    if isinstance(node, cst.BooleanOperation):
        return _reads_attribute_of(node.left, name)
    return any(_reads_attribute_of(child, name) for child in node.children)


def _undominated(releases: List[Release], paths: List[List[Place]]) -> Tuple[List[Release], List[List[Place]]]:
    """The releases not made needless by another: one that runs first on every way to it, in
    the same transaction (a commit before ``async with client:`` ends the transaction its body's
    awaits would hold; the REST and MCP branches each need their own)."""
    kept = []
    for n, (release, path) in enumerate(zip(releases, paths)):
        sites = set(release.state.sites(release.key))
        if not any(m != n and other.key == release.key and sites <= set(other.state.sites(other.key))
                   and _dominates(other_path, path) and (other_path != path or m < n)
                   for m, (other, other_path) in enumerate(zip(releases, paths))):
            kept.append((release, path))
    return [r for r, _p in kept], [p for _r, p in kept]


def _dominates(first: List[Place], then: List[Place]) -> bool:
    """Whether the statement at the end of ``first`` runs before the one at the end of ``then``
    on every way to it: earlier in a block they share, or holding it in its body."""
    for depth in range(min(len(first), len(then))):
        (_, stmts1, at1), (_, stmts2, at2) = first[depth], then[depth]
        if stmts1 is not stmts2 or at1 > at2:
            return False
        if at1 < at2 or depth == len(first) - 1:
            return True
    return False


def _first_point(paths: List[List[Place]]) -> List[Place]:
    """The path of the point every release passes first: where the releases' paths part, the
    earliest of the statements holding them (one release: its own path)."""
    common: List[Place] = []
    for depth in range(min(len(p) for p in paths)):
        places = [p[depth] for p in paths]
        owner, stmts, _index = places[0]
        if any(pl[1] is not stmts for pl in places):
            break
        indexes = {pl[2] for pl in places}
        common.append((owner, stmts, min(indexes)))
        if len(indexes) > 1:
            return common
    return common if len(common) == min(len(p) for p in paths) else common


def _header(stmt: cst.BaseStatement) -> cst.CSTNode:
    """What of a statement runs before its blocks: a simple statement whole, a compound
    statement's header (``async with client.stream(...)``, the test of an ``if``)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return stmt
    if isinstance(stmt, cst.With):
        return cst.Tuple(elements=[cst.Element(item.item) for item in stmt.items])
    if isinstance(stmt, (cst.If, cst.While)):
        return stmt.test
    if isinstance(stmt, cst.For):
        return stmt.iter
    return cst.Name("_")


def _leaves(block: cst.BaseSuite) -> bool:
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, (cst.Raise, cst.Return, cst.Continue,
                                                                             cst.Break)) for s in last.body)


def _commit(session: str, is_async: bool, keep_loaded: bool = False) -> List[cst.SimpleStatementLine]:
    """``db.commit()``; with ``keep_loaded``, between ``db.expire_on_commit = False`` and
    ``= True``, so that the objects read later are not loaded again in a new transaction."""
    target: cst.BaseExpression = cst.Name(session.split(".")[0])
    for part in session.split(".")[1:]:
        target = cst.Attribute(value=target, attr=cst.Name(part))
    call: cst.BaseExpression = cst.Call(func=cst.Attribute(value=target, attr=cst.Name("commit")))
    if is_async:
        call = cst.Await(expression=call)
    commit = cst.SimpleStatementLine(body=[cst.Expr(value=call)])
    if not keep_loaded:
        return [commit]

    def setting(value: str) -> cst.SimpleStatementLine:
        return cst.SimpleStatementLine(body=[cst.Assign(
            targets=[cst.AssignTarget(cst.Attribute(value=target, attr=cst.Name("expire_on_commit")))],
            value=cst.Name(value))])

    return [setting("False"), commit, setting("True")]


def _copy(local: str, chain: Tuple[str, ...], guarded: bool) -> cst.SimpleStatementLine:
    value: cst.BaseExpression = cst.Name(chain[0])
    for attr in chain[1:]:
        value = cst.Attribute(value=value, attr=cst.Name(attr))
    if not guarded:
        # Copied earlier than the reads it replaces, where the object may still be None.
        value = cst.IfExp(test=cst.Comparison(left=cst.Name(chain[0]), comparisons=[
            cst.ComparisonTarget(operator=cst.IsNot(), comparator=cst.Name("None"))]), body=value, orelse=cst.Name("None"))
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(local))], value=value)])


class ReleaseRewriter(cst.CSTTransformer):
    """Inserts the planned statements and replaces the copied reads."""

    def __init__(self, edits: Sequence[ReleaseEdit]) -> None:
        self.before: Dict[cst.BaseStatement, List[cst.BaseStatement]] = {}
        self.replace: Dict[cst.CSTNode, str] = {}
        for edit in edits:
            for stmt, added in edit.before.items():
                self.before.setdefault(stmt, []).extend(added)
            self.replace.update(edit.replace)
        self._originals: Dict[int, cst.CSTNode] = {}

    def leave_Attribute(self, original: cst.Attribute, updated: cst.BaseExpression) -> cst.BaseExpression:
        local = self.replace.get(original)
        return cst.Name(local) if local is not None else updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not any(s in self.before for s in original.body):
            return updated
        body: List[cst.BaseStatement] = []
        for old, new in zip(original.body, updated.body):
            added = self.before.get(old)
            if added:
                # Comments and blank lines above the statement stay above what goes before it.
                first = added[0].with_changes(leading_lines=new.leading_lines)
                body.extend([first, *added[1:]])
                new = new.with_changes(leading_lines=())
            body.append(new)
        return updated.with_changes(body=body)
