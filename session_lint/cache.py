"""The on-disk cache of lowered modules, keyed on content, module name, settings and version.

An entry also records the other files its lowering read (an imported function's return
annotation, an imported ``Depends`` alias) with their content hashes, and is used only while
those still match. Writes go to a temporary file then ``os.replace``, so concurrent runs never
see half an entry; a corrupt or foreign entry is treated as missing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

from session_lint import __version__
from session_lint.module_index import ModuleIndex

# Bumped whenever the intermediate form or the index changes shape.
FORMAT = 1


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Cache:
    def __init__(self, folder: Path, settings_fingerprint: str) -> None:
        self.folder = Path(folder)
        self.salt = f"{__version__}|{FORMAT}|{settings_fingerprint}"
        self.hits = 0
        self.misses = 0

    def _file(self, content_hash: str, module: str) -> Path:
        key = hashlib.sha256(f"{self.salt}|{module}|{content_hash}".encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, content_hash: str, module: str, current: Callable[[str], Optional[str]]) -> Optional[ModuleIndex]:
        """The cached index, if present and every file it read still has the same content
        (``current`` gives a path's content hash now, or None if it is gone)."""
        path = self._file(content_hash, module)
        try:
            with path.open("rb") as fh:
                deps, index = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            self.misses += 1
            return None
        if not isinstance(index, ModuleIndex) or not isinstance(deps, dict):
            self.misses += 1
            return None
        for dep_path, dep_hash in deps.items():
            if current(dep_path) != dep_hash:
                self.misses += 1
                return None
        self.hits += 1
        return index

    def put(self, content_hash: str, module: str, index: ModuleIndex, deps: Dict[str, Optional[str]]) -> None:
        path = self._file(content_hash, module)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump((deps, index), fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a cache that cannot be written only costs time
