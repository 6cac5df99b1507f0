"""A run over many files: discovery, indexing, per-file analysis (in parallel workers when asked),
and never letting one file stop the others."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Set, Tuple

from session_lint.run.analysis import Analysis, check_index, index_file
# DEFAULT_CACHE_DIR and default_cache_dir: the commands' defaults, taken from here.
from session_lint.index.cache import DEFAULT_CACHE_DIR, Cache, default_cache_dir, digest  # noqa: F401
from session_lint.source.discovery import discover
from session_lint.source.globs import anchored
from session_lint.report.findings import Finding, fingerprint
from session_lint.index.module_index import ModuleIndex
from session_lint.config import Settings
from session_lint.run.time_limit import FileTimeout, time_limit
from session_lint.run.timing import Timings, activate

Unresolved = Tuple[str, int, int, str]


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    files: int = 0
    internal_errors: int = 0
    # (path, line, col, call): awaited calls made while a session was open that the analysis
    # could not follow (third-party or dynamic), for --explain-unresolved.
    unresolved: List[Unresolved] = field(default_factory=list)
    prepared: int = 0
    # Findings a ``# noqa`` comment silenced (a summary says how many).
    noqa_suppressed: int = 0


@dataclass
class _Checked:
    """What the analysis of one indexed file gave."""

    findings: List[Finding]
    unresolved: List[Unresolved]
    internal_error: bool = False
    suppressed: int = 0
    # Modules a worker indexed that the parent has not (imports followed out of the given paths).
    loaded: Tuple[str, ...] = ()


def check_paths(
    paths: Sequence[str],
    settings: Settings,
    excludes: Sequence[str] = (),
    cache_dir: Optional[Path] = None,
    keep_analysis: Optional[dict] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    jobs: int = 1,
    timings: Optional[Timings] = None,
    retain: Optional[List[object]] = None,
) -> RunResult:
    """Findings for every Python file under ``paths``. The same for any ``jobs``: indexing is done
    once, in this process, and only the per-file analyses over the finished index are shared out.
    ``retain``: a list the run's index is appended to instead of being freed on return (a
    process about to exit saves the quarter second that freeing it object by object takes)."""
    clock = timings if timings is not None else Timings()
    activate(timings)
    try:
        with _collector_off(freeze_after=retain is not None):
            return _check(paths, settings, excludes, cache_dir, keep_analysis, progress, jobs, clock, retain)
    finally:
        activate(None)


@contextlib.contextmanager
def _collector_off(freeze_after: bool) -> Iterator[None]:
    """The cycle collector off while indexing, as it was after. A run allocates millions of
    long-lived objects (syntax trees while a module is lowered, the intermediate form, engine
    states) and, its code taking care to form no reference cycles, no cyclic garbage worth
    collecting: the collector's passes over them are pure cost (a few tenths of a second on a
    10 MB tree). Forked workers inherit the setting. ``freeze_after``: what was built lives as
    long as the process, so it is moved out of the collector's sight, where its passes neither
    walk it again nor write to every page of it in forked processes."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze_after:
            gc.freeze()
        if collecting:
            gc.enable()


def _check(paths, settings, excludes, cache_dir, keep_analysis, progress, jobs, clock: Timings,
           retain: Optional[List[object]] = None) -> RunResult:
    result = RunResult()
    roots = [Path(p) for p in paths]
    cache = Cache(cache_dir, settings.fingerprint()) if cache_dir is not None else None
    analysis = Analysis(settings, roots, cache)
    if retain is not None:
        retain.append(analysis)
    if keep_analysis is not None:
        keep_analysis["analysis"] = analysis  # ``fix`` reuses the index the check built
    with clock.phase("discovery"):
        # Patterns given here (``fix --exclude``) are relative to the working folder.
        files = list(discover(paths, [anchored(e, Path.cwd()) for e in excludes], defaults=settings.excludes,
                              gitignore=True))
        analysis.files = [path for path, problem in files if not problem]
        run_key = _run_key(files, excludes)
    if progress is not None:
        progress(0, len(files))
    # A caller that keeps the project (``fix``, the fix status of json and sarif output) needs
    # every module indexed in it, so it does not take a previous run's result.
    if cache is not None and keep_analysis is None:
        with clock.phase("cache lookup"):
            known = cache.get_run(run_key, _current_digest)
        if isinstance(known, RunResult):
            # Nothing any finding was computed from has changed: the last run's result stands.
            return known
    work: List[Tuple[Path, str, bytes, ModuleIndex]] = []
    with clock.phase("indexing"):
        for number, (path, problem) in enumerate(files, start=1):
            if progress is not None:
                progress(number, len(files))
            result.files += 1
            indexed = _index_one(path, problem, settings, analysis, result)
            if indexed is not None:
                work.append(indexed)
    with clock.phase("analysis"):
        checked = _check_all(work, settings, analysis, jobs)
    loaded: Set[str] = set()
    for item in checked:
        result.findings.extend(item.findings)
        result.unresolved.extend(item.unresolved)
        result.internal_errors += item.internal_error
        result.noqa_suppressed += item.suppressed
        loaded.update(item.loaded)
    result.findings = sorted(
        f if f.fingerprint else dataclasses.replace(f, fingerprint=fingerprint(f, f.message)) for f in result.findings
    )
    result.prepared = analysis.project.prepared
    # A result that depends on how long something took (SL004) or on a bug (SL000) is not kept.
    if cache is not None and not result.internal_errors and not any(f.code == "SL004" for f in result.findings):
        # One entry per file: the index knows files by their resolved path, so the given files are
        # named that way too (a relative name beside it would have a warm run hash each file twice).
        read = {str(p) for p in analysis.project.indexed_paths()} | loaded | {str(path.resolve()) for path, _ in files}
        cache.put_run(run_key, {p: _current_digest(p) for p in sorted(read)}, _for_reuse(result))
    return result


def check_source(data: bytes, path: Path, shown: str, settings: Settings,
                 cache_dir: Optional[Path] = None) -> RunResult:
    """Findings for one module whose text is ``data`` (an editor's buffer on stdin), analyzed as
    if it were at ``path`` (its imports resolved from there) and reported as ``shown``."""
    result = RunResult(files=1)
    analysis = Analysis(settings, [path], Cache(cache_dir, settings.fingerprint()) if cache_dir is not None else None)
    silenced: List[Finding] = []
    try:
        with _collector_off(freeze_after=False), time_limit(settings.file_timeout_seconds):
            index, failed = index_file(data, path, settings, analysis, shown)
            found = failed if index is None else check_index(index, data, settings, analysis, shown,
                                                             suppressed=silenced)
    except FileTimeout:
        found = _timed_out(shown, settings)
    except Exception as exc:  # noqa: BLE001 - reported as SL000, as for a file on disk
        result.internal_errors += 1
        found = [_internal_error(shown, exc)]
    result.findings = sorted(f if f.fingerprint else dataclasses.replace(f, fingerprint=fingerprint(f, f.message))
                             for f in found)
    result.noqa_suppressed = len(silenced)
    return result


def index_ahead(files: Sequence[Path], settings: Settings, analysis_for: Callable[[Path], Analysis]) -> None:
    """Indexes ``files`` (each into the analysis ``analysis_for`` gives it) before their
    analyses are asked for, so that processes forked afterwards share one index instead of each
    building most of it again. What goes wrong with a file is left for its own analysis to
    report: the index remembers nothing of a failure."""
    with _collector_off(freeze_after=True):  # the index lives as long as the process
        for path in files:
            try:
                analysis = analysis_for(path)
            except (OSError, RuntimeError, ValueError):  # a path that cannot be resolved
                continue
            _index_one(path, "", settings, analysis, RunResult())


def _index_one(path: Path, problem: str, settings: Settings, analysis: Analysis,
               result: RunResult) -> Optional[Tuple[Path, str, bytes, ModuleIndex]]:
    shown = str(path)
    if problem:
        if settings.enabled("SL002", shown):
            result.findings.append(Finding(shown, 1, 0, "SL002", f"cannot read: {problem}"))
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        if settings.enabled("SL002", shown):
            result.findings.append(Finding(shown, 1, 0, "SL002", f"cannot read: {exc.strerror or exc}"))
        return None
    try:
        with time_limit(settings.file_timeout_seconds):
            index, failed = index_file(data, path, settings, analysis, shown)
    except FileTimeout:
        result.findings.extend(_timed_out(shown, settings))
        return None
    except Exception as exc:  # noqa: BLE001 - one file's bug must not end the run
        result.internal_errors += 1
        result.findings.append(_internal_error(shown, exc))
        return None
    result.findings.extend(failed)
    return (path, shown, data, index) if index is not None else None


def _check_one(item: Tuple[Path, str, bytes, ModuleIndex], settings: Settings, analysis: Analysis) -> _Checked:
    _path, shown, data, index = item
    unresolved: List[Unresolved] = []
    silenced: List[Finding] = []
    try:
        with time_limit(settings.file_timeout_seconds):
            found = check_index(index, data, settings, analysis, shown, unresolved=unresolved, suppressed=silenced)
            return _Checked(found, unresolved, suppressed=len(silenced))
    except FileTimeout:
        return _Checked(_timed_out(shown, settings), [])
    except Exception as exc:  # noqa: BLE001 - one file's bug must not end the run
        return _Checked([_internal_error(shown, exc)], [], internal_error=True)


# What forked workers inherit: the finished index and the files to analyze.
_shared: Optional[Tuple[List[Tuple[Path, str, bytes, ModuleIndex]], Settings, Analysis, Set[str]]] = None


def _check_shared(number: int) -> Tuple[int, _Checked]:
    assert _shared is not None
    work, settings, analysis, before = _shared
    checked = _check_one(work[number], settings, analysis)
    checked.loaded = tuple(sorted({str(p) for p in analysis.project.indexed_paths()} - before))
    return number, checked


def _check_all(work: List[Tuple[Path, str, bytes, ModuleIndex]], settings: Settings, analysis: Analysis,
               jobs: int) -> List[_Checked]:
    """Each file's analysis, in ``work``'s order. Workers are forked once the index is complete,
    so they share it (copy on write) instead of each rebuilding it: every worker then sees the
    same modules, the same functions and the same summaries, whatever it is handed."""
    global _shared
    jobs = min(jobs, len(work))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_check_one(item, settings, analysis) for item in work]
    _shared = (work, settings, analysis, {str(p) for p in analysis.project.indexed_paths()})
    try:
        # Largest files first, one at a time: a few big routers dominate, so they start early.
        order = sorted(range(len(work)), key=lambda n: -len(work[n][2]))
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = dict(pool.imap_unordered(_check_shared, order, chunksize=1))
    finally:
        _shared = None
    return [results[n] for n in range(len(work))]


def _timed_out(shown: str, settings: Settings) -> List[Finding]:
    if not settings.enabled("SL004", shown):
        return []
    return [Finding(shown, 1, 0, "SL004", f"not analyzed: took longer than "
                                          f"file-timeout-seconds ({settings.file_timeout_seconds:g} s)")]


def _internal_error(shown: str, exc: BaseException) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    detail = f"{type(exc).__name__}: {exc} ({os.path.basename(where.filename)}:{where.lineno})"
    return Finding(shown, 1, 0, "SL000", f"internal error, file skipped: {detail}")


def _run_key(files: Sequence[Tuple[Path, str]], excludes: Sequence[str]) -> str:
    """What a run is over: its files (where they are and whether they can be read)."""
    listing = "\n".join(f"{path}\t{os.path.abspath(path)}\t{problem}" for path, problem in files)
    return digest(f"{listing}\n{sorted(excludes)}".encode("utf-8", "surrogatepass"))


def _current_digest(path: str) -> Optional[str]:
    try:
        return digest(Path(path).read_bytes())
    except OSError:
        return None


def _for_reuse(result: RunResult) -> RunResult:
    """The result as a later run with nothing changed reports it: nothing read anew."""
    return dataclasses.replace(result, prepared=0, findings=list(result.findings),
                               unresolved=list(result.unresolved))
