"""The flake8 plugin: an adapter from flake8's plugin interface to :func:`analysis.analyze`."""

from __future__ import annotations

import argparse
import ast
import multiprocessing
from pathlib import Path
import sys
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Tuple

from session_lint import __version__
from session_lint import config as settings_mod
from session_lint.run.analysis import Analysis, analyze
from session_lint.index.cache import Cache
from session_lint.source.modules import project_root
from session_lint.run.check import default_cache_dir, index_ahead

# flake8 has its own select, ignore, exclude and per-file-ignores, and applies them itself.
_OWN_KEYS = sorted(settings_mod.KNOWN_KEYS - settings_mod.FLAKE8_KEYS)


class SessionLintChecker:
    name = "session-lint"
    version = __version__

    settings: ClassVar[Optional[settings_mod.Settings]] = None
    # One project index per project root, built once per flake8 process and shared by every
    # file it checks, so cross-module summaries are computed once.
    analyses: ClassVar[Dict[Path, Analysis]] = {}

    def __init__(self, tree: Any, filename: str, lines: List[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for key in _OWN_KEYS:
            manager.add_option(f"--{key}", parse_from_config=True, comma_separated_list=True, default=None,
                               help=f"session-lint: {key} (comma-separated)")

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        base = settings_mod.load(settings_mod.find_config(Path.cwd()))
        values = {}
        for key in _OWN_KEYS:
            given = getattr(options, key.replace("-", "_"), None)
            if given:
                values[key] = list(given)
        # flake8 applies its own --select/--ignore, --per-file-ignores and # noqa.
        try:
            cls.settings = settings_mod.apply(base, values, "flake8 options")
        except settings_mod.ConfigError as exc:
            print(f"session-lint: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        cls.analyses = {}
        if _workers_share_this_process():
            index_ahead([Path(f) for f in _files_flake8_checks(options)], cls.settings,
                        lambda path: cls.analysis_for(str(path), cls.settings))

    @classmethod
    def analysis_for(cls, filename: str, settings: settings_mod.Settings) -> Analysis:
        root = project_root(Path(filename))
        if root not in cls.analyses:
            cache = Cache(root / default_cache_dir(), settings.fingerprint())
            roots = [root] + ([root / "src"] if (root / "src").is_dir() else [])
            cls.analyses[root] = Analysis(settings, roots, cache)
        return cls.analyses[root]

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        settings = self.settings or settings_mod.Settings()
        analysis = self.analysis_for(self.filename, settings)
        source = "".join(self.lines)
        # flake8 parsed the file with ``ast`` already: the front end reads that tree.
        tree = self.tree if isinstance(self.tree, ast.Module) else None
        for f in analyze(source, self.filename, settings, analysis, apply_noqa=False, tree=tree):
            yield f.line, f.col, f"{f.code} {f.message}", type(self)


def _workers_share_this_process() -> bool:
    """Whether flake8's worker processes, if it starts any, are forked from this one after
    its options are parsed: then an index built now is theirs too. Otherwise (a worker
    process, or workers started afresh by ``spawn``/``forkserver``) each builds what it needs."""
    if multiprocessing.parent_process() is not None:
        return False
    return multiprocessing.get_start_method() == "fork"


def _files_flake8_checks(options: argparse.Namespace) -> List[str]:
    """The files flake8 is about to check, found as flake8 finds them (its excludes, its
    ``filename`` patterns); none when that cannot be known (then each is indexed on demand)."""
    try:
        from flake8.discover_files import expand_paths

        found = expand_paths(paths=options.filenames, stdin_display_name=options.stdin_display_name,
                             filename_patterns=options.filename,
                             exclude=(*options.exclude, *options.extend_exclude))
        return [f for f in found if f != "-" and f.endswith(".py")]
    except (ImportError, AttributeError, TypeError, OSError):
        return []
