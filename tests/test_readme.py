"""The README as a newcomer follows it: installing, checking their own project and the usage
come before the benchmark tables, it says what to do when ``fix`` refuses, and none of the
commands it gives fails as written (a tag that does not exist, a package that is not on PyPI,
libcst's codemod without --no-format, a benchmark without the extras it imports)."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).parents[1]
README = (REPO / "README.md").read_text()


def headings():
    return [line[3:] for line in README.splitlines() if line.startswith("## ")]


def test_a_newcomer_reaches_install_their_own_project_and_usage_before_the_benchmarks():
    order = headings()
    first_benchmark = next(i for i, h in enumerate(order) if h.startswith("Does fixing it matter"))
    for needed in ("Install", "Check your own project", "Usage", "Configuration", "Fixing"):
        assert order.index(needed) < first_benchmark, order


def test_it_says_what_to_do_when_fix_refuses():
    section = README.split("### When `fix` refuses", 1)[1].split("\n## ", 1)[0]
    for step in ("file:line", "by hand", "# noqa: SL102", "--baseline"):
        assert step in section


def _tags():
    done = subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True)
    return set(done.stdout.split())


def test_pre_commit_rev_is_a_commit_or_a_tag_that_exists():
    revs = re.findall(r"^\s*rev:\s*(\S.*)$", README, re.MULTILINE)
    assert revs
    for rev in revs:
        # One token: `pre-commit autoupdate --freeze` replaces it with the newest commit.
        assert rev.split("#")[0].strip() in ({"<commit>"} | _tags()), rev


def test_it_never_installs_from_pypi_what_is_not_there():
    assert not re.search(r"pip install (-U )?session-lint\b", README)
    assert "pip install \"git+https://" in README


def test_the_codemod_command_passes_no_format():
    lines = [line for line in README.splitlines() if "libcst.tool codemod" in line]
    assert lines and all("--no-format" in line for line in lines)


def test_the_benchmarks_say_they_need_the_test_extras():
    for script in ("benchmarks/e2e_pool.py", "benchmarks/e2e_real_gateway.py"):
        before = README.split(f"python {script}", 1)[0]
        section = before.rsplit("\n## ", 1)[1]
        assert "'.[test]'" in section or "test extras" in section, script


def test_it_says_which_python_to_run_it_under():
    assert "Run it under the newest Python your project supports" in README
