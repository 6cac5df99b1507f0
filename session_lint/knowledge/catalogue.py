"""The catalogue: every library the analysis knows, assembled from their declarations
(``knowledge/libraries/``, one module per network library, and ``knowledge/concurrency.py``), and
the question the front end asks of it: what kind of call is this qualified name?

Front ends resolve each call to a qualified name from what its receiver is bound to (imports,
constructor calls, annotations), then ask :meth:`SinkTable.kind`. Names, not variable names,
decide: an MCP ``ClientSession`` called ``session`` is a sink, an ``AsyncSession`` called
``client`` is not.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from session_lint.knowledge import concurrency, libraries, python
from session_lint.knowledge.declarations import WAITS_ON_A_HOST, Category, Kind, Library
from session_lint.knowledge.fastapi_users import SESSION_KEEPERS
from session_lint.knowledge.frameworks import NON_USERS as FRAMEWORK_NON_USERS

__all__ = ["Category", "Kind", "Library", "LIBRARIES", "SinkTable", "canonical", "is_network_client",
           "is_non_user", "sink_table", "CLASSES", "RETURNS"]


def _network_libraries() -> List[Library]:
    """Every ``LIBRARY``/``LIBRARIES`` declared by a module of ``knowledge/libraries``."""
    found: List[Library] = []
    for info in sorted(pkgutil.iter_modules(libraries.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{libraries.__name__}.{info.name}")
        found.extend(getattr(module, "LIBRARIES", ()))
        if hasattr(module, "LIBRARY"):
            found.append(module.LIBRARY)
    return found


LIBRARIES: Tuple[Library, ...] = (*concurrency.LIBRARIES, *_network_libraries())

_BUILTIN: Tuple[Tuple[str, Kind, Library], ...] = tuple(
    (pattern, kind, library) for library in LIBRARIES for pattern, kind in library.calls)
# Different import paths of the same thing, mapped to the one name the table uses.
CANONICAL: Dict[str, str] = {alias: name for library in LIBRARIES for alias, name in library.aliases.items()}
# What calling (or entering) a known thing gives back. Keys are canonical qualified names.
RETURNS: Dict[str, str] = {name: result for library in LIBRARIES for name, result in library.returns.items()}
# Classes whose instances the analysis tracks: calling one of these gives an instance of it.
CLASSES = frozenset(cls for library in LIBRARIES for cls in library.classes)
# Calls known not to use a session passed to them.
NON_USERS = python.NON_USERS | FRAMEWORK_NON_USERS


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
    # Libraries off by default (caches) that the project turns on, by name.
    enabled_libraries: Tuple[str, ...] = ()
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
            for pattern, kind, library in _candidates(name):
                if fnmatchcase(name, pattern):
                    if library.default_enabled or library.name in self.enabled_libraries:
                        return kind
                    # A cache answers in well under a millisecond on a healthy network: its
                    # calls are known, and not slow, unless the project says otherwise.
                    return Kind.NOT_SINK
        return None


def _first_segment(pattern: str) -> Optional[str]:
    head = pattern.split(".", 1)[0]
    return None if any(c in head for c in "*?[") else head


# The built-in patterns by their first dotted segment (all are literal there): a name is only
# tried against the few patterns of its own package, in the table's order.
_BY_SEGMENT: Dict[Optional[str], List[Tuple[int, str, Kind, Library]]] = {}
for _index, (_pattern, _kind, _library) in enumerate(_BUILTIN):
    _BY_SEGMENT.setdefault(_first_segment(_pattern), []).append((_index, _pattern, _kind, _library))


def _candidates(name: str) -> List[Tuple[str, Kind, Library]]:
    found = _BY_SEGMENT.get(name.split(".", 1)[0], []) + _BY_SEGMENT.get(None, [])
    return [(pattern, kind, library) for _index, pattern, kind, library in sorted(found, key=lambda c: c[0])]


@functools.lru_cache(maxsize=16)
def sink_table(extra_sinks: Tuple[str, ...] = (), extra_blocking: Tuple[str, ...] = (),
               non_sinks: Tuple[str, ...] = (), enabled_libraries: Tuple[str, ...] = ()) -> SinkTable:
    """The table for these settings, one per run: it remembers its answers."""
    return SinkTable(tuple(extra_sinks), tuple(extra_blocking), tuple(non_sinks), tuple(enabled_libraries))


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


@functools.lru_cache(maxsize=65536)
def is_non_user(qualname: Optional[str]) -> bool:
    if not qualname:
        return False
    return any(fnmatchcase(canonical(qualname), p) for p in NON_USERS)


def keeps_session(qualname: Optional[str]) -> bool:
    """Whether calling ``qualname`` only keeps the session it is handed (a library's database
    adapter): no transaction opens, and the result carries the session."""
    return bool(qualname) and canonical(qualname) in SESSION_KEEPERS  # type: ignore[arg-type]


def is_network_client(qualname: str) -> bool:
    """Whether ``qualname`` is something the built-in table knows talks to another host: a
    client class (``requests.Session``) or a call that waits on one (``websockets.connect``).
    Such a thing is never a database session, whatever a configured name says."""
    name = canonical(qualname)
    return name in CLASSES or _every_library_on().kind([name]) in WAITS_ON_A_HOST


def _every_library_on() -> SinkTable:
    # A cache client is another host's client even where its calls do not count as slow.
    return sink_table(enabled_libraries=tuple(library.name for library in LIBRARIES))
