"""One fixture per network library of the catalogue: ``tests/fixtures/libraries/<library>.py``,
run like the file cases of ``test_check_fixtures`` (``# expect: CODE`` marks and a golden
``.txt`` of the exact output)."""

from pathlib import Path

import pytest

from conftest import FIXTURES, compare_golden, expected_marks
from session_lint.config import Settings
from session_lint.report.formats import render
from session_lint.run.analysis import analyze

LIBRARY_FIXTURES = FIXTURES / "libraries"
CASES = sorted(LIBRARY_FIXTURES.glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_library_case(case: Path):
    data = case.read_bytes()
    findings = analyze(data, case, Settings(), display_path=case.name)
    assert sorted((f.line, f.code) for f in findings) == expected_marks(data.decode())
    compare_golden(case.with_suffix(".txt"), render(findings, "text"))
