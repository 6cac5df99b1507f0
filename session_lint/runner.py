"""A run over many files: discovery, reading, per-file analysis, and never letting one file
stop the others."""

from __future__ import annotations

import dataclasses
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from session_lint.analysis import analyze
from session_lint.project import Project
from session_lint.discovery import discover
from session_lint.cache import Cache
from session_lint.findings import Finding, fingerprint
from session_lint.settings import Settings
from session_lint.time_limit import FileTimeout, time_limit


# Relative to the folder the run starts in (the project root for the flake8 plugin).
DEFAULT_CACHE_DIR = ".session-lint-cache"


@dataclass
class RunResult:
    findings: List[Finding] = field(default_factory=list)
    files: int = 0
    internal_errors: int = 0
    # (path, line, col, call): awaited calls made while a session was open that the analysis
    # could not follow (third-party or dynamic), for --explain-unresolved.
    unresolved: List[Tuple[str, int, int, str]] = field(default_factory=list)
    prepared: int = 0
    cache_hits: int = 0


def check_paths(
    paths: Sequence[str],
    settings: Settings,
    excludes: Sequence[str] = (),
    cache_dir: Optional[Path] = None,
    keep_project: Optional[dict] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> RunResult:
    result = RunResult()
    roots = [Path(p) for p in paths]
    cache = Cache(cache_dir, settings.fingerprint()) if cache_dir is not None else None
    project = Project(settings, roots, cache)
    if keep_project is not None:
        keep_project["project"] = project  # ``fix`` reuses the index the check built
    files = list(discover(paths, excludes))
    for number, (path, problem) in enumerate(files, start=1):
        if progress is not None:
            progress(number, len(files))
        shown = str(path)
        result.files += 1
        if problem:
            if settings.enabled("SL002"):
                result.findings.append(Finding(shown, 1, 0, "SL002", f"cannot read: {problem}"))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            if settings.enabled("SL002"):
                result.findings.append(Finding(shown, 1, 0, "SL002", f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            with time_limit(settings.file_timeout_seconds):
                result.findings.extend(
                    analyze(data, path, settings, project, display_path=shown, unresolved=result.unresolved)
                )
        except FileTimeout:
            if settings.enabled("SL004"):
                result.findings.append(Finding(shown, 1, 0, "SL004", f"not analyzed: took longer than "
                                                                     f"file-timeout-seconds ({settings.file_timeout_seconds:g} s)"))
        except Exception as exc:  # noqa: BLE001 - one file's bug must not end the run
            result.internal_errors += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{type(exc).__name__}: {exc} ({os.path.basename(where.filename)}:{where.lineno})"
            result.findings.append(Finding(shown, 1, 0, "SL000", f"internal error, file skipped: {detail}"))
    result.findings = sorted(
        f if f.fingerprint else dataclasses.replace(f, fingerprint=fingerprint(f, f.message)) for f in result.findings
    )
    result.prepared = project.prepared
    result.cache_hits = cache.hits if cache is not None else 0
    return result
