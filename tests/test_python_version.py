"""A file that needs a newer Python than the one running session-lint is SL001 with a message
that says so and which Python to run, never a bare "invalid syntax" that looks like a broken
file. Checked under the running Python and, when they are installed (pyenv), under 3.10, 3.12
and 3.13 as well."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from session_lint.cli import main

REPO = Path(__file__).parents[1]
PYENV = Path("/root/.pyenv/versions")

# (what, the version that reads it, a module using it)
SAMPLES = [
    ("except*", (3, 11), "try:\n    pass\nexcept* ValueError:\n    pass\n"),
    ("a type statement", (3, 12), "type Pair = tuple[int, int]\n"),
    ("type parameters", (3, 12), "def first[T](items: list[T]) -> T:\n    return items[0]\n"),
    ("type parameters", (3, 12), "class Box[T]:\n    pass\n"),
    ("an f-string nesting its own quotes", (3, 12), 'names = {"a": 1}\nx = f"{names["a"]}"\n'),
    ("except with unparenthesized types", (3, 14), "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"),
    ("a t-string", (3, 14), 'name = "x"\ngreeting = t"hello {name}"\n'),
]


def expected(what: str, needed, running) -> str:
    version = ".".join(map(str, needed))
    return (f"SL001 cannot parse: uses syntax of a newer Python ({what}, {version}+): run session-lint under "
            f"Python {version} or newer (this is {'.'.join(map(str, running))})")


@pytest.mark.parametrize("what,needed,source", SAMPLES, ids=[f"{s[0]}-{s[1]}" for s in SAMPLES])
def test_newer_syntax_says_which_python_to_run(tmp_path, monkeypatch, what, needed, source):
    (tmp_path / "modern.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "modern.py"])
    if sys.version_info[:2] >= needed:
        assert result.exit_code == 0 and "SL001" not in result.stdout
    else:
        assert result.exit_code == 1
        assert expected(what, needed, sys.version_info[:2]) in result.stdout


def test_a_file_that_is_broken_everywhere_is_not_blamed_on_the_version(tmp_path, monkeypatch):
    (tmp_path / "broken.py").write_text('def f(:\n    pass\nx = f"{y"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "broken.py"])
    assert "newer Python" not in result.stdout and "SL001 cannot parse" in result.stdout


@pytest.fixture(scope="session")
def interpreters(tmp_path_factory):
    """The other Pythons on this machine, each with what session-lint's check needs (click, and
    tomli before 3.11) installed into a folder of its own."""
    found = {}
    for python in sorted(PYENV.glob("3.1[0-9]*/bin/python")):
        version = tuple(int(p) for p in python.parents[1].name.split(".")[:2])
        if version < (3, 10) or version == sys.version_info[:2]:
            continue
        deps = tmp_path_factory.mktemp(f"deps-{version[0]}.{version[1]}")
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "--target", str(deps), "click>=8", "tomli>=1.1"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        found[version] = (python, deps)
    if not found:
        pytest.skip("no other Python installed under /root/.pyenv/versions")
    return found


def test_under_every_installed_python(tmp_path, interpreters):
    for number, (_what, _needed, source) in enumerate(SAMPLES):
        (tmp_path / f"sample{number}.py").write_text(source)
    for running, (python, deps) in sorted(interpreters.items()):
        done = subprocess.run([str(python), "-m", "session_lint", "check", "--no-cache", "."], cwd=tmp_path,
                              capture_output=True, text=True, env={"PYTHONPATH": f"{REPO}:{deps}", "PATH": ""})
        assert done.returncode in (0, 1), done.stderr
        for number, (what, needed, _source) in enumerate(SAMPLES):
            lines = [line for line in done.stdout.splitlines() if line.startswith(f"sample{number}.py:")]
            if running >= needed:
                assert lines == [], (running, what)
            else:
                assert len(lines) == 1 and lines[0].endswith(expected(what, needed, running)), (running, lines)
