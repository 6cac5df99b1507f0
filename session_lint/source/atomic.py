"""Replacing a file's content so that a reader sees the old content or the new, never part of
it (the cache's entries, files ``fix`` rewrites)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_atomically(path: Path, data: bytes, mode=None, prefix: str = ".tmp-", suffix: str = "",
                       sync: bool = False) -> None:
    """Writes ``data`` to a temporary file beside ``path``, then renames it over ``path``: a
    reader sees the old content or the new, never part of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
