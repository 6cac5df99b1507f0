"""The transaction-state engine: the one place that knows when a session's transaction is open.

It interprets a function's intermediate form (:mod:`session_lint.ir`) as a may-analysis over
every path: a session is *open* at a point if some path from the function's entry reaches that
point with a database operation on it that no ``commit()``/``rollback()``/``close()`` has ended.
Each slow operation (a :class:`~session_lint.ir.Sink`, or a call whose callee's summary reaches
one) met while a session is open becomes a :class:`Hold`.

Control flow is structured (Python has no goto), so the engine walks the tree instead of building
a graph: ``return``/``raise``/``break``/``continue`` travel outwards as separate states, loops
iterate to a fixed point over their back edge, and every event in a ``try`` body may jump to its
handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, Iterable, List, Optional, Protocol, Tuple

from session_lint.flow import ir
from session_lint.index.orm_facts import MappedClass, Relationship
from session_lint.knowledge.sqlalchemy import EAGER_LAZY, QUERYING_LAZY, SILENT_LAZY

# Methods that end the transaction and hand the connection back to the pool.
RELEASING_METHODS = frozenset({"commit", "rollback", "close", "invalidate"})
# Attributes that read the session's own bookkeeping without touching the database.
NON_OPENING_METHODS = frozenset({"is_active", "in_transaction", "get_bind", "begin_nested_is_active"})

# A name callers use for "a transaction of mine that you cannot see": any slow operation in the
# callee happens while it is open.
OUTER = "\0outer"


@dataclass(frozen=True)
class Site:
    """Where a transaction opened: a position and what did it (``db.query``)."""

    line: int
    col: int
    what: str


@dataclass(frozen=True)
class Held:
    """ORM objects a name holds: loaded through session ``key`` as class ``model``.

    ``warm`` lists the attribute paths read while the session was still there (so loaded);
    ``ended`` says where the objects lost their session (detached), ``expired`` where a commit or
    rollback expired them."""

    key: str
    model: str
    eager: FrozenSet[str] = frozenset()
    warm: FrozenSet[str] = frozenset()
    ended: Optional[Tuple[int, str]] = None
    expired: Optional[Tuple[int, str]] = None
    # Added to the session (``db.add(team)``) and not committed since: a rollback or close leaves
    # it as it was (transient again, its attributes kept), only a commit expires it.
    pending: bool = False


@dataclass(frozen=True)
class State:
    """Per program point: which session keys may be open (and since where), which names may
    refer to which session keys, and which names may hold which loaded ORM objects."""

    open: FrozenSet[Tuple[str, Site]] = frozenset()
    alias: FrozenSet[Tuple[str, str]] = frozenset()
    objs: FrozenSet[Tuple[str, Held]] = frozenset()

    def keys_of(self, name: str) -> List[str]:
        return sorted(k for n, k in self.alias if n == name)

    def is_open(self, key: str) -> bool:
        return any(k == key for k, _ in self.open)

    def sites(self, key: str) -> List[Site]:
        return sorted((s for k, s in self.open if k == key), key=lambda s: (s.line, s.col, s.what))

    def open_keys(self) -> List[str]:
        return sorted({k for k, _ in self.open})

    def opened(self, key: str, site: Site) -> "State":
        if self.is_open(key):
            return self
        return State(self.open | {(key, site)}, self.alias, self.objs)

    def released(self, key: str) -> "State":
        return State(frozenset(x for x in self.open if x[0] != key), self.alias, self.objs)

    def bound(self, name: str, keys: Iterable[str]) -> "State":
        kept = frozenset(x for x in self.alias if x[0] != name)
        return State(self.open, kept | {(name, k) for k in keys}, self.objs)

    def held(self, name: str) -> List[Held]:
        # In a stable order: the first one read decides a finding's message, and a frozenset's
        # order changes with the process's string hash seed.
        return sorted((h for n, h in self.objs if n == name), key=_held_order)

    def holding(self, name: str, held: Iterable[Held]) -> "State":
        kept = frozenset(x for x in self.objs if x[0] != name)
        return State(self.open, self.alias, kept | {(name, h) for h in held})

    def dropped(self, key: str, which) -> "State":
        """Without the objects of session ``key`` that ``which`` picks."""
        if not any(h.key == key and which(h) for _, h in self.objs):
            return self
        return State(self.open, self.alias, frozenset((n, h) for n, h in self.objs if not (h.key == key and which(h))))

    def changed(self, key: str, change) -> "State":
        """Every object loaded through session ``key`` passed through ``change``."""
        if not any(h.key == key for _, h in self.objs):
            return self
        return State(self.open, self.alias, frozenset((n, change(h) if h.key == key else h) for n, h in self.objs))


def _committed(state: State, key: str, expired: Optional[Tuple[int, str]]) -> State:
    """The objects of session ``key`` after a commit: inserted ones are its own now; all are
    expired where the session expires on commit (``expired`` says where; None where it does not)."""
    if expired is None:
        return state.changed(key, lambda h: replace(h, pending=False) if h.pending else h)
    return state.changed(key, lambda h: h if h.ended else replace(h, expired=expired, pending=False))


def _rolled_back(state: State, key: str, at: Tuple[int, str]) -> State:
    """The objects of session ``key`` after a rollback: one only added is transient again, with
    its attributes; every other is expired."""
    return state.dropped(key, lambda h: h.pending).changed(key, lambda h: h if h.ended else replace(h, expired=at))


def _held_order(held: Held) -> tuple:
    return (held.key, held.model, held.ended or (0, ""), held.expired or (0, ""), sorted(held.eager), sorted(held.warm),
            held.pending)


def join(a: Optional[State], b: Optional[State]) -> Optional[State]:
    if a is None:
        return b
    if b is None or a is b:  # most joins are of a state with itself (an event that changed nothing)
        return a
    return State(a.open | b.open, a.alias | b.alias, a.objs | b.objs)


@dataclass(frozen=True)
class Hold:
    """A slow operation reached while session ``key`` was open.

    ``chain`` lists the callees from this function's call down to the sink's qualified name;
    it has one element when the sink is in this function.
    """

    key: str
    pos: ir.Pos
    chain: Tuple[str, ...]
    blocking: bool
    site: Site


@dataclass
class CalleeEffect:
    """What awaiting a project function does, seen from its caller.

    ``holds`` maps a callee-side session name (a parameter, or :data:`OUTER`) to the shortest
    chain to a sink reached while it was open and whether that sink blocks; ``exit_open`` says,
    per parameter, whether the session may still be open when the callee returns.
    """

    holds: Dict[str, Tuple[Tuple[str, ...], bool]]
    exit_open: Dict[str, bool]
    # Per parameter, how the callee may have ended its transaction (``"committed"``,
    # ``"rolled back"``): what the caller loaded through that session may now be expired.
    ended: Dict[str, str] = field(default_factory=dict)
    # Parameters the callee calls and awaits (a callback), with the functions between (a
    # callee it hands the parameter on to): a function handed there runs during the call.
    awaits: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # Parameters the callee yields as they are (a context manager over a session it was given).
    hands_back: frozenset = frozenset()
    # Awaited calls it could not follow while a session of its caller was open, as chains from
    # the callee (``_post -> somelib.fetch``), in source order.
    unresolved: Tuple[str, ...] = ()


class OrmOracle(Protocol):
    def model(self, key: str) -> Optional[MappedClass]: ...

    def related(self, owner: MappedClass, rel: Relationship) -> Optional[MappedClass]: ...

    def session_config(self, factory_key: str) -> Optional[Tuple[Optional[bool], bool]]: ...


class CalleeOracle(Protocol):
    def lookup(self, callee: str) -> Optional[ir.FunctionIR]: ...

    def effect(
        self, callee: str, entry: Tuple[Tuple[str, bool], ...]
    ) -> Optional[CalleeEffect]: ...


@dataclass
class Outcome:
    """The states leaving a piece of code, by the way they leave."""

    normal: Optional[State] = None
    ret: Optional[State] = None
    brk: Optional[State] = None
    cont: Optional[State] = None
    exc: Optional[State] = None  # every state from which an exception may propagate

    def merge_abrupt(self, other: "Outcome") -> None:
        # Called for every statement interpreted: the tests skip the calls for the usual Nones.
        if other.ret is not None:
            self.ret = join(self.ret, other.ret)
        if other.brk is not None:
            self.brk = join(self.brk, other.brk)
        if other.cont is not None:
            self.cont = join(self.cont, other.cont)
        if other.exc is not None:
            self.exc = join(self.exc, other.exc)


@dataclass
class EntrySession:
    """A session present when the function starts."""

    name: str
    key: str
    open_site: Optional[Site] = None
    # The dependency that makes it (``get_db``), for its session factory's settings.
    factory_key: Optional[str] = None


@dataclass
class Run:
    """Everything one interpretation of a function produced."""

    holds: Dict[Tuple[str, ir.Pos, Tuple[str, ...]], Hold] = field(default_factory=dict)
    exit: Optional[State] = None
    yields: Dict[ir.Pos, Tuple[Optional[str], State]] = field(default_factory=dict)
    # Explicit sessions met, key -> the factory expression that made it.
    explicit: Dict[str, str] = field(default_factory=dict)
    # Awaited calls the engine could not follow while a session was open (for --explain-unresolved),
    # also through the project functions it followed (``helper -> somelib.fetch``), and the
    # session keys open at each.
    unresolved: Dict[ir.Pos, str] = field(default_factory=dict)
    unresolved_open: Dict[ir.Pos, FrozenSet[str]] = field(default_factory=dict)
    # SL201: reads of ORM objects after their session ended -> (message, session name).
    detached: Dict[ir.Pos, Tuple[str, str]] = field(default_factory=dict)
    # Session key -> the ways this function ended its transaction somewhere ("commit", "rollback").
    ended: Dict[str, set] = field(default_factory=dict)
    # Parameters this function calls and awaits (callbacks), directly or by handing them on, and
    # the functions the call goes through on the way.
    awaited_params: Dict[str, Tuple[str, ...]] = field(default_factory=dict)


_UNKNOWN_FACTORY = (None, False, False)
_LOOP_LIMIT = 50  # the lattice is finite; this only guards against a bug turning into a hang


class Engine:
    """Interprets one function body from a given entry state."""

    def __init__(self, fn: ir.FunctionIR, oracle: Optional[CalleeOracle]) -> None:
        self.fn = fn
        self.oracle = oracle
        self.run = Run()
        # What the project knows of ORM classes and session factories (SL201), if anything.
        self.orm: Optional[OrmOracle] = getattr(oracle, "orm", None)
        # Session key -> (expire_on_commit, commits when its block ends, rolls back on an exception).
        self.configs: Dict[str, Tuple[Optional[bool], bool, bool]] = {}
        # Which way out of a block its exit (``finally``, a ``with``'s end) is being run for.
        self.leaving = "normal"

    # ---------------------------------------------------------------- entry point

    def interpret(self, entry: Iterable[EntrySession]) -> Run:
        state = State()
        for e in entry:
            state = state.bound(e.name, [e.key])
            self.configs[e.key] = self._config(e.factory_key, None)
            if e.open_site is not None:
                state = state.opened(e.key, e.open_site)
        out = self.block(self.fn.body, state)
        self.run.exit = join(out.normal, out.ret)
        return self.run

    # ---------------------------------------------------------------- structure

    def node(self, node: ir.Node, state: State) -> Outcome:
        return _HANDLERS[type(node)](self, node, state)

    def block(self, block: ir.Block, state: Optional[State]) -> Outcome:
        # The engine's innermost loop (every statement of every function, for every summary):
        # ``merge_abrupt`` is inlined over locals, and one Outcome is made at the end.
        normal = state
        ret = brk = cont = exc = None
        handlers = _HANDLERS
        for item in block.items:
            if normal is None:
                break  # unreachable after return/raise/break/continue
            step = handlers[type(item)](self, item, normal)
            if step.ret is not None:
                ret = join(ret, step.ret)
            if step.brk is not None:
                brk = join(brk, step.brk)
            if step.cont is not None:
                cont = join(cont, step.cont)
            if step.exc is not None:
                exc = join(exc, step.exc)
            normal = step.normal
        return Outcome(normal, ret, brk, cont, exc)

    def n_Block(self, node: ir.Block, state: State) -> Outcome:
        return self.block(node, state)

    def n_If(self, node: ir.If, state: State) -> Outcome:
        test = self.block(node.test, state)
        out = Outcome()
        out.merge_abrupt(test)
        if test.normal is None:
            return out
        body = self.block(node.body, test.normal)
        orelse = self.block(node.orelse, test.normal)
        out.merge_abrupt(body)
        out.merge_abrupt(orelse)
        out.normal = join(body.normal, orelse.normal)
        return out

    def n_Match(self, node: ir.Match, state: State) -> Outcome:
        subject = self.block(node.subject, state)
        out = Outcome()
        out.merge_abrupt(subject)
        if subject.normal is None:
            return out
        normal = None if node.exhaustive else subject.normal
        for case in node.cases:
            res = self.block(case, subject.normal)
            out.merge_abrupt(res)
            normal = join(normal, res.normal)
        out.normal = normal
        return out

    def n_Loop(self, node: ir.Loop, state: State) -> Outcome:
        out = Outcome()
        head_in: Optional[State] = state
        exits: Optional[State] = None
        breaks: Optional[State] = None
        if node.at_least_once:
            # The first pass starts from the entry state and cannot leave the loop; only the
            # states coming round the back edge reach the loop's head again.
            head = self.block(node.head, state)
            body = self.block(node.body, head.normal)
            out.ret = join(head.ret, body.ret)
            out.exc = join(head.exc, body.exc)
            breaks = join(head.brk, body.brk)
            head_in = join(body.normal, body.cont)
            if head_in is None:
                out.normal = breaks
                return out
        for _ in range(_LOOP_LIMIT):
            head = self.block(node.head, head_in)
            body = self.block(node.body, head.normal)
            out.ret = join(out.ret, join(head.ret, body.ret))
            out.exc = join(out.exc, join(head.exc, body.exc))
            breaks = join(breaks, join(head.brk, body.brk))
            exits = join(exits, head.normal)
            again = join(head_in, join(body.normal, body.cont))
            if again == head_in:
                break
            head_in = again
        after = None
        if not node.infinite and exits is not None:
            orelse = self.block(node.orelse, exits)
            out.ret = join(out.ret, orelse.ret)
            out.exc = join(out.exc, orelse.exc)
            # break/continue in a loop's else belong to the enclosing loop
            out.brk = orelse.brk
            out.cont = orelse.cont
            after = orelse.normal
        out.normal = join(after, breaks)
        return out

    def n_Try(self, node: ir.Try, state: State) -> Outcome:
        body = self.block(node.body, state)
        raised = join(state, body.exc)
        res = Outcome(ret=body.ret, brk=body.brk, cont=body.cont)
        normal = None
        if body.normal is not None:
            orelse = self.block(node.orelse, body.normal)
            res.merge_abrupt(orelse)
            normal = orelse.normal
        for handler in node.handlers:
            h = self.block(handler, raised)
            res.merge_abrupt(h)
            normal = join(normal, h.normal)
        # An exception no handler matches keeps propagating (may-analysis: any may be).
        res.exc = join(res.exc, raised)
        res.normal = normal
        if not node.final.items:
            return res
        return self.through_final(node.final, res)

    def through_final(self, final: ir.Block, res: Outcome) -> Outcome:
        """Runs ``final`` on every way out of ``res`` (the ``finally`` clause, a ``with`` exit)."""
        out = Outcome()
        leaving = self.leaving
        for kind in ("normal", "ret", "brk", "cont", "exc"):
            st = getattr(res, kind)
            if st is None:
                continue
            self.leaving = kind
            fin = self.block(final, st)
            self.leaving = leaving
            out.merge_abrupt(Outcome(ret=fin.ret, brk=fin.brk, cont=fin.cont, exc=fin.exc))
            if fin.normal is not None:
                setattr(out, kind, join(getattr(out, kind), fin.normal))
        return out

    def n_With(self, node: ir.With, state: State) -> Outcome:
        enter = self.block(node.enter, state)
        out = Outcome()
        out.merge_abrupt(enter)
        if enter.normal is None:
            return out
        body = self.block(node.body, enter.normal)
        left = self.through_final(node.exit, body)
        left.merge_abrupt(out)
        return left

    def n_Return(self, node: ir.Return, state: State) -> Outcome:
        value = self.block(node.value, state)
        return Outcome(ret=value.normal, exc=value.exc)

    def n_Raise(self, node: ir.Raise, state: State) -> Outcome:
        value = self.block(node.value, state)
        return Outcome(exc=join(value.normal, value.exc))

    def n_Break(self, node: ir.Break, state: State) -> Outcome:
        return Outcome(brk=state)

    def n_Continue(self, node: ir.Continue, state: State) -> Outcome:
        return Outcome(cont=state)

    # ---------------------------------------------------------------- events

    def event(self, state: State, after: State) -> Outcome:
        # Any operation may raise, before or after it took effect.
        return Outcome(normal=after, exc=join(state, after))

    def n_Use(self, node: ir.Use, state: State) -> Outcome:
        after = state
        for key in state.keys_of(node.name):
            if node.method in ("commit", "rollback"):
                self.run.ended.setdefault(key, set()).add(node.method)
            if state.objs:
                after = self._objects_after(node, key, after)
            if node.method in RELEASING_METHODS:
                after = after.released(key)
            elif node.method not in NON_OPENING_METHODS:
                after = after.opened(key, Site(node.pos.line, node.pos.col, f"{node.name}.{node.method}"))
        if node.method == "commit" and after is not state:
            # A commit that raises has not committed (the flush failed, or the COMMIT itself):
            # its handler sees the transaction, and the objects, as they were before it.
            return Outcome(normal=after, exc=state)
        return self.event(state, after)

    def _objects_after(self, node: ir.Use, key: str, state: State) -> State:
        """What ``close()``, ``commit()`` or ``rollback()`` does to the objects loaded through
        ``key``: closing detaches them; a rollback always expires them, a commit when the
        session's factory says ``expire_on_commit`` (SQLAlchemy's default). An object only added
        (not committed yet) is left as it was by a close or a rollback."""
        at = (node.pos.line, {"commit": "committed", "rollback": "rolled back"}.get(node.method, "closed"))
        if node.method in ("close", "expunge_all", "invalidate"):
            # An object only added is not the session's any more: transient, as it was.
            state = state.dropped(key, lambda h: h.pending)
            return state.changed(key, lambda h: replace(h, ended=h.ended or at))
        expire = self.configs.get(key, _UNKNOWN_FACTORY)[0]
        if node.method == "commit":
            return _committed(state, key, at if expire else None)
        if node.method == "rollback":
            return _rolled_back(state, key, at)
        if node.method == "expire_all":
            return state.changed(key, lambda h: h if h.ended or h.pending else replace(h, expired=at))
        return state

    def _ended_in_callee(self, key: str, how: str, label: str, pos: ir.Pos, state: State) -> State:
        """A callee committed or rolled back the session ``key`` it was handed: what the caller
        loaded through it is expired as by its own ``commit()``/``rollback()``."""
        expire = self.configs.get(key, _UNKNOWN_FACTORY)[0]
        if how == "committed" and not expire:
            return _committed(state, key, None)
        self.run.ended.setdefault(key, set()).add("rollback" if how == "rolled back" else "commit")
        at = (pos.line, f"{how} in {label}")
        return _rolled_back(state, key, at) if how == "rolled back" else _committed(state, key, at)

    def n_Bind(self, node: ir.Bind, state: State) -> Outcome:
        sources = (node.source, *node.also)
        after = state.bound(node.target, [key for name in sources for key in state.keys_of(name)])
        if state.objs:
            after = after.holding(node.target, [held for name in sources for held in state.held(name)])
        return Outcome(normal=after)

    def n_Unbind(self, node: ir.Unbind, state: State) -> Outcome:
        return Outcome(normal=_unbound(state, node.target))

    def n_OpenSession(self, node: ir.OpenSession, state: State) -> Outcome:
        key = f"{node.name}@{node.pos.line}:{node.pos.col}"
        self.run.explicit[key] = node.factory
        self.configs[key] = self._config(node.factory_key, node.expire_on_commit)
        after = state.released(key).bound(node.name, [key])
        return Outcome(normal=after)

    def n_CloseSession(self, node: ir.CloseSession, state: State) -> Outcome:
        after = state
        for key in state.keys_of(node.name):
            after = after.released(key)
            expire, commits, rolls_back = self.configs.get(key, _UNKNOWN_FACTORY)
            line = node.pos.end_line or node.pos.line
            end = (line, "closed")
            if self.leaving == "exc" and rolls_back:
                # An exception leaving the block: the factory rolled back (expiring every object)
                # before it closed.
                end = (line, "rolled back and closed (on an exception)")
                after = after.changed(key, lambda h: replace(h, ended=end, expired=end))
            elif commits and expire:
                after = after.changed(key, lambda h: replace(h, ended=end, expired=h.expired or end))
            else:
                after = after.changed(key, lambda h: replace(h, ended=h.ended or end))
        # The context manager's exit closes the session on every path, exceptions included.
        return Outcome(normal=after, exc=after)

    # ---------------------------------------------------------------- ORM objects (SL201)

    def _config(self, factory_key: Optional[str], expire: Optional[bool]) -> Tuple[Optional[bool], bool, bool]:
        """``(expire_on_commit, commits when its block ends, rolls back when an exception leaves
        it)`` of sessions from a factory."""
        found = self.orm.session_config(factory_key) if (self.orm is not None and factory_key) else None
        made_expire, commits, rolls_back = found if found is not None else _UNKNOWN_FACTORY
        return (expire if expire is not None else made_expire), commits, rolls_back

    def n_Load(self, node: ir.Load, state: State) -> Outcome:
        keys = state.keys_of(node.session) if node.session else []
        for name in node.via:
            if name == "self.*":
                keys.extend(k for n, k in sorted(state.alias) if n.startswith("self."))
            else:
                keys.extend(state.keys_of(name))
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

    def n_Each(self, node: ir.Each, state: State) -> Outcome:
        return Outcome(normal=state.holding(node.target, state.held(node.source)))

    def n_Refresh(self, node: ir.Refresh, state: State) -> Outcome:
        keys = set(state.keys_of(node.session))
        held = [replace(h, expired=None) if h.key in keys and h.ended is None else h for h in state.held(node.name)]
        return Outcome(normal=state.holding(node.name, held))

    def n_Expunge(self, node: ir.Expunge, state: State) -> Outcome:
        keys = set(state.keys_of(node.session))
        gone = (node.pos.line, f"{node.how} it")
        held = [replace(h, ended=h.ended or gone) if h.key in keys else h for h in state.held(node.name)]
        return Outcome(normal=state.holding(node.name, held))

    def n_Touch(self, node: ir.Touch, state: State) -> Outcome:
        after: List[Held] = []
        opened = state
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
                self.run.detached[node.pos] = self._detached_message(node, h, problem)
            if h.ended is None:
                opened = self._loads_through(h, node, opened, problem)
            # Still in its session, an expired object is loaded again by a read of what it maps
            # (a method that reads nothing mapped leaves it expired).
            after.append(replace(h, expired=None) if h.ended is None and problem is not None else h)
        if not after:
            return Outcome(normal=state)
        return Outcome(normal=opened.holding(node.name, after))

    def _loads_through(self, held: Held, node: ir.Touch, state: State,
                       problem: Optional[Tuple[str, int, str]]) -> State:
        """A read that loads (a reload, a lazy load) queries through the object's session, which
        begins a new transaction there (SPEC: open after lazy attribute access)."""
        if problem is None:
            return state
        kind, depth, _via = problem
        read = ".".join((node.name,) + node.attrs[:depth])
        return state.opened(held.key, Site(node.pos.line, node.pos.col, f"{read} {_LOADS[kind]}"))

    def _orm_problem(self, held: Held, attrs: Tuple[str, ...], follow_properties: bool = True
                     ) -> Optional[Tuple[str, int, str]]:
        """What reading ``attrs`` of an object without a live, fresh session does (``"lazy"``,
        ``"dynamic"``, ``"deferred"`` or ``"expired"``), at how many attributes deep, and through
        which attribute when a property read it (``""`` otherwise); None when it reads only
        loaded state."""
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
                    return "expired", depth, ""
                if rel.lazy in QUERYING_LAZY:
                    return "dynamic", depth, ""
                if not (rel.lazy in EAGER_LAZY or path in held.eager or path in held.warm):
                    return "lazy", depth, ""
                if rel.collection:
                    return None
                model = self.orm.related(model, rel)
                continue
            if attr in model.columns:
                if held.expired is not None:
                    return "expired", depth, ""
                if attr in model.deferred and path not in held.warm and path not in held.eager:
                    return "deferred", depth, ""
                return None
            code = "property" if attr in model.properties else "method"
            reads = model.properties.get(attr, model.methods.get(attr))
            if reads is not None and depth == 1 and follow_properties:
                # One level: what the property's or method's body reads from ``self``
                # (``self.gateway.url`` behind ``tool.label``).
                for read in reads:
                    inner = self._orm_problem(held, (read,), follow_properties=False)
                    if inner is not None:
                        return inner[0], depth, f"a {code} reading '{read}'"
            return None
        return None

    def _detached_message(self, node: ir.Touch, held: Held, problem: Tuple[str, int, str]) -> Tuple[str, str]:
        kind, depth, via = problem
        subject = "'" + ".".join((node.name,) + node.attrs[:depth]) + "'"
        if via:
            subject += f" ({via})"
        name = held.key.split("@", 1)[0]
        what = _LOADS[kind]
        if held.ended is not None:
            line, how = held.ended
            text = f"{subject} {what} after session '{name}' {how} at line {line}: DetachedInstanceError"
        else:
            line, how = held.expired  # type: ignore[misc]
            text = f"{subject} {what} after session '{name}' {how} at line {line}: a new transaction"
        return text, name

    def n_Yield(self, node: ir.Yield, state: State) -> Outcome:
        seen = self.run.yields.get(node.pos)
        merged = join(seen[1], state) if seen is not None else state
        self.run.yields[node.pos] = (node.name, merged or state)
        return Outcome(normal=state)

    def n_Sink(self, node: ir.Sink, state: State) -> Outcome:
        for key in state.open_keys():
            self.hold(key, node.pos, (node.qualname,), node.blocking, state)
        return self.event(state, state)

    def _unresolved(self, pos: ir.Pos, label: str, keys: Iterable[str]) -> None:
        if pos not in self.run.unresolved:
            self.run.unresolved[pos] = label
            self.run.unresolved_open[pos] = frozenset(keys)

    def hold(self, key: str, pos: ir.Pos, chain: Tuple[str, ...], blocking: bool, state: State) -> None:
        site = state.sites(key)[0]
        ident = (key, pos, chain)
        if ident not in self.run.holds:
            self.run.holds[ident] = Hold(key, pos, chain, blocking, site)

    def n_Call(self, node: ir.Call, state: State, via: Tuple[str, ...] = ()) -> Outcome:
        # Which of our sessions does the callee receive, and under which of its parameter names?
        passed: Dict[str, List[str]] = {}  # our key -> callee-side names
        target = self.oracle.lookup(node.callee) if (self.oracle and node.callee) else None
        if node.awaited and target is None and node.receiver is None and (
                node.label in self.fn.params or node.label in self.fn.free_names):
            # ``await check(n)`` on a parameter (or, in a nested function, its parent's)
            self.run.awaited_params.setdefault(node.label, ())
        if target is not None and target.is_async and not node.awaited and not node.threaded:
            # Calling an async function only makes a coroutine: nothing runs until it is awaited
            # (the front end emits the awaited call where that happens).
            return Outcome(normal=_unbound(state, node.entered) if node.entered else state)
        for where, name in node.args:
            keys = state.keys_of(name)
            if not keys:
                continue
            param = _param_for(target, where) if target is not None else None
            for key in keys:
                passed.setdefault(key, [])
                if param is not None:
                    passed[key].append(param)
        if target is not None:
            # Closures: a nested function reads its parent's session under the same name.
            for name in sorted(target.free_names):
                for key in state.keys_of(name):
                    passed.setdefault(key, []).append(name)
            # ``svc.method()`` where ``svc = Service(db)`` stored the session: the method sees it
            # as ``self.db``.
            if target.bound_method and node.receiver:
                prefix = node.receiver + "."
                for alias_name, key in sorted(state.alias):
                    if alias_name.startswith(prefix) and "." not in alias_name[len(prefix):]:
                        passed.setdefault(key, []).append("self." + alias_name[len(prefix):])
        effect = None
        if target is not None and self.oracle is not None:
            entry = {OUTER: bool(set(state.open_keys()) - set(passed))}
            for key, names in passed.items():
                for name in names:
                    entry[name] = entry.get(name, False) or state.is_open(key)
            effect = self.oracle.effect(node.callee, tuple(sorted(entry.items())))
        after = state
        # Chains name functions (``invoke_tool -> _call_backend``), not the call's spelling.
        label = target.name if target is not None else node.label
        awaits = dict(effect.awaits) if effect is not None else {}
        if awaits and node.functions and node.awaited:
            # ``await run_checks(names, check)`` where run_checks awaits what it gets as ``check``:
            # check runs during the call, as if awaited here, in the chain after run_checks.
            for where, key in node.functions:
                param = _param_for(target, where)
                if param is None or param not in awaits:
                    continue
                inner = ir.Call(key, key.rsplit(".", 1)[-1], (), True, node.pos, node.threaded)
                after = self.n_Call(inner, after, via + (label,) + awaits[param]).normal or after
        if awaits:
            mine = set(self.fn.params) | self.fn.free_names
            for where, name in node.args:
                param = _param_for(target, where)
                if name in mine and param in awaits:
                    # handed on to a callee that awaits it
                    self.run.awaited_params.setdefault(name, (label,) + awaits[param])
            for name in sorted(target.free_names & set(awaits) & mine):
                # awaited by a nested function that reads it
                self.run.awaited_params.setdefault(name, (label,) + awaits[name])
        if effect is None:
            if node.entered:
                after = _unbound(after, node.entered)
            # Unknown callee: a session handed to it is used, as the spec says.
            for key in passed:
                after = after.opened(key, Site(node.pos.line, node.pos.col, f"passed to {label}"))
            # Listed for --explain-unresolved: not a known non-sink, and not the session's own
            # method (awaiting the database is not a call to another host).
            if node.awaited and state.open_keys() and not node.quiet and not (
                    node.receiver and state.keys_of(node.receiver)):
                self._unresolved(node.pos, label, state.open_keys())
            return self.event(state, after)
        if effect.unresolved:
            # The callee awaited something it could not follow while one of ours was open.
            self._unresolved(node.pos, f"{label} -> {effect.unresolved[0]}", [*state.open_keys(), *passed])
        # Holds first: they happen while the callee runs, before its effect on exit.
        for cname, (chain, blocking) in effect.holds.items():
            full = via + (label,) + chain
            # Offloaded to a thread and awaited: the event loop is free, the session is not.
            blocking = blocking and not node.threaded
            if cname == OUTER:
                for key in state.open_keys():
                    if key not in passed:
                        self.hold(key, node.pos, full, blocking, state)
                continue
            for key, names in passed.items():
                if cname in names:
                    view = state.opened(key, Site(node.pos.line, node.pos.col, f"{label} uses {cname}"))
                    self.hold(key, node.pos, full, blocking, view)
        if node.result and target is not None and target.name == "__init__":
            # The new object keeps the sessions its constructor stored (``self.db = db``).
            for param, attr in stores(target):
                for key, names in passed.items():
                    if param in names:
                        after = after.bound(f"{node.result}.{attr}", after.keys_of(f"{node.result}.{attr}") + [key])
        if node.entered:
            # Entering the call binds its target: the old value goes (after the arguments were
            # read, so ``async with reuse(db) as db`` keeps db), and a context manager that
            # hands back a session it was given makes the target that session.
            after = _unbound(after, node.entered)
            for key, names in passed.items():
                if effect.hands_back.intersection(names):
                    after = after.bound(node.entered, after.keys_of(node.entered) + [key])
        for key, names in passed.items():
            if not names:
                after = after.opened(key, Site(node.pos.line, node.pos.col, f"passed to {label}"))
                continue
            how = next((effect.ended[n] for n in names if n in effect.ended), None)
            if how is not None and after.objs:
                after = self._ended_in_callee(key, how, label, node.pos, after)
            still_open = any(effect.exit_open.get(n, state.is_open(key)) for n in names)
            if still_open:
                after = after.opened(key, Site(node.pos.line, node.pos.col, f"{label} uses {names[0]}"))
            else:
                after = after.released(key)
        return self.event(state, after)


# What a read that loads does, by kind of load.
_LOADS = {
    "lazy": "lazy-loads",
    "dynamic": "queries (a dynamic relationship)",
    "deferred": "loads a deferred column",
    "expired": "reloads an expired object",
}


# Node type -> the Engine method that interprets it (a lookup by name per node costs more than
# the interpretation of most nodes).
_HANDLERS = {
    getattr(ir, name[2:]): method for name, method in vars(Engine).items() if name.startswith("n_")
}


def _unbound(state: State, target: str) -> State:
    """``state`` without what ``target`` held: the old object's attributes (``svc.db``) go too."""
    prefix = target + "."
    if not any(x[0] == target or x[0].startswith(prefix) for x in state.alias) and not any(
        x[0] == target for x in state.objs
    ):
        return state  # nothing bound to the name: the same state, not a copy
    kept = frozenset(x for x in state.alias if x[0] != target and not x[0].startswith(prefix))
    objs = frozenset(x for x in state.objs if x[0] != target) if state.objs else state.objs
    return State(state.open, kept, objs)


def stores(fn: ir.FunctionIR) -> Tuple[Tuple[str, str], ...]:
    """``(param, attr)`` for each ``self.attr = param`` in a constructor (computed once per
    function and kept on it)."""
    cached = fn.__dict__.get("_stores")
    if cached is None:
        found = (
            (node.source, node.target[len("self."):])
            for node in ir.walk(fn.body)
            if isinstance(node, ir.Bind) and node.target.startswith("self.") and node.source in fn.params
        )
        cached = tuple(dict.fromkeys(found))
        fn.__dict__["_stores"] = cached
    return cached


def _param_for(fn: ir.FunctionIR, where) -> Optional[str]:
    if isinstance(where, str):
        return where if where in fn.params else None
    params = fn.params[1:] if fn.bound_method else fn.params
    if 0 <= where < len(params):
        return params[where]
    return None
