"""The on-disk cache of lowered modules, keyed on content, module name, settings and session-lint's
own code, and of whole runs, keyed on the files a run is over.

An entry also records the modules its lowering read (an imported function's return annotation,
an imported ``Depends`` alias, an imported instance), transitively, each with the digest of its
interface (see :func:`module_scan.interface_digest`), and is used only while those still match:
editing a function body elsewhere does not invalidate it, changing a signature does. Writes go to a temporary file then ``os.replace``, so concurrent runs never
see half an entry; a corrupt or foreign entry is treated as missing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path
from typing import Callable, Dict, List, Optional

from session_lint import __version__
from session_lint.index.module_index import ModuleIndex
from session_lint.source.atomic import replace_atomically

# Bumped whenever the intermediate form or the index changes shape.
FORMAT = 23

# Relative to the folder the run starts in (the project root for the flake8 plugin).
DEFAULT_CACHE_DIR = ".session-lint-cache"
CACHE_DIR_ENV = "SESSION_LINT_CACHE_DIR"


def default_cache_dir() -> str:
    """Where a run keeps its cache unless told: ``$SESSION_LINT_CACHE_DIR`` (a test suite, a
    CI cache step), else ``.session-lint-cache`` in the folder it starts in."""
    return os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=None)
def code_digest() -> str:
    """A digest of session-lint's own source files, read once per process. The version alone
    does not name the code: installed from the repository at another commit, or edited in a
    checkout, it stays the same, and a cache keyed on it would hand back what older code found.
    (About half a megabyte of source: a few milliseconds.)"""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    hasher = hashlib.sha256()
    for path in sorted(_sources(package)):
        hasher.update(os.path.relpath(path, package).encode() + b"\0")
        try:
            with open(path, "rb") as fh:
                hasher.update(fh.read())
        except OSError:
            hasher.update(b"\0unreadable")
        hasher.update(b"\0")
    return hasher.hexdigest()[:20]


def _sources(folder: str) -> List[str]:
    found: List[str] = []
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                found.extend(_sources(entry.path))
        elif entry.name.endswith(".py"):
            found.append(entry.path)
    return found


class Cache:
    def __init__(self, folder: Path, settings_fingerprint: str) -> None:
        self.folder = Path(folder)
        self.salt = f"{__version__}|{FORMAT}|{code_digest()}|{settings_fingerprint}"

    def _file(self, content_hash: str, module: str) -> Path:
        key = hashlib.sha256(f"{self.salt}|{module}|{content_hash}".encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, content_hash: str, module: str, current: Callable[[str], Optional[str]]) -> Optional[ModuleIndex]:
        """The cached index, if present and every module it was built from still shows the same
        interface (``current`` gives a path's interface digest now, or None if it is gone)."""
        index = self._load(self._file(content_hash, module))
        if not isinstance(index, ModuleIndex):
            return None
        for dep_path, dep_digest in index.deps.items():
            if current(dep_path) != dep_digest:
                return None
        return index

    def put(self, content_hash: str, module: str, index: ModuleIndex) -> None:
        self._store(self._file(content_hash, module), index)

    def get_run(self, run_key: str, current: Callable[[str], Optional[str]]) -> object:
        """The result of the last run over the same files, if every file it read (its own and
        the modules it followed) still has the content digest recorded (``current`` gives it
        now). A warm run over an unchanged tree then reads each file once, to hash it, and
        parses nothing."""
        entry = self._load(self._file(run_key, "\0run"))
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], dict)):
            return None
        digests, result = entry
        for path, recorded in digests.items():
            if current(path) != recorded:
                return None
        return result

    def put_run(self, run_key: str, digests: Dict[str, Optional[str]], result: object) -> None:
        self._store(self._file(run_key, "\0run"), (digests, result))

    def get_interface(self, content_hash: str) -> Optional[str]:
        found = self._load(self._file(content_hash, "\0interface"))
        return found if isinstance(found, str) else None

    def put_interface(self, content_hash: str, interface: str) -> None:
        self._store(self._file(content_hash, "\0interface"), interface)

    def _load(self, path: Path):
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError, IndexError):
            return None

    def _store(self, path: Path, value) -> None:
        try:
            if not self.folder.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                # Like .ruff_cache: the folder ignores itself, so it never shows in git status.
                (self.folder / ".gitignore").write_text("# Created by session-lint.\n*\n", encoding="utf-8")
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), suffix=".pickle")
        except OSError:
            pass  # a cache that cannot be written only costs time
