"""The command line as a user meets it: exit codes, formats, configuration errors, files that
cannot be read, and the rule documentation."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from session_lint.cli import main
from session_lint.rules import RULES
from conftest import HELD


CLEAN = "x = 1\n"


def run(args, cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def test_exit_codes(tmp_path: Path):
    (tmp_path / "clean.py").write_text(CLEAN)
    assert run(["check", "clean.py"], tmp_path).exit_code == 0
    (tmp_path / "held.py").write_text(HELD)
    result = run(["check", "."], tmp_path)
    assert result.exit_code == 1
    assert result.output == (
        "held.py:12:12: SL101 slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)\n"
        "Found 1 finding (1 fixable with session-lint fix).\n"
    )


def test_usage_error_exits_2(tmp_path: Path):
    assert run(["check", "--format", "xml", "."], tmp_path).exit_code == 2
    assert run(["explain", "SL999"], tmp_path).exit_code == 2


@pytest.mark.parametrize("config,message", [
    ('[tool.session-lint]\nsession-dependancies = ["get_db"]\n', "pyproject.toml: unknown key 'session-dependancies'"),
    ("[tool.session-lint]\nextra-sinks = 3\n", "key 'extra-sinks' must be a list of strings"),
    ("[tool.session-lint]\nmax-file-size-kb = -1\n", "key 'max-file-size-kb' must be a positive number"),
])
def test_bad_configuration_is_an_error_naming_file_and_key(tmp_path: Path, config, message):
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "a.py").write_text(CLEAN)
    result = run(["check", "a.py"], tmp_path)
    assert result.exit_code == 2
    assert message in result.output


def test_command_line_overrides_file(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nsession-dependencies = ["other"]\n')
    (tmp_path / "held.py").write_text(HELD)
    assert run(["check", "held.py"], tmp_path).exit_code == 0
    assert run(["check", "--session-dependencies", "get_db", "held.py"], tmp_path).exit_code == 1


def test_select_and_ignore(tmp_path: Path):
    (tmp_path / "held.py").write_text(HELD)
    assert run(["check", "--ignore", "SL101", "held.py"], tmp_path).exit_code == 0
    assert run(["check", "--select", "SL102", "held.py"], tmp_path).exit_code == 0
    assert run(["check", "--select", "SL1", "held.py"], tmp_path).exit_code == 1


def test_json_format(tmp_path: Path):
    (tmp_path / "held.py").write_text(HELD)
    result = run(["check", "--format", "json", "held.py"], tmp_path)
    [finding] = json.loads(result.output)
    fingerprint = finding.pop("fingerprint")
    assert len(fingerprint) == 20
    assert finding == {
        "code": "SL101",
        "message": "slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)",
        "path": "held.py",
        "line": 12,
        "column": 12,
        "end_line": 12,
        "end_column": 38,
        "function": "handler",
        "session": "db",
        "chain": ["httpx.AsyncClient.get"],
        # No short-lived factory to extract into: the transaction is released where it is held.
        "fix": "safe",
        "fix_plan": {"status": "safe", "rewrite": "release", "where": "handler (held.py:10), before line 12",
                     "reason": None},
    }


def test_github_format(tmp_path: Path):
    (tmp_path / "held.py").write_text(HELD)
    result = run(["check", "--format", "github", "held.py"], tmp_path)
    assert result.output == (
        "::error file=held.py,line=12,col=12,endLine=12,endColumn=38,title=SL101 session-held-across-slow-await"
        "::SL101 slow await httpx.AsyncClient.get while session 'db' open since line 11 (db.get)\n"
    )


def test_unparsable_and_unreadable_files_do_not_stop_the_run(tmp_path: Path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "held.py").write_text(HELD)
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop)
    result = run(["check", "-q", "."], tmp_path)
    assert result.exit_code == 1
    codes = [line.split()[1] for line in result.output.splitlines()]
    assert codes == ["SL001", "SL002", "SL101", "SL001"], result.output
    missing = run(["check", "-q", "no_such.py"], tmp_path)
    assert missing.output == "no_such.py:1:1: SL002 cannot read: no such file or directory\n"


def test_unreadable_file(tmp_path: Path, monkeypatch):
    # Root reads any file whatever its mode (and CI runs as root), so refuse the read instead.
    secret = tmp_path / "secret.py"
    secret.write_text(CLEAN)
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = run(["check", "-q", "secret.py"], tmp_path)
    assert result.output == "secret.py:1:1: SL002 cannot read: Permission denied\n"
    assert result.exit_code == 1


def test_rules_and_explain():
    result = CliRunner().invoke(main, ["rules"])
    assert [line.split()[0] for line in result.output.splitlines()] == [r.code for r in RULES]
    result = CliRunner().invoke(main, ["explain", "sl101"])
    assert result.exit_code == 0
    text = result.output
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert heading in text
    assert text == next(r for r in RULES if r.code == "SL101").explain()


def test_shipped_example_reports_its_held_handlers():
    root = Path(__file__).parents[1]
    result = run(["check", "-q", "examples/tools_router.py"], root)
    assert result.exit_code == 1
    lines = [(int(l.split(":")[1]), l.split()[1]) for l in result.output.splitlines()]
    marked = []
    for number, line in enumerate((root / "examples/tools_router.py").read_text().splitlines(), 1):
        if "# SL10" in line:
            marked.append((number, line.split("# ")[-1].split(":")[0].strip()))
    assert lines == marked
