"""Property-based tests: on programs hypothesmith generates from Python's grammar, and on
handlers generated from the fixtures' own building blocks, ``check`` never crashes, and ``fix``
output parses, is idempotent, and leaves everything outside the rewritten handlers as it was."""

import shutil
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from conftest import FIXTURES
from session_lint.run.analysis import analyze
from session_lint.fix.facts import FactsOracle
from session_lint.fix.model import FileFix
from session_lint.fix.source import fix_source
from session_lint.fix.factories import resolve_factories
from session_lint.run.analysis import Analysis
from session_lint.config import Settings

SETTINGS = Settings()


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_check_never_crashes_on_generated_programs(source):
    findings = analyze(source, "generated.py", SETTINGS)
    assert all(f.code.startswith("SL") for f in findings)


# ---------------------------------------------------------------- handlers from building blocks

USES = ["tool = db.get(Tool, tool_id)", "tools = db.query(Tool).all()", "db.add(Audit(event='x'))",
        "count = db.query(Tool).count()", "tool = crud.get_tool(db, tool_id)"]
RELEASES = ["db.commit()", "db.rollback()", "db.close()"]
SINKS = ["resp = await http.get('https://example.com')", "await http.post(tool.url)",
         "resp = await http.get(f'https://x/{tool.name}')", "await call_backend(tool.url, {})"]
PLAIN = ["x = 1", "logger.info('hello')", "value = compute(tool_id)"]
EARLY = ["if tool is None:\n    raise HTTPException(404, 'missing')", "if not count:\n    return {}"]


def indent(block: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in block.splitlines())


statement = st.one_of(st.sampled_from(USES), st.sampled_from(RELEASES), st.sampled_from(SINKS),
                      st.sampled_from(PLAIN), st.sampled_from(EARLY))


@st.composite
def block(draw, depth=0):
    items = draw(st.lists(statement, min_size=1, max_size=5))
    if depth < 2 and draw(st.booleans()):
        inner = draw(block(depth=depth + 1))
        wrapper = draw(st.sampled_from(["if flag:\n{0}\nelse:\n    x = 2", "for item in items:\n{0}",
                                        "try:\n{0}\nexcept ValueError:\n    pass", "with lock:\n{0}",
                                        "while flag:\n{0}\n    break"]))
        items.insert(draw(st.integers(0, len(items))), wrapper.format(indent(inner)))
    return "\n".join(items)


@st.composite
def module(draw):
    handlers = []
    for n in range(draw(st.integers(1, 3))):
        body = draw(block())
        sig = draw(st.sampled_from(["tool_id: int, flag: bool, db: Session = Depends(get_db)",
                                    "tool_id: int, flag: bool, *, db: Session = Depends(get_db)",
                                    "tool_id: int,\n    flag: bool,\n    db: Session = Depends(get_db),\n"]))
        doc = draw(st.sampled_from(["", '    """Do it.\n\n    Args:\n        db: The session.\n    """\n']))
        handlers.append(f'@router.get("/h{n}")\nasync def handler_{n}({sig}):\n{doc}'
                        f'    items = []\n    lock = make_lock()\n{indent(body)}\n')
    tail = draw(st.sampled_from(["", "\n\ndef helper(db):\n    return db.query(Tool).count()\n"]))
    head = ("import logging\n\nfrom fastapi import APIRouter, Depends, HTTPException\n"
            "from sqlalchemy.orm import Session\n\nfrom app import crud\nfrom app.clients import call_backend, http\n"
            "from app.db import get_db\n\nrouter = APIRouter()\nlogger = logging.getLogger(__name__)\n\n\n")
    return head + "\n\n".join(handlers) + tail


def _top_level_outside(source: bytes, rewritten: set) -> list:
    """The code of every top-level statement that is neither an import nor a rewritten handler."""
    tree = cst.parse_module(source)
    out = []
    for stmt in tree.body:
        if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
            continue
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in rewritten:
            continue
        out.append(tree.code_for_node(stmt))
    return out


_APP = None


def app_root(tmp_root: Path) -> Path:
    global _APP
    if _APP is None:
        shutil.copytree(FIXTURES / "fix" / "app", tmp_root / "app")
        _APP = tmp_root
    return _APP


def fix_once(root: Path, source: bytes, unsafe: bool) -> FileFix:
    path = root / "generated_handlers.py"
    path.write_bytes(source)
    analysis = Analysis(SETTINGS, [root])
    findings = analyze(source, path, SETTINGS, analysis)
    index = analysis.project.index(source, path)
    return fix_source(source, findings, index, resolve_factories(index, findings, SETTINGS, analysis.project), unsafe,
                      FactsOracle(analysis))


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(module(), st.booleans())
def test_fix_on_generated_handlers(tmp_path_factory, source, unsafe):
    root = app_root(tmp_path_factory.mktemp("gen"))
    data = source.encode()
    first = fix_once(root, data, unsafe)
    for outcome in first.outcomes:
        event(f"outcome: {outcome.status.value}")
    if first.source is None:
        return
    fixed = first.source
    compile(fixed, "fixed.py", "exec")  # parses, as Python itself reads it
    second = fix_once(root, fixed, unsafe)
    assert second.source is None or second.source == fixed, "a second fix changed the file again"
    rewritten = {o.function for o in first.outcomes if o.status.value == "fixed"}
    assert _top_level_outside(fixed, rewritten) == _top_level_outside(data, rewritten)
    # check no longer reports the handlers it rewrote
    after = analyze(fixed, root / "generated_handlers.py", SETTINGS, Analysis(SETTINGS, [root]))
    assert not [f for f in after if f.function in rewritten and f.code in ("SL101", "SL102")]
