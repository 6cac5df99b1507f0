"""SPEC section 6: no input may crash or hang the tool, make it import or run what it reads, or
make ``fix`` lose a byte. The committed corpus is tests/fixtures/hostile; inputs that cannot be
committed (20 MB, deep nesting, a FIFO, symlink loops, a folder named like a module) are made
here."""

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import libcst as cst
from click.testing import CliRunner

from conftest import FIXTURES, compare_golden
from session_lint.run import analysis
from session_lint.cli import main

HOSTILE = FIXTURES / "hostile"
REPO = Path(__file__).parents[1]


def build_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    shutil.copytree(HOSTILE, corpus, ignore=shutil.ignore_patterns("expected.txt"))
    line = "ROW_%d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n"
    with (corpus / "huge_20mb.py").open("w") as fh:
        n = 0
        while fh.tell() < 20 * 1024 * 1024:
            fh.write(line % n)
            n += 1
    (corpus / "deep_brackets.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (corpus / "deep_unary.py").write_text("x = " + "-" * 5000 + "1\n")
    (corpus / "deep_calls.py").write_text("x = " + "f(" * 250 + ")" * 250 + "\n")
    # A quoted annotation is parsed again by the ORM reader: as deep as this, ast.parse raises
    # RecursionError or MemoryError.
    (corpus / "deep_annotation.py").write_text(
        "class T(Base):\n    __tablename__ = 't'\n    a: Mapped['" + "-" * 100000 + "x'] = relationship()\n")
    (corpus / "folder_named.py").mkdir()
    (corpus / "loop").mkdir()
    (corpus / "loop" / "self").symlink_to(corpus / "loop")
    (corpus / "dangling.py").symlink_to(corpus / "nowhere.py")
    os.mkfifo(corpus / "pipe.py")
    return corpus


def snapshot(root: Path) -> dict:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_check_reports_what_it_cannot_read_and_still_finds_the_rest(tmp_path, monkeypatch):
    corpus = build_corpus(tmp_path)
    monkeypatch.chdir(corpus)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", "--no-cache", "-q", "."])
    elapsed = time.monotonic() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    compare_golden(HOSTILE / "expected.txt", result.output)
    assert "real_finding.py:14:12: SL101" in result.output
    assert not (corpus / "EXECUTED").exists()
    assert elapsed < 60, "the size guard must keep the 20 MB file from being parsed"


def test_fix_leaves_every_hostile_file_byte_identical(tmp_path, monkeypatch):
    """Only the one real finding is rewritten (a release in place); every hostile file keeps
    every byte."""
    corpus = build_corpus(tmp_path)
    before = snapshot(corpus)
    monkeypatch.chdir(corpus)
    for flags in ([], ["--unsafe-fixes"]):
        result = CliRunner().invoke(main, ["fix", "--no-cache", *flags, "."])
        # Findings may remain (1); a crash (2, or an exception) may not.
        assert result.exit_code in (0, 1) and (result.exception is None or isinstance(result.exception, SystemExit)), \
            result.output
        assert "internal error" not in result.output
    after = snapshot(corpus)
    after.pop(".session-lint-cache/.gitignore", None)
    fixed = (corpus / "real_finding.py").read_text()
    assert "    tool_url = tool.url\n    db.commit()\n    return await client.get(tool_url)" in fixed
    cst.parse_module(fixed)
    after.pop("real_finding.py")
    before.pop("real_finding.py")
    assert after == before
    assert not (corpus / "EXECUTED").exists()


def test_a_file_that_takes_too_long_is_reported_and_skipped(tmp_path, monkeypatch):
    (tmp_path / "slow.py").write_text("x = 1\n")
    (tmp_path / "fast.py").write_text("y = 2\n")
    real_lower = analysis.lower_module

    def slow_lower(data, path, settings, project, tree=None):
        if Path(path).name == "slow.py":
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # pure Python, interruptible
                pass
        return real_lower(data, path, settings, project, tree)

    monkeypatch.setattr(analysis, "lower_module", slow_lower)
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", "--no-cache", "-q", "--file-timeout-seconds", "0.5", "."])
    assert time.monotonic() - started < 10
    assert result.output == "slow.py:1:1: SL004 not analyzed: took longer than file-timeout-seconds (0.5 s)\n"
    assert result.exit_code == 1


HANDLER = (FIXTURES / "fix" / "cases" / "spec_example.py").read_text()


def test_killed_fix_leaves_each_file_old_or_new(tmp_path):
    """SIGKILL a fix run at random moments: every file is either the original or the complete
    rewrite, never half written."""
    fixed_text = (FIXTURES / "fix" / "cases" / "spec_example.fixed.py").read_text()
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def handlers(folder: Path) -> dict:
        shutil.copytree(FIXTURES / "fix" / "app", folder / "app")
        written = {}
        for n in range(60):
            path = folder / f"handler_{n:02d}.py"
            path.write_text(HANDLER)
            written[path] = HANDLER
        return written

    # Kill moments are fractions of how long a whole run takes on this machine: fixed delays
    # either land after a fast run has finished (no kill: the test proves nothing) or before a
    # slow one has written anything.
    (tmp_path / "timing").mkdir()
    handlers(tmp_path / "timing")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "session_lint", "fix", "--no-cache", "."], cwd=tmp_path / "timing",
                   capture_output=True, env=env, check=True)
    whole_run = time.monotonic() - started
    work = tmp_path / "work"
    work.mkdir()
    originals = handlers(work)
    rng = random.Random(7)
    kills = 0
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, "-m", "session_lint", "fix", "--no-cache", "."], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.3, 0.9) * whole_run)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        for path in originals:
            text = path.read_text()
            assert text in (HANDLER, fixed_text), f"{path.name} is half written after a kill"
            cst.parse_module(text)
        if all(path.read_text() == fixed_text for path in originals):
            break
    assert kills >= 1, "no run was interrupted; the test proved nothing"
    # A run that completes finishes the job and clears what killed runs left behind.
    subprocess.run([sys.executable, "-m", "session_lint", "fix", "--no-cache", "."], cwd=work,
                   capture_output=True, env=env, check=False)
    assert all(path.read_text() == fixed_text for path in originals)
    assert not [p.name for p in work.iterdir() if p.name.endswith(".session-lint")], "temporary files left"
