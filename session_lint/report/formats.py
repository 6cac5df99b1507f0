"""Printing findings: ``full`` (ruff's, for people at a terminal) and ``concise`` (flake8's
``path:line:col: CODE message``, for scripts; ``text`` is its old name), ``json``, ``sarif``
(SARIF 2.1.0, for code scanning), ``github`` (workflow-command annotations), ``gitlab`` (GitLab
Code Quality) and ``junit`` (JUnit XML, for CI test reports).

The JSON schema (one object per finding, stable; new keys may be added, none removed):
``code``, ``message``, ``path``, ``line``, ``column`` (1-based), ``end_line``, ``end_column``,
``function`` (the handler or function the finding is in), ``session``, ``chain`` (callees down
to the slow operation), ``fingerprint`` (what ``--baseline`` matches), ``fix`` (for SL101/SL102:
``safe``, ``unsafe: <why>`` or ``refused: <why>``; else null).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence
from urllib.parse import quote

from session_lint import REPOSITORY, __version__
from session_lint.report import text
from session_lint.report.findings import Finding, FixStatus
from session_lint.rules import BY_CODE, RULES, messages, readme_anchor

FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "junit", "text")
# Formats that carry whether a finding can be fixed (computing it plans every fix).
WITH_FIX_STATUS = ("json", "sarif")
# Formats for people, which end with a summary.
FOR_PEOPLE = ("full", "concise", "text")


def render(findings: Sequence[Finding], fmt: str, colour: bool = False,
           rewrites: Optional[Mapping[str, str]] = None) -> str:
    """``findings`` in format ``fmt``. ``rewrites``: for SARIF, the unified diff ``fix`` would
    apply to each file (its ``fixes``)."""
    if fmt == "json":
        return json.dumps([as_json(f) for f in findings], indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(findings, rewrites or {}), indent=2) + "\n"
    if fmt == "github":
        return "".join(_github(f) + "\n" for f in findings)
    if fmt == "gitlab":
        return json.dumps(gitlab(findings), indent=2) + "\n"
    if fmt == "junit":
        return junit(findings)
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
        "end_column": _end_column(f),
        "function": f.function or None,
        "session": f.session or None,
        "chain": list(f.chain),
        "fingerprint": f.fingerprint or None,
        "fix": _fix(f),
        "fix_plan": _fix_plan(f),
    }


def _end_column(f: Finding) -> int:
    """1-based and exclusive, as SARIF's ``endColumn`` and ruff's ``end_location``."""
    return (f.end_col + 1) if f.end_line else f.col + 1


def _fix(f: Finding) -> Optional[str]:
    """``safe``, ``unsafe: why`` or ``refused: why``: what ``fix`` would do, when asked."""
    if f.fix is None:
        return None
    return f.fix.status.value if not f.fix.reason else f"{f.fix.status.value}: {f.fix.reason}"


def _fix_plan(f: Finding) -> Optional[dict]:
    """What ``fix`` would do, as data: ``status``, ``rewrite`` (``extract``, ``release`` or
    null), ``where`` (the function it changes, or where a person must act) and ``reason``."""
    if f.fix is None:
        return None
    return {"status": f.fix.status.value, "rewrite": f.fix.rewrite or None, "where": f.fix.where or None,
            "reason": f.fix.reason or None}


def _level(code: str) -> str:
    return "error" if code.startswith(("SL1", "SL2")) else "warning"


def help_uri(code: str) -> str:
    """The rule's section of the README in the repository."""
    return f"{REPOSITORY}/blob/main/README.md#{readme_anchor(BY_CODE[code])}"


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"))


def _physical(path: str, line: int, col: int, end_line: int = 0, end_col: int = 0) -> dict:
    region = {"startLine": max(line, 1), "startColumn": col + 1}
    if end_line:
        region.update({"endLine": end_line, "endColumn": end_col + 1})
    return {"artifactLocation": {"uri": _uri(path)}, "region": region}


def _related(f: Finding) -> List[dict]:
    """Where the transaction opened (a position), then each function of the chain down to the
    slow call (names only: the chain's steps carry no positions)."""
    out: List[dict] = []
    if f.hold is not None and f.hold.site.line > 0:
        site = f.hold.site
        out.append({"id": len(out) + 1, "physicalLocation": _physical(f.path, site.line, site.col),
                    "message": {"text": f"transaction of '{f.session}' opened here ({messages.opener(site.opener)})"}})
    for step in f.chain[:-1] if len(f.chain) > 1 else ():
        out.append({"id": len(out) + 1, "logicalLocations": [{"fullyQualifiedName": step, "kind": "function"}],
                    "message": {"text": f"awaits {step}, which reaches the slow call"}})
    if f.chain:
        out.append({"id": len(out) + 1,
                    "logicalLocations": [{"fullyQualifiedName": f.chain[-1], "kind": "function"}],
                    "message": {"text": f"the slow call: {f.chain[-1]}"}})
    return out


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def replacements(diff: str) -> List[dict]:
    """A unified diff as SARIF replacements: each hunk's old lines, whole, and what replaces
    them."""
    out: List[dict] = []
    lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        match = _HUNK.match(lines[i])
        i += 1
        if match is None:
            continue
        start, length = int(match.group(1)), int(match.group(2) or 1)
        inserted: List[str] = []
        while i < len(lines) and not lines[i].startswith("@@"):
            line = lines[i]
            if line.startswith(("+", " ")) and not line.startswith("+++"):
                inserted.append(line[1:])
            i += 1
        region = ({"startLine": start, "startColumn": 1, "endLine": start + length, "endColumn": 1} if length
                  else {"startLine": start + 1, "startColumn": 1, "endLine": start + 1, "endColumn": 1})
        out.append({"deletedRegion": region, "insertedContent": {"text": "".join(inserted)}})
    return out


def sarif(findings: Sequence[Finding], rewrites: Mapping[str, str] = {}) -> dict:
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
                "helpUri": help_uri(rule.code),
                "defaultConfiguration": {"level": _level(rule.code)},
                "properties": {"tags": ["reliability", "performance", "sqlalchemy", "fastapi"]},
            }
        )
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "level": _level(f.code),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": _physical(f.path, f.line, f.col, f.end_line, f.end_col)}],
            "properties": {"function": f.function, "session": f.session, "chain": list(f.chain), "fix": _fix(f)},
        }
        related = _related(f)
        if related:
            result["relatedLocations"] = related
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fingerprint:
            result["partialFingerprints"] = {"sessionLint/v1": f.fingerprint}
        diff = rewrites.get(f.path)
        if f.fix is not None and f.fix.status is FixStatus.SAFE and diff:
            changes = replacements(diff)
            if changes:
                result["fixes"] = [{
                    "description": {"text": "session-lint fix: the file's planned rewrite (every safe fix in it)"},
                    "artifactChanges": [{"artifactLocation": {"uri": _uri(f.path)}, "replacements": changes}],
                }]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "session-lint", "version": __version__, "informationUri": REPOSITORY,
                                    "rules": rules}},
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
    end_line = f.end_line or f.line
    # GitHub reads endColumn only for an annotation on one line.
    end_col = f",endColumn={_end_column(f)}" if end_line == f.line else ""
    return (
        f"::{_level(f.code)} file={_escape(f.path, True)},line={f.line},col={f.col + 1},"
        f"endLine={end_line}{end_col},title={_escape(title, True)}"
        f"::{_escape(f.code + ' ' + f.message)}"
    )


def gitlab(findings: Sequence[Finding]) -> List[dict]:
    """GitLab Code Quality issues. Their fingerprints must be unique within a report: two
    identical findings (same file, function, code and line text) get the baseline's fingerprint
    and its ordinal."""
    seen: Counter = Counter()
    out = []
    for f in findings:
        base = f.fingerprint or hashlib.sha256(f.text().encode("utf-8", "surrogatepass")).hexdigest()[:20]
        seen[base] += 1
        unique = base if seen[base] == 1 else hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()[:20]
        out.append({
            "type": "issue",
            "check_name": f.code,
            "description": f"{f.code} {f.message}",
            "categories": ["Performance" if f.code.startswith(("SL1", "SL2")) else "Bug Risk"],
            "severity": "major" if _level(f.code) == "error" else "minor",
            "fingerprint": unique,
            "location": {
                "path": f.path.replace("\\", "/"),
                "positions": {"begin": {"line": f.line, "column": f.col + 1},
                              "end": {"line": f.end_line or f.line, "column": _end_column(f)}},
            },
        })
    return out


def junit(findings: Sequence[Finding]) -> str:
    """JUnit XML: a test suite per file, a failing test case per finding (one passing case when
    there is nothing to report, so that CI shows the check ran)."""
    from xml.etree import ElementTree  # only for this format: a few milliseconds of every run's start

    suites = ElementTree.Element("testsuites", name="session-lint", tests=str(max(len(findings), 1)),
                                 failures=str(len(findings)), errors="0")
    by_path: Dict[str, List[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    if not findings:
        suite = ElementTree.SubElement(suites, "testsuite", name="session-lint", tests="1", failures="0", errors="0")
        ElementTree.SubElement(suite, "testcase", name="no findings", classname="session-lint")
    for path, group in by_path.items():
        suite = ElementTree.SubElement(suites, "testsuite", name=path, tests=str(len(group)),
                                       failures=str(len(group)), errors="0")
        for f in group:
            case = ElementTree.SubElement(suite, "testcase", name=f"{f.code} {f.path}:{f.line}:{f.col + 1}",
                                          classname=path, file=path, line=str(f.line))
            failure = ElementTree.SubElement(case, "failure", message=f.message, type=f.code)
            failure.text = f"{f.path}:{f.line}:{f.col + 1}: {f.code} {f.message}"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
