"""The project index: every module of the analyzed tree that an analysis reaches, parsed and
lowered at most once per run, and the one table of callee summaries across them."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, Optional, Set, Tuple

from session_lint import ir
from session_lint.module_scan import ModuleScan, Val, scan_module
from session_lint.modules import ModuleLocator, import_root, module_name
from session_lint.settings import Settings
from session_lint.summaries import Summaries

_HOPS = 6  # re-exports and instance aliases followed before giving up


class Project:
    """Modules by name and path, function lookup by global key, and the summaries over them."""

    def __init__(self, settings: Settings, roots: Iterable[Path] = ()) -> None:
        self.settings = settings
        self.locator = ModuleLocator(roots)
        self.summaries = Summaries(self.function)
        self._by_path: Dict[Path, Optional["ParsedModule"]] = {}  # noqa: F821 - see analysis
        self._by_name: Dict[str, "ParsedModule"] = {}  # noqa: F821
        self._scans: Dict[Path, Optional[ModuleScan]] = {}
        self._missing_modules: Set[str] = set()
        self._functions: Dict[str, Optional[ir.FunctionIR]] = {}
        self._near: Optional[Path] = None

    # ------------------------------------------------------------ modules

    def register(self, parsed) -> None:
        """Makes a module prepared elsewhere (the file being checked) known to lookups."""
        self._by_path[parsed.path.resolve()] = parsed
        self._by_name[parsed.scan.name] = parsed
        self._near = parsed.path
        root = import_root(parsed.path)
        if root not in self.locator.roots:
            self.locator.roots.append(root)
        for key, fn in parsed.lowered.functions.items():
            self._functions[key] = fn

    def find(self, module: str) -> Optional[Path]:
        if module in self._missing_modules:
            return None
        path = self.locator.find(module, self._near)
        if path is None:
            self._missing_modules.add(module)
        return path

    def load(self, module: str):
        """The prepared module named ``module``, or None when it is not in the tree."""
        if module in self._by_name:
            return self._by_name[module]
        path = self.find(module)
        if path is None:
            return None
        return self.load_path(path)

    def load_path(self, path: Path):
        from session_lint.analysis import ParseFailure, prepare

        key = path.resolve()
        if key not in self._by_path:
            self._by_path[key] = None  # a cycle through imports sees "not available"
            try:
                parsed = prepare(path.read_bytes(), path, self.settings, self)
            except (ParseFailure, OSError, RecursionError):
                return None
            self.register(parsed)
        return self._by_path[key]

    def scan(self, module: str) -> Optional[ModuleScan]:
        """The top-level bindings of a module (cheaper than :meth:`load`: no lowering)."""
        from session_lint.analysis import ParseFailure, parse

        if module in self._by_name:
            return self._by_name[module].scan
        path = self.find(module)
        if path is None:
            return None
        key = path.resolve()
        loaded = self._by_path.get(key)
        if loaded is not None:
            return loaded.scan
        if key not in self._scans:
            try:
                name, is_package = module_name(path)
                self._scans[key] = scan_module(parse(path.read_bytes()), name, is_package, self.settings)
            except (ParseFailure, OSError, RecursionError):
                self._scans[key] = None
        return self._scans[key]

    def split(self, qual: str, scans_only: bool = False):
        """``(module, rest)`` for the longest prefix of ``qual`` that is a module of the tree."""
        parts = qual.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            found = self.scan(module) if scans_only else self.load(module)
            if found is not None:
                return found, parts[cut:]
        return None, []

    # ------------------------------------------------------------ names across modules

    def return_type(self, qual: str, hops: int = _HOPS) -> Optional[str]:
        """What the function ``qual`` of another module is annotated to return, following
        re-exports (``from .client import get_client`` in a package ``__init__``)."""
        if hops <= 0:
            return None
        scan, rest = self.split(qual, scans_only=True)
        if scan is None or len(rest) != 1:
            return None
        name = rest[0]
        if name in scan.return_types:
            return scan.return_types[name]
        if name in scan.imports and scan.imports[name] != qual:
            return self.return_type(scan.imports[name], hops - 1)
        return None

    def alias_dependency(self, qual: str, hops: int = _HOPS) -> Optional[Tuple[str, Optional[str]]]:
        """The dependency an ``Annotated`` alias of another module carries, and its key."""
        if hops <= 0:
            return None
        scan, rest = self.split(qual, scans_only=True)
        if scan is None or len(rest) != 1:
            return None
        name = rest[0]
        if name in scan.dependency_aliases:
            text = scan.dependency_aliases[name]
            head, _, tail = text.partition(".")
            if head in scan.imports:
                key: Optional[str] = scan.imports[head] + (f".{tail}" if tail else "")
            else:
                key = scan.qual_of_local(text)
            return text, key
        if name in scan.imports and scan.imports[name] != qual:
            return self.alias_dependency(scan.imports[name], hops - 1)
        return None

    def function(self, key: str) -> Optional[ir.FunctionIR]:
        """The lowered function with global key ``key`` (``pkg.mod.Class.method``), following
        re-exports, module-level instances (``tool_service = ToolService()``), constructors and
        base classes. None for anything outside the tree."""
        if key in self._functions:
            return self._functions[key]
        self._functions[key] = None  # guards against cycles while resolving
        found = self._resolve(key, _HOPS)
        self._functions[key] = found
        return found

    def _resolve(self, key: str, hops: int) -> Optional[ir.FunctionIR]:
        if hops <= 0 or "<locals>" in key:
            return None
        parsed, rest = self.split(key)
        if parsed is None:
            return None
        local = parsed.scan.qual_of_local(".".join(rest))
        fns = parsed.lowered.functions
        if local in fns:
            return fns[local]
        head = rest[0]
        scan = parsed.scan
        if head in scan.imports and scan.imports[head] != key:
            return self.function(".".join([scan.imports[head], *rest[1:]]))
        value: Optional[Val] = scan.globals.get(head)
        if value is not None and value.kind == "inst" and len(rest) >= 2:
            return self.function(".".join([value.qual, *rest[1:]]))
        if head in scan.classes:
            info = scan.classes[head]
            method = rest[1] if len(rest) == 2 else ("__init__" if len(rest) == 1 else None)
            if method is None:
                return None
            direct = scan.qual_of_local(f"{head}.{method}")
            if direct in fns:
                return fns[direct]
            for base in info.bases:
                base_key = parsed.lowerer.resolver.function_key(base)
                if base_key is not None:
                    found = self.function(f"{base_key}.{method}")
                    if found is not None:
                        return found
        return None
