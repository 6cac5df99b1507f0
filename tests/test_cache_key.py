"""The cache answers only for the code that wrote it: an edit to session-lint itself (a checkout
at another commit keeps the version number) is a cache miss, and ``SESSION_LINT_CACHE_DIR``
moves the cache of every command."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from session_lint.cli import main
from conftest import HELD

REPO = Path(__file__).parents[1]


def test_an_edit_to_the_engine_is_not_answered_by_the_old_cache(tmp_path: Path):
    # A copy of the package that can be edited, as a checkout at another commit would be.
    copy = tmp_path / "install"
    shutil.copytree(REPO / "session_lint", copy / "session_lint", ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "held.py").write_text(HELD)
    env = {**os.environ, "PYTHONPATH": str(copy), "SESSION_LINT_CACHE_DIR": str(tmp_path / "cache")}

    def check() -> str:
        done = subprocess.run([sys.executable, "-m", "session_lint", "check", "held.py"],
                              cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        return done.stdout

    assert "SL101 slow await httpx.AsyncClient.get" in check()
    # The engine changes what it reports; the version number does not change.
    messages = copy / "session_lint" / "rules" / "messages.py"
    messages.write_text(messages.read_text().replace('f"slow await {chain}"', 'f"slow await (edited) {chain}"'))
    assert "SL101 slow await (edited) httpx.AsyncClient.get" in check()


def test_the_cache_folder_comes_from_the_environment(tmp_path: Path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("SESSION_LINT_CACHE_DIR", str(elsewhere))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "held.py"])
    assert result.exit_code == 1
    assert not (tmp_path / ".session-lint-cache").exists()
    assert any(elsewhere.rglob("*.pickle"))


def test_every_test_runs_with_a_cache_of_its_own(temporary_cache):
    assert os.environ["SESSION_LINT_CACHE_DIR"] == str(temporary_cache)
    assert REPO not in temporary_cache.parents
