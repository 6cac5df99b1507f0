"""Printing findings: ``full`` (ruff's, for people at a terminal) and ``concise`` (flake8's
``path:line:col: CODE message``, for scripts; ``text`` is its old name), ``json``, ``sarif``
(SARIF 2.1.0, for code scanning), ``github`` (workflow-command annotations).

The JSON schema (one object per finding, stable; new keys may be added, none removed):
``code``, ``message``, ``path``, ``line``, ``column`` (1-based), ``end_line``, ``end_column``,
``function`` (the handler or function the finding is in), ``session``, ``chain`` (callees down
to the slow operation), ``fingerprint`` (what ``--baseline`` matches), ``fix`` (for SL101/SL102:
``safe``, ``unsafe: <why>`` or ``refused: <why>``; else null).
"""

from __future__ import annotations

import json
from typing import Dict, List, Optional, Sequence
from urllib.parse import quote

from session_lint import __version__
from session_lint.report import text
from session_lint.report.findings import Finding
from session_lint.rules import BY_CODE, RULES

FORMATS = ("full", "concise", "json", "sarif", "github", "text")
# Formats that carry whether a finding can be fixed (computing it plans every fix).
WITH_FIX_STATUS = ("json", "sarif")
# Formats for people, which end with a summary.
FOR_PEOPLE = ("full", "concise", "text")


def render(findings: Sequence[Finding], fmt: str, colour: bool = False) -> str:
    """``findings`` in format ``fmt``."""
    if fmt == "json":
        return json.dumps([as_json(f) for f in findings], indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(findings), indent=2) + "\n"
    if fmt == "github":
        return "".join(_github(f) + "\n" for f in findings)
    if fmt == "full":
        return text.full(findings, colour)
    return text.concise(findings)


def as_json(f: Finding) -> dict:
    return {
        "code": f.code,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.col + 1,
        "end_line": f.end_line or f.line,
        "end_column": (f.end_col + 1) if f.end_line else f.col + 1,
        "function": f.function or None,
        "session": f.session or None,
        "chain": list(f.chain),
        "fingerprint": f.fingerprint or None,
        "fix": _fix(f),
    }


def _fix(f: Finding) -> Optional[str]:
    """``safe``, ``unsafe: why`` or ``refused: why``: what ``fix`` would do, when asked."""
    if f.fix is None:
        return None
    return f.fix.status.value if not f.fix.reason else f"{f.fix.status.value}: {f.fix.reason}"


def _level(code: str) -> str:
    return "error" if code.startswith(("SL1", "SL2")) else "warning"


def sarif(findings: Sequence[Finding]) -> dict:
    """One SARIF 2.1.0 log with a run whose rules carry each rule's documentation."""
    index: Dict[str, int] = {}
    rules: List[dict] = []
    for rule in RULES:
        index[rule.code] = len(rules)
        rules.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.what},
                "help": {"text": rule.explain(), "markdown": rule.explain()},
                "defaultConfiguration": {"level": _level(rule.code)},
                "properties": {"tags": ["reliability", "performance", "sqlalchemy", "fastapi"]},
            }
        )
    results = []
    for f in findings:
        region = {"startLine": f.line, "startColumn": f.col + 1}
        if f.end_line:
            region.update({"endLine": f.end_line, "endColumn": f.end_col + 1})
        result = {
            "ruleId": f.code,
            "level": _level(f.code),
            "message": {"text": f.message},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": quote(f.path.replace("\\", "/"))}, "region": region}}
            ],
            "properties": {"function": f.function, "session": f.session, "chain": list(f.chain), "fix": _fix(f)},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fingerprint:
            result["partialFingerprints"] = {"sessionLint/v1": f.fingerprint}
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "session-lint", "version": __version__, "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _github(f: Finding) -> str:
    title = f"{f.code} {BY_CODE[f.code].name}" if f.code in BY_CODE else f.code
    return (
        f"::{_level(f.code)} file={_escape(f.path, True)},line={f.line},col={f.col + 1},"
        f"endLine={f.end_line or f.line},title={_escape(title, True)}"
        f"::{_escape(f.code + ' ' + f.message)}"
    )
