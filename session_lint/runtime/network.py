"""Network calls: the table of what is patched, and the one wrapper every patch goes through.

Each row names a library function or method by module, owner and attribute, says whether it is a
coroutine function, and how to tell a call that stays in the process (a test client calling into
the app) from one that leaves it. The table is data on purpose: the static catalogue of network
libraries (``session_lint.knowledge.catalogue``) can add rows to it without touching the wrapper.

Only the outermost network call is reported: ``requests`` opening a socket is one call, not two.
The catch-all rows (``socket.create_connection``, ``asyncio.open_connection``,
``loop.create_connection``) see what no row names, and ignore the database drivers' own
connections (connect, reconnect, pre-ping), which the table recognises by the modules on the
stack.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import inspect
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

from session_lint.runtime import stacks
from session_lint.runtime.recorder import Recorder


def _httpx_request(args: tuple, kwargs: dict) -> str:
    request = args[1] if len(args) > 1 else kwargs.get("request")
    return f"{getattr(request, 'method', '')} {getattr(request, 'url', '')}".strip()


# The transports that call the application in-process: httpx's own for ASGI and WSGI apps, and
# Starlette's TestClient (which FastAPI's re-exports).
_IN_PROCESS_TRANSPORTS = ("ASGITransport", "WSGITransport", "_TestClientTransport")


def _httpx_in_process(args: tuple, kwargs: dict) -> bool:
    client, request = args[0], (args[1] if len(args) > 1 else kwargs.get("request"))
    try:
        transport = client._transport_for_url(request.url)
    except Exception:
        transport = getattr(client, "_transport", None)
    return type(transport).__name__ in _IN_PROCESS_TRANSPORTS


def _aiohttp_request(args: tuple, kwargs: dict) -> str:
    method = args[1] if len(args) > 1 else kwargs.get("method", "")
    url = args[2] if len(args) > 2 else kwargs.get("str_or_url", "")
    return f"{method} {url}".strip()


def _requests_request(args: tuple, kwargs: dict) -> str:
    request = args[1] if len(args) > 1 else kwargs.get("request")
    return f"{getattr(request, 'method', '')} {getattr(request, 'url', '')}".strip()


def _smtp_host(args: tuple, kwargs: dict) -> str:
    host = args[1] if len(args) > 1 else kwargs.get("host", "")
    port = args[2] if len(args) > 2 else kwargs.get("port", "")
    if isinstance(host, str) and ":" in host and not port:
        return host
    return f"{host}:{port}" if port else str(host)


def _smtp_connected(args: tuple, kwargs: dict) -> str:
    sock = getattr(args[0], "sock", None)
    try:
        host, port = sock.getpeername()[:2]
        return f"{host}:{port}"
    except Exception:
        return ""


def _address(args: tuple, kwargs: dict) -> str:
    address = args[0] if args else kwargs.get("address")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address or "")


def _host_port(args: tuple, kwargs: dict) -> str:
    host = args[0] if args else kwargs.get("host")
    port = args[1] if len(args) > 1 else kwargs.get("port")
    return f"{host}:{port}"


def _loop_host_port(args: tuple, kwargs: dict) -> str:
    return _host_port(args[2:], kwargs)


@dataclass(frozen=True)
class NetworkCall:
    """One patched function: ``module.owner.attribute`` (``owner`` empty for a module function),
    reported as ``label``."""

    module: str
    owner: str
    attribute: str
    label: str
    is_async: bool
    describe: Optional[Callable[[tuple, dict], str]] = None
    in_process: Optional[Callable[[tuple, dict], bool]] = None
    # A catch-all: a database driver connecting through it is the driver's business.
    catch_all: bool = False


NETWORK_CALLS: Tuple[NetworkCall, ...] = (
    # httpx: every request of a client goes through send, so a mocked transport (MockTransport,
    # respx) still counts: the code under test made the call, and in production it leaves.
    NetworkCall("httpx", "Client", "send", "httpx.Client.send", False, _httpx_request, _httpx_in_process),
    NetworkCall("httpx", "AsyncClient", "send", "httpx.AsyncClient.send", True, _httpx_request, _httpx_in_process),
    NetworkCall("aiohttp", "ClientSession", "_request", "aiohttp.ClientSession.request", True, _aiohttp_request),
    NetworkCall("aiohttp", "ClientSession", "_ws_connect", "aiohttp.ClientSession.ws_connect", True, _aiohttp_request),
    NetworkCall("requests", "Session", "send", "requests.Session.send", False, _requests_request),
    # smtplib connects in the constructor (through connect) or in connect, then talks per command.
    NetworkCall("smtplib", "SMTP", "connect", "smtplib.SMTP.connect", False, _smtp_host),
    NetworkCall("smtplib", "SMTP", "sendmail", "smtplib.SMTP.sendmail", False, _smtp_connected),
    NetworkCall("smtplib", "SMTP", "send_message", "smtplib.SMTP.send_message", False, _smtp_connected),
    # Every command on an open connection (libraries such as ``emails`` drive the protocol themselves).
    NetworkCall("smtplib", "SMTP", "send", "smtplib.SMTP.send", False, _smtp_connected),
    NetworkCall("aiosmtplib", "SMTP", "connect", "aiosmtplib.SMTP.connect", True),
    NetworkCall("aiosmtplib", "SMTP", "send_message", "aiosmtplib.SMTP.send_message", True),
    NetworkCall("socket", "", "create_connection", "socket.create_connection", False, _address, catch_all=True),
    NetworkCall("asyncio", "", "open_connection", "asyncio.open_connection", True, _host_port, catch_all=True),
    NetworkCall("asyncio.base_events", "BaseEventLoop", "create_connection", "asyncio.loop.create_connection", True,
                _loop_host_port, catch_all=True),
)

# Modules whose network connections are the database's: drivers, and SQLAlchemy's pool (connect,
# reconnect after invalidation, pre-ping). Caches are left out as the static catalogue leaves
# them out by default (SPEC section 2): a cache round trip is not the slow call this is about.
DATABASE_MODULES: Tuple[str, ...] = (
    "sqlalchemy", "psycopg", "psycopg2", "psycopg_pool", "asyncpg", "pymysql", "aiomysql", "MySQLdb",
    "mysql.connector", "aiopg", "pg8000", "oracledb", "cx_Oracle", "pyodbc", "aioodbc", "asyncmy",
    "redis", "aioredis", "pymemcache", "aiomcache",
)

# Calls that run a function in a worker thread and copy the caller's context into it. The thread's
# stack starts at its bootstrap, so the caller's stack is handed over in a context variable: a
# network call in the thread is then made from the line that awaits the thread.
THREAD_HOPS: Tuple[Tuple[str, str], ...] = (("asyncio", "to_thread"), ("asyncio.threads", "to_thread"))
_thread_caller: contextvars.ContextVar[stacks.Stack] = contextvars.ContextVar("session_lint_thread_caller",
                                                                             default=())

# Set while an outermost network call runs: calls inside it (the socket under requests) are its own.
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("session_lint_inside_network_call", default=False)


_DRIVER_MODULE: dict = {}


def _is_database_module(name: str) -> bool:
    try:
        return _DRIVER_MODULE[name]
    except KeyError:
        found = _DRIVER_MODULE[name] = any(name == m or name.startswith(m + ".") for m in DATABASE_MODULES)
        return found


def _from_database_driver(skip: int) -> bool:
    frame = sys._getframe(skip)
    while frame is not None:
        if _is_database_module(frame.f_globals.get("__name__", "")):
            return True
        frame = frame.f_back
    # A driver may connect in a task of its own (``asyncio.wait_for`` wraps the connect in one on
    # Python 3.11): then the driver is in the task waiting on this one.
    return any(_in_database_package(ref[1].co_filename) for ref in stacks.awaiting_tasks_stack())


_DRIVER_FOLDERS = tuple(f"{os.sep}{m.split('.')[0]}{os.sep}" for m in DATABASE_MODULES)


def _in_database_package(filename: str) -> bool:
    return any(folder in filename for folder in _DRIVER_FOLDERS)


def _call_stack(holding: list) -> stacks.Stack:
    """The caller's stack; with transactions open, also the tasks awaiting this one (a walk over
    the loop's tasks, paid only then)."""
    own = stacks.capture(3) + _thread_caller.get()
    return own + stacks.awaiting_tasks_stack() if holding else own


def _thread_hop(original: Any) -> Any:
    @functools.wraps(original)
    async def hop(*args: Any, **kwargs: Any) -> Any:
        token = _thread_caller.set(stacks.capture(2) + stacks.awaiting_tasks_stack() + _thread_caller.get())
        try:
            return await original(*args, **kwargs)
        finally:
            try:
                _thread_caller.reset(token)
            except ValueError:
                pass

    hop.__session_lint_row__ = "thread hop"
    return hop


class NetworkPatches:
    """Installs a wrapper on every row of the table whose library is installed."""

    def __init__(self, recorder: Recorder, table: Sequence[NetworkCall] = NETWORK_CALLS) -> None:
        self.recorder = recorder
        self.table = tuple(table)
        self._installed: List[Tuple[Any, str, Any]] = []

    def install(self) -> None:
        for row in self.table:
            try:
                module = importlib.import_module(row.module)
            except Exception:  # not installed, or fails to import here: nothing to watch
                continue
            owner = getattr(module, row.owner, None) if row.owner else module
            if owner is None:
                continue
            original = inspect.getattr_static(owner, row.attribute, None)
            if original is None or getattr(original, "__session_lint_row__", None) is not None:
                continue
            wrapper = self._wrap(row, original)
            setattr(owner, row.attribute, wrapper)
            self._installed.append((owner, row.attribute, original))
            if row.module == "asyncio" and not row.owner and row.attribute == "open_connection":
                # ``asyncio.open_connection`` is re-exported from asyncio.streams.
                streams = importlib.import_module("asyncio.streams")
                if getattr(streams, row.attribute, None) is original:
                    setattr(streams, row.attribute, wrapper)
                    self._installed.append((streams, row.attribute, original))

        for module_name, attribute in THREAD_HOPS:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute, None)
            if original is None or getattr(original, "__session_lint_row__", None) is not None:
                continue
            setattr(module, attribute, _thread_hop(original))
            self._installed.append((module, attribute, original))

    def uninstall(self) -> None:
        while self._installed:
            owner, attribute, original = self._installed.pop()
            setattr(owner, attribute, original)

    def _wrap(self, row: NetworkCall, original: Any) -> Any:
        recorder = self.recorder
        function = original.__func__ if isinstance(original, (staticmethod, classmethod)) else original

        def skipped(args: tuple, kwargs: dict) -> bool:
            if _inside.get():
                return True
            if row.in_process is not None:
                try:
                    in_process = row.in_process(args, kwargs)
                except Exception:
                    in_process = False
                if in_process:
                    # Not a network call, but the application line it came from was reached: a
                    # static finding there is exercised, and shown to be about an in-process call.
                    recorder.reached(row.label + " (in process)", stacks.capture(3))
                    return True
            return row.catch_all and _from_database_driver(3)

        def describe(args: tuple, kwargs: dict) -> str:
            if row.describe is None:
                return ""
            try:
                return row.describe(args, kwargs)
            except Exception:
                return ""

        if row.is_async:
            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if skipped(args, kwargs):
                    return await function(*args, **kwargs)
                holding = recorder.candidates()
                token = _inside.set(True)
                started = time.perf_counter()
                stack = _call_stack(holding)
                try:
                    return await function(*args, **kwargs)
                finally:
                    ended = time.perf_counter()
                    try:
                        _inside.reset(token)
                    except ValueError:
                        _inside.set(False)
                    recorder.network_call(row.label, describe(args, kwargs), started, ended, stack, holding)

            wrapper: Any = async_wrapper
        else:
            @functools.wraps(function)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                if skipped(args, kwargs):
                    return function(*args, **kwargs)
                holding = recorder.candidates()
                token = _inside.set(True)
                started = time.perf_counter()
                stack = _call_stack(holding)
                try:
                    return function(*args, **kwargs)
                finally:
                    ended = time.perf_counter()
                    _inside.reset(token)
                    recorder.network_call(row.label, describe(args, kwargs), started, ended, stack, holding)

            wrapper = sync_wrapper
        wrapper.__session_lint_row__ = row
        if isinstance(original, staticmethod):
            return staticmethod(wrapper)
        if isinstance(original, classmethod):
            return classmethod(wrapper)
        return wrapper
