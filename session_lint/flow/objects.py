"""What ORM objects loaded through a session become (SL201): loaded, read while the session is
there (so that attribute is loaded), expired by a commit or rollback, detached by the end of the
session; and a read that needs a session they no longer have, which is a
:class:`~session_lint.flow.facts.Detached` (or, through a session that is still there, a read
that loads and so begins a transaction)."""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

from session_lint.flow import ir
from session_lint.flow.engine_base import EngineBase
from session_lint.flow.facts import (
    UNKNOWN_FACTORY,
    Detached,
    EndHow,
    Ending,
    Held,
    LoadKind,
    Mark,
    Opener,
    OpenedBy,
    SessionKey,
    Site,
)
from session_lint.flow.machine import Outcome
from session_lint.flow.state import State
from session_lint.knowledge.sqlalchemy import DETACHING_METHODS, EAGER_LAZY, EXPIRING_METHODS, QUERYING_LAZY, SILENT_LAZY

# What a read found the matter with: how it loads, at how many attributes deep, and the
# property or method whose body made it (``("property", "gateway")``), if one did.
Problem = Tuple[LoadKind, int, Optional[Tuple[str, str]]]


class ObjectTransfer(EngineBase):
    """The ORM objects part of :class:`~session_lint.flow.engine.Engine`."""

    def objects_after(self, node: ir.Use, key: SessionKey, state: State) -> State:
        """What ``close()``, ``commit()`` or ``rollback()`` does to the objects loaded through
        ``key``: closing detaches them; a rollback always expires them, a commit when the
        session's factory says ``expire_on_commit`` (SQLAlchemy's default). An object only added
        (not committed yet) is left as it was by a close or a rollback."""
        line = node.pos.line
        if node.method in DETACHING_METHODS:
            # An object only added is not the session's any more: transient, as it was.
            state = state.dropped(key, lambda h: h.pending)
            closed = Ending(line, EndHow.CLOSED)
            return state.changed(key, lambda h: replace(h, ended=h.ended or closed))
        expire = False if node.keeps_loaded else self.configs.get(key, UNKNOWN_FACTORY).expire_on_commit
        if node.method == "commit":
            return state.committed(key, Ending(line, EndHow.COMMITTED) if expire else None)
        if node.method == "rollback":
            return state.rolled_back(key, Ending(line, EndHow.ROLLED_BACK))
        if node.method in EXPIRING_METHODS:
            # No commit or rollback: described as a close would be, as it always was.
            at = Ending(line, EndHow.CLOSED)
            return state.changed(key, lambda h: h if h.ended or h.pending else replace(h, expired=at))
        return state

    def ended_in_callee(self, key: SessionKey, how: EndHow, label: str, pos: ir.Pos, state: State) -> State:
        """A callee committed or rolled back the session ``key`` it was handed: what the caller
        loaded through it is expired as by its own ``commit()``/``rollback()``."""
        expire = self.configs.get(key, UNKNOWN_FACTORY).expire_on_commit
        if how is EndHow.COMMITTED and not expire:
            return state.committed(key, None)
        self.run.ended.setdefault(key, set()).add(how)
        at = Ending(pos.line, how, label)
        return state.rolled_back(key, at) if how is EndHow.ROLLED_BACK else state.committed(key, at)

    def n_Load(self, node: ir.Load, state: State) -> Outcome:
        keys = state.keys_of(node.session) if node.session else []
        for name in node.via:
            keys.extend(state.keys_of(name))
        if node.via_self:
            keys.extend(k for n, k in sorted(state.alias) if n.startswith("self."))
        if node.speculative:
            # Made from objects of a session (``tool.children.all()``, ``get_owner(tool)``).
            keys.extend(h.key for name in node.via for h in state.held(name) if h.ended is None)
        keys = sorted(set(keys))
        if node.added:
            # Adding an object the session loaded (or was given) changes nothing.
            keys = [key for key in keys if not any(h.key == key for h in state.held(node.target))]
            if not keys:
                return Outcome(normal=state)
            held = [*state.held(node.target), *(Held(key, node.model, pending=True) for key in keys)]
            return Outcome(normal=state.holding(node.target, held))
        held = [Held(key, node.model, frozenset(node.eager)) for key in keys]
        return Outcome(normal=state.holding(node.target, held))

    def n_Store(self, node: ir.Store, state: State) -> Outcome:
        """``tool.name = ...``: the session ``tool`` came from will flush the change."""
        after = state
        site = Site(node.pos.line, node.pos.col, Opener(OpenedBy.OPERATION, node.name, ".".join(node.attrs)))
        for h in state.held(node.name):
            if h.ended is None:
                after = after.marked(h.key, Mark.WRITE, site)
        return Outcome(normal=after)

    def n_Derive(self, node: ir.Derive, state: State) -> Outcome:
        """``gateway = tool.gateway``: the related objects, of the same session, when every
        attribute on the way is a relationship (a column gives a plain value)."""
        derived: List[Held] = []
        if self.orm is not None:
            for h in state.held(node.source):
                model = self.orm.model(h.model)
                for attr in node.attrs:
                    rel = model.relationships.get(attr) if model is not None else None
                    model = self.orm.related(model, rel) if rel is not None and model is not None else None
                    if model is None:
                        break
                if model is not None:
                    derived.append(Held(h.key, model.key, ended=h.ended))
        return Outcome(normal=state.holding(node.target, derived))

    def n_Each(self, node: ir.Each, state: State) -> Outcome:
        return Outcome(normal=state.holding(node.target, state.held(node.source)))

    def n_Refresh(self, node: ir.Refresh, state: State) -> Outcome:
        keys = set(state.keys_of(node.session))
        held = [replace(h, expired=None) if h.key in keys and h.ended is None else h for h in state.held(node.name)]
        return Outcome(normal=state.holding(node.name, held))

    def n_Expunge(self, node: ir.Expunge, state: State) -> Outcome:
        keys = set(state.keys_of(node.session))
        gone = Ending(node.pos.line, EndHow.DELETED if node.how == "deleted" else EndHow.EXPUNGED)
        held = [replace(h, ended=h.ended or gone) if h.key in keys else h for h in state.held(node.name)]
        return Outcome(normal=state.holding(node.name, held))

    def n_Touch(self, node: ir.Touch, state: State) -> Outcome:
        after: List[Held] = []
        opened = self._mutated(node, state)
        for h in state.held(node.name):
            if h.ended is None and h.expired is None:
                if not state.is_open(h.key):
                    # After a commit that did not expire it: a lazy load still queries.
                    opened = self._loads_through(h, node, opened, self._orm_problem(h, node.attrs))
                paths = {".".join(node.attrs[: i + 1]) for i in range(len(node.attrs))}
                after.append(replace(h, warm=h.warm | paths))
                continue
            problem = self._orm_problem(h, node.attrs)
            if problem is not None and node.pos not in self.run.detached:
                self.run.detached[node.pos] = self._detached(node, h, problem)
            if h.ended is None:
                opened = self._loads_through(h, node, opened, problem)
            # Still in its session, an expired object is loaded again by a read of what it maps
            # (a method that reads nothing mapped leaves it expired).
            after.append(replace(h, expired=None) if h.ended is None and problem is not None else h)
        if not after:
            return Outcome(normal=state)
        return Outcome(normal=opened.holding(node.name, after))

    def _mutated(self, node: ir.Touch, state: State) -> State:
        """``user.increment_failed_attempts()``: a method that sets attributes of its object
        writes as ``user.failed_attempts = ...`` would."""
        if self.orm is None or len(node.attrs) != 1:
            return state
        site = Site(node.pos.line, node.pos.col, Opener(OpenedBy.OPERATION, node.name, node.attrs[0]))
        for h in state.held(node.name):
            model = self.orm.model(h.model) if h.ended is None else None
            if model is not None and node.attrs[0] in model.mutators:
                state = state.marked(h.key, Mark.WRITE, site)
        return state

    def _loads_through(self, held: Held, node: ir.Touch, state: State, problem: Optional[Problem]) -> State:
        """A read that loads (a reload, a lazy load) queries through the object's session, which
        begins a new transaction there (SPEC: open after lazy attribute access)."""
        if problem is None:
            return state
        kind, depth, _member = problem
        read = ".".join((node.name,) + node.attrs[:depth])
        return state.opened(held.key, Site(node.pos.line, node.pos.col, Opener(OpenedBy.LOAD, read, load=kind)))

    def _orm_problem(self, held: Held, attrs: Tuple[str, ...], follow_properties: bool = True) -> Optional[Problem]:
        """What reading ``attrs`` of an object without a live, fresh session does, at how many
        attributes deep, and through which property or method when one read it; None when it
        reads only loaded state."""
        if self.orm is None:
            return None
        model = self.orm.model(held.model)
        for depth, attr in enumerate(attrs, start=1):
            if model is None:
                return None
            path = ".".join(attrs[:depth])
            rel = model.relationships.get(attr)
            if rel is not None:
                if rel.lazy in SILENT_LAZY or rel.lazy == "unknown":
                    return None
                if held.expired is not None:
                    return LoadKind.EXPIRED, depth, None
                if rel.lazy in QUERYING_LAZY:
                    return LoadKind.DYNAMIC, depth, None
                if not (rel.lazy in EAGER_LAZY or path in held.eager or path in held.warm):
                    return LoadKind.LAZY, depth, None
                if rel.collection:
                    return None
                model = self.orm.related(model, rel)
                continue
            if attr in model.columns:
                if held.expired is not None:
                    return LoadKind.EXPIRED, depth, None
                if attr in model.deferred and path not in held.warm and path not in held.eager:
                    return LoadKind.DEFERRED, depth, None
                return None
            member = "property" if attr in model.properties else "method"
            reads = model.properties.get(attr, model.methods.get(attr))
            if reads is not None and depth == 1 and follow_properties:
                # One level: what the property's or method's body reads from ``self``
                # (``self.gateway.url`` behind ``tool.label``).
                for read in reads:
                    inner = self._orm_problem(held, (read,), follow_properties=False)
                    if inner is not None:
                        return inner[0], depth, (member, read)
            return None
        return None

    def _detached(self, node: ir.Touch, held: Held, problem: Problem) -> Detached:
        kind, depth, member = problem
        path = (node.name,) + node.attrs[:depth]
        if held.ended is not None:
            return Detached(path, kind, held.key, held.ended, True, member)
        assert held.expired is not None
        return Detached(path, kind, held.key, held.expired, False, member)
