"""Which files a run reads: the Python files under the given paths, less those excluded by
pattern or ignored by git."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from session_lint.source.globs import PathMatcher

# Folders no one wants linted; a path given explicitly is still read.
DEFAULT_EXCLUDES = (".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "node_modules", "build", "dist", ".eggs", "*.egg-info", ".mypy_cache", ".pytest_cache", ".session-lint-cache")


def discover(paths: Sequence[str], excludes: Iterable[str] = (), defaults: Sequence[str] = DEFAULT_EXCLUDES,
             gitignore: bool = False) -> Iterator[Tuple[Path, str]]:
    """``(path, problem)`` for every Python file under ``paths``, in a stable order; ``problem``
    is empty, or says why a given path cannot be read. Never follows a symlinked folder, so a
    symlink loop cannot trap it. ``defaults`` and ``excludes`` are patterns (see
    :mod:`globs`) of what a walk skips; ``gitignore``: so are the files git ignores. A file named
    in ``paths`` is read whatever they say, as ruff and flake8 do."""
    patterns = PathMatcher(tuple(defaults) + tuple(excludes))
    seen = set()
    for raw in paths:
        path = Path(raw)
        candidates = _walk(path, patterns) if path.is_dir() else [path]
        if gitignore and path.is_dir() and candidates:
            ignored = git_ignored(path, candidates)
            candidates = [c for c in candidates if c not in ignored]
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


def _walk(root: Path, patterns: PathMatcher) -> List[Path]:
    found: List[Path] = []
    by_path = bool(patterns.paths)
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda e: None):
        if by_path:
            dirs[:] = sorted(d for d in dirs if not patterns.matches(os.path.join(folder, d)))
        else:
            dirs[:] = sorted(d for d in dirs if not patterns.name_matches(d))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            if patterns.matches(os.path.join(folder, name)) if by_path else patterns.name_matches(name):
                continue
            found.append(Path(folder) / name)
    return found


def _work_tree(folder: Path) -> Optional[Path]:
    """The git work tree ``folder`` is in, looked up without starting git (a ``.git`` folder or
    file at or above it): most trees checked outside a repository then cost nothing."""
    current = folder.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_ignored(root: Path, files: Sequence[Path]) -> Set[Path]:
    """Those of ``files`` (found under ``root``) that git ignores. Git itself answers
    (``git check-ignore``): every ``.gitignore`` on the way, ``.git/info/exclude``, the user's
    global excludes and negations mean exactly what they mean to git, and a tracked file is
    never ignored. Outside a work tree, or without git, nothing is."""
    if _work_tree(root) is None:
        return set()
    import subprocess  # only inside a work tree: most runs elsewhere never pay for the import

    listing = b"\0".join(os.fsencode(os.path.relpath(f, root)) for f in files) + b"\0"
    try:
        done = subprocess.run(["git", "check-ignore", "--stdin", "-z"], cwd=root, input=listing,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return set()
    if done.returncode not in (0, 1):  # not a work tree after all, a submodule's path: ignore nothing
        return set()
    ignored = {os.fsdecode(p) for p in done.stdout.split(b"\0") if p}
    return {f for f in files if os.path.relpath(f, root) in ignored}
