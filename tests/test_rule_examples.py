"""Every rule's own examples (Fixit style): valid ones report nothing, invalid ones report
exactly the marked lines."""

import pytest

from conftest import expected_marks
from session_lint.analysis import analyze
from session_lint.rules import RULES, RUNTIME_CODES
from session_lint.settings import Settings

# A runtime rule's examples are run under pytest by tests/test_runtime_plugin.py.
VALID = [(r.code, i, src) for r in RULES if r.code not in RUNTIME_CODES for i, src in enumerate(r.valid)]
INVALID = [(r.code, i, src) for r in RULES if r.code not in RUNTIME_CODES for i, src in enumerate(r.invalid)]


@pytest.mark.parametrize("code,index,source", VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_example(code, index, source):
    assert analyze(source, "example.py", Settings()) == []


@pytest.mark.parametrize("code,index,source", INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_example(code, index, source):
    findings = analyze(source, "example.py", Settings())
    assert sorted((f.line, f.code) for f in findings) == expected_marks(source)
    assert {f.code for f in findings} == {code}


def test_every_rule_that_reports_has_examples():
    for rule in RULES:
        if rule.code in ("SL002", "SL003", "SL004"):
            continue  # about reading files and limits, tested in test_cli and test_hostile
        assert rule.valid and rule.invalid, rule.code
