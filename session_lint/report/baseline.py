"""Baselines: record today's findings, then report only new ones.

A baseline is a JSON file of fingerprints (file, enclosing function, code, normalised text of
the reported line), with how many findings share each, so that findings survive line shifts and
unrelated edits, and one fixed among two identical findings still counts as fixed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import List, Sequence, Tuple

from session_lint.report.findings import Finding

VERSION = 1


class BaselineError(Exception):
    pass


def write(path: Path, findings: Sequence[Finding]) -> None:
    counts = Counter(f.fingerprint for f in findings)
    entries = []
    for f in sorted(findings):
        if counts[f.fingerprint] <= 0:
            continue
        entries.append({"fingerprint": f.fingerprint, "count": counts.pop(f.fingerprint),
                        "code": f.code, "path": f.path, "function": f.function, "line": f.line})
    data = {"session-lint-baseline": VERSION, "findings": entries}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def read(path: Path) -> Counter:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    if not isinstance(data, dict) or data.get("session-lint-baseline") != VERSION:
        raise BaselineError(f"{path}: not a session-lint baseline (version {VERSION})")
    known: Counter = Counter()
    for entry in data.get("findings", []):
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            known[entry["fingerprint"]] += int(entry.get("count", 1))
    return known


def new_findings(findings: Sequence[Finding], known: Counter) -> Tuple[List[Finding], int]:
    """The findings the baseline does not account for, and how many baseline entries are gone
    (fixed since)."""
    remaining = Counter(known)
    fresh = []
    for f in sorted(findings):
        if remaining[f.fingerprint] > 0:
            remaining[f.fingerprint] -= 1
        else:
            fresh.append(f)
    return fresh, sum(remaining.values())
