"""Which files a run reads: the Python files under the given paths."""

from __future__ import annotations

import os
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
        if path.is_dir():
            for file in _walk(path, patterns):
                key = os.path.normcase(os.path.abspath(file))
                if key not in seen:
                    seen.add(key)
                    yield file, ""
        elif path.exists():
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                yield path, ""
        else:
            yield path, "no such file or directory" if not path.is_symlink() else "broken symlink"


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
