"""What a distribution ships and says about itself: the Apache-2.0 LICENSE pyproject.toml names,
a changelog, ``py.typed`` in the wheel, project URLs that agree with the one constant the code
uses, Python-version and license classifiers; and ``explain`` for every rule the README
documents, by code or by name."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from session_lint import REPOSITORY
from session_lint.cli import main
from session_lint.rules import RULES

REPO = Path(__file__).parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_license_file_is_the_license_pyproject_names():
    assert project()["license"] == {"text": "Apache-2.0"}
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "License :: OSI Approved :: Apache Software License" in project()["classifiers"]


def test_changelog_has_an_unreleased_section():
    assert "## [Unreleased]" in (REPO / "CHANGELOG.md").read_text()


def test_python_versions_are_classified_from_the_lowest_supported():
    lowest = project()["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" ", 1)[-1] for c in project()["classifiers"]
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions[0] == lowest and "3.13" in versions


def test_project_urls_and_the_code_name_the_same_repository():
    urls = project()["urls"]
    assert urls["Homepage"] == urls["Repository"] == REPOSITORY
    assert urls["Changelog"].startswith(REPOSITORY)
    assert f"pip install \"git+{REPOSITORY}" in (REPO / "README.md").read_text()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                           "-w", str(out), str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return zipfile.ZipFile(next(out.glob("session_lint-*.whl")))


def test_the_wheel_ships_py_typed_the_license_and_the_metadata(wheel):
    names = wheel.namelist()
    assert "session_lint/py.typed" in names
    assert any(n.endswith("/LICENSE") and ".dist-info/" in n for n in names)
    metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert f"Project-URL: Repository, {REPOSITORY}" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Classifier: Programming Language :: Python :: 3.10" in metadata


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_explain_knows_every_rule_by_code_and_by_name(rule):
    by_code = CliRunner().invoke(main, ["explain", rule.code])
    by_name = CliRunner().invoke(main, ["explain", rule.name])
    assert by_code.exit_code == by_name.exit_code == 0
    assert by_code.output == by_name.output == rule.explain()


def test_explain_sl000_which_the_readme_documents():
    assert "### SL000 (internal-error)" in (REPO / "README.md").read_text()
    result = CliRunner().invoke(main, ["explain", "SL000"])
    assert result.exit_code == 0 and result.output.startswith("# SL000 (internal-error)")
