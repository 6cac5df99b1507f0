import os
import re
from pathlib import Path
from typing import List, Tuple

import pytest

# A handler that holds its dependency session across an HTTP call: one SL101, the smallest
# finding the CLI tests need.
HELD = """\
import httpx
from fastapi import APIRouter, Depends
from app.db import get_db

router = APIRouter()
client = httpx.AsyncClient()


@router.get("/a")
async def handler(db=Depends(get_db)):
    tool = db.get(Tool, 1)
    return await client.get(tool.url)
"""

FIXTURES = Path(__file__).parent / "fixtures"
# Set SESSION_LINT_UPDATE_GOLDEN=1 to rewrite expected-output files (then read the diff).
UPDATE = os.environ.get("SESSION_LINT_UPDATE_GOLDEN") == "1"
# The shop app and its own test suite, run in a subprocess by tests/test_runtime_plugin.py.
collect_ignore_glob = ["fixtures/runtime/*"]


@pytest.fixture(autouse=True)
def temporary_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test caches in a folder of its own: a cache left in the repository by an earlier
    run (of older code, or of another test) must never answer for the code under test."""
    folder = tmp_path_factory.mktemp("session-lint-cache")
    monkeypatch.setenv("SESSION_LINT_CACHE_DIR", str(folder))
    return folder


_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>SL\d+(?:\s*,\s*SL\d+)*)")


def expected_marks(text: str) -> List[Tuple[int, str]]:
    """(line, code) for every ``# expect: CODE`` marker in a fixture."""
    marks = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group("codes")):
                marks.append((number, code))
    return sorted(marks)


# In a rule's example, a trailing ``# SL101`` (or ``# SL102: why``) marks an expected finding.
_RULE_MARK = re.compile(r"#\s*(?P<code>SL\d{3})\b")


def rule_marks(text: str) -> List[Tuple[int, str]]:
    """(line, code) for every mark in a rule's example (or ``# expect:`` marker, in the further
    examples that use them)."""
    marks = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = _RULE_MARK.search(line)
        if found:
            marks.append((number, found.group("code")))
    return sorted(marks) or expected_marks(text)


def compare_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing expected output {path} (run with SESSION_LINT_UPDATE_GOLDEN=1, then review it)"
    assert actual == path.read_text(encoding="utf-8")
