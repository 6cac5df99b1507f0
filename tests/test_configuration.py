"""Configuration as ruff reads it: ``exclude`` (replacing the defaults) and ``extend-exclude``,
``per-file-ignores`` (glob to codes), ``.gitignore`` respected, a bare string refused where
pyproject.toml needs a list, one ``--fix-factory`` checked against the tree, a missing baseline
an error, what ``# noqa`` and the baseline kept quiet counted, and unused ``# noqa`` comments
reported when asked (SL900)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from session_lint.cli import main
from conftest import HELD


def check(cwd: Path, monkeypatch, *args):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["check", *args])


def reported(result) -> list:
    return sorted(re.findall(r"^(\S+):\d+:\d+: SL\d+ ", result.stdout, re.MULTILINE))


def tree(root: Path, *files: str) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HELD)
    return root


def test_extend_exclude_adds_to_the_defaults(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "app/migrations/m1.py", "build/gen.py")
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nextend-exclude = ["migrations"]\n')
    assert reported(check(tmp_path, monkeypatch, ".")) == ["app/a.py"]


def test_exclude_replaces_the_defaults(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "app/migrations/m1.py", "build/gen.py")
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nexclude = ["migrations"]\n')
    assert reported(check(tmp_path, monkeypatch, ".")) == ["app/a.py", "build/gen.py"]


def test_a_pattern_with_a_slash_is_relative_to_the_configuration_file(tmp_path, monkeypatch):
    project = tree(tmp_path / "project", "app/a.py", "app/generated/g.py", "lib/generated/g.py")
    (project / "pyproject.toml").write_text('[tool.session-lint]\nextend-exclude = ["app/generated/*.py"]\n')
    # Run from another folder: the pattern still means the project's app/generated.
    assert reported(check(tmp_path, monkeypatch, "project")) == ["project/app/a.py", "project/lib/generated/g.py"]


def test_exclude_on_the_command_line(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "app/b_test.py", "scripts/s.py")
    assert reported(check(tmp_path, monkeypatch, "--extend-exclude", "*_test.py,scripts", ".")) == ["app/a.py"]
    # A file named on the command line is read whatever the patterns say, as in ruff and flake8.
    assert reported(check(tmp_path, monkeypatch, "--extend-exclude", "*_test.py", "app/b_test.py")) == [
        "app/b_test.py"]


def test_per_file_ignores_in_pyproject(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "tests/test_a.py", "scripts/run.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint.per-file-ignores]\n"tests/**/*.py" = ["SL1"]\n"run.py" = ["SL101"]\n')
    assert reported(check(tmp_path, monkeypatch, ".")) == ["app/a.py"]


def test_per_file_ignores_in_setup_cfg_and_on_the_command_line(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "tests/test_a.py")
    (tmp_path / "setup.cfg").write_text("[session-lint]\nper-file-ignores =\n    tests/*: SL101, SL102\n")
    assert reported(check(tmp_path, monkeypatch, ".")) == ["app/a.py"]
    assert reported(check(tmp_path, monkeypatch, "--extend-per-file-ignores", "app/*:SL101", ".")) == []
    # A negated pattern ignores the codes everywhere else.
    assert reported(check(tmp_path, monkeypatch, "--per-file-ignores", "!app/*:SL1", ".")) == ["app/a.py"]


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_is_respected_in_a_git_repository(tmp_path, monkeypatch):
    tree(tmp_path, "app/a.py", "app/generated_pb2.py", "out/x.py", "app/kept_gen.py")
    (tmp_path / ".gitignore").write_text("*_pb2.py\nout/\n*_gen.py\n")
    _git("init", "-q", ".", cwd=tmp_path)
    _git("add", "-f", "app/kept_gen.py", cwd=tmp_path)  # tracked: git does not ignore it
    assert reported(check(tmp_path, monkeypatch, ".")) == ["app/a.py", "app/kept_gen.py"]
    # Outside a repository a .gitignore means nothing, to git or to session-lint.
    shutil.rmtree(tmp_path / ".git")
    assert len(reported(check(tmp_path, monkeypatch, "."))) == 4


@pytest.mark.parametrize("key", ["select", "extend-exclude", "session-factories", "extra-sinks"])
def test_a_bare_string_where_pyproject_needs_a_list_is_an_error(tmp_path, monkeypatch, key):
    tree(tmp_path, "held.py")
    (tmp_path / "pyproject.toml").write_text(f'[tool.session-lint]\n{key} = "SL1"\n')
    result = check(tmp_path, monkeypatch, "held.py")
    assert result.exit_code == 2
    assert f"pyproject.toml: key '{key}' must be a list of strings, got the string 'SL1'" in result.output


def test_setup_cfg_lists_stay_comma_separated(tmp_path, monkeypatch):
    tree(tmp_path, "held.py")
    (tmp_path / "setup.cfg").write_text("[session-lint]\nselect = SL102, SL103\n")
    assert check(tmp_path, monkeypatch, "held.py").exit_code == 0


def test_fix_factory_takes_one_value(tmp_path, monkeypatch):
    tree(tmp_path, "held.py")
    result = check(tmp_path, monkeypatch, "--fix-factory", "app.db.a,app.db.b", "held.py")
    assert result.exit_code == 2
    assert "key 'fix-factory' takes one value, got 2: app.db.a, app.db.b" in result.output
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nfix-factory = ["app.db.a", "app.db.b"]\n')
    assert check(tmp_path, monkeypatch, "held.py").exit_code == 2


def test_fix_factory_warns_when_the_tree_has_no_such_module_or_name(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "fix" / "app", tmp_path / "app")
    tree(tmp_path, "held.py")
    good = check(tmp_path, monkeypatch, "--fix-factory", "app.db.fresh_db_session", "held.py")
    assert "warning" not in good.output
    no_name = check(tmp_path, monkeypatch, "--fix-factory", "app.db.fresh_session", "held.py")
    assert "session-lint: warning: fix-factory 'app.db.fresh_session': " in no_name.stderr
    assert "defines no 'fresh_session'" in no_name.stderr
    no_module = check(tmp_path, monkeypatch, "--fix-factory", "app.database.fresh_db_session", "held.py")
    assert "no module 'app.database' in the checked tree" in no_module.stderr
    # `fix`, where the factory is used, says so too, once, and so does `check --fix`.
    for command in (["fix", "--diff"], ["check", "--fix", "--diff"]):
        fixing = CliRunner().invoke(main, [*command, "--fix-factory", "app.database.fresh_db_session", "held.py"])
        assert fixing.stderr.count("no module 'app.database' in the checked tree") == 1, fixing.stderr


def test_a_missing_baseline_is_an_error_unless_it_is_being_written(tmp_path, monkeypatch):
    tree(tmp_path, "held.py")
    missing = check(tmp_path, monkeypatch, "--baseline", "base.json", "held.py")
    assert missing.exit_code == 2
    assert "--baseline base.json: no such file" in missing.output
    written = check(tmp_path, monkeypatch, "--baseline", "base.json", "--write-baseline", "held.py")
    assert written.exit_code == 0 and (tmp_path / "base.json").is_file()


def test_the_summary_says_what_noqa_and_the_baseline_kept_quiet(tmp_path, monkeypatch):
    tree(tmp_path, "a.py", "b.py", "c.py")
    noqa = tmp_path / "c.py"
    noqa.write_text(HELD.replace("get(tool.url)", "get(tool.url)  # noqa: SL101"))
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(main, ["check", "--baseline", "base.json", "--write-baseline", "a.py"])
    result = CliRunner().invoke(main, ["check", "--baseline", "base.json", "."])
    assert result.stdout.splitlines()[-2:] == ["Found 1 finding (1 fixable with session-lint fix).",
                                               "Not shown: 1 by `# noqa`, 1 by the baseline."]


def test_unused_noqa_comments_are_reported_when_asked(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(
        HELD.replace("get(tool.url)", "get(tool.url)  # noqa: SL101")
        + "\n\nx = 1  # noqa: SL102\ny = 2  # noqa: E501, SL999\nz = 3  # noqa\nw = 4  # noqa: SL104\n"
        + "text = '# noqa: SL101'\n"
    )
    assert check(tmp_path, monkeypatch, "-q", "held.py").stdout == ""
    result = check(tmp_path, monkeypatch, "-q", "--report-unused-noqa", "--ignore", "SL104", "held.py")
    assert result.exit_code == 1
    assert result.stdout == (
        "held.py:15:8: SL900 unused `noqa` directive (unused: SL102)\n"
        "held.py:16:8: SL900 unused `noqa` directive (unknown: SL999)\n"
        "held.py:18:8: SL900 unused `noqa` directive (non-enabled: SL104)\n"
    )
    as_json = json.loads(CliRunner().invoke(main, ["check", "--extend-select", "SL900", "--format", "json",
                                                   "held.py"]).stdout)
    assert [f["code"] for f in as_json] == ["SL900", "SL900", "SL900"]
