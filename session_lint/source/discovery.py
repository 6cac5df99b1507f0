"""Which files a run reads: the Python files under the given paths."""

from __future__ import annotations

import os
import stat
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable, Iterator, List, Sequence, Tuple

# Folders no one wants linted; a path given explicitly is still read.
DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".eggs", "*.egg-info", ".mypy_cache", ".pytest_cache", ".session-lint-cache")


def discover(paths: Sequence[str], excludes: Iterable[str] = ()) -> Iterator[Tuple[Path, str]]:
    """``(path, problem)`` for every Python file under ``paths``, in a stable order; ``problem``
    is empty, or says why a given path cannot be read. Never follows a symlinked folder, so a
    symlink loop cannot trap it."""
    patterns = tuple(DEFAULT_EXCLUDES) + tuple(excludes)
    seen = set()
    for raw in paths:
        path = Path(raw)
        candidates = _walk(path, patterns) if path.is_dir() else [path]
        for file in candidates:
            key = os.path.normcase(os.path.abspath(file))
            if key in seen:
                continue
            seen.add(key)
            yield file, _problem(file)


def _problem(path: Path) -> str:
    """Why ``path`` cannot be read as a source file, or "": only regular files are read, so
    a FIFO named ``x.py`` cannot block the run and a device cannot feed it forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken symlink" if os.path.islink(path) else "no such file or directory"
    except OSError as exc:
        return exc.strerror or str(exc)
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return ""


def _walk(root: Path, patterns: Tuple[str, ...]) -> List[Path]:
    found: List[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda e: None):
        dirs[:] = sorted(d for d in dirs if not _excluded(d, patterns))
        for name in sorted(files):
            if name.endswith(".py") and not _excluded(name, patterns):
                found.append(Path(folder) / name)
    return found


def _excluded(name: str, patterns: Tuple[str, ...]) -> bool:
    return any(fnmatch(name, p) for p in patterns)
