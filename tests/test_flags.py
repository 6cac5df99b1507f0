"""The flags people reach for from ruff and flake8: --statistics, --exit-zero, -q, --show-source,
--format concise, --stdin-filename with `-`, --watch, -V, and check --fix [--diff]
[--unsafe-fixes], which is `session-lint fix` itself."""

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXTURES
from session_lint import __version__
from session_lint.cli import main
from conftest import HELD

REPO = Path(__file__).parents[1]

FINDING = "held.py:12:12: SL101 slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)\n"


def invoke(cwd: Path, monkeypatch, *args, input=None):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, list(args), input=input)


def test_statistics_counts_findings_per_rule(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD + HELD.split("\n\n\n")[1].replace('"/a"', '"/b"').replace("handler", "b"))
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = invoke(tmp_path, monkeypatch, "check", "--statistics", ".")
    assert result.exit_code == 1
    assert result.stdout == ("2  SL101  [*] session-held-across-slow-await\n"
                             "1  SL001  [ ] unparsable-file\n"
                             "Found 3 findings (2 fixable with session-lint fix).\n")
    as_json = invoke(tmp_path, monkeypatch, "check", "--statistics", "--format", "json", ".")
    assert '"count": 2' in as_json.stdout and "Found" not in as_json.stdout


def test_exit_zero_reports_but_exits_0(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    result = invoke(tmp_path, monkeypatch, "check", "--exit-zero", "-q", "held.py")
    assert (result.exit_code, result.stdout) == (0, FINDING)
    assert invoke(tmp_path, monkeypatch, "check", "--exit-zero", "--select", "SL999", "held.py").exit_code == 2


def test_quiet_prints_the_findings_and_nothing_else(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    assert invoke(tmp_path, monkeypatch, "check", "-q", "held.py").output == FINDING
    assert invoke(tmp_path, monkeypatch, "check", "--quiet", "--format", "full", "held.py").output.endswith("first\n")
    (tmp_path / "held.py").write_text("x = 1\n")
    assert invoke(tmp_path, monkeypatch, "check", "-q", "held.py").output == ""


def test_show_source_chooses_the_full_format_and_no_show_source_the_concise_one(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    shown = invoke(tmp_path, monkeypatch, "check", "-q", "--show-source", "held.py").stdout
    assert "   |            ^^^^^" in shown and shown.startswith("SL101 [*] ")
    assert invoke(tmp_path, monkeypatch, "check", "-q", "--no-show-source", "held.py").stdout == FINDING
    assert invoke(tmp_path, monkeypatch, "check", "-q", "--format", "concise", "held.py").stdout == FINDING


def test_stdin_is_checked_as_the_named_file(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    result = invoke(tmp_path, monkeypatch, "check", "-q", "--stdin-filename", "app/held.py", "-", input=HELD)
    assert (result.exit_code, result.stdout) == (1, "app/" + FINDING)
    unnamed = invoke(tmp_path, monkeypatch, "check", "-q", "-", input=HELD)
    assert unnamed.stdout == FINDING.replace("held.py", "-")
    clean = invoke(tmp_path, monkeypatch, "check", "--stdin-filename", "app/ok.py", input="x = 1\n")
    assert (clean.exit_code, clean.stdout) == (0, "All checks passed!\n")
    assert invoke(tmp_path, monkeypatch, "check", "-", ".", input=HELD).exit_code == 2


def test_stdin_honours_noqa_and_per_file_ignores(tmp_path, monkeypatch):
    silenced = HELD.replace("get(tool.url)", "get(tool.url)  # noqa: SL101")
    result = invoke(tmp_path, monkeypatch, "check", "--stdin-filename", "held.py", "-", input=silenced)
    assert result.stdout == "All checks passed!\nNot shown: 1 by `# noqa`.\n"
    ignored = invoke(tmp_path, monkeypatch, "check", "--per-file-ignores", "tests/*:SL1", "--stdin-filename",
                     "tests/held.py", "-", input=HELD)
    assert ignored.exit_code == 0


def test_version():
    for flag in ("-V", "--version"):
        result = CliRunner().invoke(main, [flag])
        assert (result.exit_code, result.output) == (0, f"session-lint {__version__}\n")


def _lines(stream, into: "queue.Queue[str]") -> None:
    for line in iter(stream.readline, ""):
        into.put(line)


def _wait_for(lines: "queue.Queue[str]", text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        try:
            seen += lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if text in seen:
            return seen
    raise AssertionError(f"{text!r} not printed; got {seen!r}")


def test_watch_checks_again_when_a_file_changes(tmp_path):
    held = tmp_path / "held.py"
    held.write_text(HELD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "session_lint", "check", "--watch", "--no-cache", "."],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        first = _wait_for(lines, "Watching for file changes.")
        assert FINDING in first and "Found 1 finding" in first
        held.write_text(HELD.replace("    tool = db.get(Tool, 1)\n", "    tool = db.get(Tool, 1)\n    db.commit()\n"))
        second = _wait_for(lines, "Watching for file changes.")
        assert "File change detected" in second and "All checks passed!" in second
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _fix_workspace(root: Path, case: str) -> Path:
    shutil.copytree(FIXTURES / "fix" / "app", root / "app")
    shutil.copy(FIXTURES / "fix" / "cases" / case, root / case)
    return root / case


def test_check_fix_is_the_fix_command(tmp_path, monkeypatch):
    by_fix = _fix_workspace(tmp_path / "a", "spec_example.py")
    by_check = _fix_workspace(tmp_path / "b", "spec_example.py")
    expected = invoke(by_fix.parent, monkeypatch, "fix", "--no-cache", by_fix.name)
    result = invoke(by_check.parent, monkeypatch, "check", "--fix", "--no-cache", by_check.name)
    assert (result.exit_code, result.output) == (expected.exit_code, expected.output)
    assert by_check.read_bytes() == by_fix.read_bytes() != (FIXTURES / "fix" / "cases" / "spec_example.py").read_bytes()


def test_check_diff_prints_the_fix_and_writes_nothing(tmp_path, monkeypatch):
    target = _fix_workspace(tmp_path, "spec_example.py")
    before = target.read_bytes()
    result = invoke(tmp_path, monkeypatch, "check", "--diff", "--no-cache", target.name)
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/spec_example.py\n+++ b/spec_example.py\n")
    assert target.read_bytes() == before


def test_check_fix_unsafe_fixes_applies_what_fix_unsafe_fixes_applies(tmp_path, monkeypatch):
    by_fix = _fix_workspace(tmp_path / "a", "unsafe_object_escapes.py")
    by_check = _fix_workspace(tmp_path / "b", "unsafe_object_escapes.py")
    safe_only = invoke(by_check.parent, monkeypatch, "check", "--fix", "--no-cache", by_check.name)
    assert "unsafe, not applied (--unsafe-fixes applies it)" in safe_only.output
    invoke(by_fix.parent, monkeypatch, "fix", "--unsafe-fixes", "--no-cache", by_fix.name)
    invoke(by_check.parent, monkeypatch, "check", "--fix", "--unsafe-fixes", "--no-cache", by_check.name)
    assert by_check.read_bytes() == by_fix.read_bytes()
    assert b"fresh_db_session" in by_check.read_bytes()
