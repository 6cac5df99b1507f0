"""The sessions a function starts with, and which of them already have an open transaction
(and why): a handler's dependency sessions (opened by a decorator that queries through them, by
the session dependency itself before its ``yield``, or by another dependency of the request
that queried through the same, request-cached session), and the request's session that a
dependency opened though the handler never names it."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Set, Tuple

from session_lint.flow import ir
from session_lint.flow.calls import stores
from session_lint.flow.engine import CalleeOracle, Engine, EntrySession
from session_lint.flow.facts import Opener, OpenedBy, SessionKey, Site

Lookup = Callable[[str], Optional[ir.FunctionIR]]

# Dependencies followed into their own dependencies, at most.
_DEPTH = 8


class Entries:
    """Answers what each function starts with, over one project (answers about dependencies
    are kept: every handler behind the same dependency asks the same question)."""

    def __init__(self, lookup: Lookup, summaries: CalleeOracle) -> None:
        self.lookup = lookup
        self.summaries = summaries
        self._opened_by_dependency: Dict[Optional[str], Dict[str, Opener]] = {}

    def handler(self, fn: ir.FunctionIR) -> List[EntrySession]:
        """The sessions a handler starts with, and which are already open (and why)."""
        opened: Dict[str, Tuple[ir.Pos, Opener, str]] = {}  # session dependency -> (pos, why, via)
        for sub in fn.sub_dependencies:
            for dependency, what in self.dependency_sessions(sub.key).items():
                opened.setdefault(dependency, (sub.pos, what, sub.label))
        entry: List[EntrySession] = []
        named: Set[str] = set()
        for p in fn.session_params:
            named.add(p.dependency)
            site = None
            decorator = p.opened_by_decorator
            if decorator is not None and self.decorator_reads(decorator.key, p.name):
                site = Site(decorator.pos.line, decorator.pos.col, Opener(OpenedBy.DECORATOR, decorator.name))
            elif p.dependency in opened:
                pos, why, _via = opened[p.dependency]
                site = Site(pos.line, pos.col, why)
            else:
                why = self.dependency_open_reason(p.dependency_key)
                if why is not None:
                    site = Site(p.pos.line, p.pos.col, why)
            entry.append(EntrySession(p.name, SessionKey.param(p.name), site, p.dependency_key))
        for dependency, (pos, why, via) in sorted(opened.items()):
            if dependency not in named:
                # FastAPI caches the session per request and closes it after the response:
                # the handler holds it though it never names it.
                key = SessionKey.sub_dependency(dependency, via)
                entry.append(EntrySession(f"<{dependency} of {via}>", key, Site(pos.line, pos.col, why)))
        return entry

    def service(self, fn: ir.FunctionIR) -> List[EntrySession]:
        """A function handed its session, that loads objects through it (for SL201): the names
        it loads through, as sessions; for a method whose own call returned them, what its
        class's constructor stored."""
        names, via_self = loads_through_parameters(fn)
        found = list(names)
        if via_self and fn.bound_method:
            init = self.lookup(fn.key.rsplit(".", 1)[0] + ".__init__")
            if init is not None:
                found.extend(f"self.{attr}" for _param, attr in stores(init))
        return [EntrySession(name, SessionKey.param(name)) for name in sorted(set(found))]

    def decorator_reads(self, key: Optional[str], param: str) -> bool:
        """Whether the decorator ``key`` reads the handler's parameter ``param``: when its code
        is in the tree and reads named keys from ``**kwargs`` (``kwargs.get("db")``), only
        those; otherwise, as configured, any session parameter."""
        fn = self.lookup(key) if key else None
        if fn is None or not fn.kwargs_keys:
            return True
        return param in fn.kwargs_keys

    def dependency_open_reason(self, key: Optional[str]) -> Optional[Opener]:
        """Why a session dependency hands over a session whose transaction is already open (a
        ``SET`` before its ``yield``), or None."""
        fn = self.lookup(key) if key else None
        if fn is None:
            return None
        run = Engine(fn, self.summaries).interpret([])
        for _pos, (name, state) in sorted(run.yields.items(), key=lambda item: (item[0].line, item[0].col)):
            if name is None:
                continue
            for k in state.keys_of(name):
                sites = state.sites(k)
                if sites:
                    return Opener(OpenedBy.BEFORE_YIELD, fn.name, inner=sites[0].opener)
        return None

    def dependency_sessions(self, key: Optional[str]) -> Dict[str, Opener]:
        """Session dependencies (``get_db``) that the dependency ``key``, or one it depends on,
        leaves with an open transaction when the handler starts: dependency -> what opened it
        (``get_current_user_with_permissions -> get_current_user: db.query``)."""
        if key not in self._opened_by_dependency:
            self._opened_by_dependency[key] = self._dependency_sessions(key, _DEPTH, set())
        return dict(self._opened_by_dependency[key])

    def _dependency_sessions(self, key: Optional[str], depth: int, seen: Set[str]) -> Dict[str, Opener]:
        fn = self.lookup(key) if key else None
        if fn is None or depth <= 0 or fn.key in seen:
            return {}
        seen.add(fn.key)
        opened: Dict[str, Opener] = {}
        for sub in fn.sub_dependencies:
            for dependency, what in self._dependency_sessions(sub.key, depth - 1, seen).items():
                opened.setdefault(dependency, Opener(OpenedBy.THROUGH_DEPENDENCY, fn.name, inner=what))
        entry = [
            EntrySession(p.name, SessionKey.param(p.name),
                         Site(p.pos.line, p.pos.col, opened[p.dependency]) if p.dependency in opened else None)
            for p in fn.session_params
        ]
        run = Engine(fn, self.summaries).interpret(entry)
        # What the handler sees: the state where the dependency hands over (its yield) or returns.
        states = [state for _name, state in run.yields.values()]
        if run.exit is not None:
            states.append(run.exit)
        for p in fn.session_params:
            for state in states:
                sites = state.sites(SessionKey.param(p.name))
                if sites:
                    opened.setdefault(p.dependency, Opener(OpenedBy.IN_DEPENDENCY, fn.name, inner=sites[0].opener))
                    break
        return opened


def loads_through_parameters(fn: ir.FunctionIR) -> Tuple[Tuple[str, ...], bool]:
    """Names of the parameters (or ``self.<attr>``) that ``fn`` loads ORM objects through, and
    whether it loads through whatever is stored on ``self`` (its own method returned them)."""
    cached = fn.__dict__.get("_param_loads")
    if cached is None:
        found: Set[str] = set()
        via_self = False
        for node in ir.walk(fn.body):
            if isinstance(node, ir.Load):
                via_self = via_self or node.via_self
                for name in (node.session,) + node.via:
                    if name in fn.params or name.startswith("self."):
                        found.add(name)
        cached = (tuple(sorted(found)), via_self)
        fn.__dict__["_param_loads"] = cached
    return cached
