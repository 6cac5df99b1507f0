"""Fixture in, fixed file out, byte for byte: every case under tests/fixtures/fix/cases.

Each ``<case>.py`` is copied beside the shared ``app`` package (which defines the session
dependency and its ``fresh_db_session``) and fixed with ``session-lint fix`` plus the flags in
``<case>.flags``. The result must equal ``<case>.fixed.py`` (or the input, when the case is
refused or unsafe), the printed summary must equal ``<case>.txt``, and for every case: the output
parses, a second fix changes nothing, and ``check`` no longer reports a handler that was fixed.
"""

import shutil
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, UPDATE, compare_golden
from session_lint.run.analysis import analyze
from session_lint.cli import main
from session_lint.run.analysis import Analysis
from session_lint.config import Settings

FIX = FIXTURES / "fix"
CASES = sorted(p for p in (FIX / "cases").glob("*.py") if not p.name.endswith(".fixed.py"))


def test_enough_cases():
    assert len(CASES) >= 25


def run_fix(root: Path, name: str, flags, monkeypatch):
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["fix", "--no-cache", *flags, name])


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_fix_case(case: Path, tmp_path: Path, monkeypatch):
    shutil.copytree(FIX / "app", tmp_path / "app")
    target = tmp_path / case.name
    original = case.read_bytes()
    target.write_bytes(original)
    flags_file = case.with_suffix(".flags")
    flags = flags_file.read_text().split() if flags_file.exists() else []

    result = run_fix(tmp_path, case.name, flags, monkeypatch)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    compare_golden(case.with_suffix(".txt"), result.output)
    fixed = target.read_bytes()
    expected_path = case.with_name(case.stem + ".fixed.py")
    if UPDATE and fixed != original:
        expected_path.write_bytes(fixed)
    if UPDATE and fixed == original and expected_path.exists():
        expected_path.unlink()
    expected = expected_path.read_bytes() if expected_path.exists() else original
    assert fixed == expected

    # The output parses, and fixing again changes nothing.
    cst.parse_module(fixed)
    compile(fixed, case.name, "exec")
    again = run_fix(tmp_path, case.name, flags, monkeypatch)
    assert target.read_bytes() == fixed, again.output
    assert "fixed" not in again.output.replace("Fixed 0", "")

    # check no longer reports the handlers that were fixed.
    fixed_handlers = [line.split()[-1] for line in result.output.splitlines() if ": fixed " in line]
    findings = analyze(fixed, tmp_path / case.name, Settings(), Analysis(Settings(), [tmp_path]))
    assert not [f for f in findings if f.function in fixed_handlers and f.code in ("SL101", "SL102")]
    # ...and reads no ORM object that the new block's end detached or expired (SL201).
    assert not [f for f in findings if f.function in fixed_handlers and f.code == "SL201"]


def test_sl201_sees_what_extraction_prevents(tmp_path: Path):
    """The SL201 check above can fail: the same handler rewritten without extraction reports
    every read of the expired object after the block."""
    shutil.copytree(FIX / "app", tmp_path / "app")
    naive = (
        "from app.clients import http\n"
        "from app.db import fresh_db_session\n"
        "from app.models import Tool\n\n\n"
        "async def invoke(tool_id: int):\n"
        "    with fresh_db_session() as db:\n"
        "        tool = db.get(Tool, tool_id)\n"
        "    resp = await http.post(tool.gateway.url, json={'tool': tool.name})\n"
        "    return {'status': resp.status_code}\n"
    )
    findings = analyze(naive, tmp_path / "naive.py", Settings(), Analysis(Settings(), [tmp_path]))
    assert [(f.line, f.code, f.message.split(" after ")[0]) for f in findings] == [
        (9, "SL201", "'tool.gateway' reloads an expired object"),
        (9, "SL201", "'tool.name' reloads an expired object"),
    ]
