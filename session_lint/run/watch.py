"""``check --watch``: run again whenever a Python file under the paths, or a configuration file,
changes. Polling (a stat per file, a few times a second) needs no dependency and sees every
kind of change, on every platform and file system."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

from session_lint.config import CONFIG_FILES
from session_lint.source.discovery import discover

Snapshot = Dict[str, Tuple[int, int]]


def snapshot(paths: Sequence[str], excludes: Sequence[str]) -> Snapshot:
    """Size and modification time of every file a run reads, and of the configuration files
    in the folders at and above the paths."""
    seen: Snapshot = {}
    watched = [str(path) for path, _ in discover(paths, defaults=excludes)]
    for raw in paths:
        folder = Path(raw).resolve()
        folder = folder if folder.is_dir() else folder.parent
        for above in (folder, *folder.parents):
            watched.extend(str(above / name) for name in CONFIG_FILES)
    for name in watched:
        try:
            info = os.stat(name)
        except OSError:
            continue
        seen[name] = (info.st_mtime_ns, info.st_size)
    return seen


def wait_for_change(paths: Sequence[str], excludes: Sequence[str], before: Snapshot, interval: float = 0.3,
                    sleep: Callable[[float], None] = time.sleep) -> Snapshot:
    """Returns, with the new snapshot, once the files differ from ``before``."""
    while True:
        sleep(interval)
        now = snapshot(paths, excludes)
        if now != before:
            return now


def watch(run: Callable[[], None], paths: Sequence[str], excludes: Callable[[], Sequence[str]],
          announce: Callable[[str], None], rounds: Optional[int] = None) -> None:
    """``run()`` now and after every change, until interrupted (or ``rounds`` runs)."""
    done = 0
    while rounds is None or done < rounds:
        before = snapshot(paths, excludes())
        run()
        done += 1
        announce(f"[{time.strftime('%H:%M:%S')}] Watching for file changes.")
        wait_for_change(paths, excludes(), before)
        announce(f"[{time.strftime('%H:%M:%S')}] File change detected...")
