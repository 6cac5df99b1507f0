"""``session-lint fix`` as users run it: --diff writes nothing, writes keep the file's mode,
encoding and BOM, a file changed since it was read is left alone, a symlink out of the given
paths is never written through, and the same rewrite runs as a libcst codemod."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXTURES
from session_lint.cli import main
from session_lint.fix import runner as fix_runner

CASES = FIXTURES / "fix" / "cases"
REPO = Path(__file__).parents[1]


def workspace(tmp_path: Path, case: str) -> Path:
    shutil.copytree(FIXTURES / "fix" / "app", tmp_path / "app")
    shutil.copy(CASES / case, tmp_path / case)
    return tmp_path / case


def fix(args, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["fix", "--no-cache", *args])


def test_diff_prints_and_writes_nothing(tmp_path, monkeypatch):
    target = workspace(tmp_path, "spec_example.py")
    before = target.read_bytes()
    result = fix(["--diff", target.name], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert target.read_bytes() == before
    assert "+    with fresh_db_session() as db:" in result.output
    assert result.output.startswith("--- a/spec_example.py\n+++ b/spec_example.py\n")
    clean = fix(["--diff", "app/db.py"], tmp_path, monkeypatch)
    assert clean.exit_code == 0


def test_write_keeps_mode_and_exits_clean_when_nothing_remains(tmp_path, monkeypatch):
    target = workspace(tmp_path, "spec_example.py")
    target.chmod(0o640)
    result = fix([target.name], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == (CASES / "spec_example.fixed.py").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".spec_example")]  # no temp file left


def test_bom_and_latin1_cookie_survive(tmp_path, monkeypatch):
    target = workspace(tmp_path, "spec_example.py")
    text = target.read_text()
    target.write_bytes(b"\xef\xbb\xbf" + text.encode())
    fix([target.name], tmp_path, monkeypatch)
    fixed = target.read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf")
    assert fixed[3:] == (CASES / "spec_example.fixed.py").read_bytes()

    latin = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + text
    target.write_bytes(latin.encode("latin-1"))
    fix([target.name], tmp_path, monkeypatch)
    out = target.read_bytes()
    assert out.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
    assert b"with fresh_db_session() as db:" in out


def test_file_changed_since_read_is_left_alone(tmp_path, monkeypatch):
    target = workspace(tmp_path, "spec_example.py")
    real_plan = fix_runner.plan_fixes

    def edit_then_plan(*args, **kwargs):
        planned = real_plan(*args, **kwargs)
        target.write_text(target.read_text() + "\n# edited meanwhile\n")
        return planned

    monkeypatch.setattr(fix_runner, "plan_fixes", edit_then_plan)
    result = fix([target.name], tmp_path, monkeypatch)
    assert "not written: it changed on disk since it was read" in result.output
    assert target.read_text().endswith("# edited meanwhile\n")
    assert "fresh_db_session" not in target.read_text()


def test_symlink_out_of_the_given_paths_is_not_written(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = workspace(outside, "spec_example.py")
    inside = tmp_path / "inside"
    shutil.copytree(FIXTURES / "fix" / "app", inside / "app")
    (inside / "link.py").symlink_to(target)
    before = target.read_bytes()
    result = fix(["link.py"], inside, monkeypatch)
    assert "not written: the file resolves outside the given paths" in result.output
    assert target.read_bytes() == before


def test_libcst_codemod_command(tmp_path):
    target = workspace(tmp_path, "spec_example.py")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "--no-format", "--hide-progress",
         "session_lint.codemod.FixHeldSessions", target.name],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == (CASES / "spec_example.fixed.py").read_bytes()


def test_codemod_reports_refusals_as_warnings(tmp_path):
    target = workspace(tmp_path, "refused_shared_try.py")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "--no-format", "--hide-progress",
         "session_lint.codemod.FixHeldSessions", target.name],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )
    assert ("refused_shared_try.py:15:16: SL101 unsafe, not applied (--unsafe-fixes applies it): pending writes "
            "(line 14) would be committed before the slow call") in proc.stderr
    assert target.read_bytes() == (CASES / "refused_shared_try.py").read_bytes()


def test_handler_called_from_another_module_keeps_its_parameter(tmp_path, monkeypatch):
    # The caller is in a module of its own: only the project-wide index sees that call. Dropping
    # the handler's parameter would break it, so the transaction is released in place instead.
    handler = workspace(tmp_path, "registered_not_called.py")
    before = handler.read_bytes()
    (tmp_path / "sync_jobs.py").write_text(
        "from registered_not_called import fetch_feed\n"
        "\n"
        "\n"
        "async def sync_all(db, feed_ids):\n"
        "    return [await fetch_feed(feed_id=i, db=db) for i in feed_ids]\n"
    )
    result = fix(["."], tmp_path, monkeypatch)
    assert "SL101 fixed by release in fetch_feed (registered_not_called.py:" in result.output, result.output
    fixed = handler.read_text()
    assert "db: Session = Depends(get_db)" in fixed and "    db.commit()\n" in fixed
    assert fixed != before.decode()
