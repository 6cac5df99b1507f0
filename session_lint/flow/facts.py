"""The facts the engine establishes, as typed records: which session (:class:`SessionKey`), where
and how its transaction opened (:class:`Site`, :class:`Opener`), how ORM objects lost their
session (:class:`Ending`), a slow call reached while a transaction was open (:class:`Hold`), a
read that needs a session that is gone (:class:`Detached`), and what a callee does to the
sessions it is handed (:class:`CalleeEffect`).

These cross every later stage (rules, reports, ``fix``): nothing in them is text meant for a
person. Messages are made from them by the rules, at output.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, NamedTuple, Optional, Tuple

from session_lint.flow import ir


class SessionKind(enum.IntEnum):
    """Where a session the engine follows comes from."""

    OUTER = 0  # the caller's transactions a callee cannot see (in summaries)
    PARAM = 1  # a name the function starts with: a parameter, ``self.db``, a dependency's session
    EXPLICIT = 2  # made in the function (``with SessionLocal() as db``)
    SUB_DEPENDENCY = 3  # the request's session, opened by a dependency, never named by the handler


class SessionKey(NamedTuple):
    """Which session a fact is about. Ordered by name first, so that facts about several
    sessions come out in the order of their names. (A tuple: hashed and compared in C, the
    engine does both millions of times.)"""

    name: str  # the variable (``db``, ``self.db``); for a sub-dependency the session dependency
    kind: SessionKind = SessionKind.PARAM
    line: int = 0  # an explicit session: where it was made
    col: int = 0
    via: str = ""  # a sub-dependency: the handler's dependency whose chain opened it

    @classmethod
    def param(cls, name: str) -> "SessionKey":
        return cls(name)

    @classmethod
    def explicit(cls, name: str, pos: ir.Pos) -> "SessionKey":
        return cls(name, SessionKind.EXPLICIT, pos.line, pos.col)

    @classmethod
    def sub_dependency(cls, dependency: str, via: str) -> "SessionKey":
        return cls(dependency, SessionKind.SUB_DEPENDENCY, via=via)

    @property
    def is_outer(self) -> bool:
        return self.kind is SessionKind.OUTER


# The caller's transactions that a callee cannot see: any slow operation in the callee happens
# while they are open.
OUTER = SessionKey("", SessionKind.OUTER)


class OpenedBy(enum.IntEnum):
    """What began a transaction."""

    OPERATION = 0  # a method call on the session (``db.query``)
    DECORATOR = 1  # a decorator below the route that queries through it (``@require_permission``)
    BEFORE_YIELD = 2  # the session dependency ran a statement before its ``yield``
    IN_DEPENDENCY = 3  # a dependency queried through the request's session (``get_user: db.get``)
    THROUGH_DEPENDENCY = 4  # ... of a dependency it depends on (``get_admin -> get_user: db.get``)
    CALLER = 5  # (in a summary) the caller had it open
    PASSED = 6  # handed to a callee the analysis cannot follow
    CALLEE = 7  # a project callee used the session it was handed
    LOAD = 8  # a read of an ORM object that loads (a lazy load, an expired object's reload)


class LoadKind(enum.IntEnum):
    """What a read of an ORM object attribute does without a live, fresh session."""

    LAZY = 0  # a relationship not loaded yet
    DYNAMIC = 1  # a dynamic relationship: queries every time
    DEFERRED = 2  # a deferred column
    EXPIRED = 3  # any attribute of an expired object


class Opener(NamedTuple):
    """What began a transaction. ``subject`` and ``detail`` by kind: OPERATION (session name,
    method), DECORATOR (its name), BEFORE_YIELD/IN_DEPENDENCY/THROUGH_DEPENDENCY (the dependency
    function; ``inner`` is what opened it in there), PASSED (the callee as called), CALLEE (the
    callee's name, its parameter), LOAD (the attribute path read; ``load`` says how it loads)."""

    kind: OpenedBy
    subject: str = ""
    detail: str = ""
    inner: Optional["Opener"] = None
    load: Optional[LoadKind] = None

    @property
    def before_body(self) -> bool:
        """Opened by the session dependency or another dependency before the handler's body."""
        return self.kind in (OpenedBy.BEFORE_YIELD, OpenedBy.IN_DEPENDENCY, OpenedBy.THROUGH_DEPENDENCY)

    def order(self) -> tuple:
        """A total order over openers (``inner`` and ``load`` may be None)."""
        return (self.kind, self.subject, self.detail, self.inner.order() if self.inner else (),
                -1 if self.load is None else self.load)


CALLER = Opener(OpenedBy.CALLER)


class Site(NamedTuple):
    """Where a transaction opened (in the function being interpreted), and what did it."""

    line: int
    col: int
    opener: Opener

    def order(self) -> tuple:
        return (self.line, self.col, self.opener.order())


class Mark(enum.IntEnum):
    """What an open transaction did that decides whether ending it early is safe (SPEC 4b)."""

    WRITE = 0  # add/delete/merge/flush, DML, an assigned attribute: a commit would make it final
    LOCK = 1  # a row lock (``with_for_update``, ``FOR UPDATE``): a commit gives it up
    NESTED = 2  # a ``begin_nested()`` savepoint
    BEGIN = 3  # an explicit ``begin()``: the code decides where the transaction ends
    SHARED = 4  # handed to tasks that run at the same time
    ISOLATION = 5  # REPEATABLE READ or SERIALIZABLE: splitting the transaction changes what it sees


class EndHow(enum.IntEnum):
    """How ORM objects lost their session, or had their state expired (in the order their
    descriptions sort, which decides which of several a message names)."""

    CLOSED = 0
    COMMITTED = 1
    DELETED = 2
    EXPUNGED = 3
    ROLLED_BACK = 4
    ROLLED_BACK_ON_EXCEPTION = 5  # rolled back and closed, an exception leaving a factory's block


@dataclass(frozen=True, order=True)
class Ending:
    """Where and how objects lost their session (or were expired): ``callee`` names the project
    function that committed or rolled back the session it was handed, if one did."""

    line: int
    how: EndHow
    callee: str = ""


@dataclass(frozen=True)
class Held:
    """ORM objects a name holds: loaded through session ``key`` as class ``model``.

    ``warm`` lists the attribute paths read while the session was still there (so loaded);
    ``ended`` says where the objects lost their session (detached), ``expired`` where a commit or
    rollback expired them."""

    key: SessionKey
    model: str
    eager: FrozenSet[str] = frozenset()
    warm: FrozenSet[str] = frozenset()
    ended: Optional[Ending] = None
    expired: Optional[Ending] = None
    # Added to the session (``db.add(team)``) and not committed since: a rollback or close leaves
    # it as it was (transient again, its attributes kept), only a commit expires it.
    pending: bool = False


@dataclass(frozen=True)
class Hold:
    """A slow operation reached while session ``key`` was open.

    ``chain`` lists the callees from this function's call down to the sink's qualified name;
    it has one element when the sink is in this function.
    """

    key: SessionKey
    pos: ir.Pos
    chain: Tuple[str, ...]
    blocking: bool
    site: Site


@dataclass(frozen=True)
class Detached:
    """A read of an ORM object that needs a session it no longer has (SL201): the attribute
    path read (``tool.gateway``), what the read does, the session and how it ended (``ended``
    when the object was detached, else ``expired``), and the property or method whose body
    made the read, if one did (``("property", "gateway")``)."""

    path: Tuple[str, ...]
    load: LoadKind
    session: SessionKey
    ending: Ending
    detached: bool
    member: Optional[Tuple[str, str]] = None


@dataclass(frozen=True)
class SessionConfig:
    """What sessions from a factory do: expire loaded objects on commit (None: unknown), commit
    when their block ends, roll back when an exception leaves it."""

    expire_on_commit: Optional[bool] = None
    commits_on_exit: bool = False
    rolls_back_on_error: bool = False
    # The strict isolation level its engine sets, where: (level, path, line).
    isolation: Optional[Tuple[str, str, int]] = None


UNKNOWN_FACTORY = SessionConfig()


@dataclass
class CalleeEffect:
    """What awaiting a project function does, seen from its caller.

    ``holds`` maps a callee-side session (a parameter, or :data:`OUTER`) to the shortest chain
    to a sink reached while it was open and whether that sink blocks; ``exit_open`` says, per
    parameter, whether the session may still be open when the callee returns.
    """

    holds: Dict[SessionKey, Tuple[Tuple[str, ...], bool]]
    exit_open: Dict[str, bool]
    # Per parameter, how the callee may have ended its transaction (committed, rolled back):
    # what the caller loaded through that session may now be expired.
    ended: Dict[str, EndHow] = field(default_factory=dict)
    # Parameters the callee calls and awaits (a callback), with the functions between (a
    # callee it hands the parameter on to): a function handed there runs during the call.
    awaits: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # Parameters the callee yields as they are (a context manager over a session it was given).
    hands_back: frozenset = frozenset()
    # Awaited calls it could not follow while a session of its caller was open, as chains from
    # the callee (``_post -> somelib.fetch``), in source order.
    unresolved: Tuple[str, ...] = ()
    # Per parameter, what the callee did to the transaction it leaves open (wrote, locked...).
    marks: Dict[str, FrozenSet[Mark]] = field(default_factory=dict)
