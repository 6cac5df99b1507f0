"""Property-based tests: on programs hypothesmith generates from Python's grammar ``check`` never
crashes; on handlers and services generated from the fixtures' own building blocks ``fix``
rewrites most (the share is asserted on a fixed-seed sample), its output parses, a second fix
changes nothing, and ``check`` then reports nothing new: no ORM object read after its release
(SL201), no name left undefined (pyflakes), every run exiting 0 or 1."""

import random
import shutil
from collections import Counter
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from click.testing import CliRunner
from pyflakes.api import check as pyflakes_check
from pyflakes.reporter import Reporter
from hypothesis import HealthCheck, event, given, settings, strategies as st

from conftest import FIXTURES
from session_lint.cli import main
from session_lint.config import Settings
from session_lint.run.analysis import analyze
from session_lint.run.check import check_paths

SETTINGS = Settings()


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_check_never_crashes_on_generated_programs(source):
    findings = analyze(source, "generated.py", SETTINGS)
    assert all(f.code.startswith("SL") for f in findings)


# ---------------------------------------------------------------- handlers and services

# Service bodies: they receive the session, may query or write, and call another host.
SERVICE_USES = ["tool = db.get(Tool, tool_id)", "tools = db.query(Tool).all()", "count = db.query(Tool).count()",
                "tool = db.execute(select(Tool).where(Tool.id == tool_id)).scalar_one()"]
SERVICE_WRITES = ["db.add(Audit(event='x'))", "db.flush()"]
SERVICE_SINKS = ["resp = await http.get('https://example.com')", "resp = await http.post(tool.url)",
                 "resp = await http.get(f'https://x/{tool.name}')"]
SERVICE_AFTER = ["return resp.status_code", "return {'name': tool.name, 'status': resp.status_code}",
                 "db.add(Result(body=resp.text))\nreturn resp.text", "return tool.name"]
# Handler bodies: they query, maybe release, and call another host directly or through a service.
USES = ["tool = db.get(Tool, tool_id)", "tools = db.query(Tool).all()", "count = db.query(Tool).count()"]
RELEASES = ["db.commit()", "db.close()"]
SINKS = ["resp = await http.get('https://example.com')", "await http.post(tool.url)",
         "resp = await http.get(f'https://x/{tool.name}')", "await call_backend(tool.url, {})",
         "result = await service_{n}(db, tool_id)"]
PLAIN = ["x = 1", "logger.info('hello')"]
EARLY = ["if tool is None:\n    raise HTTPException(404, 'missing')", "if not count:\n    return {}"]


def indent(block: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in block.splitlines())


def service(rng: random.Random, n: int) -> str:
    body = [rng.choice(SERVICE_USES[:2] + SERVICE_USES[3:])]
    if rng.random() < 0.3:
        body.append(rng.choice(SERVICE_WRITES))
    sink = rng.choice(SERVICE_SINKS)
    if "tool." in sink and not body[0].startswith("tool ="):
        body.insert(0, "tool = db.get(Tool, tool_id)")
    body.append(sink)
    after = rng.choice(SERVICE_AFTER)
    if "tool." in after and not any(b.startswith("tool =") for b in body):
        after = "return resp.status_code"
    body.append(after)
    return f"async def service_{n}(db, tool_id):\n{indent(chr(10).join(body))}\n"


def handler(rng: random.Random, n: int) -> str:
    items = [rng.choice(USES)]
    for _ in range(rng.randint(0, 2)):
        items.append(rng.choice(PLAIN + EARLY + RELEASES + USES))
    items.append(rng.choice(SINKS).replace("{n}", str(n)))
    if rng.random() < 0.4:
        wrapper = rng.choice(["if flag:\n{0}\nelse:\n    x = 2", "for item in items:\n{0}",
                              "try:\n{0}\nexcept ValueError:\n    pass"])
        cut = rng.randint(1, len(items) - 1)
        items = items[:cut] + [wrapper.format(indent("\n".join(items[cut:])))]
    body = "\n".join(items)
    for name in ("tool", "count"):
        if f"{name}." in body or f"not {name}" in body or f"{name} is" in body:
            if f"{name} =" not in body.split(f"{name}.")[0].split(f"not {name}")[0].split(f"{name} is")[0]:
                body = ("tool = db.get(Tool, tool_id)" if name == "tool" else "count = db.query(Tool).count()") + "\n" + body
    sig = rng.choice(["tool_id: int, flag: bool, db: Session = Depends(get_db)",
                      "tool_id: int, flag: bool, *, db: Session = Depends(get_db)"])
    return f'@router.get("/h{n}")\nasync def handler_{n}({sig}):\n    items = []\n{indent(body)}\n'


HEAD = ("import logging\n\nfrom fastapi import APIRouter, Depends, HTTPException\nfrom sqlalchemy import select\n"
        "from sqlalchemy.orm import Session\n\nfrom app.clients import call_backend, http\nfrom app.db import get_db\n"
        "from app.models import Audit, Result, Tool\n\nrouter = APIRouter()\nlogger = logging.getLogger(__name__)\n\n\n")


def generated(seed: int) -> str:
    rng = random.Random(seed)
    count = rng.randint(1, 3)
    return HEAD + "\n\n".join(service(rng, n) + "\n\n" + handler(rng, n) for n in range(count))


def undefined_names(source: str) -> list:
    messages = []

    class Collect(Reporter):
        def __init__(self):
            pass

        def flake(self, message):
            if "undefined name" in str(message):
                messages.append(str(message).split(":", 3)[-1])

        def syntaxError(self, *args):
            messages.append("syntax error")

        def unexpectedError(self, *args):
            messages.append("unexpected error")

    pyflakes_check(source, "generated.py", Collect())
    return messages


def fix_and_judge(root: Path, source: str, unsafe: bool, monkeypatch) -> str:
    """Fixes ``source`` in ``root`` and checks every property; says how it went."""
    path = root / "generated.py"
    path.write_text(source)
    monkeypatch.chdir(root)
    before = check_paths(["."], SETTINGS).findings
    flags = ["--unsafe-fixes"] if unsafe else []
    first = CliRunner().invoke(main, ["fix", "--no-cache", *flags, "."])
    assert first.exception is None or isinstance(first.exception, SystemExit), first.output
    assert first.exit_code in (0, 1), first.output
    files = {p: p.read_text() for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    for file, text in files.items():
        compile(text, str(file), "exec")
        assert undefined_names(text) == undefined_names((FIXTURES / "fix" / "app" / file.relative_to(root / "app")).read_text()
                                                        if file.parent.name == "app" else source), (file, text)
    second = CliRunner().invoke(main, ["fix", "--no-cache", *flags, "."])
    assert second.exit_code in (0, 1), second.output
    assert {p: p.read_text() for p in files} == files, "a second fix changed the files again"
    after = check_paths(["."], SETTINGS).findings
    new = Counter((f.path, f.function, f.code) for f in after) - Counter((f.path, f.function, f.code) for f in before)
    assert not new, f"fix made new findings: {sorted(new)}\n{first.output}"
    return "rewritten" if " fixed by " in first.output else "unchanged"


def fresh_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gen")
    shutil.copytree(FIXTURES / "fix" / "app", root / "app")
    (root / "app" / "models.py").write_text((root / "app" / "models.py").read_text() + (
        "\n\nclass Audit(Base):\n    __tablename__ = 'audits'\n\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    event: Mapped[str]\n\n\nclass Result(Base):\n    __tablename__ = 'results'\n\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n    body: Mapped[str]\n"))
    return root


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 10**6), st.booleans())
def test_fix_on_generated_handlers_and_services(tmp_path_factory, monkeypatch, seed, unsafe):
    outcome = fix_and_judge(fresh_root(tmp_path_factory), generated(seed), unsafe, monkeypatch)
    event(outcome)


def test_fix_rewrites_most_generated_code(tmp_path_factory, monkeypatch):
    """On a fixed sample, most generated modules get rewritten (with --unsafe-fixes): a fix that
    refused everything, or wrote nothing, fails here."""
    outcomes = Counter(fix_and_judge(fresh_root(tmp_path_factory), generated(seed), True, monkeypatch)
                       for seed in range(24))
    assert outcomes["rewritten"] >= 0.6 * sum(outcomes.values()), outcomes
