"""One fixture per network library of the catalogue: ``tests/fixtures/libraries/<library>.py``,
run like the file cases of ``test_check_fixtures`` (``# expect: CODE`` marks and a golden
``.txt`` of the exact output).

A library off by default (a cache) is also run with ``enable-libraries`` naming it: its fixture
marks those findings ``# expect-enabled: CODE``, with the golden output in ``<library>.enabled.txt``.
"""

import re
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import FIXTURES, compare_golden, expected_marks
from session_lint.config import Settings
from session_lint.knowledge.catalogue import LIBRARIES
from session_lint.knowledge.declarations import Category
from session_lint.report.formats import render
from session_lint.run.analysis import analyze

LIBRARY_FIXTURES = FIXTURES / "libraries"
CASES = sorted(LIBRARY_FIXTURES.glob("*.py"))
BY_NAME = {library.name: library for library in LIBRARIES}
# Libraries that are not another host (asyncio's wrappers, logging) are tested with the flow.
NOT_NETWORK = {Category.CONCURRENCY, Category.LOCAL}
NETWORK = [library for library in LIBRARIES if library.category not in NOT_NETWORK]

_EXPECT_ENABLED = re.compile(r"#\s*expect-enabled:\s*(?P<codes>SL\d+(?:\s*,\s*SL\d+)*)")


def enabled_marks(text: str) -> List[Tuple[int, str]]:
    return sorted((number, code) for number, line in enumerate(text.splitlines(), start=1)
                  for match in [_EXPECT_ENABLED.search(line)] if match
                  for code in re.split(r"\s*,\s*", match.group("codes")))


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_library_case(case: Path):
    data = case.read_bytes()
    findings = analyze(data, case, Settings(), display_path=case.name)
    assert sorted((f.line, f.code) for f in findings) == expected_marks(data.decode())
    compare_golden(case.with_suffix(".txt"), render(findings, "text"))


OFF_BY_DEFAULT = [case for case in CASES if case.stem in BY_NAME and not BY_NAME[case.stem].default_enabled]


@pytest.mark.parametrize("case", OFF_BY_DEFAULT, ids=[p.stem for p in OFF_BY_DEFAULT])
def test_library_enabled(case: Path):
    data = case.read_bytes()
    marks = enabled_marks(data.decode())
    assert marks, "a library off by default shows what enabling it finds"
    findings = analyze(data, case, Settings(enable_libraries=(case.stem,)), display_path=case.name)
    assert sorted((f.line, f.code) for f in findings) == sorted(expected_marks(data.decode()) + marks)
    compare_golden(case.with_suffix(".enabled.txt"), render(findings, "text"))


def test_every_network_library_has_a_fixture():
    missing = [library.name for library in NETWORK if not (LIBRARY_FIXTURES / f"{library.name}.py").exists()]
    assert not missing, f"libraries without a fixture under {LIBRARY_FIXTURES}: {missing}"
    assert len(NETWORK) >= 30


def test_every_fixture_names_a_library():
    assert sorted(case.stem for case in CASES if case.stem not in BY_NAME) == []


def test_library_names_are_unique():
    names = [library.name for library in LIBRARIES]
    assert len(names) == len(set(names))


def test_cli_lists_libraries_by_category(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from session_lint.cli import main

    monkeypatch.chdir(tmp_path)
    listed = CliRunner().invoke(main, ["libraries"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines.index("LLM:") < lines.index(next(line for line in lines if line.split()[:2] == ["openai", "on"]))
    assert any(line.split()[:2] == ["redis", "off"] for line in lines)
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nenable-libraries = ["redis"]\n')
    enabled = CliRunner().invoke(main, ["libraries"])
    assert any(line.split()[:2] == ["redis", "on"] for line in enabled.output.splitlines())
