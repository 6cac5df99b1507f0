"""The project index: every module of the analyzed tree that an analysis reaches, read at most
once per run (or taken from the on-disk cache), and the one table of callee summaries over all
of them."""

from __future__ import annotations

from pathlib import Path
import ast
from typing import Callable, Dict, Iterable, List, Optional, Protocol, Set, Tuple

from session_lint.config import Settings
from session_lint.flow import ir
from session_lint.index.cache import Cache, digest
from session_lint.index.interface import interface_digest
from session_lint.index.module_index import ModuleIndex
from session_lint.index.resolver import Val
from session_lint.run.time_limit import FileTimeout, time_limit
from session_lint.source.modules import ModuleLocator, import_root, module_name
from session_lint.source.parse import ParseFailure, parse

_HOPS = 6  # re-exports and instance aliases followed before giving up
_MAX_RESOLVING = 60  # function lookups nested in one another, at most


class Lower(Protocol):
    """What turns one module's source into its index (parse, scan, lower): the flow front end,
    handed in by whoever builds the project, so that the index knows nothing of lowering."""

    def __call__(self, data: bytes, path: Path, settings: Settings, project: "Project",
                 tree: Optional[ast.Module] = None) -> ModuleIndex: ...


class Project:
    """Modules by name and path, and function lookup by global key across them."""

    def __init__(self, settings: Settings, lower: Lower, roots: Iterable[Path] = (),
                 cache: Optional[Cache] = None) -> None:
        self.settings = settings
        self.lower = lower
        self.locator = ModuleLocator(roots)
        self.cache = cache
        self.prepared = 0  # modules parsed and lowered in this run (the rest came from the cache)
        self._by_path: Dict[Path, ModuleIndex] = {}
        self._by_name: Dict[str, ModuleIndex] = {}
        self._interfaces: Dict[str, Optional[str]] = {}
        self._in_progress: Set[Path] = set()
        self._failed: Set[Path] = set()
        self._timed_out: Set[Path] = set()
        self._partial: Dict[Path, ModuleIndex] = {}
        self._missing_modules: Set[str] = set()
        self._resolved_paths: Dict[str, str] = {}
        self._functions: Dict[str, Optional[ir.FunctionIR]] = {}
        self._resolving = 0
        self._near: Optional[Path] = None
        # While a module is lowered: the modules it consulted and their interface digests.
        self._reading: List[Dict[str, str]] = []
        # Files read from here instead of from disk (by resolved path): code ``fix`` rewrote and
        # checks again before writing it.
        self.overlay: Dict[Path, bytes] = {}
        # An earlier index of the same tree (``fix`` checking its rewrite again): a module not in
        # the overlay is taken from it while the modules it was built from show the interfaces
        # they showed then, as the on-disk cache would.
        self._earlier: Dict[Path, ModuleIndex] = {}

    def reuse(self, earlier: "Project") -> None:
        """Take unchanged modules from ``earlier`` rather than lowering them again."""
        self._earlier = earlier._by_path

    # ------------------------------------------------------------ files and modules

    def interface(self, path: str) -> Optional[str]:
        """The interface digest of the module file at ``path`` as it is now (None if it cannot
        be read or parsed): from this run's index, the cache, or a parse."""
        if path in self._interfaces:
            return self._interfaces[path]
        known = self._by_path.get(Path(path))
        if known is not None and known.interface:
            self._interfaces[path] = known.interface
            return known.interface
        result: Optional[str] = None
        try:
            data = self.read(Path(path))
            content_hash = digest(data)
            result = self.cache.get_interface(content_hash) if self.cache else None
            if result is None:
                result = interface_digest(parse(data))
                if self.cache is not None:
                    self.cache.put_interface(content_hash, result)
        except (OSError, ParseFailure, RecursionError):
            result = None
        self._interfaces[path] = result
        return result

    def index(self, data: bytes, path: Path, tree=None) -> ModuleIndex:
        """The index of the module at ``path`` with content ``data``: from the cache when none
        of the modules it was built from changed its interface, else parsed and lowered (raises
        ParseFailure)."""
        key = path.resolve()
        known = self._by_path.get(key)
        if known is not None:
            return known
        index = self._reusable(key)
        if index is not None:
            self._interfaces[str(key)] = index.interface
            self.register(index, path)
            return index
        content_hash = digest(data)
        name, _ = module_name(path)
        index = self.cache.get(content_hash, name, self.interface) if self.cache else None
        if key in self._timed_out:
            raise FileTimeout()
        if index is None:
            self._in_progress.add(key)
            self._reading.append({})
            try:
                with time_limit(self.settings.file_timeout_seconds):
                    index = self.lower(data, path, self.settings, self, tree)
            except FileTimeout:
                self._timed_out.add(key)
                raise
            finally:
                deps = self._reading.pop()
                self._in_progress.discard(key)
            deps.pop(str(key), None)
            index.deps = deps
            self.prepared += 1
            if self.cache is not None:
                self.cache.put(content_hash, name, index)
                self.cache.put_interface(content_hash, index.interface)
        self._interfaces[str(key)] = index.interface
        self.register(index, path)
        return index

    def _reusable(self, key: Path) -> Optional[ModuleIndex]:
        earlier = self._earlier.get(key)
        if earlier is None or key in self.overlay:
            return None
        if any(self.interface(dep) != shown for dep, shown in earlier.deps.items()):
            return None
        return earlier

    def read(self, path: Path) -> bytes:
        """The content of the module file at ``path``: the overlay's, else the disk's."""
        if self.overlay:
            found = self.overlay.get(path.resolve())
            if found is not None:
                return found
        return path.read_bytes()

    def has(self, path: Path) -> bool:
        """Whether the module file at ``path`` is indexed in this run."""
        return path.resolve() in self._by_path

    def indexed_paths(self) -> Set[Path]:
        """Every module file this run has read: indexed, or found unreadable."""
        return set(self._by_path) | self._failed | self._timed_out

    def partial(self, path: Path, facts: ModuleIndex) -> None:
        """The top level of a module whose bodies are being lowered right now."""
        self._partial[path.resolve()] = facts

    def register(self, index: ModuleIndex, path: Path) -> None:
        key = path.resolve()
        self._by_path[key] = index
        self._by_name[index.name] = index
        self._near = path
        root = import_root(path)
        if root not in self.locator.roots:
            self.locator.roots.append(root)
        for fkey, fn in (index.functions or {}).items():
            self._functions[fkey] = fn

    def modules(self) -> List[ModuleIndex]:
        """Every module indexed so far in this run (after a check: every file it read)."""
        return list(self._by_path.values())

    def find(self, module: str) -> Optional[Path]:
        if module in self._missing_modules:
            return None
        path = self.locator.find(module, self._near)
        if path is None:
            self._missing_modules.add(module)
        return path

    def load(self, module: str) -> Optional[ModuleIndex]:
        """The indexed module named ``module``, or None when it is not in the tree (or is being
        indexed right now: an import cycle sees "not available" instead of recursing)."""
        known = self._by_name.get(module)
        if known is None:
            path = self.find(module)
            if path is None:
                return None
            key = path.resolve()
            if key in self._in_progress:
                # An import cycle: the module's top level is known (see ``partial``), its
                # function bodies are not yet.
                known = self._partial.get(key)
                if known is None:
                    return None
                if self._reading:
                    self._reading[-1][str(key)] = known.interface
                return known
            known = self._by_path.get(key)
            if known is None:
                if key in self._failed:
                    return None
                try:
                    if path.stat().st_size > self.settings.max_file_size_kb * 1024:
                        self._failed.add(key)
                        return None
                    known = self.index(self.read(path), path)
                except (ParseFailure, OSError, RecursionError, FileTimeout):
                    # A module that cannot be read in time is "not available" to its importers;
                    # it is reported (SL004) when the run reaches it as a file of its own.
                    self._failed.add(key)
                    return None
        if self._reading:
            # What this module shows others is now part of the index being built.
            frame = self._reading[-1]
            frame[self._resolved(known.path)] = known.interface
            frame.update(known.deps)
        return known

    def _resolved(self, path: str) -> str:
        """``path`` made absolute, once per path: loads ask for it thousands of times."""
        found = self._resolved_paths.get(path)
        if found is None:
            found = self._resolved_paths[path] = str(Path(path).resolve())
        return found

    def split(self, qual: str) -> Tuple[Optional[ModuleIndex], List[str]]:
        """``(module, rest)`` for the longest prefix of ``qual`` that is a module of the tree."""
        parts = qual.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            found = self.load(module)
            if found is not None:
                return found, parts[cut:]
        return None, []

    # ------------------------------------------------------------ names across modules

    def return_type(self, qual: str, hops: int = _HOPS) -> Optional[str]:
        """What calling ``qual`` of another module gives: the class for a class, the return
        annotation for a function, following re-exports (``from .client import get_client`` in
        a package ``__init__``)."""
        if hops <= 0:
            return None
        facts, rest = self.split(qual)
        if facts is None or not 1 <= len(rest) <= 2:
            return None
        if ".".join(rest) in facts.return_types:
            return facts.return_types[".".join(rest)]
        if len(rest) == 2 and rest[0] in facts.classes:
            # ``Passage.read_async(...)``: a method the class inherits, annotated on its base.
            for base in facts.classes[rest[0]]:
                found = self.return_type(f"{base}.{rest[1]}", hops - 1)
                if found is not None:
                    return found
            return None
        if len(rest) == 2 and rest[0] in facts.imports and facts.imports[rest[0]] != ".".join(qual.split(".")[:-1]):
            # ``from letta.orm import ArchivalPassage`` re-exported by a package ``__init__``
            return self.return_type(f"{facts.imports[rest[0]]}.{rest[1]}", hops - 1)
        if len(rest) != 1:
            return None
        name = rest[0]
        if name in facts.classes:
            return facts.qual_of_local(name)  # calling a class makes an instance of it
        if name in facts.imports and facts.imports[name] != qual:
            return self.return_type(facts.imports[name], hops - 1)
        return None

    def top_level(self, qual: str, found: Callable[[ModuleIndex, str], object], hops: int = _HOPS):
        """``found(module, name)`` for the module-level name ``qual`` of another module, following
        re-exports (``from .client import get_client`` in a package ``__init__``)."""
        if hops <= 0:
            return None
        facts, rest = self.split(qual)
        if facts is None or len(rest) != 1:
            return None
        name = rest[0]
        result = found(facts, name)
        if result is not None:
            return result
        if name in facts.imports and facts.imports[name] != qual:
            return self.top_level(facts.imports[name], found, hops - 1)
        return None

    def value(self, qual: str) -> Optional[Val]:
        """What a module-level name of another module is bound to, when that is known (an
        instance, ``http = httpx.AsyncClient()``, or a session factory)."""
        return self.top_level(qual, lambda facts, name: facts.globals.get(name))

    def alias_dependency(self, qual: str) -> Optional[Tuple[str, Optional[str]]]:
        """The dependency an ``Annotated`` alias of another module carries, and its key."""

        def found(facts: ModuleIndex, name: str):
            text = facts.dependency_aliases.get(name)
            return (text, facts.alias_key(text)) if text is not None else None

        return self.top_level(qual, found)

    def function(self, key: str) -> Optional[ir.FunctionIR]:
        """The lowered function with global key ``key`` (``pkg.mod.Class.method``), following
        re-exports, module-level instances (``tool_service = ToolService()``), constructors and
        base classes. None for anything outside the tree."""
        if key in self._functions:
            return self._functions[key]
        if self._resolving >= _MAX_RESOLVING:
            # Each step of a resolution may ask for another key (a re-export, a base class); a
            # chain that long is a name that grows as it is followed, never a real one.
            return None
        self._functions[key] = None  # guards against cycles while resolving
        self._resolving += 1
        try:
            found = self._resolve(key, _HOPS)
        finally:
            self._resolving -= 1
        self._functions[key] = found
        return found

    def _resolve(self, key: str, hops: int) -> Optional[ir.FunctionIR]:
        if hops <= 0 or "<locals>" in key:
            return None
        index, rest = self.split(key)
        if index is None or index.functions is None:
            return None
        fns = index.functions
        local = index.qual_of_local(".".join(rest))
        if local in fns:
            return fns[local]
        head = rest[0]
        if head in index.imports and index.imports[head] != key:
            return self.function(".".join([index.imports[head], *rest[1:]]))
        value: Optional[Val] = index.globals.get(head)
        if value is not None and value.kind == "inst" and len(rest) >= 2:
            return self.function(".".join([value.qual, *rest[1:]]))
        if head in index.classes:
            method = rest[1] if len(rest) == 2 else ("__init__" if len(rest) == 1 else None)
            if method is None:
                return None
            direct = index.qual_of_local(f"{head}.{method}")
            if direct in fns:
                return fns[direct]
            for base in index.classes[head]:
                found = self.function(f"{base}.{method}")
                if found is not None:
                    return found
        return None
