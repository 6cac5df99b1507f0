"""The intermediate form one function is lowered to.

A front end (:mod:`session_lint.lowering`, over the stdlib ``ast``) turns each function into a tree
of these nodes; :mod:`session_lint.transactions` is the single engine that interprets them.
The form names variables, never types: which names hold a session is the engine's business, so
the same lowered function can be asked about with different session parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple, Union


@dataclass(frozen=True)
class Pos:
    """A source position: 1-based line, 0-based column (as ``ast`` reports them), and where
    the node ends (for SARIF and JSON output)."""

    line: int
    col: int
    end_line: int = 0
    end_col: int = 0


# ---------------------------------------------------------------- events (leaves)


@dataclass(frozen=True)
class Use:
    """``name.method(...)``: a method call on whatever ``name`` holds. ``awaited``: the call is
    awaited (an ``AsyncSession``'s method); ``writes``: were ``name`` a session, the call writes
    (``add``, ``flush``, an ``execute`` of ``insert``/``update``/``delete``)."""

    name: str
    method: str
    pos: Pos
    awaited: bool = False
    writes: bool = False
    # The call takes row locks (``with_for_update()``, ``FOR UPDATE``).
    locks: bool = False
    # The isolation level the call sets for the transaction, when it sets one.
    isolation: str = ""
    # A ``commit()`` written between ``expire_on_commit = False`` and ``= True``: it leaves what
    # the session loaded as it was, whatever the factory says.
    keeps_loaded: bool = False


@dataclass(frozen=True)
class Bind:
    """``target = source`` where the source is a plain name: an alias. ``also``: the other
    names it may be instead (``c = conn or fallback``)."""

    target: str
    source: str
    also: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Unbind:
    """``target`` is rebound to something that is not a name we can follow."""

    target: str


@dataclass(frozen=True)
class OpenSession:
    """An explicitly created session (``with fresh_db_session() as db``, ``db = SessionLocal()``)."""

    name: str
    factory: str
    pos: Pos
    is_async: bool
    # The factory's global key when the front end could name it (for its ``expire_on_commit``
    # and whether leaving its block commits), and ``expire_on_commit=`` when the call says it.
    factory_key: Optional[str] = None
    expire_on_commit: Optional[bool] = None


@dataclass(frozen=True)
class CloseSession:
    """The end of the ``with`` block that created session ``name``."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Sink:
    """A slow operation on another host.

    ``blocking`` marks a synchronous network call (``requests.get``) made on the current thread;
    otherwise the operation is awaited (``await client.get``, ``async with``, ``async for``).
    """

    qualname: str
    pos: Pos
    blocking: bool


@dataclass(frozen=True)
class Call:
    """A call to something that may be a function of the project, or that receives names.

    ``callee`` is a key into the module's function table when the front end resolved it.
    ``args`` pairs each argument that is a plain name with where it goes: an ``int`` for a
    positional index, a ``str`` for a keyword.
    """

    callee: Optional[str]
    label: str
    args: Tuple[Tuple[Union[int, str], str], ...]
    awaited: bool
    pos: Pos
    # Run in a worker thread and awaited (``asyncio.to_thread``): a blocking sink inside holds the
    # session as an awaited one does, without blocking the event loop.
    threaded: bool = False
    # ``svc.method(...)``: the name the method is called on; ``svc = Service(db)``: the name the
    # result is bound to. Together they let a session stored by a constructor (``self.db = db``)
    # follow the object into its methods.
    receiver: Optional[str] = None
    result: Optional[str] = None
    # Known not to wait on another host (a configured or built-in non-sink, the constructor of a
    # client class the analysis tracks): not worth listing when it cannot be followed.
    quiet: bool = False
    # Arguments that name a function (``run_checks(names, check)``), as ``(where, key)``: if the
    # callee awaits what it receives there, that function runs during the call.
    functions: Tuple[Tuple[Union[int, str], str], ...] = ()
    # ``with reuse(db) as s``: the name entering the call's result binds (``s``).
    entered: Optional[str] = None
    # Calling a class (``AuthService(db)``): the result is an object that may keep what it was
    # handed, a session among them.
    constructs: bool = False
    # A class known to only keep what it is handed (a library's database adapter): the session
    # handed to it stays as it was.
    keeps: bool = False


@dataclass(frozen=True)
class Yield:
    """``yield name`` (used to read what a session dependency hands over)."""

    name: Optional[str]
    pos: Pos


@dataclass(frozen=True)
class Load:
    """``target = db.get(Tool, ...)`` (or a query ending in ``first()``/``all()``/``scalars()``):
    ``target`` holds ORM objects of class ``model`` loaded through whatever ``session`` holds.
    ``eager`` lists the relationship paths the query loads with the rows (``selectinload``)."""

    target: str
    session: str
    model: str  # the class's global key when resolved, else as written
    eager: Tuple[str, ...]
    pos: Pos
    # A project function returned the objects (``get_tool(db, id) -> Tool``): the names it was
    # handed that may be the session they came through, and whether a session stored on ``self``
    # may be (a method of the same object returned them).
    via: Tuple[str, ...] = ()
    via_self: bool = False
    # ``db.add(team)``: a new object the session will insert, not one it loaded.
    added: bool = False
    # What a call that cannot be followed gave back, handed a session or objects of one
    # (``crud.get_tool(db, id)``, ``db.execute(text(...))``): it may be objects of that session,
    # of a class the analysis does not know (``model`` is empty; never reported as SL201).
    speculative: bool = False


@dataclass(frozen=True)
class Each:
    """``for target in source``: ``target`` is one of the objects ``source`` holds."""

    target: str
    source: str


@dataclass(frozen=True)
class Derive:
    """``target = name.a.b``: ``target`` holds what the attributes of the objects ``name``
    holds lead to, when that is a relationship (related objects of the same session)."""

    target: str
    source: str
    attrs: Tuple[str, ...]


@dataclass(frozen=True)
class Share:
    """``name`` is handed to coroutines that run at the same time as each other or as this
    function (``asyncio.gather(a(db), b(db))``, ``create_task(f(db))``)."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Store:
    """``name.a.b = value``: an attribute of what ``name`` holds is assigned (emitted only for
    names holding ORM objects: the session they came from has a pending write)."""

    name: str
    attrs: Tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class Touch:
    """``name.a.b`` read: an attribute chain on what ``name`` holds (emitted only for names a
    :class:`Load` or :class:`Each` binds in the same function)."""

    name: str
    attrs: Tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class Refresh:
    """``session.refresh(name)``: the object's columns are loaded again through ``session``."""

    name: str
    session: str


@dataclass(frozen=True)
class Expunge:
    """``session.expunge(name)`` or ``session.delete(name)``: the object leaves the session, so
    a later commit or rollback no longer expires it (what it loaded stays readable)."""

    name: str
    session: str
    how: str  # "expunged", "deleted"
    pos: Pos


Event = Union[Use, Bind, Unbind, OpenSession, CloseSession, Sink, Call, Yield, Load, Each, Touch, Store, Share, Derive,
              Refresh, Expunge]


# ---------------------------------------------------------------- structure


@dataclass(frozen=True)
class Block:
    items: Tuple["Node", ...] = ()


@dataclass(frozen=True)
class If:
    test: Block
    body: Block
    orelse: Block


@dataclass(frozen=True)
class Loop:
    """``for``/``while``: ``head`` runs before every iteration (the ``while`` test, the
    per-iteration step of an ``async for``), ``body`` may run again through the back edge."""

    head: Block
    body: Block
    orelse: Block
    infinite: bool
    # ``for attempt in range(3)``: the body runs at least once, so the loop is never left
    # straight from its entry state.
    at_least_once: bool = False


@dataclass(frozen=True)
class Try:
    body: Block
    handlers: Tuple[Block, ...]
    orelse: Block
    final: Block


@dataclass(frozen=True)
class With:
    """``enter`` runs first, ``exit`` runs on every way out of ``body``."""

    enter: Block
    body: Block
    exit: Block


@dataclass(frozen=True)
class Match:
    subject: Block
    cases: Tuple[Block, ...]
    exhaustive: bool


@dataclass(frozen=True)
class Return:
    value: Block


@dataclass(frozen=True)
class Raise:
    value: Block


@dataclass(frozen=True)
class Break:
    pass


@dataclass(frozen=True)
class Continue:
    pass


Node = Union[Event, Block, If, Loop, Try, With, Match, Return, Raise, Break, Continue]


@dataclass(frozen=True)
class SessionParam:
    """A session a function receives from FastAPI: a ``Depends(get_db)`` parameter, or a
    class-based view attribute (``self.db``)."""

    name: str
    dependency: str  # the dependency's name as configured (``get_db``)
    pos: Pos
    # The dependency function's global key, when it may be a function of the project.
    dependency_key: Optional[str] = None
    # Annotated as an ``AsyncSession``.
    is_async: bool = False
    # A decorator below the route that queries through the session before the body runs.
    opened_by_decorator: Optional["SessionDecorator"] = None


@dataclass(frozen=True)
class SessionDecorator:
    """A decorator that reads the handler's session and queries through it before the body runs
    (``@require_permission``): where it is, its name, and its global key when it may be a
    function of the project."""

    pos: Pos
    name: str
    key: Optional[str]


@dataclass(frozen=True)
class SubDependency:
    """A parameter declared with ``Depends(<something that is not a session>)``: FastAPI runs
    that dependency (and its own dependencies) before the body, caching each per request."""

    name: str
    label: str
    key: Optional[str]
    pos: Pos


@dataclass
class FunctionIR:
    """One function, lowered."""

    key: str
    name: str
    is_async: bool
    params: Tuple[str, ...]
    pos: Pos
    body: Block
    # Parameters bound positionally after ``self``/``cls`` when called through an instance.
    bound_method: bool = False
    is_handler: bool = False
    session_params: Tuple[SessionParam, ...] = ()
    sub_dependencies: Tuple[SubDependency, ...] = ()
    # Names of enclosing functions' locals this nested function reads (closures).
    free_names: frozenset = field(default_factory=frozenset)
    has_explicit_session: bool = False
    # String keys this function (or a function nested in it) reads from its ``**kwargs``
    # (``kwargs.get("db")``): which parameters a decorator it implements looks at.
    kwargs_keys: frozenset = field(default_factory=frozenset)


def walk(node: "Node"):
    """Every node of a lowered body, depth first in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Block):
            stack.extend(reversed(current.items))
        elif isinstance(current, (If, Loop, Try, With, Match, Return, Raise)):
            parts = []
            for value in vars(current).values():
                if isinstance(value, Block):
                    parts.append(value)
                elif isinstance(value, tuple):
                    parts.extend(v for v in value if isinstance(v, Block))
            stack.extend(reversed(parts))
