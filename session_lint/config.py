"""The settings an analysis runs with, their defaults, and reading them from configuration files.

Every key has one spelling (kebab-case) in ``pyproject.toml`` (``[tool.session-lint]``), in
``setup.cfg``/``tox.ini``/``.flake8`` (``[session-lint]`` or flake8's own section), and on the
command line (``--session-dependencies``). A list key replaces its default; ``extend-<key>`` adds
to it.

Rule selection is ruff's: the defaults, then the configuration file, then the command line, each
a source of ``select`` (start again from these), ``extend-select`` (add) and ``ignore``
(remove); within a source the more specific code wins (``ignore = ["SL1"]`` with
``extend-select = ["SL104"]`` keeps SL104), and at the same length ``ignore`` wins. A code that
names no rule is an error, never a silent "nothing selected".
"""

from __future__ import annotations

import configparser
import dataclasses
import functools
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from session_lint.rules import RULES
from session_lint.source.discovery import DEFAULT_EXCLUDES
from session_lint.source.globs import PathMatcher, anchored

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration file or flag the tool cannot use; the message names the file and key."""


@dataclass(frozen=True)
class Settings:
    session_dependencies: Tuple[str, ...] = (
        "get_db",
        "get_session",
        "get_async_session",
        "get_async_db",
        "get_db_session",
    )
    session_factories: Tuple[str, ...] = (
        "fresh_db_session",
        "SessionLocal",
        "AsyncSessionLocal",
        "async_session",
        "async_session_maker",
        "async_session_factory",
        "session_factory",
    )
    # Decorators that read the handler's session and query through it before the body runs.
    # The gateway's RBAC decorators do (``mcpgateway.middleware.rbac``).
    session_decorators: Tuple[str, ...] = ("require_permission", "require_admin_permission")
    extra_sinks: Tuple[str, ...] = ()
    extra_blocking_sinks: Tuple[str, ...] = ()
    non_sinks: Tuple[str, ...] = ()
    # Libraries the catalogue declares off by default (caches: redis, pymemcache) whose calls
    # should count as waiting on another host here, by name (`session-lint libraries`).
    enable_libraries: Tuple[str, ...] = ()
    # Files and folders a run does not read when it walks a folder (a file named on the command
    # line is still read): ``exclude`` replaces the defaults, ``extend-exclude`` adds to them.
    # Patterns with a ``/`` are kept absolute (see :func:`globs.anchored`).
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: Tuple[str, ...] = ()
    # ``(pattern, codes)``: codes not reported in the files the pattern matches.
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    # Which rules report, as the sources gave it (see :meth:`enabled`): per source, whether it
    # started again (``select``) and its ``(code prefix, on)`` decisions, least specific first.
    selection: Tuple[Tuple[bool, Tuple[Tuple[str, bool], ...]], ...] = ()
    # ``fix``: the short-lived session factory to use, as ``module.name`` (one at most); by
    # default the first configured factory the dependency's own module defines.
    fix_factory: Tuple[str, ...] = ()
    # A file larger than this is reported (SL003) and not analysed: parsing 20 MB of literals
    # takes minutes and holds gigabytes.
    max_file_size_kb: int = 4096
    # A file whose analysis takes longer is reported (SL004) and skipped.
    file_timeout_seconds: float = 30.0

    def fingerprint(self) -> str:
        """A stable digest of every setting, for cache keys."""
        raw = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def enabled(self, code: str, path: Optional[str] = None) -> bool:
        """Whether ``code`` is reported (in the file at ``path``, when given: its
        ``per-file-ignores`` apply)."""
        if not _selected(self.selection, code):
            return False
        if path is not None and self.per_file_ignores:
            return not any(code.startswith(c) for c in _ignored_in(self.per_file_ignores, path))
        return True

    @property
    def excludes(self) -> Tuple[str, ...]:
        return self.exclude + self.extend_exclude


# The rules on when nothing selects: every rule but those a user asks for (SL900, ruff's RUF100).
DEFAULT_SELECT = ("SL0", "SL1", "SL2")
SELECTION_KEYS = ("select", "extend-select", "ignore", "extend-ignore")
# Keys that take one value (kept as a tuple of at most one, as ``fix`` reads it).
SINGLE_KEYS = ("fix-factory",)
# Keys whose ``extend-`` form is a key of its own (ruff's): the command line's ``--exclude``
# replaces the file's ``exclude`` and keeps its ``extend-exclude``.
_OWN_EXTEND = ("exclude", "per-file-ignores")

LIST_KEYS = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Settings)
                  if f.type in ("Tuple[str, ...]",) and not f.name.startswith("extend_"))
NUMBER_KEYS = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Settings) if f.type in ("int", "float"))
KNOWN_KEYS = (frozenset(LIST_KEYS) | frozenset(f"extend-{k}" for k in LIST_KEYS if k not in SINGLE_KEYS)
              | frozenset(NUMBER_KEYS) | frozenset(SELECTION_KEYS) | {"per-file-ignores", "extend-per-file-ignores"})
# Keys flake8 has too, with its own meaning: in flake8's section they are flake8's.
FLAKE8_KEYS = frozenset(SELECTION_KEYS) | {"exclude", "extend-exclude", "per-file-ignores", "extend-per-file-ignores"}
RULE_CODES = tuple(rule.code for rule in RULES)


def _selected(selection: Tuple[Tuple[bool, Tuple[Tuple[str, bool], ...]], ...], code: str) -> bool:
    on = code.startswith(DEFAULT_SELECT)
    for starts_again, decisions in selection:
        if starts_again:
            on = False
        for prefix, enable in decisions:
            if code.startswith(prefix):
                on = enable
    return on


@functools.lru_cache(maxsize=1024)
def _ignored_in(per_file: Tuple[Tuple[str, Tuple[str, ...]], ...], path: str) -> Tuple[str, ...]:
    codes: List[str] = []
    for pattern, ignored in per_file:
        negated = pattern.startswith("!")
        if PathMatcher([pattern[1:] if negated else pattern]).matches(path) != negated:
            codes.extend(ignored)
    return tuple(codes)


def check_codes(codes: Tuple[str, ...], source: str, key: str) -> Tuple[str, ...]:
    """``codes`` in upper case, each a prefix of at least one rule's code (``SL``, ``SL1``,
    ``SL10``, ``SL101``); anything else is an error naming the code."""
    out = []
    for code in codes:
        upper = code.strip().upper()
        if not upper or not any(rule.startswith(upper) for rule in RULE_CODES):
            raise ConfigError(f"{source}: unknown rule code '{code}' in '{key}' (`session-lint rules` lists them)")
        out.append(upper)
    return tuple(out)


def _selection(values: Dict[str, Tuple[str, ...]]) -> Tuple[bool, Tuple[Tuple[str, bool], ...]]:
    """One source's selection: whether it starts again, and its decisions in the order that
    makes the more specific code win, ``ignore`` after ``select`` at the same length."""
    enable = values.get("select", ()) + values.get("extend-select", ())
    disable = values.get("ignore", ()) + values.get("extend-ignore", ())
    decisions = [(code, True) for code in enable] + [(code, False) for code in disable]
    decisions.sort(key=lambda d: (len(d[0]), not d[1]))
    return "select" in values, tuple(decisions)


def apply(settings: Settings, values: Mapping[str, Any], source: str, base: Optional[Path] = None,
          strict_lists: bool = False) -> Settings:
    """``settings`` with ``values`` (kebab-case keys) applied; ``source`` names where they came
    from in errors. ``base``: the folder path patterns are relative to (the configuration
    file's; the working folder's for the command line). ``strict_lists``: a list key given a
    plain string is an error (TOML, where a string is never a list; ``setup.cfg`` and the
    command line write lists as comma-separated strings)."""
    changes: Dict[str, Any] = {}
    extends: Dict[str, Tuple[Any, ...]] = {}
    selection: Dict[str, Tuple[str, ...]] = {}
    for key, value in values.items():
        norm = key.replace("_", "-")
        if norm not in KNOWN_KEYS:
            raise ConfigError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})")
        if norm in NUMBER_KEYS:
            changes[norm.replace("-", "_")] = _as_number(value, source, key)
            continue
        if norm in ("per-file-ignores", "extend-per-file-ignores"):
            entries = tuple((anchored(pattern, base), check_codes(codes, source, key))
                            for pattern, codes in _as_mapping(value, source, key, strict_lists))
            if norm.startswith("extend-"):
                extends["per_file_ignores"] = entries
            else:
                changes["per_file_ignores"] = entries
            continue
        if norm in SINGLE_KEYS:
            changes[norm.replace("-", "_")] = _as_single(value, source, key)
            continue
        items = _as_list(value, source, key, strict_lists)
        if norm in SELECTION_KEYS:
            selection[norm] = check_codes(items, source, key)
            continue
        if norm in ("exclude", "extend-exclude"):
            items = tuple(anchored(p, base) for p in items)
        if norm.startswith("extend-") and norm[len("extend-"):] not in _OWN_EXTEND:
            extends[norm[len("extend-"):].replace("-", "_")] = items
        else:
            changes[norm.replace("-", "_")] = items
    result = dataclasses.replace(settings, **changes)
    for name, extra in extends.items():
        result = dataclasses.replace(result, **{name: tuple(getattr(result, name)) + extra})
    if selection:
        result = dataclasses.replace(result, selection=result.selection + (_selection(selection),))
    return result


def _as_number(value: Any, source: str, key: str) -> float:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number <= 0:
        raise ConfigError(f"{source}: key '{key}' must be a positive number, got {value!r}")
    return int(number) if number.is_integer() and key.replace("_", "-") == "max-file-size-kb" else number


def _as_list(value: Any, source: str, key: str, strict: bool = False) -> Tuple[str, ...]:
    if isinstance(value, str) and not strict:
        parts = [p.strip() for p in value.replace("\n", ",").split(",")]
        return tuple(p for p in parts if p)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    if isinstance(value, str):
        # ``select = "SL1"`` would otherwise be read one way here and another in setup.cfg.
        raise ConfigError(f"{source}: key '{key}' must be a list of strings, got the string {value!r} "
                          f'(write {key} = ["{value}"])')
    raise ConfigError(f"{source}: key '{key}' must be a list of strings, got {value!r}")


def _as_single(value: Any, source: str, key: str) -> Tuple[str, ...]:
    items = _as_list(value, source, key)
    if len(items) > 1:
        raise ConfigError(f"{source}: key '{key}' takes one value, got {len(items)}: {', '.join(items)}")
    return items


def parse_file_codes(text: str) -> List[Tuple[str, Tuple[str, ...]]]:
    """flake8's ``per-file-ignores`` text (``tests/*:SL101,SL102`` entries, separated by
    spaces, commas or lines) as ``(pattern, codes)``."""
    entries: List[Tuple[str, List[str]]] = []
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        if ":" in token:
            pattern, _, code = token.partition(":")
            if not pattern and entries and entries[-1][1]:
                pattern = entries[-1][1].pop()  # ``tests/* : SL101``
            entries.append((pattern, [code] if code else []))
        elif entries:
            entries[-1][1].append(token)
        else:
            entries.append((token, []))
    return [(pattern, tuple(codes)) for pattern, codes in entries]


def _as_mapping(value: Any, source: str, key: str, strict: bool) -> List[Tuple[str, Tuple[str, ...]]]:
    if isinstance(value, dict):
        return [(str(pattern), _as_list(codes, source, f"{key}.{pattern}", strict)) for pattern, codes in value.items()]
    if isinstance(value, str) and not strict:
        entries = parse_file_codes(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) and not strict:
        entries = [entry for item in value for entry in parse_file_codes(item)]
    else:
        raise ConfigError(f"{source}: key '{key}' must be a table of file patterns to lists of codes, got {value!r}")
    for pattern, codes in entries:
        if not pattern or not codes:
            raise ConfigError(f"{source}: key '{key}' needs 'pattern:CODES' entries, got {value!r}")
    return entries


CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8")


def find_config(start: Path) -> Optional[Path]:
    """The nearest configuration file at or above ``start`` that has a session-lint section."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_FILES:
            path = candidate_dir / name
            if path.is_file() and _section(path) is not None:
                return path
    return None


def _section(path: Path) -> Optional[Dict[str, Any]]:
    try:
        if path.name == "pyproject.toml":
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            section = data.get("tool", {}).get("session-lint")
            if section is not None and not isinstance(section, dict):
                raise ConfigError(f"{path}: [tool.session-lint] must be a table")
            return section
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, configparser.Error) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if parser.has_section("session-lint"):
        return dict(parser.items("session-lint"))
    if parser.has_section("flake8"):
        # flake8's section also holds flake8's own keys: take only ours from it.
        own = {k: v for k, v in parser.items("flake8") if k.replace("_", "-") in KNOWN_KEYS - FLAKE8_KEYS}
        return own or None
    return None


def load(path: Optional[Path], base: Settings = Settings()) -> Settings:
    """Settings from the file at ``path`` (or the defaults when there is none)."""
    if path is None:
        return base
    section = _section(path)
    if not section:
        return base
    return apply(base, section, str(path), base=path.parent, strict_lists=path.name == "pyproject.toml")
