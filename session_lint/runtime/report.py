"""Runtime findings as ``check``'s own records and formats, and read back.

This is the only module of the plugin that imports the rest of session-lint (the ``Finding``
record, its fingerprint, the json and sarif renderers): when those move, this is the one place to
repoint. Everything here is plain data in and out.

The JSON file is an object: ``findings`` (``check --format json``'s objects, each with a
``runtime`` key: the library call seen, how often, in which tests, how long the transaction was
held, both stacks) and ``network_calls`` (every application line a network call was made from,
held or not: what lets ``check --runtime-findings`` tell a static finding no test reached from one
the tests reached without a hold). SARIF carries the same under ``properties``.
"""

from __future__ import annotations

import json
import linecache
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from session_lint.report.findings import Finding, fingerprint
from session_lint.report.formats import render
from session_lint.rules import HOLD_CODES
from session_lint.rules.sl191 import RULE

FORMATS = ("json", "sarif")

CODE = RULE.code
# What ``check`` reports a held transaction with: the static findings a runtime one can confirm.
STATIC_HOLD_CODES = frozenset(HOLD_CODES)
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RuntimeFinding:
    """An SL191 finding and what was seen at runtime."""

    finding: Finding
    library_calls: Tuple[str, ...]
    call_site: str = ""
    holds: int = 1  # transactions held at this place
    calls: int = 1  # network calls made while one was
    tests: Tuple[str, ...] = ()
    longest_held_s: float = 0.0
    longest_call_s: float = 0.0
    begin_stack: Tuple[str, ...] = ()
    call_stack: Tuple[str, ...] = ()
    detail: str = ""

    def details(self) -> Dict[str, Any]:
        return {
            "library_calls": list(self.library_calls),
            "call_site": self.call_site,
            "holds": self.holds,
            "calls": self.calls,
            "tests": list(self.tests),
            "longest_held_s": round(self.longest_held_s, 6),
            "longest_call_s": round(self.longest_call_s, 6),
            "begin_stack": list(self.begin_stack),
            "call_stack": list(self.call_stack),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class NetworkCallSite:
    path: str
    line: int
    function: str
    library_call: str
    count: int
    held: int


@dataclass
class RuntimeReport:
    findings: List[RuntimeFinding] = field(default_factory=list)
    network_calls: List[NetworkCallSite] = field(default_factory=list)


def message(library_calls: Sequence[str], opened_line: int, opened_by: str, opened_elsewhere: str = "") -> str:
    since = f"{opened_elsewhere}:{opened_line}" if opened_elsewhere else f"line {opened_line}"
    calls = ", ".join(sorted(library_calls))
    return (f"transaction held at a network call, observed at runtime: {calls} while transaction open "
            f"since {since} ({opened_by})")


def make_finding(root: Path, path: str, line: int, col: int, end_line: int, end_col: int, function: str,
                 chain: Sequence[str], text: str) -> Finding:
    """An SL191 ``Finding`` fingerprinted exactly as ``check`` fingerprints its own."""
    found = Finding(path, line, col, CODE, text, function=function, chain=tuple(chain), end_line=end_line,
                    end_col=end_col)
    line_text = linecache.getline(str(root / path), line)
    return replace(found, fingerprint=fingerprint(found, line_text))


def render_report(report: RuntimeReport, fmt: str, root: Path) -> str:
    findings = sorted(report.findings, key=lambda r: r.finding)
    records = [r.finding for r in findings]
    calls = [vars(site).copy() for site in sorted(report.network_calls, key=lambda s: (s.path, s.line, s.library_call))]
    if fmt == "json":
        items = json.loads(render(records, "json"))
        for item, runtime in zip(items, findings):
            item["runtime"] = runtime.details()
        data = {"session-lint-runtime": FORMAT_VERSION, "root": str(root), "findings": items, "network_calls": calls}
        return json.dumps(data, indent=2) + "\n"
    if fmt == "sarif":
        log = json.loads(render(records, "sarif"))
        run = log["runs"][0]
        for result, runtime in zip(run["results"], findings):
            result["properties"]["runtime"] = runtime.details()
        run["properties"] = {"sessionLintRuntime": FORMAT_VERSION, "root": str(root), "networkCalls": calls}
        return json.dumps(log, indent=2) + "\n"
    raise ValueError(f"unknown runtime report format {fmt!r} (one of {', '.join(FORMATS)})")


def format_for(path: Path, asked: str = "") -> str:
    if asked:
        return asked
    return "sarif" if path.suffix.lower() == ".sarif" else "json"


def read_report(path: Path) -> RuntimeReport:
    """A file the plugin wrote, in either format. Raises ``ValueError`` for anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read runtime findings: {exc}") from None
    if isinstance(data, dict) and data.get("session-lint-runtime") == FORMAT_VERSION:
        items = data.get("findings", [])
        runtime = [(item, item.get("runtime") or {}) for item in items]
        calls = data.get("network_calls", [])
    elif isinstance(data, dict) and data.get("runs") and "sessionLintRuntime" in data["runs"][0].get("properties", {}):
        run = data["runs"][0]
        items = [_from_sarif(result) for result in run.get("results", [])]
        runtime = [(item, item["runtime"]) for item in items]
        calls = run["properties"].get("networkCalls", [])
    else:
        raise ValueError(f"{path}: not a session-lint runtime report (pytest --session-lint --session-lint-report)")
    try:
        report = RuntimeReport()
        for item, details in runtime:
            report.findings.append(_runtime_finding(item, details))
        for call in calls:
            report.network_calls.append(NetworkCallSite(str(call["path"]), int(call["line"]), str(call["function"]),
                                                        str(call["library_call"]), int(call["count"]),
                                                        int(call["held"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed runtime report: {exc!r}") from None
    return report


def _from_sarif(result: dict) -> dict:
    region = result["locations"][0]["physicalLocation"]["region"]
    props = result.get("properties", {})
    return {
        "code": result["ruleId"], "message": result["message"]["text"],
        "path": result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "line": region["startLine"], "column": region.get("startColumn", 1),
        "end_line": region.get("endLine", region["startLine"]), "end_column": region.get("endColumn", 1),
        "function": props.get("function"), "chain": props.get("chain", []),
        "fingerprint": result.get("partialFingerprints", {}).get("sessionLint/v1"),
        "runtime": props.get("runtime", {}),
    }


def _runtime_finding(item: dict, details: dict) -> RuntimeFinding:
    finding = Finding(str(item["path"]), int(item["line"]), int(item.get("column", 1)) - 1, str(item["code"]),
                      str(item["message"]), function=item.get("function") or "", chain=tuple(item.get("chain") or ()),
                      end_line=int(item.get("end_line") or 0), end_col=int(item.get("end_column") or 1) - 1,
                      fingerprint=item.get("fingerprint") or "")
    return RuntimeFinding(
        finding, tuple(str(c) for c in details.get("library_calls", ())), str(details.get("call_site", "")),
        int(details.get("holds", 1)), int(details.get("calls", 1)), tuple(details.get("tests", ())), float(details.get("longest_held_s", 0.0)),
        float(details.get("longest_call_s", 0.0)), tuple(details.get("begin_stack", ())),
        tuple(details.get("call_stack", ())), str(details.get("detail", "")))


def merge(reports: Sequence[RuntimeReport]) -> RuntimeReport:
    """One report from several (pytest-xdist's workers each watch their share of the tests): the
    same place seen by two workers is one finding."""
    findings: Dict[tuple, RuntimeFinding] = {}
    for part in reports:
        for found in part.findings:
            f = found.finding
            key = (f.path, f.line, f.function, f.code)
            seen = findings.get(key)
            if seen is None:
                findings[key] = found
                continue
            calls = tuple(sorted(set(seen.library_calls) | set(found.library_calls)))
            merged = replace(seen, library_calls=calls, holds=seen.holds + found.holds, calls=seen.calls + found.calls,
                             tests=seen.tests + tuple(t for t in found.tests if t not in seen.tests),
                             longest_held_s=max(seen.longest_held_s, found.longest_held_s),
                             longest_call_s=max(seen.longest_call_s, found.longest_call_s))
            if calls != seen.library_calls:
                merged = replace(merged, finding=replace(f, message=seen.finding.message.replace(
                    ", ".join(sorted(seen.library_calls)), ", ".join(calls), 1)))
            findings[key] = merged
    sites: Dict[tuple, NetworkCallSite] = {}
    for part in reports:
        for site in part.network_calls:
            key = (site.path, site.line, site.library_call)
            seen_site = sites.get(key)
            sites[key] = site if seen_site is None else replace(
                seen_site, count=seen_site.count + site.count, held=seen_site.held + site.held)
    return RuntimeReport(list(findings.values()), list(sites.values()))


def summary_lines(findings: Iterable[RuntimeFinding]) -> List[str]:
    """What the terminal shows: ``check``'s line, then how often and where it was seen."""
    lines = []
    for runtime in sorted(findings, key=lambda r: r.finding):
        f = runtime.finding
        tests = runtime.tests[0] if runtime.tests else "outside a test"
        more = f" and {len(runtime.tests) - 1} more" if len(runtime.tests) > 1 else ""
        lines.append(f"{f.text()}\n    held {runtime.holds} time(s) across {runtime.calls} call(s), for up to "
                     f"{runtime.longest_held_s:.3f} s, "
                     f"in {tests}{more}; call site: {runtime.call_site}")
    return lines
