"""What the parts of the engine share: the function being interpreted, what one interpretation
produced (:class:`Run`), the oracles it asks about callees and the ORM, and the settings of the
sessions it follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Protocol, Set, Tuple

from session_lint.flow import ir
from session_lint.flow.facts import CalleeEffect, Detached, EndHow, Hold, SessionConfig, SessionKey, Site
from session_lint.flow.machine import FlowMachine
from session_lint.flow.state import State, join
from session_lint.index.orm_facts import MappedClass, Relationship


class OrmOracle(Protocol):
    def model(self, key: str) -> Optional[MappedClass]: ...

    def related(self, owner: MappedClass, rel: Relationship) -> Optional[MappedClass]: ...

    def session_config(self, factory_key: str) -> Optional[SessionConfig]: ...


class CalleeOracle(Protocol):
    orm: Optional[OrmOracle]

    def lookup(self, callee: str) -> Optional[ir.FunctionIR]: ...

    def effect(self, callee: str, entry: Tuple[Tuple[SessionKey, bool], ...]) -> Optional[CalleeEffect]: ...


@dataclass
class EntrySession:
    """A session present when the function starts."""

    name: str
    key: SessionKey
    open_site: Optional[Site] = None
    # The dependency that makes it (``get_db``), for its session factory's settings.
    factory_key: Optional[str] = None
    # Its factory's settings when the caller knows them (a release re-checked in a callee).
    config: Optional[SessionConfig] = None


@dataclass
class Run:
    """Everything one interpretation of a function produced."""

    holds: Dict[Tuple[SessionKey, ir.Pos, Tuple[str, ...]], Hold] = field(default_factory=dict)
    exit: Optional[State] = None
    yields: Dict[ir.Pos, Tuple[Optional[str], State]] = field(default_factory=dict)
    # Explicit sessions met, key -> the factory expression that made it.
    explicit: Dict[SessionKey, str] = field(default_factory=dict)
    # Awaited calls the engine could not follow while a session was open (for --explain-unresolved),
    # also through the project functions it followed (``helper -> somelib.fetch``), and the
    # session keys open at each.
    unresolved: Dict[ir.Pos, str] = field(default_factory=dict)
    unresolved_open: Dict[ir.Pos, FrozenSet[SessionKey]] = field(default_factory=dict)
    # SL201: reads of ORM objects after their session ended.
    detached: Dict[ir.Pos, Detached] = field(default_factory=dict)
    # Session key -> the ways this function ended its transaction somewhere.
    ended: Dict[SessionKey, Set[EndHow]] = field(default_factory=dict)
    # Parameters this function calls and awaits (callbacks), directly or by handing them on, and
    # the functions the call goes through on the way.
    awaited_params: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # The state reaching each probed position (a sink or a call), over every path.
    states_at: Dict[ir.Pos, State] = field(default_factory=dict)


class EngineBase(FlowMachine[State]):
    """The engine's shared state; :class:`~session_lint.flow.engine.Engine` is made of this and
    the parts that give each event its meaning."""

    join = staticmethod(join)

    def __init__(self, fn: ir.FunctionIR, oracle: Optional[CalleeOracle], probes: FrozenSet[ir.Pos] = frozenset()) -> None:
        super().__init__()
        self.fn = fn
        # Positions whose state ``fix`` asks about (none in a check).
        self.probes = probes
        self.oracle = oracle
        self.run = Run()
        # What the project knows of ORM classes and session factories (SL201), if anything.
        self.orm: Optional[OrmOracle] = oracle.orm if oracle is not None else None
        self.configs: Dict[SessionKey, SessionConfig] = {}

    def probe(self, pos: ir.Pos, state: State) -> None:
        if pos in self.probes:
            self.run.states_at[pos] = join(self.run.states_at.get(pos), state) or state

    def config(self, factory_key: Optional[str], expire: Optional[bool]) -> SessionConfig:
        """The settings of sessions from a factory (``expire`` from the call overrides)."""
        found = self.orm.session_config(factory_key) if (self.orm is not None and factory_key) else None
        made = found if found is not None else SessionConfig()
        return SessionConfig(expire if expire is not None else made.expire_on_commit, made.commits_on_exit,
                             made.rolls_back_on_error)
