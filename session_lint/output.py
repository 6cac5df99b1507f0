"""Printing findings: ``text`` (flake8's format), ``json``, ``github`` (workflow commands)."""

from __future__ import annotations

import json
from typing import List, Sequence

from session_lint.findings import Finding

FORMATS = ("text", "json", "github")


def render(findings: Sequence[Finding], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_as_json(f) for f in findings], indent=2) + "\n"
    if fmt == "github":
        return "".join(_github(f) + "\n" for f in findings)
    return "".join(f.text() + "\n" for f in findings)


def _as_json(f: Finding) -> dict:
    return {
        "code": f.code,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.col + 1,
        "function": f.function or None,
        "session": f.session or None,
        "chain": list(f.chain),
    }


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _github(f: Finding) -> str:
    level = "error" if f.code.startswith("SL1") or f.code.startswith("SL2") else "warning"
    return (
        f"::{level} file={_escape(f.path, True)},line={f.line},col={f.col + 1},title={_escape(f.code, True)}"
        f"::{_escape(f.code + ' ' + f.message)}"
    )
