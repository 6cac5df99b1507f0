"""Every rule's own examples (Fixit style): the documented example reports exactly its marked
lines, the documented fix ("Use instead") reports nothing, and so do the further examples each
rule carries. The documentation shows the same text the tests run."""

import pytest

from conftest import rule_marks
from session_lint.config import Settings
from session_lint.rules import RULES
from session_lint.run.analysis import analyze

# A runtime rule's examples are run under pytest by tests/test_runtime_plugin.py: `check` never
# reports its code.
CODE_RULES = [r for r in RULES if r.example_is_code and not r.runtime]
INVALID = [(r, r.example, "example") for r in CODE_RULES] + [
    (r, src, f"invalid-{i}") for r in CODE_RULES for i, src in enumerate(r.invalid)]
VALID = [(r, r.use_instead, "use-instead") for r in CODE_RULES if r.use_instead] + [
    (r, src, f"valid-{i}") for r in CODE_RULES for i, src in enumerate(r.valid)]


@pytest.mark.parametrize("rule,source,kind", INVALID, ids=[f"{r.code}-{k}" for r, _, k in INVALID])
def test_example_reports_exactly_its_marks(rule, source, kind):
    text = rule.prelude + source
    findings = analyze(text, "example.py", Settings())
    assert sorted((f.line, f.code) for f in findings) == rule_marks(text)
    assert {f.code for f in findings} == {rule.code}


@pytest.mark.parametrize("rule,source,kind", VALID, ids=[f"{r.code}-{k}" for r, _, k in VALID])
def test_fixed_example_reports_nothing(rule, source, kind):
    assert analyze(rule.prelude + source, "example.py", Settings()) == []


def test_every_rule_is_documented_in_every_section_it_needs():
    for rule in RULES:
        assert rule.what and rule.why and rule.example, rule.code
        if rule.code.startswith(("SL1", "SL2")):
            assert rule.use_instead and rule.known_problems and rule.options and rule.fix_safety, rule.code
            assert rule.example_is_code, rule.code


def test_the_marks_are_what_the_documentation_shows():
    """The mark in an example is the comment a reader sees (``# SL101``), not a test syntax."""
    for rule in (r for r in RULES if r.example_is_code):
        if rule.code.startswith(("SL1", "SL2")):
            assert f"# {rule.code}" in rule.example and "expect:" not in rule.example, rule.code
            assert f"# {rule.code}" in rule.explain(), rule.code


@pytest.mark.parametrize("rule", [r for r in RULES if r.runtime], ids=lambda r: r.code)
def test_check_never_reports_a_runtime_rule(rule):
    """Only the pytest plugin reports a runtime rule, though its code can be selected like any."""
    for source in (rule.example, rule.use_instead, *rule.valid, *rule.invalid):
        assert rule.code not in {f.code for f in analyze(rule.prelude + source, "example.py", Settings())}
    assert Settings().enabled(rule.code)
