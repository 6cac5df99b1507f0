"""The settings an analysis runs with, their defaults, and reading them from configuration files.

Every key has one spelling (kebab-case) in ``pyproject.toml`` (``[tool.session-lint]``), in
``setup.cfg``/``tox.ini``/``.flake8`` (``[session-lint]`` or flake8's own section), and on the
command line (``--session-dependencies``). A list key replaces its default; ``extend-<key>`` adds
to it.
"""

from __future__ import annotations

import configparser
import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

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
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    # ``fix``: the short-lived session factory to use, as ``module.name``; by default the first
    # configured factory the dependency's own module defines.
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

    def enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)


LIST_KEYS = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Settings) if f.type in ("Tuple[str, ...]",))
NUMBER_KEYS = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Settings) if f.type in ("int", "float"))
KNOWN_KEYS = frozenset(LIST_KEYS) | frozenset(f"extend-{k}" for k in LIST_KEYS) | frozenset(NUMBER_KEYS)


def apply(settings: Settings, values: Mapping[str, Any], source: str) -> Settings:
    """``settings`` with ``values`` (kebab-case keys) applied; ``source`` names where they came
    from in errors."""
    changes: Dict[str, Tuple[str, ...]] = {}
    extends: Dict[str, Tuple[str, ...]] = {}
    for key, value in values.items():
        norm = key.replace("_", "-")
        if norm not in KNOWN_KEYS:
            raise ConfigError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(LIST_KEYS + NUMBER_KEYS))})")
        if norm in NUMBER_KEYS:
            changes[norm.replace("-", "_")] = _as_number(value, source, key)  # type: ignore[assignment]
            continue
        items = _as_list(value, source, key)
        if norm.startswith("extend-"):
            extends[norm[len("extend-"):].replace("-", "_")] = items
        else:
            changes[norm.replace("-", "_")] = items
    result = dataclasses.replace(settings, **changes)
    for name, items in extends.items():
        result = dataclasses.replace(result, **{name: tuple(getattr(result, name)) + items})
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


def _as_list(value: Any, source: str, key: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace("\n", ",").split(",")]
        return tuple(p for p in parts if p)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ConfigError(f"{source}: key '{key}' must be a list of strings, got {value!r}")


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
        own = {k: v for k, v in parser.items("flake8") if k.replace("_", "-") in KNOWN_KEYS - {"select", "ignore", "extend-select", "extend-ignore"}}
        return own or None
    return None


def load(path: Optional[Path], base: Settings = Settings()) -> Settings:
    """Settings from the file at ``path`` (or the defaults when there is none)."""
    if path is None:
        return base
    section = _section(path)
    if not section:
        return base
    return apply(base, section, str(path))
