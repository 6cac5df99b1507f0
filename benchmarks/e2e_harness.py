"""Real parts for the end-to-end proof: a throwaway PostgreSQL cluster, the slow backend and the
demo gateway as server processes, a pg_stat_activity sampler, concurrent load, and
``session-lint fix`` run on a copy of the gateway.

Used by ``benchmarks/e2e_pool.py`` (the benchmark) and ``tests/test_e2e_pool.py`` (the test).
Every wait here is bounded, and every process started here is stopped by process group.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_SRC = ROOT / "examples" / "gateway"
POOL_TIMEOUT_DETAIL = "database pool timeout"
HTTP_TOOL_ID = 1
MCP_TOOL_ID = 2


class HarnessError(RuntimeError):
    """A part of the setup could not be started; the message says which and why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- PostgreSQL ---------------------------------------------------------------------------------


def find_postgres_bin() -> Optional[Tuple[Path, Path]]:
    """``initdb`` and ``pg_ctl``: on PATH, else from Debian's versioned folders
    (``/usr/lib/postgresql/15/bin``, not on PATH by default), newest first; None when missing."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb), Path(pg_ctl)
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_key(Path(p).parent.name),
                     reverse=True)
    for folder in map(Path, folders):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder / "initdb", folder / "pg_ctl"
    return None


def _version_key(name: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@dataclass
class Postgres:
    """A PostgreSQL server the run may use: a libpq URL to its ``gateway`` database, and the
    postmaster's pid when this run started it (for memory accounting)."""

    dsn: str
    postmaster_pid: Optional[int] = None

    @property
    def sqlalchemy_url(self) -> str:
        scheme, rest = self.dsn.split("://", 1)
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else self.dsn

    def create_database(self, name: str) -> "Postgres":
        """A new empty database ``name`` on the same server (dropped first if a run before left
        it), so that every arm of a benchmark starts from nothing."""
        base, _db = self.dsn.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return Postgres(f"{base}/{name}", self.postmaster_pid)


@contextmanager
def temporary_postgres(timeout: float = 60.0) -> Iterator[Postgres]:
    """initdb into a temporary folder, ``pg_ctl start`` on a free loopback port (no TCP outside
    127.0.0.1, a private socket folder), a ``gateway`` database; everything removed afterwards.

    As root, initdb refuses to run, so the folder is given to the ``postgres`` user and the
    binaries run through ``runuser``."""
    binaries = find_postgres_bin()
    if binaries is None:
        raise HarnessError("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin")
    initdb, pg_ctl = binaries
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise HarnessError("running as root, and there is no 'postgres' user to run initdb as") from None
    prefix: List[str] = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = Path(tempfile.mkdtemp(prefix="session-lint-pg-"))
    data, sockets, log = tmp / "data", tmp / "sock", tmp / "server.log"

    def pg(*args: str, timeout: float = timeout) -> subprocess.CompletedProcess:
        # cwd: the postgres user may not be allowed into ours.
        return subprocess.run(prefix + list(args), cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)

    def remove() -> None:
        if (data / "postmaster.pid").exists():
            # immediate: the cluster is thrown away, nothing to flush.
            pg(str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=40)
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        sockets.mkdir()
        if as_root:
            shutil.chown(tmp, "postgres")
            shutil.chown(sockets, "postgres")
        result = pg(str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                    "--locale=C")
        if result.returncode != 0:
            raise HarnessError(f"initdb failed ({result.returncode}):\n{result.stdout}")
        # A free port can be taken between our probe and the server's bind: try a few.
        for _attempt in range(3):
            port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} "
                       # A throwaway cluster: durability buys nothing here and costs startup time.
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            result = pg(str(pg_ctl), "-D", str(data), "-l", str(log), "-w", "-t", str(int(timeout)), "-o", options,
                        "start", timeout=timeout + 10)
            if result.returncode == 0:
                break
        else:
            raise HarnessError(f"pg_ctl start failed:\n{result.stdout}\n{_tail(log)}")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True,
                             connect_timeout=10) as conn:
            conn.execute("CREATE DATABASE gateway")
        postmaster_pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except BaseException as exc:
        remove()
        if isinstance(exc, (subprocess.SubprocessError, OSError, psycopg.Error)):
            raise HarnessError(f"could not start PostgreSQL: {exc!r}\n{_tail(log)}") from exc
        raise
    try:
        yield Postgres(f"postgresql://postgres@127.0.0.1:{port}/gateway", postmaster_pid)
    finally:
        remove()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- server processes ---------------------------------------------------------------------------


class ServerProcess:
    """A server in its own process group, started at construction, stopped (the whole group) on
    leaving its ``with`` block. Its output goes to a log file: a pipe nobody reads would fill and
    stall it."""

    def __init__(self, name: str, cmd: Sequence[str], cwd: Path, env: Dict[str, str], log_dir: Path,
                 port: int, ready_path: Optional[str]) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ready_path = ready_path
        self.log = log_dir / f"{name}.log"
        self._log_fh = self.log.open("wb")
        self.proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=self._log_fh, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def wait_until_serving(self, timeout: float = 30.0) -> "ServerProcess":
        """Until ``GET ready_path`` answers 200 (with no path: the port accepts connections)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"{self.name} exited with {self.proc.returncode}:\n{_tail(self.log)}")
            try:
                if self.ready_path is None:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return self
                elif httpx.get(self.url + self.ready_path, timeout=2, trust_env=False).status_code == 200:
                    return self
            except (OSError, httpx.HTTPError):
                pass
            time.sleep(0.1)
        raise HarnessError(f"{self.name} not serving on port {self.port} after {timeout:.0f} s:\n{_tail(self.log)}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
        try:
            # Whatever else the server started in its group goes with it.
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log_fh.close()


def child_env(extra: Dict[str, str]) -> Dict[str, str]:
    """This process's environment for a server it starts, plus ``extra``."""
    env = dict(os.environ)
    # The copies under test must not grow __pycache__ folders in the repository's example.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Every request here is to loopback; a CI machine's proxy settings must not reroute them.
    for var in ("NO_PROXY", "no_proxy"):
        env[var] = ",".join(filter(None, [env.get(var, ""), "127.0.0.1", "localhost"]))
    env.update(extra)
    return env


def start_backend(delay: float, log_dir: Path) -> ServerProcess:
    """The slow backend (plain HTTP ``/echo`` and MCP ``/mcp``) on a free port."""
    port = free_port()
    return ServerProcess("backend", [sys.executable, str(GATEWAY_SRC / "slow_backend.py"), "--port", str(port),
                                     "--delay", str(delay)], GATEWAY_SRC, child_env({}), log_dir, port, None)


def start_gateway(app_dir: Path, postgres: Postgres, backend_url: str, log_dir: Path, name: str) -> ServerProcess:
    """The gateway in ``app_dir`` under uvicorn on a free port. Its connections carry ``name`` as
    their application_name, which is what ``ActivitySampler(dsn, name)`` counts."""
    port = free_port()
    env = child_env({"GATEWAY_DATABASE_URL": postgres.sqlalchemy_url, "GATEWAY_BACKEND_URL": backend_url,
                     "GATEWAY_APPLICATION_NAME": name})
    return ServerProcess(name, [sys.executable, "-m", "uvicorn", "gateway_app.main:app", "--app-dir", str(app_dir),
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                                "--no-access-log"], app_dir, env, log_dir, port, "/healthz")


# -- the fix ------------------------------------------------------------------------------------


@dataclass
class FixRun:
    fix_output: str
    check_output: str
    check_status: int


def copy_gateway(dest: Path) -> Path:
    shutil.copytree(GATEWAY_SRC, dest, ignore=shutil.ignore_patterns("__pycache__", ".session-lint-cache"))
    return dest


def run_fix(app_dir: Path, timeout: float = 120.0) -> FixRun:
    """``session-lint fix`` on ``app_dir`` (its own pyproject.toml configures it), then
    ``session-lint check`` on the result. Raises when ``fix`` itself fails."""
    cli = [sys.executable, "-m", "session_lint"]
    fixed = subprocess.run(cli + ["fix", "--no-cache", "."], cwd=app_dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if fixed.returncode not in (0, 1):
        raise HarnessError(f"session-lint fix failed ({fixed.returncode}):\n{fixed.stdout}")
    checked = subprocess.run(cli + ["check", "--no-cache", "."], cwd=app_dir, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return FixRun(fixed.stdout, checked.stdout, checked.returncode)


# -- pg_stat_activity ---------------------------------------------------------------------------


# A connection that is idle in transaction for a few hundred microseconds, between a short-lived
# session's SELECT and its COMMIT, is a transaction at work; one idle for this long is waiting on
# something other than the database. The backend's delay is far longer.
HELD_THRESHOLD_S = 0.1
# The real gateway does more database work per request than the demo (auth, metrics, logs), so a
# busy event loop alone can leave a connection idle for a few hundred milliseconds; idle for a
# second is waiting on the backend, whose delay there is longer.
LONG_HELD_THRESHOLD_S = 1.0
SAMPLER_APPLICATION_NAME = "session-lint-e2e-sampler"

_ACTIVITY_SQL = """
SELECT
    count(*) FILTER (WHERE state = 'idle in transaction'),
    count(*) FILTER (WHERE state = 'idle in transaction' AND clock_timestamp() - state_change >= %(held)s),
    count(*) FILTER (WHERE state = 'idle in transaction' AND clock_timestamp() - state_change >= %(long)s),
    coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)), 0),
    count(*)
FROM pg_stat_activity
WHERE (%(app)s::text IS NULL OR application_name = %(app)s) AND datname = current_database()
    AND pid <> pg_backend_pid()
"""


_HELD_QUERIES_SQL = """
SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
FROM pg_stat_activity
WHERE (%(app)s::text IS NULL OR application_name = %(app)s) AND datname = current_database()
    AND pid <> pg_backend_pid() AND state = 'idle in transaction'
    AND clock_timestamp() - state_change >= %(long)s
"""


@dataclass
class ActivityStats:
    samples: int = 0
    idle_in_txn_max: int = 0  # held longer than HELD_THRESHOLD_S
    idle_in_txn_any_max: int = 0  # any, however briefly
    idle_in_txn_long_max: int = 0  # held longer than LONG_HELD_THRESHOLD_S
    oldest_txn_s: float = 0.0
    connections_max: int = 0
    # The last statement of connections held longer than LONG_HELD_THRESHOLD_S, by samples seen:
    # where the hold began.
    held_queries: Dict[str, int] = field(default_factory=dict)


class ActivitySampler:
    """Polls pg_stat_activity for the connections named ``application_name`` (one gateway's; None:
    every other connection to the database of ``dsn``) on its own thread and connection, keeping
    the maxima; ``stop()`` ends it within one interval."""

    def __init__(self, dsn: str, application_name: Optional[str], interval: float = 0.05) -> None:
        self.dsn = dsn
        self.application_name = application_name
        self.interval = interval
        self.stats = ActivityStats()
        self._stop = threading.Event()
        self._error: Optional[BaseException] = None
        self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10,
                                     application_name=SAMPLER_APPLICATION_NAME)
        self._thread = threading.Thread(target=self._run, name="pg-activity-sampler", daemon=True)

    def __enter__(self) -> "ActivitySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self) -> None:
        params = {"held": f"{HELD_THRESHOLD_S} seconds", "long": f"{LONG_HELD_THRESHOLD_S} seconds",
                  "app": self.application_name}
        try:
            while not self._stop.is_set():
                idle_any, idle_held, idle_long, oldest, total = self._conn.execute(_ACTIVITY_SQL, params).fetchone()
                s = self.stats
                s.samples += 1
                s.idle_in_txn_any_max = max(s.idle_in_txn_any_max, idle_any)
                s.idle_in_txn_max = max(s.idle_in_txn_max, idle_held)
                s.idle_in_txn_long_max = max(s.idle_in_txn_long_max, idle_long)
                s.oldest_txn_s = max(s.oldest_txn_s, float(oldest))
                s.connections_max = max(s.connections_max, total)
                if idle_long:
                    for (query,) in self._conn.execute(_HELD_QUERIES_SQL, params).fetchall():
                        s.held_queries[query] = s.held_queries.get(query, 0) + 1
                self._stop.wait(self.interval)
        except BaseException as exc:  # surfaced by stop(): a sampler that died silently would read as "0 held"
            self._error = exc

    def stop(self) -> ActivityStats:
        self._stop.set()
        self._thread.join(timeout=10)
        self._conn.close()
        if self._error is not None:
            raise HarnessError(f"pg_stat_activity sampler failed: {self._error!r}") from self._error
        return self.stats


# -- memory -------------------------------------------------------------------------------------


def _children_by_parent() -> Dict[int, List[int]]:
    tree: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(roots: Sequence[int]) -> int:
    """Sum of the resident sets of ``roots`` and all their descendants. Shared pages (PostgreSQL's
    shared buffers, libraries) count once per process, so this overstates real use."""
    tree = _children_by_parent()
    seen, stack, total = set(), list(roots), 0
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_bytes(pid)
        stack.extend(tree.get(pid, ()))
    return total


class MemoryWatch:
    """Samples ``tree_rss`` of this process (and PostgreSQL's postmaster, which is not our
    descendant once ``pg_ctl`` has returned) every ``interval`` seconds; ``peak`` is the largest."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.extra_roots: List[int] = []
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        if sys.platform.startswith("linux"):
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss([os.getpid(), *self.extra_roots]))
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return self.peak


# -- load ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to the gateway: which handler, and its JSON body."""

    path: str
    body: Dict[str, Any]


@dataclass
class Outcome:
    call: Call
    status: Optional[int]  # None: no HTTP answer (timeout, connection error)
    body: Any
    latency_s: float


def http_call(n: int, tool_id: int = HTTP_TOOL_ID) -> Call:
    return Call(f"/tools/{tool_id}/invoke", {"text": f"request {n}"})


def mcp_call(n: int, tool_id: int = MCP_TOOL_ID) -> Call:
    return Call(f"/tools/{tool_id}/call", {"text": f"request {n}"})


def mixed_calls() -> Iterator[Call]:
    """Endless plain-HTTP and MCP requests, alternating."""
    for n in itertools.count():
        yield http_call(n) if n % 2 == 0 else mcp_call(n)


async def _send(client: httpx.AsyncClient, call: Call) -> Outcome:
    start = time.perf_counter()
    try:
        resp = await client.post(call.path, json=call.body)
    except httpx.HTTPError as exc:
        return Outcome(call, None, type(exc).__name__, time.perf_counter() - start)
    try:
        body: Any = resp.json()
    except ValueError:
        body = resp.text
    return Outcome(call, resp.status_code, body, time.perf_counter() - start)


async def send_together(base_url: str, calls: Sequence[Call], timeout: float = 30.0,
                        headers: Optional[Dict[str, str]] = None) -> List[Outcome]:
    """Every call at once; outcomes in the order of ``calls``."""
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False, headers=headers,
                                 limits=httpx.Limits(max_connections=len(calls) or 1)) as client:
        return list(await asyncio.gather(*(_send(client, c) for c in calls)))


async def sustained_load(base_url: str, concurrency: int, duration: float, timeout: float = 15.0,
                         calls: Optional[Iterator[Call]] = None,
                         headers: Optional[Dict[str, str]] = None) -> Tuple[List[Outcome], float]:
    """``concurrency`` clients, each sending its next request (from ``calls``; the demo's
    ``mixed_calls()`` by default) as soon as the last one is answered, for ``duration`` seconds;
    requests in flight then are finished (at most ``timeout`` more). Returns the outcomes and the
    wall time."""
    calls = calls if calls is not None else mixed_calls()
    outcomes: List[Outcome] = []
    start = time.perf_counter()
    deadline = start + duration

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            outcomes.append(await _send(client, next(calls)))

    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False, headers=headers,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.wait_for(asyncio.gather(*(client_loop(client) for _ in range(concurrency))),
                               timeout=duration + timeout + 5)
    return outcomes, time.perf_counter() - start


@dataclass
class LoadSummary:
    requests: int
    ok: int
    errors: int  # any request not served (by default: without a 2xx answer)
    pool_timeout_answers: int  # the gateway's 503 for a pool it waited on in vain, as received
    p50_s: float
    p99_s: float
    throughput: float  # ok requests per second of wall time


def http_ok(outcome: Outcome) -> bool:
    return outcome.status is not None and 200 <= outcome.status < 300


def summarize(outcomes: Sequence[Outcome], wall_s: float, is_ok: Callable[[Outcome], bool] = http_ok) -> LoadSummary:
    """``is_ok`` decides what counts as served: for a JSON-RPC endpoint that answers errors with
    HTTP 200, a 2xx alone is not."""
    ok = sum(1 for o in outcomes if is_ok(o))
    pool = sum(1 for o in outcomes if o.status == 503 and isinstance(o.body, dict)
               and o.body.get("detail") == POOL_TIMEOUT_DETAIL)
    latencies = sorted(o.latency_s for o in outcomes)
    return LoadSummary(
        requests=len(outcomes),
        ok=ok,
        errors=len(outcomes) - ok,
        pool_timeout_answers=pool,
        p50_s=_percentile(latencies, 50),
        p99_s=_percentile(latencies, 99),
        throughput=ok / wall_s if wall_s > 0 else 0.0,
    )


def _percentile(sorted_values: Sequence[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(pct) - 1]


def wait_until_idle(base_url: str, timeout: float) -> Optional[float]:
    """Seconds until the gateway answers ``/stats`` with no request in flight but that one, or
    None if it has not within ``timeout``. A gateway whose event loop is stuck answers late."""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        try:
            stats = httpx.get(f"{base_url}/stats", timeout=max(0.5, deadline - time.monotonic()),
                              trust_env=False).json()
            if stats["in_flight"] <= 1:
                return time.monotonic() - start
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    return None


def pool_timeouts_logged(server: ServerProcess) -> int:
    """How many pool timeouts the gateway logged. A client that gave up first never sees the
    503, so the log is the count that does not depend on the client's patience."""
    try:
        return server.log.read_text(errors="replace").count(POOL_TIMEOUT_DETAIL)
    except OSError:
        return 0


@dataclass
class PhaseResult:
    activity: ActivityStats
    load: Optional[LoadSummary] = None
    outcomes: List[Outcome] = field(default_factory=list)
    pool_timeouts: int = 0  # logged by the gateway
    drain_s: Optional[float] = None  # after the load, until nothing was in flight; None: not within the bound
