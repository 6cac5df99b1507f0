"""Writing a fixed file: atomically (temporary file in the same folder, then rename), keeping
its mode, and never over a file that changed since it was read or that lies outside the paths
the run was given."""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from pathlib import Path
from typing import Iterable

from session_lint.source.atomic import replace_atomically


class WriteRefused(Exception):
    pass


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path``, symlinks resolved, lies under one of ``roots`` (also resolved)."""
    real = Path(os.path.realpath(path))
    for root in roots:
        # A file given by name counts as its folder: a symlink given explicitly must not lead
        # the write somewhere else.
        folder = root if root.is_dir() and not root.is_symlink() else root.parent
        base = Path(os.path.realpath(folder))
        if base in real.parents:
            return True
    return False


def write_atomically(path: Path, data: bytes, expected_original: bytes) -> None:
    """Replaces ``path``'s content with ``data`` if it still holds ``expected_original``."""
    real = Path(os.path.realpath(path))
    try:
        current = real.read_bytes()
    except OSError as exc:
        raise WriteRefused(f"cannot read it again: {exc.strerror or exc}") from None
    if hashlib.sha256(current).digest() != hashlib.sha256(expected_original).digest():
        raise WriteRefused("it changed on disk since it was read")
    mode = stat.S_IMODE(real.stat().st_mode)
    # A run killed between writing its temporary file and renaming it leaves the temporary file
    # (the real one is intact, old or new); the next write to that file clears them.
    for stale in real.parent.glob(f".{glob.escape(real.name)}.*.session-lint"):
        try:
            stale.unlink()
        except OSError:
            pass
    replace_atomically(real, data, mode, prefix=f".{real.name}.", suffix=".session-lint", sync=True)
