"""Fixture in, findings out: every file and folder under tests/fixtures/check.

A ``.py`` case marks each line a finding is expected on with ``# expect: CODE``; its sibling
``.txt`` holds the exact output. A folder case is run as ``session-lint check .`` from inside the
folder (so its configuration files apply) and compared with its ``expected.txt``.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, compare_golden, expected_marks
from session_lint.run.analysis import analyze
from session_lint.cli import main
from session_lint.report.formats import render
from session_lint.config import Settings

CHECK = FIXTURES / "check"
FILE_CASES = sorted(p for p in CHECK.glob("*.py"))
FOLDER_CASES = sorted(p for p in CHECK.iterdir() if p.is_dir() and p.name != "flake8_config")


def test_enough_cases():
    assert len(FILE_CASES) + len(FOLDER_CASES) >= 60


@pytest.mark.parametrize("case", FILE_CASES, ids=[p.stem for p in FILE_CASES])
def test_file_case(case: Path):
    data = case.read_bytes()
    findings = analyze(data, case, Settings(), display_path=case.name)
    assert sorted((f.line, f.code) for f in findings) == expected_marks(data.decode())
    compare_golden(case.with_suffix(".txt"), render(findings, "text"))


@pytest.mark.parametrize("case", FOLDER_CASES, ids=[p.name for p in FOLDER_CASES])
def test_folder_case(case: Path, monkeypatch):
    monkeypatch.chdir(case)
    result = CliRunner().invoke(main, ["check", "--no-cache", "-q", "."])
    marks = []
    for source in sorted(case.rglob("*.py")):
        rel = source.relative_to(case).as_posix()
        marks.extend((rel, line, code) for line, code in expected_marks(source.read_text()))
    found = []
    for line in result.output.splitlines():
        path, number, _col, rest = line.split(":", 3)
        found.append((path, int(number), rest.split()[0]))
    assert sorted(found) == sorted(marks), result.output
    assert result.exit_code == (1 if marks else 0)
    compare_golden(case / "expected.txt", result.output)


@pytest.mark.skipif(shutil.which("flake8") is None and not (Path(sys.executable).parent / "flake8").exists(),
                    reason="flake8 is a test dependency")
def test_flake8_reads_its_own_section():
    case = CHECK / "flake8_config"
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SL", "app/routes.py"],
        cwd=case, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "app/routes.py:14:12: SL101 slow await httpx.AsyncClient.get while session 'db' open since line 13 (db.get)"
    ]
