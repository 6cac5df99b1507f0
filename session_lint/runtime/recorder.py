"""What the plugin saw: transactions opened and ended, network calls made while some were open,
and who holds each one.

Attribution is by scope, not by task or thread. A request's dependencies may run in a worker
thread (a sync ``get_current_user`` querying through the request's session) and its handler on
the event loop, and ``asyncio.gather`` runs its children as tasks of their own: all of them must
see the transactions the request opened. So each request, and each test, gets one mutable
:class:`Scope` in a context variable; worker threads (anyio copies the context into them) and
child tasks (asyncio copies it at creation) share that same object. A transaction the test
opened belongs to the test's scope, and a network call the app makes during a request looks only
at the request's: the test's own transaction is not the app's.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Optional, Tuple

from session_lint.runtime import stacks
from session_lint.runtime.stacks import APP, LIBRARY, TEST, Classifier, FrameRef, Stack

TEST_SCOPE, REQUEST_SCOPE = "test", "request"


@dataclass(eq=False)
class Scope:
    """The transactions one test or one request has open right now."""

    kind: str
    test_id: str
    open: Dict[Hashable, "Transaction"] = field(default_factory=dict)


@dataclass(eq=False)
class Transaction:
    # id() of the DBAPI connection it runs on; for a savepoint or a session's own transaction
    # inside another scope's, a tuple naming that.
    key: Hashable
    began: float  # time.perf_counter()
    stack: Stack
    scope: Optional[Scope]
    what: str  # "begin" or "savepoint"
    _frames: Optional[frozenset] = None

    def frame_keys(self) -> frozenset:
        if self._frames is None:
            self._frames = frozenset((ref[0], ref[1]) for ref in self.stack)
        return self._frames


@dataclass
class Site:
    """Where a hold is reported, and what is known about it."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    function: str
    chain: Tuple[str, ...]
    opened_line: int  # in the reported function, or in the file of ``opened_path`` when that differs
    opened_path: str
    opened_by: str  # "db.get", "get_user: db.get"
    call_site: str  # the application's source at the innermost application frame: ``client.post``


@dataclass
class Observation:
    """Every time one place held a transaction across network calls."""

    site: Site
    library_calls: List[str] = field(default_factory=list)  # in the order first seen
    holds: int = 0  # transactions held there
    calls: int = 0  # network calls made while one was
    tests: List[str] = field(default_factory=list)
    longest_held_s: float = 0.0  # the transaction's age when the network call returned
    longest_call_s: float = 0.0
    begin_stack: List[str] = field(default_factory=list)
    call_stack: List[str] = field(default_factory=list)
    detail: str = ""  # of the first call: "POST http://127.0.0.1:8123/echo"
    _transactions: set = field(default_factory=set, repr=False)


@dataclass
class NetworkSite:
    """A place in the application where a network call was made, held or not: what tells a static
    finding that no test reached from one the tests reached without a hold."""

    path: str
    line: int
    function: str
    library_call: str
    count: int = 0
    held: int = 0  # calls made while a transaction was held (reported here or at a caller)


_scope: contextvars.ContextVar[Optional[Scope]] = contextvars.ContextVar("session_lint_scope", default=None)


class Recorder:
    """The one object the listeners and patches report to."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.open: Dict[Hashable, Transaction] = {}
        self.observations: Dict[tuple, Observation] = {}
        self.network_sites: Dict[tuple, NetworkSite] = {}
        self.test_id = ""  # the test running now (one at a time per process)
        self.transactions_seen = 0
        self.network_calls_seen = 0
        self._lock = threading.Lock()

    # -- scopes ---------------------------------------------------------------------------------

    def enter_test(self, test_id: str) -> contextvars.Token:
        self.test_id = test_id
        return _scope.set(Scope(TEST_SCOPE, test_id))

    def leave_test(self, token: contextvars.Token) -> None:
        leaving = self.test_id
        try:
            _scope.reset(token)
        except ValueError:  # reset from another context: the test's scope simply stops being current
            _scope.set(None)
        # A transaction still open when its test ends (a leaked session, a session-wide fixture)
        # is forgotten: its stack says nothing about the next test.
        with self._lock:
            for key, txn in list(self.open.items()):
                if txn.scope is not None and txn.scope.test_id == leaving:
                    del self.open[key]
                    txn.scope.open.pop(key, None)
        self.test_id = ""

    def enter_request(self) -> Optional[contextvars.Token]:
        """A new scope for a request, unless one is current already (a mounted sub-application)."""
        current = _scope.get()
        if current is not None and current.kind == REQUEST_SCOPE:
            return None
        return _scope.set(Scope(REQUEST_SCOPE, self.test_id))

    def leave_request(self, token: Optional[contextvars.Token]) -> None:
        if token is None:
            return
        try:
            _scope.reset(token)
        except ValueError:
            pass

    # -- transactions ---------------------------------------------------------------------------

    def began(self, key: Hashable, what: str = "begin") -> None:
        if key in self.open and what != "begin":
            return
        scope = _scope.get()
        txn = Transaction(key, time.perf_counter(), stacks.capture(2), scope, what)
        self.transactions_seen += 1
        earlier = self.open.get(key)
        if earlier is not None and earlier.scope is not None:
            # Its end was never seen (a connection invalidated under it): the new one replaces it.
            earlier.scope.open.pop(key, None)
        self.open[key] = txn
        if scope is not None:
            scope.open[key] = txn

    def ended(self, key: Hashable) -> None:
        txn = self.open.pop(key, None)
        if txn is not None and txn.scope is not None:
            txn.scope.open.pop(key, None)

    # -- network calls --------------------------------------------------------------------------

    def candidates(self) -> List[Transaction]:
        """The transactions a network call made here could be holding."""
        scope = _scope.get()
        if scope is not None:
            return list(scope.open.values())
        return [txn for txn in list(self.open.values()) if txn.scope is None]

    def network_call(self, library_call: str, detail: str, started: float, ended: float, stack: Stack,
                     holding: List[Transaction]) -> None:
        """One outermost network call that returned (or raised) at ``ended``. ``holding``: the
        transactions that were open when it started."""
        self.network_calls_seen += 1
        project = [(ref, self.classifier.kind(ref[1].co_filename)) for ref in stack]
        project = [(ref, kind) for ref, kind in project if kind != LIBRARY]
        held_here = set()
        for txn in sorted(holding, key=lambda t: t.began):
            site = self._locate(txn, project, library_call)
            if site is None or (site.path, site.line) in held_here:
                continue  # one hold per place and call, however many records (a savepoint in a session's)
            held_here.add((site.path, site.line))
            self._observe(site, txn, library_call, detail, started, ended, stack)
        self._note_network_site(project, library_call, held_here)

    def reached(self, library_call: str, stack: Stack) -> None:
        """A call that is not a network call but stands where one could (an in-process transport)."""
        project = [(ref, kind) for ref in stack if (kind := self.classifier.kind(ref[1].co_filename)) != LIBRARY]
        self._note_network_site(project, library_call, set())

    def _locate(self, txn: Transaction, project: List[Tuple[FrameRef, str]], library_call: str) -> Optional[Site]:
        """The innermost application function on both the begin stack and the call's stack; for a
        request, when none is (the transaction was opened by a dependency that has returned), the
        application function the framework called. None: the hold is not the application's."""
        begin_keys = txn.frame_keys()
        common_index = None
        for index, (ref, kind) in enumerate(project):
            if (ref[0], ref[1]) in begin_keys:
                common_index = index
                break
        if common_index is not None:
            if project[common_index][1] == TEST:
                return None  # the test itself holds it
            return self._site(txn, project, common_index, library_call)
        if txn.scope is None or txn.scope.kind != REQUEST_SCOPE:
            return None
        entry = self._entry_index(project)
        if entry is None:
            return None
        return self._site(txn, project, entry, library_call)

    def _entry_index(self, project: List[Tuple[FrameRef, str]]) -> Optional[int]:
        """The application frame the framework called last: the handler, not a middleware above
        it (the stack is innermost first, library frames already dropped, so the handler is the
        outermost application frame of the innermost run of them)."""
        found = None
        for index, (_ref, kind) in enumerate(project):
            if kind == APP:
                found = index
            elif found is not None:
                break
        return found

    def _site(self, txn: Transaction, project: List[Tuple[FrameRef, str]], index: int, library_call: str) -> Site:
        ref = project[index][0]
        code = ref[1]
        filename = code.co_filename
        where = stacks.position(ref)
        callees = tuple(stacks.qualname(r[1]).rsplit(".", 1)[-1] for r, kind in reversed(project[:index])
                        if kind == APP)
        innermost_app = next((r for r, kind in project if kind == APP), ref)
        call_site = stacks.callee_text(innermost_app[1].co_filename, stacks.position(innermost_app))
        opened_line, opened_path, opened_by = self._opened(txn, ref, filename)
        return Site(
            path=self.classifier.path(filename),
            line=where.line,
            col=where.col,
            end_line=where.end_line,
            end_col=where.end_col,
            function=code.co_name,
            chain=callees + (library_call,),
            opened_line=opened_line,
            opened_path=opened_path,
            opened_by=opened_by,
            call_site=call_site,
        )

    def _opened(self, txn: Transaction, reported: FrameRef, filename: str) -> Tuple[int, str, str]:
        """Where, seen from the reported function, the transaction began, and what began it."""
        project = self.classifier.project_frames(txn.stack)
        if not project:
            return 0, "", txn.what
        innermost = project[0]
        what = stacks.callee_text(innermost[1].co_filename, stacks.position(innermost)) or txn.what
        same = next((r for r in project if r[0] == reported[0] and r[1] is reported[1]), None)
        if same is not None:
            if same is not innermost:
                what = f"{stacks.qualname(innermost[1]).rsplit('.', 1)[-1]}: {what}"
            return stacks.position(same).line, self.classifier.path(filename), what
        # Opened elsewhere (a dependency that has returned): where the application opened it.
        app = [r for r in project if self.classifier.kind(r[1].co_filename) == APP] or project
        outer = app[-1]
        if outer is not innermost:
            what = f"{stacks.qualname(innermost[1]).rsplit('.', 1)[-1]}: {what}"
        else:
            what = f"{stacks.qualname(outer[1]).rsplit('.', 1)[-1]}: {what}"
        return stacks.position(outer).line, self.classifier.path(outer[1].co_filename), what

    def _observe(self, site: Site, txn: Transaction, library_call: str, detail: str, started: float, ended: float,
                 stack: Stack) -> None:
        # By line, not column: leaving ``with smtplib.SMTP(...)`` sends QUIT from the same line as
        # the connect, and a person reads both as that line's hold.
        key = (site.path, site.line, site.function, site.opened_path, site.opened_line)
        with self._lock:
            seen = self.observations.get(key)
            if seen is None:
                seen = self.observations[key] = Observation(
                    site, begin_stack=stacks.describe(self.classifier, txn.stack),
                    call_stack=stacks.describe(self.classifier, stack), detail=detail)
            if library_call not in seen.library_calls:
                seen.library_calls.append(library_call)
            seen.calls += 1
            if (txn.key, txn.began) not in seen._transactions:
                seen._transactions.add((txn.key, txn.began))
                seen.holds += 1
            test_id = txn.scope.test_id if txn.scope is not None and txn.scope.test_id else self.test_id
            if test_id and test_id not in seen.tests:
                seen.tests.append(test_id)
            seen.longest_held_s = max(seen.longest_held_s, ended - txn.began)
            seen.longest_call_s = max(seen.longest_call_s, ended - started)

    def _note_network_site(self, project: List[Tuple[FrameRef, str]], library_call: str, held_here: set) -> None:
        with self._lock:
            for ref, kind in project:
                if kind != APP:
                    continue
                path = self.classifier.path(ref[1].co_filename)
                line = stacks.position(ref).line
                key = (path, line, library_call)
                site = self.network_sites.get(key)
                if site is None:
                    site = self.network_sites[key] = NetworkSite(path, line, ref[1].co_name, library_call)
                site.count += 1
                if held_here:
                    site.held += 1
