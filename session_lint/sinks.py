"""What counts as a slow operation on another host, by the qualified name of what is called.

Front ends resolve each call to a qualified name from what its receiver is bound to (imports,
constructor calls, annotations), then ask :func:`SinkTable.kind`. Names, not variable names, decide:
an MCP ``ClientSession`` called ``session`` is a sink, an ``AsyncSession`` called ``client`` is not.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Dict, Iterable, List, Optional, Sequence, Tuple


class Kind(enum.Enum):
    AWAIT = "await"  # awaiting the call waits on another host
    CONTEXT = "context"  # entering ``async with`` on the call waits on another host
    ITERATE = "iterate"  # ``async for`` over it waits on another host
    BLOCKING = "blocking"  # a synchronous network call
    WRAPPER = "wrapper"  # awaits the awaitables it is given (gather, wait_for, shield)
    THREAD = "thread"  # runs a function in a worker thread and awaits it
    TASK = "task"  # schedules a coroutine; whoever awaits the task waits on it
    TASK_GROUP = "task_group"  # ``async with`` that awaits its tasks at exit
    NOT_SINK = "not_sink"


_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

_BUILTIN: Tuple[Tuple[str, Kind], ...] = (
    # Explicit non-sinks first: the first match wins.
    ("asyncio.sleep", Kind.NOT_SINK),
    ("asyncio.Lock*", Kind.NOT_SINK),
    ("asyncio.Semaphore*", Kind.NOT_SINK),
    ("asyncio.BoundedSemaphore*", Kind.NOT_SINK),
    ("asyncio.Event*", Kind.NOT_SINK),
    ("asyncio.Condition*", Kind.NOT_SINK),
    ("asyncio.Queue*", Kind.NOT_SINK),
    ("anyio.sleep", Kind.NOT_SINK),
    # httpx
    *((f"httpx.AsyncClient.{v}", Kind.AWAIT) for v in _HTTP_VERBS),
    ("httpx.AsyncClient.send", Kind.AWAIT),
    ("httpx.AsyncClient.stream", Kind.CONTEXT),
    ("httpx.Response.aread", Kind.AWAIT),
    ("httpx.Response.aiter_*", Kind.ITERATE),
    *((f"httpx.Client.{v}", Kind.BLOCKING) for v in _HTTP_VERBS),
    ("httpx.Client.send", Kind.BLOCKING),
    ("httpx.Client.stream", Kind.BLOCKING),
    *((f"httpx.{v}", Kind.BLOCKING) for v in _HTTP_VERBS),
    ("httpx.stream", Kind.BLOCKING),
    # aiohttp: the request methods are awaited or entered
    *((f"aiohttp.ClientSession.{v}", Kind.AWAIT) for v in _HTTP_VERBS),
    ("aiohttp.ClientSession.ws_connect", Kind.AWAIT),
    ("aiohttp.request", Kind.CONTEXT),
    ("aiohttp.ClientResponse.json", Kind.AWAIT),
    ("aiohttp.ClientResponse.text", Kind.AWAIT),
    ("aiohttp.ClientResponse.read", Kind.AWAIT),
    ("aiohttp.ClientResponse.content", Kind.ITERATE),
    ("aiohttp.ClientResponse.content.*", Kind.ITERATE),
    ("aiohttp.ClientWebSocketResponse.receive*", Kind.AWAIT),
    ("aiohttp.ClientWebSocketResponse.send_*", Kind.AWAIT),
    # the MCP SDK
    ("mcp.ClientSession.*", Kind.AWAIT),
    ("mcp.client.streamable_http.streamablehttp_client", Kind.CONTEXT),
    ("mcp.client.streamable_http.streamable_http_client", Kind.CONTEXT),
    ("mcp.client.sse.sse_client", Kind.CONTEXT),
    ("mcp.client.websocket.websocket_client", Kind.CONTEXT),
    ("mcp.client.stdio.stdio_client", Kind.CONTEXT),
    ("fastmcp.Client.*", Kind.AWAIT),
    # other hosts
    ("websockets.connect", Kind.CONTEXT),
    ("websockets.client.connect", Kind.CONTEXT),
    ("aiosmtplib.send", Kind.AWAIT),
    ("aiosmtplib.SMTP", Kind.CONTEXT),
    ("aiosmtplib.SMTP.*", Kind.AWAIT),
    ("requests.Session.close", Kind.NOT_SINK),
    *((f"requests.{v}", Kind.BLOCKING) for v in _HTTP_VERBS),
    *((f"requests.Session.{v}", Kind.BLOCKING) for v in _HTTP_VERBS),
    ("requests.Session.send", Kind.BLOCKING),
    ("smtplib.SMTP", Kind.BLOCKING),
    ("smtplib.SMTP_SSL", Kind.BLOCKING),
    ("smtplib.SMTP.*", Kind.BLOCKING),
    ("smtplib.SMTP_SSL.*", Kind.BLOCKING),
    ("urllib.request.urlopen", Kind.BLOCKING),
    ("urllib.request.OpenerDirector.open", Kind.BLOCKING),
    ("urllib3.request", Kind.BLOCKING),
    ("urllib3.PoolManager.request*", Kind.BLOCKING),
    # wrappers
    ("asyncio.gather", Kind.WRAPPER),
    ("asyncio.wait_for", Kind.WRAPPER),
    ("asyncio.shield", Kind.WRAPPER),
    ("asyncio.wait", Kind.WRAPPER),
    ("asyncio.to_thread", Kind.THREAD),
    ("asyncio.AbstractEventLoop.run_in_executor", Kind.THREAD),
    ("anyio.to_thread.run_sync", Kind.THREAD),
    ("starlette.concurrency.run_in_threadpool", Kind.THREAD),
    ("fastapi.concurrency.run_in_threadpool", Kind.THREAD),
    ("asyncio.create_task", Kind.TASK),
    ("asyncio.ensure_future", Kind.TASK),
    ("asyncio.AbstractEventLoop.create_task", Kind.TASK),
    ("asyncio.TaskGroup.create_task", Kind.TASK),
    ("anyio.abc.TaskGroup.start_soon", Kind.TASK),
    ("asyncio.TaskGroup", Kind.TASK_GROUP),
    ("anyio.create_task_group", Kind.TASK_GROUP),
)

# Different import paths of the same thing, mapped to the one name the table uses.
CANONICAL: Dict[str, str] = {
    "mcp.client.session.ClientSession": "mcp.ClientSession",
    "mcp.client.ClientSession": "mcp.ClientSession",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "aiohttp.client_reqrep.ClientResponse": "aiohttp.ClientResponse",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "httpx._client.Client": "httpx.Client",
    "requests.sessions.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.api": "requests",
    "asyncio.tasks": "asyncio",
    "asyncio.locks": "asyncio",
    "asyncio.queues": "asyncio",
    "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
    "anyio.abc._tasks.TaskGroup": "anyio.abc.TaskGroup",
    "fastmcp.client.Client": "fastmcp.Client",
    "fastmcp.client.client.Client": "fastmcp.Client",
}

# What calling (or entering) a known thing gives back, so that ``resp.json()`` on the result of
# ``session.get(...)`` resolves. Keys are canonical qualified names.
RETURNS: Dict[str, str] = {
    **{f"aiohttp.ClientSession.{v}": "aiohttp.ClientResponse" for v in _HTTP_VERBS},
    "aiohttp.ClientSession.ws_connect": "aiohttp.ClientWebSocketResponse",
    "aiohttp.request": "aiohttp.ClientResponse",
    **{f"httpx.AsyncClient.{v}": "httpx.Response" for v in _HTTP_VERBS},
    "httpx.AsyncClient.send": "httpx.Response",
    "httpx.AsyncClient.stream": "httpx.Response",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "anyio.create_task_group": "anyio.abc.TaskGroup",
    "logging.getLogger": "logging.Logger",
    "requests.Session": "requests.Session",
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
    "urllib3.PoolManager": "urllib3.PoolManager",
}

# Classes whose instances the analysis tracks: calling one of these gives an instance of it.
CLASSES = frozenset(
    {
        "httpx.AsyncClient",
        "httpx.Client",
        "aiohttp.ClientSession",
        "mcp.ClientSession",
        "fastmcp.Client",
        "aiosmtplib.SMTP",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "requests.Session",
        "asyncio.TaskGroup",
        "asyncio.Lock",
        "asyncio.Semaphore",
        "asyncio.Event",
        "asyncio.Queue",
        "urllib3.PoolManager",
    }
)

# Calls known not to use a session passed to them.
NON_USERS = frozenset(
    {
        "isinstance",
        "issubclass",
        "id",
        "type",
        "repr",
        "str",
        "print",
        "hasattr",
        "callable",
        "bool",
        "fastapi.Depends",
        "logging.Logger.*",
        "logging.*",
    }
)


@functools.lru_cache(maxsize=65536)
def canonical(qualname: str) -> str:
    """The table's name for ``qualname`` (``mcp.client.session.ClientSession.call_tool`` ->
    ``mcp.ClientSession.call_tool``)."""
    parts = qualname.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in CANONICAL:
            return ".".join([CANONICAL[head], *parts[cut:]])
    return qualname


@dataclass(frozen=True)
class SinkTable:
    """The built-in table plus the project's configured patterns (``fnmatch`` syntax)."""

    extra_sinks: Tuple[str, ...] = ()
    extra_blocking: Tuple[str, ...] = ()
    non_sinks: Tuple[str, ...] = ()
    # Answers so far: a project asks about the same few thousand names over and over, and each
    # first answer tries every pattern of the table.
    _memo: Dict[Tuple[str, ...], Optional[Kind]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def kind(self, names: Sequence[str]) -> Optional[Kind]:
        """The kind of the first of ``names`` (a resolved qualified name, then the source text)
        that any rule matches."""
        key = tuple(names)
        try:
            return self._memo[key]
        except KeyError:
            found = self._memo[key] = self._kind(key)
            return found

    def _kind(self, names: Sequence[str]) -> Optional[Kind]:
        for name in names:
            if not name:
                continue
            if _matches(name, self.non_sinks):
                return Kind.NOT_SINK
            if _matches(name, self.extra_blocking):
                return Kind.BLOCKING
            if _matches(name, self.extra_sinks):
                return Kind.AWAIT
        for name in names:
            if not name:
                continue
            name = canonical(name)
            for pattern, kind in _candidates(name):
                if fnmatchcase(name, pattern):
                    return kind
        return None


def _first_segment(pattern: str) -> Optional[str]:
    head = pattern.split(".", 1)[0]
    return None if any(c in head for c in "*?[") else head


# The built-in patterns by their first dotted segment (all are literal there): a name is only
# tried against the few patterns of its own package, in the table's order.
_BY_SEGMENT: Dict[Optional[str], List[Tuple[int, str, Kind]]] = {}
for _index, (_pattern, _kind) in enumerate(_BUILTIN):
    _BY_SEGMENT.setdefault(_first_segment(_pattern), []).append((_index, _pattern, _kind))


def _candidates(name: str) -> List[Tuple[str, Kind]]:
    found = _BY_SEGMENT.get(name.split(".", 1)[0], []) + _BY_SEGMENT.get(None, [])
    return [(pattern, kind) for _index, pattern, kind in sorted(found)]


@functools.lru_cache(maxsize=16)
def sink_table(extra_sinks: Tuple[str, ...] = (), extra_blocking: Tuple[str, ...] = (),
               non_sinks: Tuple[str, ...] = ()) -> SinkTable:
    """The table for these settings, one per run: it remembers its answers."""
    return SinkTable(tuple(extra_sinks), tuple(extra_blocking), tuple(non_sinks))


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


@functools.lru_cache(maxsize=65536)
def is_non_user(qualname: Optional[str]) -> bool:
    if not qualname:
        return False
    return any(fnmatchcase(canonical(qualname), p) for p in NON_USERS)


_WAITS_ON_A_HOST = frozenset({Kind.AWAIT, Kind.CONTEXT, Kind.ITERATE, Kind.BLOCKING})


def is_network_client(qualname: str) -> bool:
    """Whether ``qualname`` is something the built-in table knows talks to another host: a
    client class (``requests.Session``) or a call that waits on one (``websockets.connect``).
    Such a thing is never a database session, whatever a configured name says."""
    name = canonical(qualname)
    return name in CLASSES or sink_table().kind([name]) in _WAITS_ON_A_HOST
