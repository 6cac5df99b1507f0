"""The engine's state at a program point: which sessions may have an open transaction (and
since where), which names may refer to which sessions, which names may hold which loaded ORM
objects, what the open transactions did that ending them early would change, and which names hold objects
built with a session; and how two states join where paths meet. Immutable: every change makes a
new state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, FrozenSet, Iterable, List, Optional, Tuple

from session_lint.flow.facts import Ending, Held, Mark, SessionKey, Site


@dataclass(frozen=True)
class State:
    """Per program point: which session keys may be open (and since where), which names may
    refer to which session keys, which names may hold which loaded ORM objects, which open
    transactions may have written or locked, and which names hold objects built with a session."""

    open: FrozenSet[Tuple[SessionKey, Site]] = frozenset()
    alias: FrozenSet[Tuple[str, SessionKey]] = frozenset()
    objs: FrozenSet[Tuple[str, Held]] = frozenset()
    # What the open transactions did that ending them early would change (a write, a lock...),
    # and where: the first of each kind per path.
    marks: FrozenSet[Tuple[SessionKey, Mark, Site]] = frozenset()
    # Names of objects built with a session (``svc = AuthService(db)``): using one uses it.
    carry: FrozenSet[Tuple[str, SessionKey]] = frozenset()

    def keys_of(self, name: str) -> List[SessionKey]:
        return sorted(k for n, k in self.alias if n == name)

    def is_open(self, key: SessionKey) -> bool:
        return any(k == key for k, _ in self.open)

    def sites(self, key: SessionKey) -> List[Site]:
        return sorted((s for k, s in self.open if k == key), key=Site.order)

    def open_keys(self) -> List[SessionKey]:
        return sorted({k for k, _ in self.open})

    def opened(self, key: SessionKey, site: Site) -> "State":
        if self.is_open(key):
            return self
        return State(self.open | {(key, site)}, self.alias, self.objs, self.marks, self.carry)

    def released(self, key: SessionKey) -> "State":
        marks = frozenset(x for x in self.marks if x[0] != key) if self.marks else self.marks
        return State(frozenset(x for x in self.open if x[0] != key), self.alias, self.objs, marks, self.carry)

    def marked(self, key: SessionKey, mark: Mark, site: Site) -> "State":
        """The open transaction of ``key`` did ``mark`` at ``site`` (the first such is kept)."""
        if any(k == key and m == mark for k, m, _ in self.marks):
            return self
        return State(self.open, self.alias, self.objs, self.marks | {(key, mark, site)}, self.carry)

    def marks_of(self, key: SessionKey) -> List[Tuple[Mark, Site]]:
        return sorted(((m, s) for k, m, s in self.marks if k == key), key=lambda x: (x[0], x[1].order()))

    def bound(self, name: str, keys: Iterable[SessionKey]) -> "State":
        kept = frozenset(x for x in self.alias if x[0] != name)
        return State(self.open, kept | {(name, k) for k in keys}, self.objs, self.marks, self.carry)

    def carrying(self, name: str, keys: Iterable[SessionKey]) -> "State":
        added = {(name, k) for k in keys}
        if not added or added <= self.carry:
            return self
        return State(self.open, self.alias, self.objs, self.marks, self.carry | added)

    def carriers(self, key: SessionKey) -> List[str]:
        """Names of objects that keep session ``key`` (built with it, or storing it)."""
        found = {n for n, k in self.carry if k == key}
        found.update(n.split(".", 1)[0] for n, k in self.alias if k == key and "." in n and not n.startswith("self."))
        return sorted(found)

    def unbound(self, target: str) -> "State":
        """Without what ``target`` held: the old object's attributes (``svc.db``) go too."""
        prefix = target + "."
        if not any(x[0] == target or x[0].startswith(prefix) for x in self.alias) and not any(
            x[0] == target for x in self.objs
        ) and not any(x[0] == target for x in self.carry):
            return self  # nothing bound to the name: the same state, not a copy
        kept = frozenset(x for x in self.alias if x[0] != target and not x[0].startswith(prefix))
        objs = frozenset(x for x in self.objs if x[0] != target) if self.objs else self.objs
        carry = frozenset(x for x in self.carry if x[0] != target) if self.carry else self.carry
        return State(self.open, kept, objs, self.marks, carry)

    def held(self, name: str) -> List[Held]:
        # In a stable order: the first one read decides a finding's message, and a frozenset's
        # order changes with the process's string hash seed.
        return sorted((h for n, h in self.objs if n == name), key=_held_order)

    def holding(self, name: str, held: Iterable[Held]) -> "State":
        kept = frozenset(x for x in self.objs if x[0] != name)
        return State(self.open, self.alias, kept | {(name, h) for h in held}, self.marks, self.carry)

    def dropped(self, key: SessionKey, which: Callable[[Held], bool]) -> "State":
        """Without the objects of session ``key`` that ``which`` picks."""
        if not any(h.key == key and which(h) for _, h in self.objs):
            return self
        objs = frozenset((n, h) for n, h in self.objs if not (h.key == key and which(h)))
        return State(self.open, self.alias, objs, self.marks, self.carry)

    def changed(self, key: SessionKey, change: Callable[[Held], Held]) -> "State":
        """Every object loaded through session ``key`` passed through ``change``."""
        if not any(h.key == key for _, h in self.objs):
            return self
        objs = frozenset((n, change(h) if h.key == key else h) for n, h in self.objs)
        return State(self.open, self.alias, objs, self.marks, self.carry)

    def committed(self, key: SessionKey, expired: Optional[Ending]) -> "State":
        """The objects of session ``key`` after a commit: inserted ones are its own now; all are
        expired where the session expires on commit (``expired`` says where; None where it
        does not)."""
        if expired is None:
            return self.changed(key, lambda h: replace(h, pending=False) if h.pending else h)
        return self.changed(key, lambda h: h if h.ended else replace(h, expired=expired, pending=False))

    def rolled_back(self, key: SessionKey, at: Ending) -> "State":
        """The objects of session ``key`` after a rollback: one only added is transient again,
        with its attributes; every other is expired."""
        return self.dropped(key, lambda h: h.pending).changed(key, lambda h: h if h.ended else replace(h, expired=at))


def _ending_order(ending: Optional[Ending]) -> tuple:
    return (0, -1, "") if ending is None else (ending.line, ending.how, ending.callee)


def _held_order(held: Held) -> tuple:
    return (held.key, held.model, _ending_order(held.ended), _ending_order(held.expired), sorted(held.eager),
            sorted(held.warm), held.pending)


def join(a: Optional[State], b: Optional[State]) -> Optional[State]:
    if a is None:
        return b
    if b is None or a is b:  # most joins are of a state with itself (an event that changed nothing)
        return a
    return State(a.open | b.open, a.alias | b.alias, a.objs | b.objs, a.marks | b.marks, a.carry | b.carry)
