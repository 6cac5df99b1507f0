"""One file in, findings out: parse, scan, lower, find handlers and sessions, run the engine."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint import ir
from session_lint.findings import Finding, suppressed
from session_lint.handlers import find_handlers
from session_lint.lowering import LoweredModule, ModuleLowerer
from session_lint.module_scan import ModuleScan, Resolver, scan_module
from session_lint.modules import ModuleLocator, module_name
from session_lint.settings import Settings
from session_lint.sinks import SinkTable
from session_lint.summaries import Summaries
from session_lint.transactions import Engine, EntrySession, Hold, Run, Site


@dataclass
class ParsedModule:
    path: Path
    module: cst.Module
    scan: ModuleScan
    lowered: LoweredModule
    lowerer: ModuleLowerer
    summaries: Summaries


class ParseFailure(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.message = message


def parse(data: Union[bytes, str]) -> cst.Module:
    try:
        return cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        # CPython's own parser points at the error more precisely; ask it first.
        try:
            compile(data, "<checked>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as syntax:
            line = syntax.lineno or 1
            col = max((syntax.offset or 1) - 1, 0)
            raise ParseFailure(line, col, f"cannot parse: {syntax.msg}") from None
        except (ValueError, RecursionError, MemoryError):
            pass
        raise ParseFailure(exc.raw_line, max(exc.raw_column, 0), f"cannot parse: {exc.message}") from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise ParseFailure(1, 0, f"cannot decode: {exc}") from None
    except RecursionError:
        raise ParseFailure(1, 0, "cannot parse: nested too deeply") from None


def prepare(data: Union[bytes, str], path: Path, settings: Settings, workspace: Optional["Workspace"] = None) -> ParsedModule:
    module = parse(data)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    name, is_package = module_name(path)
    external = (lambda qual: workspace.return_type(qual, path)) if workspace is not None else None
    scan = scan_module(module, name, is_package, settings, external)
    table = SinkTable(settings.extra_sinks, settings.extra_blocking_sinks, settings.non_sinks)
    lowerer = ModuleLowerer(scan, settings, positions, table, external)
    lowered = lowerer.lower_all()
    return ParsedModule(path, module, scan, lowered, lowerer, Summaries(lowered.functions))


class Workspace:
    """The modules of the analyzed tree that one file's analysis may read (imported session
    aliases, session dependencies defined elsewhere), parsed at most once per run."""

    def __init__(self, settings: Settings, roots=()) -> None:
        self.settings = settings
        self.locator = ModuleLocator(roots)
        self._cache: Dict[Path, Optional[ParsedModule]] = {}
        self._scans: Dict[Path, Optional[ModuleScan]] = {}

    def scan(self, module: str, near: Path) -> Optional[ModuleScan]:
        """The top-level bindings of another module of the tree (no positions, no lowering)."""
        path = self.locator.find(module, near)
        if path is None:
            return None
        key = path.resolve()
        if key not in self._scans:
            loaded = self._cache.get(key)
            if loaded is not None:
                self._scans[key] = loaded.scan
            else:
                try:
                    name, is_package = module_name(path)
                    self._scans[key] = scan_module(parse(path.read_bytes()), name, is_package, self.settings)
                except (ParseFailure, OSError, RecursionError):
                    self._scans[key] = None
        return self._scans[key]

    def return_type(self, qual: str, near: Path, hops: int = 3) -> Optional[str]:
        """What the function ``qual`` of another module is annotated to return, following
        re-exports (``from .client import get_client`` in a package ``__init__``)."""
        module, _, name = qual.rpartition(".")
        if not module or hops <= 0:
            return None
        scan = self.scan(module, near)
        if scan is None:
            return None
        if name in scan.return_types:
            return scan.return_types[name]
        if name in scan.imports and scan.imports[name] != qual:
            return self.return_type(scan.imports[name], near, hops - 1)
        return None

    def load(self, module: str, near: Path) -> Optional[ParsedModule]:
        path = self.locator.find(module, near)
        if path is None:
            return None
        key = path.resolve()
        if key not in self._cache:
            try:
                self._cache[key] = prepare(path.read_bytes(), path, self.settings, self)
            except (ParseFailure, OSError):
                self._cache[key] = None
        return self._cache[key]

    def resolve_qualified(self, qual: str, near: Path) -> Tuple[Optional[ParsedModule], str]:
        """The module that defines ``pkg.mod.name`` and the name within it."""
        module, _, name = qual.rpartition(".")
        return self.load(module, near), name


def dependency_open_reason(fn: ir.FunctionIR, summaries: Summaries) -> Optional[str]:
    """Why a session dependency hands over a session whose transaction is already open (a ``SET``
    before its ``yield``), or None."""
    run = Engine(fn, summaries).interpret([])
    for _pos, (name, state) in sorted(run.yields.items(), key=lambda item: (item[0].line, item[0].col)):
        if name is None:
            continue
        for key in state.keys_of(name):
            sites = state.sites(key)
            if sites:
                return f"{fn.name} runs {sites[0].what} before yield"
    return None


def analyze(
    data: Union[bytes, str],
    path: Union[str, Path],
    settings: Settings,
    workspace: Optional[Workspace] = None,
    display_path: Optional[str] = None,
    apply_noqa: bool = True,
) -> List[Finding]:
    """Every finding in one file, after ``# noqa`` and ``select``/``ignore``."""
    path = Path(path)
    shown = display_path if display_path is not None else str(path)
    workspace = workspace or Workspace(settings)
    try:
        parsed = prepare(data, path, settings, workspace)
    except ParseFailure as failure:
        return [Finding(shown, failure.line, failure.col, "SL001", failure.message)] if settings.enabled("SL001") else []
    findings = _findings(parsed, workspace, settings, shown)
    text = data.decode(parsed.module.encoding, errors="replace") if isinstance(data, bytes) else data
    lines = text.splitlines()
    kept = []
    for finding in findings:
        if not settings.enabled(finding.code):
            continue
        if apply_noqa and 0 < finding.line <= len(lines) and suppressed(lines[finding.line - 1], finding.code):
            continue
        kept.append(finding)
    return sorted(set(kept))


def _findings(parsed: ParsedModule, workspace: Workspace, settings: Settings, shown: str) -> List[Finding]:
    resolver = Resolver(parsed.scan, settings)
    dep_cache: Dict[str, Optional[str]] = {}

    def imported_alias(qual: str) -> Optional[str]:
        other, name = workspace.resolve_qualified(qual, parsed.path)
        return other.scan.dependency_aliases.get(name) if other is not None else None

    def dependency_opens(dep: str) -> Optional[str]:
        if dep in dep_cache:
            return dep_cache[dep]
        reason = None
        fn = parsed.lowered.functions.get(dep)
        if fn is not None:
            reason = dependency_open_reason(fn, parsed.summaries)
        elif dep in parsed.scan.imports:
            other, name = workspace.resolve_qualified(parsed.scan.imports[dep], parsed.path)
            if other is not None and name in other.lowered.functions:
                reason = dependency_open_reason(other.lowered.functions[name], other.summaries)
        dep_cache[dep] = reason
        return reason

    handlers = find_handlers(
        parsed.scan,
        parsed.lowered.nodes,
        parsed.lowered.classes,
        resolver,
        parsed.lowerer.pos,
        imported_alias,
        dependency_opens,
    )
    findings: List[Finding] = []
    handler_keys = set()
    for handler in handlers:
        handler_keys.add(handler.key)
        fn = parsed.lowered.functions[handler.key]
        entry = [
            EntrySession(
                p.name,
                p.name,
                Site(p.open_at_entry[0].line, p.open_at_entry[0].col, p.open_at_entry[1]) if p.open_at_entry else None,
            )
            for p in handler.sessions
        ]
        run = Engine(fn, parsed.summaries).interpret(entry)
        findings.extend(_report(run, fn, shown, explicit_only=False))
    for key, fn in parsed.lowered.functions.items():
        if key in handler_keys or not fn.has_explicit_session:
            continue
        run = Engine(fn, parsed.summaries).interpret([])
        findings.extend(_report(run, fn, shown, explicit_only=True))
    return findings


def _report(run: Run, fn: ir.FunctionIR, shown: str, explicit_only: bool) -> List[Finding]:
    out = []
    for hold in run.holds.values():
        explicit = hold.key in run.explicit
        if explicit_only and not explicit:
            continue
        code = _code(hold, explicit)
        name = hold.key.split("@", 1)[0]
        out.append(
            Finding(
                shown,
                hold.pos.line,
                hold.pos.col,
                code,
                message(hold, name, run.explicit.get(hold.key)),
                function=fn.name,
                session=name,
                chain=hold.chain,
            )
        )
    return out


def _code(hold: Hold, explicit: bool) -> str:
    if hold.blocking:
        return "SL104"
    if explicit:
        return "SL103"
    return "SL101" if len(hold.chain) == 1 else "SL102"


def message(hold: Hold, name: str, factory: Optional[str]) -> str:
    chain = " -> ".join(hold.chain)
    what = f"blocking call {chain}" if hold.blocking else f"slow await {chain}"
    made = f" (from {factory}())" if factory else ""
    return f"{what} while session '{name}'{made} open since line {hold.site.line} ({hold.site.what})"
