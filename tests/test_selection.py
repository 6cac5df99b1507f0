"""Rule selection as ruff does it: ``extend-select`` adds to the defaults (on the command line
and in configuration), ``select`` starts again, ``ignore`` removes, the more specific code wins;
and a code that names no rule is a usage error (exit 2, naming it), never a linter silently
switched off."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from session_lint.cli import main
from conftest import HELD


def check(tmp_path: Path, monkeypatch, *args):
    (tmp_path / "held.py").write_text(HELD)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", *args, "held.py"])


def codes(result) -> list:
    return re.findall(r"^\S+:\d+:\d+: (SL\d+) ", result.stdout, re.MULTILINE)


def test_extend_select_on_the_command_line_adds_to_the_defaults(tmp_path, monkeypatch):
    result = check(tmp_path, monkeypatch, "--extend-select", "SL104")
    assert (result.exit_code, codes(result)) == (1, ["SL101"])


def test_extend_select_in_pyproject_adds_to_the_defaults(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nextend-select = ["SL2"]\n')
    result = check(tmp_path, monkeypatch)
    assert (result.exit_code, codes(result)) == (1, ["SL101"])


def test_extend_select_turns_on_a_rule_that_is_off_by_default(tmp_path, monkeypatch):
    (tmp_path / "held.py").write_text(HELD.replace("get(tool.url)", "get(tool.url)  # noqa: SL104"))
    assert codes(CliRunner().invoke(main, ["check", str(tmp_path / "held.py")])) == ["SL101"]
    result = CliRunner().invoke(main, ["check", "--extend-select", "SL900", str(tmp_path / "held.py")])
    assert codes(result) == ["SL101", "SL900"]


def test_select_starts_again_and_ignore_removes(tmp_path, monkeypatch):
    assert codes(check(tmp_path, monkeypatch, "--select", "SL102")) == []
    assert codes(check(tmp_path, monkeypatch, "--select", "SL1")) == ["SL101"]
    assert codes(check(tmp_path, monkeypatch, "--ignore", "SL101")) == []
    assert codes(check(tmp_path, monkeypatch, "--extend-ignore", "SL10")) == []


def test_the_more_specific_code_wins(tmp_path, monkeypatch):
    assert codes(check(tmp_path, monkeypatch, "--ignore", "SL1", "--extend-select", "SL101")) == ["SL101"]
    assert codes(check(tmp_path, monkeypatch, "--select", "SL101", "--ignore", "SL1")) == ["SL101"]
    assert codes(check(tmp_path, monkeypatch, "--select", "SL1", "--ignore", "SL101")) == []


def test_the_command_line_select_replaces_the_configured_selection(tmp_path, monkeypatch):
    # ruff's own example: the file selects SL1 but ignores SL101; --select SL101 reports SL101.
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nselect = ["SL1"]\nignore = ["SL101"]\n')
    assert codes(check(tmp_path, monkeypatch)) == []
    assert codes(check(tmp_path, monkeypatch, "--select", "SL101")) == ["SL101"]
    # extend-select on the command line adds to what the file selected, its ignore kept.
    assert codes(check(tmp_path, monkeypatch, "--extend-select", "SL2")) == []


@pytest.mark.parametrize("option,value", [
    ("--select", "SL999"), ("--select", "XYZ"), ("--ignore", "SL7"), ("--extend-select", "SL1041"),
    ("--extend-ignore", "E501"), ("--per-file-ignores", "held.py:SL199"),
])
def test_an_unknown_code_on_the_command_line_is_a_usage_error(tmp_path, monkeypatch, option, value):
    result = check(tmp_path, monkeypatch, option, value)
    assert result.exit_code == 2
    code = value.split(":")[-1]
    assert f"unknown rule code '{code}'" in result.output


@pytest.mark.parametrize("config,code", [
    ('[tool.session-lint]\nselect = ["SL8"]\n', "SL8"),
    ('[tool.session-lint]\nextend-select = ["SL104", "SL105x"]\n', "SL105x"),
    ('[tool.session-lint.per-file-ignores]\n"tests/*" = ["SL1", "SL777"]\n', "SL777"),
])
def test_an_unknown_code_in_pyproject_is_a_usage_error(tmp_path, monkeypatch, config, code):
    (tmp_path / "pyproject.toml").write_text(config)
    result = check(tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert f"pyproject.toml: unknown rule code '{code}'" in result.output


def test_an_unknown_code_in_setup_cfg_is_a_usage_error(tmp_path, monkeypatch):
    (tmp_path / "setup.cfg").write_text("[session-lint]\nignore = SL101, SL9999\n")
    result = check(tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "setup.cfg: unknown rule code 'SL9999' in 'ignore'" in result.output


@pytest.mark.parametrize("prefix", ["SL", "SL1", "SL10", "SL101", "sl101"])
def test_a_prefix_that_matches_a_rule_is_valid(tmp_path, monkeypatch, prefix):
    result = check(tmp_path, monkeypatch, "--select", prefix)
    assert (result.exit_code, codes(result)) == (1, ["SL101"])
