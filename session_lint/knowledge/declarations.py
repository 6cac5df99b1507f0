"""How a library is declared to the analysis: the calls of it that wait on another host, the
classes whose instances it tracks, and what its calls return. One declaration per library, in
``knowledge/libraries/`` (network libraries) or ``knowledge/concurrency.py``."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping, Tuple


class Kind(enum.Enum):
    """What a call does, as far as holding a transaction goes."""

    AWAIT = "await"  # awaiting the call waits on another host
    CONTEXT = "context"  # entering ``async with`` on the call waits on another host
    ITERATE = "iterate"  # ``async for`` over it waits on another host
    BLOCKING = "blocking"  # a synchronous network call
    WRAPPER = "wrapper"  # awaits the awaitables it is given (gather, wait_for, shield)
    THREAD = "thread"  # runs a function in a worker thread and awaits it
    TASK = "task"  # schedules a coroutine; whoever awaits the task waits on it
    TASK_GROUP = "task_group"  # ``async with`` that awaits its tasks at exit
    NOT_SINK = "not_sink"  # known not to wait on another host


# Kinds whose call itself waits on another host.
WAITS_ON_A_HOST = frozenset({Kind.AWAIT, Kind.CONTEXT, Kind.ITERATE, Kind.BLOCKING})


class Category(enum.Enum):
    """What kind of other host a library talks to (how `session-lint libraries` groups them)."""

    HTTP = "HTTP"
    MCP = "MCP"
    LLM = "LLM"
    CLOUD = "cloud"
    MAIL = "mail"
    CHAT = "chat and ticketing"
    PAYMENT = "payment"
    OAUTH = "OAuth"
    RPC = "RPC and websockets"
    DATASTORE = "remote datastore"
    CACHE = "cache"
    CONCURRENCY = "concurrency (not another host)"
    LOCAL = "local (not another host)"


HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")


@dataclass(frozen=True)
class Library:
    """One library as the analysis knows it. Names are qualified as the library's users import
    them (``httpx.AsyncClient``); ``aliases`` maps the library's other import paths to those."""

    name: str
    category: Category
    summary: str
    # fnmatch patterns on qualified names, in order: the first that matches decides.
    calls: Tuple[Tuple[str, Kind], ...] = ()
    # Classes whose instances are tracked: calling one gives an instance of it.
    classes: Tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    # What calling (or entering) one of its names gives back: ``resp.json()`` on the result of
    # ``session.get(...)`` resolves through this.
    returns: Mapping[str, str] = field(default_factory=dict)
    # Off by default (caches): its calls are not sinks unless the project enables the library.
    default_enabled: bool = True


def namespace_calls(client: str, namespaces: Tuple[str, ...], kind: Kind, entered: Tuple[str, ...] = (),
                    local: Tuple[str, ...] = ()) -> Tuple[Tuple[str, Kind], ...]:
    """The calls of a client whose requests are the methods of resource namespaces it holds
    (``client.chat.completions.create``), as generated SDKs (OpenAI, Anthropic, Groq) lay them
    out: every method under one of ``namespaces`` is a request of ``kind`` (AWAIT or BLOCKING);
    those matching a pattern of ``entered`` (``*stream``) connect when entered instead; those
    of ``local`` (``webhooks.unwrap``) wait on nothing. Namespaces are listed rather than matched
    by ``*`` so that plain attributes of the client (``default_headers.get``) stay local."""
    entering = Kind.CONTEXT if kind is Kind.AWAIT else Kind.BLOCKING
    calls = [(f"{client}.{method}", Kind.NOT_SINK) for method in local]
    for namespace in namespaces:
        calls += [(f"{client}.{namespace}.{pattern}", entering) for pattern in entered]
        calls.append((f"{client}.{namespace}.*", kind))
    return tuple(calls)
