"""Every rule's documentation and examples: one source for ``session-lint rules``,
``session-lint explain``, and the test suite (which runs every example).

Examples mark the lines a finding is expected on with ``# expect: CODE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    what: str
    why: str
    example: str
    fix: str
    valid: Tuple[str, ...] = ()
    invalid: Tuple[str, ...] = ()

    def explain(self) -> str:
        return (
            f"# {self.code} ({self.name})\n\n"
            f"## What it does\n{self.what}\n\n"
            f"## Why is this bad?\n{self.why}\n\n"
            f"## Example\n```python\n{self.example.strip()}\n```\n\n"
            f"## Fix\n{self.fix}\n"
        )


_HEADER = """\
import httpx
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from app.db import get_db, fresh_db_session

router = APIRouter()
client = httpx.AsyncClient()
"""

RULES: Tuple[Rule, ...] = (
    Rule(
        code="SL001",
        name="unparsable-file",
        summary="a file that cannot be read as Python source",
        what="Reports a file that does not parse (a syntax error, or bytes that are not text in its declared encoding). "
        "The rest of the run goes on.",
        why="A file session-lint cannot parse is a file it cannot check: a held session in it would go unreported.",
        example="async def handler(:\n    ...",
        fix="Make the file parse. There is no automatic fix.",
        valid=("x = 1\n",),
        invalid=("def f(:  # expect: SL001\n    pass\n",),
    ),
    Rule(
        code="SL002",
        name="unreadable-file",
        summary="a file that cannot be opened or read",
        what="Reports a path given to `check` (or found under a given folder) that cannot be read: no permission, "
        "a broken symlink, an I/O error.",
        why="A file session-lint cannot read is a file it cannot check.",
        example="$ chmod 000 app/routers/tools.py",
        fix="Make the file readable, or exclude it. There is no automatic fix.",
    ),
    Rule(
        code="SL003",
        name="file-too-large",
        summary="a file larger than max-file-size-kb, not analyzed",
        what="Reports a file larger than `max-file-size-kb` (default 4096 KB) instead of analyzing it, and goes on with "
        "the others.",
        why="Generated or data files of many megabytes take minutes and gigabytes to parse and hold no handlers; a "
        "pre-commit hook must not stall on one. The report says the file was skipped, so a held session in it "
        "cannot go unnoticed silently.",
        example="$ session-lint check fixtures/huge_generated_table.py",
        fix="Exclude the file (`--exclude`), or raise `max-file-size-kb`.",
    ),
    Rule(
        code="SL004",
        name="file-timeout",
        summary="a file whose analysis took longer than file-timeout-seconds, skipped",
        what="Reports a file whose analysis took longer than `file-timeout-seconds` (default 30) and skips it; the "
        "run goes on.",
        why="No single file may hang a lint run. The report says the file was not checked.",
        example="$ session-lint check --file-timeout-seconds 5 src/",
        fix="Raise `file-timeout-seconds`, or report the file: it is probably a performance bug in session-lint.",
    ),
    Rule(
        code="SL101",
        name="session-held-across-slow-await",
        summary="a handler's dependency session is open across a slow network await",
        what="Finds a FastAPI handler whose `Depends(get_db)` session has an open transaction (some database "
        "operation ran and no `commit()`, `rollback()` or `close()` followed) at an `await`, `async with` or "
        "`async for` that waits on another host: httpx, aiohttp, the MCP SDK, SMTP, or a configured sink.",
        why="SQLAlchemy checks a connection out of the pool at the session's first database operation and returns "
        "it only at commit, rollback or close; FastAPI closes a dependency's session after the response. While the "
        "handler waits 1-30 s on the other host, the connection sits 'idle in transaction'. Under load the pool "
        "drains, requests time out waiting for a connection, and PostgreSQL's "
        "`idle_in_transaction_session_timeout` kills sessions.",
        example="""
@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str, db: Session = Depends(get_db)):
    tool = db.query(Tool).filter(Tool.id == tool_id).first()
    return await client.post(tool.gateway_url)  # SL101
""",
        fix="Read what the slow call needs inside a short-lived session, copy it into plain locals, let the "
        "session close, then make the call:\n\n```python\n"
        "@router.post(\"/tools/{tool_id}/call\")\nasync def call_tool(tool_id: str):\n"
        "    with fresh_db_session() as db:\n        tool = db.query(Tool).filter(Tool.id == tool_id).first()\n"
        "        gateway_url = tool.gateway_url\n    return await client.post(gateway_url)\n```\n\n"
        "`session-lint fix` makes this rewrite. It is *safe* when every use of the loaded objects after the block "
        "can be replaced by extracted values, *unsafe* (only with `--unsafe-fixes`) when an ORM object escapes "
        "whole, and *refused* when the session is used again after the slow call or the call needs the session.",
        valid=(
            _HEADER
            + """
@router.get("/a")
async def fetch_first(db: Session = Depends(get_db)):
    resp = await client.get("https://example.com")
    return db.query(Tool).count()
""",
            _HEADER
            + """
@router.get("/b")
async def commit_first(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    url = tool.url
    db.commit()
    return await client.get(url)
""",
            _HEADER
            + """
@router.post("/c")
async def call_tool(tool_id: str):
    with fresh_db_session() as db:
        tool = db.query(Tool).filter(Tool.id == tool_id).first()
        url = tool.url
    return await client.post(url)
""",
        ),
        invalid=(
            _HEADER
            + """
@router.get("/a")
async def held(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    return await client.get(tool.url)  # expect: SL101
""",
            _HEADER
            + """
@router.get("/b")
async def held_in_branch(flag: bool, db: Session = Depends(get_db)):
    if flag:
        db.query(Tool).all()
    async with httpx.AsyncClient() as c:
        await c.post("https://example.com")  # expect: SL101
""",
        ),
    ),
    Rule(
        code="SL102",
        name="session-held-across-slow-callee",
        summary="a handler's dependency session is open while an awaited project function reaches a slow call",
        what="Like SL101, where the slow operation happens inside a function of the project that the handler "
        "awaits, at any depth. The message names the chain: `invoke_tool -> _call_backend -> httpx.AsyncClient.post`. "
        "A callee that commits or closes the session it was given before its own slow call does not hold it.",
        why="The connection is held exactly as in SL101; the wait is only further away from the handler.",
        example="""
async def _call_backend(url):
    return await client.post(url)

@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str, db: Session = Depends(get_db)):
    tool = db.get(Tool, tool_id)
    return await _call_backend(tool.url)  # SL102: _call_backend -> httpx.AsyncClient.post
""",
        fix="The same rewrite as SL101 when the chain starts in the handler: extract what the callee needs, close "
        "the session, then await it. When the callee itself receives the session and holds it, the fix belongs "
        "in the callee, and `session-lint fix` refuses with that reason.",
        valid=(
            _HEADER
            + """
async def release_then_call(db, tool_id):
    url = db.get(Tool, tool_id).url
    db.commit()
    return await client.get(url)

@router.get("/a")
async def handler(tool_id: int, db: Session = Depends(get_db)):
    db.query(Tool).count()
    return await release_then_call(db, tool_id)
""",
        ),
        invalid=(
            _HEADER
            + """
async def _call_backend(url):
    return await client.post(url)

async def invoke_tool(url):
    return await _call_backend(url)

@router.post("/a")
async def handler(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    return await invoke_tool(tool.url)  # expect: SL102
""",
        ),
    ),
    Rule(
        code="SL103",
        name="explicit-session-held-across-slow-await",
        summary="an explicitly created session is open across a slow await",
        what="Finds a session the code makes itself (`with fresh_db_session() as db`, `db = SessionLocal()`, "
        "`async with async_session() as s`, a `sessionmaker` result, a `@contextmanager` or "
        "`@asynccontextmanager` function that makes a session and yields it, the project's own subclass of "
        "`Session`, also through a module (`database.SessionLocal()`)) that has an open transaction at a slow await, in any async function.",
        why="A short-lived session only helps if it is closed before the slow call: one that stays open across it "
        "holds a pooled connection idle in transaction for the whole wait.",
        example="""
async def refresh(tool_id):
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        await client.get(tool.url)  # SL103
""",
        fix="End the `with` block (or `commit()`/`close()`) before the slow call, after copying the values it "
        "needs into locals. No automatic fix.",
        valid=(
            _HEADER
            + """
async def refresh(tool_id):
    with fresh_db_session() as db:
        url = db.get(Tool, tool_id).url
    await client.get(url)
""",
        ),
        invalid=(
            _HEADER
            + """
async def refresh(tool_id):
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        await client.get(tool.url)  # expect: SL103
""",
        ),
    ),
    Rule(
        code="SL104",
        name="session-held-across-blocking-call",
        summary="a blocking network call while a session's transaction is open",
        what="Finds a synchronous network call (`requests`, `httpx.Client`, `smtplib`, `urllib`) made while a "
        "session's transaction is open, directly or through project functions. Sync (`def`) handlers run in "
        "FastAPI's threadpool and hold the connection exactly as async ones do.",
        why="The connection stays checked out and idle in transaction for the whole blocking call; in an async "
        "function the event loop is blocked as well.",
        example="""
@router.get("/tools/{tool_id}/ping")
def ping(tool_id: int, db: Session = Depends(get_db)):
    tool = db.get(Tool, tool_id)
    return requests.get(tool.url).status_code  # SL104
""",
        fix="Copy what the call needs, commit or close the session, then make the call. No automatic fix for "
        "`def` handlers.",
        valid=(
            _HEADER
            + """
import requests

@router.get("/a")
def ping(db: Session = Depends(get_db)):
    url = db.get(Tool, 1).url
    db.close()
    return requests.get(url).status_code
""",
        ),
        invalid=(
            _HEADER
            + """
import requests

@router.get("/a")
def ping(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    return requests.get(tool.url).status_code  # expect: SL104
""",
        ),
    ),
)

RULES = RULES + (
    Rule(
        code="SL105",
        name="sub-dependency-session-held",
        summary="a session opened by a sub-dependency is open across a slow await in the handler",
        what="Finds a handler with a dependency such as `user=Depends(get_current_user)` whose chain (at any depth) "
        "queries through `Depends(get_db)`, and that then awaits a slow operation. FastAPI caches `get_db` per request "
        "and closes it after the response, so the transaction the dependency opened is still open, though the handler "
        "never names the session. When the handler also takes `db=Depends(get_db)`, that is the same session and the "
        "finding is SL101/SL102 on `db`.",
        why="The connection is checked out for the whole request, including every slow call the handler makes.",
        example="""
def get_current_user(token: str, db: Session = Depends(get_db)):
    return db.query(User).filter(User.token == token).first()

@router.post("/notify")
async def notify(user=Depends(get_current_user)):
    await client.post(HOOK_URL, json={"user": user.id})  # SL105
""",
        fix="End the dependency's transaction before it returns (`db.commit()` after the lookup, or read the user "
        "through `fresh_db_session()` inside the dependency). No automatic fix.",
        valid=(
            _HEADER
            + """
def get_current_user(token: str, db: Session = Depends(get_db)):
    user = db.query(User).filter(User.token == token).first()
    db.commit()
    return user

@router.post("/notify")
async def notify(user=Depends(get_current_user)):
    await client.post("https://hooks.example.com", json={"user": user.id})
""",
        ),
        invalid=(
            _HEADER
            + """
def get_current_user(token: str, db: Session = Depends(get_db)):
    return db.query(User).filter(User.token == token).first()

@router.post("/notify")
async def notify(user=Depends(get_current_user)):
    await client.post("https://hooks.example.com", json={"user": user.id})  # expect: SL105
""",
        ),
    ),
)

_MODELS = """\
from contextlib import contextmanager
from typing import List

from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload, sessionmaker

SessionLocal = sessionmaker(bind=create_engine("postgresql://db/app"), expire_on_commit=False)


def get_db():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    finally:
        db.close()


fresh_db_session = contextmanager(get_db)


class Base(DeclarativeBase):
    pass


class Gateway(Base):
    __tablename__ = "gateways"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]


class Tool(Base):
    __tablename__ = "tools"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    gateway_id: Mapped[int] = mapped_column(ForeignKey("gateways.id"))
    gateway: Mapped["Gateway"] = relationship()
"""

RULES = RULES + (
    Rule(
        code="SL201",
        name="orm-object-after-session",
        summary="an ORM object is read after its short-lived session ended, where that read needs the session",
        what="Follows ORM objects loaded through a session (`db.get(Tool, id)`, `db.query(Tool)...first()`, "
        "`db.execute(select(Tool)).scalars()`, loops over the results) or added to it (`db.add(tool)`: a commit "
        "expires it, a rollback leaves it as it was) past the end of that session: the end of "
        "`with fresh_db_session() as db:`, `db.close()`, a rollback (which always expires them), a commit that "
        "expires them (`expire_on_commit`, SQLAlchemy's default, read from the project's `sessionmaker`), or an "
        "exception leaving a factory that rolls back. It reports a read that needs the session again: a relationship "
        "not loaded yet (a lazy one that neither the query's `selectinload`/`joinedload` nor an earlier read inside "
        "the block loaded), a `dynamic` relationship, a deferred column, or any attribute of an expired object; "
        "properties and model methods count as reading what their body reads from `self`. Columns that were loaded "
        "are not reported. The models (SQLAlchemy's, and SQLModel's `table=True` classes), their relationships' "
        "`lazy=` options and the session factories are read from the project's source.",
        why="Outside its session, such a read raises `DetachedInstanceError`; inside a still-open session after an "
        "expiring commit it silently starts a new transaction. Moving to short-lived sessions (the fix for SL101) "
        "creates exactly this bug when a value is not extracted before the block ends.",
        example="""
with fresh_db_session() as db:
    tool = db.get(Tool, tool_id)
url = tool.gateway.url  # SL201: the gateway relationship lazy-loads after the session closed
""",
        fix="Read what is needed inside the block (`gateway_url = tool.gateway.url`), or load the relationship with "
        "the query (`options(selectinload(Tool.gateway))`). `session-lint fix` extracts values this way when it "
        "rewrites a handler, and marks a fix that lets an object escape whole as unsafe. No automatic fix for "
        "SL201 itself.",
        valid=(
            _MODELS
            + """

def gateway_url(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        gateway_url = tool.gateway.url
    return tool.name + gateway_url


def eager(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.scalars(select(Tool).options(selectinload(Tool.gateway)).where(Tool.id == tool_id)).one()
    return tool.gateway.url
""",
        ),
        invalid=(
            _MODELS
            + """

def gateway_url(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
    return tool.name + tool.gateway.url  # expect: SL201
""",
        ),
    ),
)

_RUNTIME_HEADER = """\
import os

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"])
SessionLocal = sessionmaker(engine)
app = FastAPI()


def get_db():
    with SessionLocal() as db:
        yield db


async def notify_slack(message):
    async with httpx.AsyncClient() as client:
        await client.post(os.environ["HOOK_URL"], json={"text": message})


NOTIFIERS = {"slack": notify_slack}
"""

# Reported by the pytest plugin (session_lint.runtime), never by `check`: their examples are run
# under pytest by tests/test_runtime_plugin.py, each route called once.
RUNTIME_CODES = frozenset({"SL191"})

RULES = RULES + (
    Rule(
        code="SL191",
        name="transaction-held-at-network-call-at-runtime",
        summary="a transaction was seen open during a network call while the project's tests ran",
        what="Reported by the pytest plugin (`pytest --session-lint`), not by `check`. While the project's own "
        "tests run, it records every SQLAlchemy transaction (the connection's begin, commit and rollback events, "
        "for `Session`, `Connection` and `AsyncSession` alike) and every network call (httpx, aiohttp, requests, "
        "smtplib, aiosmtplib, and any socket a library opens), and reports a network call made while a "
        "transaction of the same request (or of application code the test called) was open. The finding is at "
        "the innermost application function that began the transaction and, through its callees, reached the "
        "call: the same `path:line:col` a static SL101-SL105 finding uses, so `session-lint check "
        "--runtime-findings` can say which static findings the tests confirmed. It names the library call, both "
        "stacks, the tests, how often and how long the transaction was held. A transaction the test itself holds, "
        "the database drivers' own connections and the test client's in-process calls into the app are not "
        "reported.",
        why="The tests run straight through what static analysis cannot follow (registries of callables, "
        "factories, strategy tables, plugins): a hold seen at runtime is certain, and one `check` does not report "
        "shows where its catalogue or its call graph is missing something. The connection is held exactly as in "
        "SL101.",
        example="""
NOTIFIERS = {"slack": notify_slack}  # which one runs is decided at runtime

@app.post("/notify")
async def notify(channel: str, db: Session = Depends(get_db)):
    count = db.execute(text("SELECT count(*) FROM orders")).scalar_one()
    await NOTIFIERS[channel](f"{count} orders")  # SL191 (httpx.AsyncClient.send, seen in test_notify)
""",
        fix="As for SL101: copy what the call needs, `commit()` or close the session, then make the call. "
        "Turn the plugin on in CI with `pytest --session-lint --session-lint-report session-lint-runtime.sarif`.",
        valid=(
            _RUNTIME_HEADER
            + """

@app.post("/notify")
async def notify(db: Session = Depends(get_db)):
    count = db.execute(text("SELECT 1")).scalar_one()
    db.commit()
    await NOTIFIERS["slack"](f"{count} orders")
""",
        ),
        invalid=(
            _RUNTIME_HEADER
            + """

@app.post("/notify")
async def notify(db: Session = Depends(get_db)):
    count = db.execute(text("SELECT 1")).scalar_one()
    await NOTIFIERS["slack"](f"{count} orders")  # expect: SL191
""",
        ),
    ),
)

BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}


README_BEGIN = "<!-- rules:begin (generated by `python -m session_lint.rules`; do not edit) -->"
README_END = "<!-- rules:end -->"


def readme_section() -> str:
    """The README's rule reference, generated from :data:`RULES`."""
    lines = [README_BEGIN, "", "| code | name | finds |", "|---|---|---|"]
    for rule in RULES:
        lines.append(f"| {rule.code} | {rule.name} | {rule.summary} |")
    lines.append("")
    for rule in RULES:
        text = rule.explain().replace(f"# {rule.code} ({rule.name})", f"### {rule.code} ({rule.name})")
        text = text.replace("\n## ", "\n#### ")
        lines.append(text.rstrip("\n"))
        lines.append("")
    lines.append(README_END)
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - used to regenerate the README section
    print(readme_section())
