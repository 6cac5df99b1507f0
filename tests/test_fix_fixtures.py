"""Fixture in, fixed files out, byte for byte: every case under tests/fixtures/fix/cases (SPEC 4a,
extract, and the releases of 4b it falls back to) and tests/fixtures/fix/release (SPEC 4b).

Each ``<case>.py`` is copied beside its folder's ``app`` package and fixed with ``session-lint
fix`` plus the flags in ``<case>.flags``. The change to the whole tree (the case and ``app``)
must equal ``<case>.diff``, and the printed lines ``<case>.txt``. For every case: every file
parses, a second fix changes nothing, and ``check`` afterwards reports none of the findings
fixed and nothing new; the rewritten code reads no ORM object its release expired or detached
(SL201) and names nothing undefined.
"""

import difflib
import re
import shutil
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, compare_golden
from session_lint.cli import main
from session_lint.config import Settings
from session_lint.run.check import check_paths

FOLDERS = [FIXTURES / "fix" / "cases", FIXTURES / "fix" / "release"]
CASES = sorted(p for folder in FOLDERS if folder.exists() for p in folder.glob("*.py")
               if not p.name.endswith(".fixed.py"))


def test_enough_cases():
    assert len([c for c in CASES if c.parent.name == "cases"]) >= 25


def app_of(folder: Path) -> Path:
    """The ``app`` package a folder's cases import: its own, else the one beside it."""
    return folder / "app" if (folder / "app").is_dir() else folder.parent / "app"


def tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts}


def tree_diff(before: dict, after: dict) -> str:
    out = []
    for name in sorted(set(before) | set(after)):
        a = before.get(name, "").splitlines(keepends=True)
        b = after.get(name, "").splitlines(keepends=True)
        out.extend(difflib.unified_diff(a, b, fromfile=f"a/{name}", tofile=f"b/{name}"))
    return "".join(out)


def run_fix(root: Path, name: str, flags, monkeypatch):
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["fix", "--no-cache", *flags, "."])


def findings(root: Path, monkeypatch):
    monkeypatch.chdir(root)
    return check_paths(["."], Settings()).findings


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fix_case(case: Path, tmp_path: Path, monkeypatch):
    shutil.copytree(app_of(case.parent), tmp_path / "app")
    target = tmp_path / case.name
    target.write_bytes(case.read_bytes())
    flags_file = case.with_suffix(".flags")
    flags = flags_file.read_text().split() if flags_file.exists() else []

    before = tree(tmp_path)
    checked = findings(tmp_path, monkeypatch)
    result = run_fix(tmp_path, case.name, flags, monkeypatch)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    compare_golden(case.with_suffix(".txt"), result.output)
    after = tree(tmp_path)
    compare_golden(case.with_suffix(".diff"), tree_diff(before, after))

    # Every file parses, and fixing again changes nothing.
    for name, text in after.items():
        cst.parse_module(text)
        compile(text, name, "exec")
    run_fix(tmp_path, case.name, flags, monkeypatch)
    assert tree(tmp_path) == after

    # check reports none of the findings fixed, and nothing new.
    fixed = [line for line in result.output.splitlines() if " fixed by " in line]
    now = findings(tmp_path, monkeypatch)
    old = Counter((f.path, f.function, f.code) for f in checked)
    new = Counter((f.path, f.function, f.code) for f in now)
    assert not (new - old), f"new findings after fix: {sorted(new - old)}"
    for line in fixed:
        path, number, col, rest = line.split(":", 3)
        code = rest.split()[0]
        assert not [f for f in now if f.path == path and f.code == code
                    and f.function == next(g.function for g in checked if g.path == path and g.line == int(number))]


RELEASE_CASES = [c for c in CASES if c.parent.name == "release"]
_RECORDED = re.compile(r"`(?P<path>[\w.]+\.py):(?P<line>\d+):(?P<col>\d+) (?P<code>SL\d{3})`")


def test_enough_release_cases():
    assert len(RELEASE_CASES) >= 25


@pytest.mark.parametrize("case", RELEASE_CASES, ids=[p.stem for p in RELEASE_CASES])
def test_release_notes_record_what_check_reports(case: Path, tmp_path: Path, monkeypatch):
    """Each 4b case's notes (``<case>.md``) say where the release goes and why; their first line
    records the findings ``check`` reports, which must stay true."""
    first = case.with_suffix(".md").read_text().splitlines()[0]
    recorded = sorted((m["path"], int(m["line"]), int(m["col"]), m["code"]) for m in _RECORDED.finditer(first))
    shutil.copytree(app_of(case.parent), tmp_path / "app")
    (tmp_path / case.name).write_bytes(case.read_bytes())
    monkeypatch.chdir(tmp_path)
    found = check_paths([case.name], Settings()).findings
    assert recorded and sorted((f.path, f.line, f.col + 1, f.code) for f in found) == recorded


def test_sl201_sees_what_extraction_prevents(tmp_path: Path):
    """The new-findings check above can fail: the same handler rewritten without extraction
    reports every read of the expired object after the block."""
    from session_lint.run.analysis import Analysis, analyze

    shutil.copytree(app_of(FOLDERS[0]), tmp_path / "app")
    naive = (
        "from app.clients import http\n"
        "from app.db import fresh_db_session\n"
        "from app.models import Tool\n\n\n"
        "async def invoke(tool_id: int):\n"
        "    with fresh_db_session() as db:\n"
        "        tool = db.get(Tool, tool_id)\n"
        "    resp = await http.post(tool.gateway.url, json={'tool': tool.name})\n"
        "    return {'status': resp.status_code}\n"
    )
    found = analyze(naive, tmp_path / "naive.py", Settings(), Analysis(Settings(), [tmp_path]))
    assert [(f.line, f.code, f.message.split(" after ")[0]) for f in found] == [
        (9, "SL201", "'tool.gateway' reloads an expired object"),
        (9, "SL201", "'tool.name' reloads an expired object"),
    ]


def test_a_release_without_its_copies_is_caught(tmp_path: Path):
    """Releasing without copying what is read afterwards reloads the object after the commit:
    the re-check of a release sees it, which is what drops such a rewrite."""
    from session_lint.fix.planner import detached_reads
    from session_lint.run.analysis import Analysis

    shutil.copytree(app_of(FOLDERS[0]), tmp_path / "app")
    source = (
        "from app.clients import http\n"
        "from app.models import Tool\n\n\n"
        "async def invoke(db, tool_id: int):\n"
        "    tool = db.get(Tool, tool_id)\n"
        "{release}"
        "    return await http.post({url})\n"
    )
    naive = source.format(release="    db.commit()\n", url="tool.name")
    copied = source.format(release="    tool_name = tool.name\n    db.commit()\n", url="tool_name")
    kept = source.format(release="    db.expire_on_commit = False\n    db.commit()\n    db.expire_on_commit = True\n",
                         url="tool.name")
    reads = {}
    for name, text in (("naive", naive), ("copied", copied), ("kept", kept)):
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        analysis = Analysis(Settings(), [tmp_path])
        fn = analysis.project.index(path.read_bytes(), path).functions[f"{name}.invoke"]
        reads[name] = [(pos.line, ".".join(read.path)) for pos, read in detached_reads(analysis, fn, "db", expires=None)]
    assert reads == {"naive": [(8, "tool.name")], "copied": [], "kept": []}

