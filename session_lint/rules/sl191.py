from session_lint.rules.rule import Rule

# The app the examples complete: a session dependency, an HTTP notifier and a registry of
# notifiers. tests/test_runtime_plugin.py runs each example under `pytest --session-lint`,
# calling every route once, with DATABASE_URL and HOOK_URL pointing at its own database and peer.
RUNTIME_APP = """\
import os

import httpx
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"])
with engine.begin() as connection:
    connection.execute(text("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)"))
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

RULE = Rule(
    code="SL191",
    name="transaction-held-at-network-call-at-runtime",
    summary="a transaction was seen open during a network call while the project's tests ran",
    help="end the transaction before the call, as for SL101: copy what the call needs into locals, then "
    "`db.commit()` (or close the session)",
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
    known_problems="It sees only what the tests run: a hold on a path no test takes is not reported (`check "
    "--runtime-findings` marks such static findings *not exercised by tests*). A network call is a call of "
    "the plugin's table (httpx, aiohttp, requests, smtplib, aiosmtplib) or a connection opened through "
    "`socket.create_connection`, `asyncio.open_connection` or the event loop's `create_connection`; a library "
    "that talks to another host otherwise is not seen. Connections of database drivers and of caches (redis, "
    "memcached) are never network calls: the plugin reads no configuration, so `enable-libraries` does not "
    "apply to it, and a `# noqa` comment does not silence its findings.",
    example="""
NOTIFIERS = {"slack": notify_slack}  # a registry of callables: which one runs is decided at runtime


@app.post("/notify")
async def notify(db: Session = Depends(get_db)):
    count = db.execute(text("SELECT count(*) FROM orders")).scalar_one()
    await NOTIFIERS["slack"](f"{count} orders")  # SL191 (httpx.AsyncClient.send)
""",
    use_instead="""
@app.post("/notify")
async def notify(db: Session = Depends(get_db)):
    count = db.execute(text("SELECT count(*) FROM orders")).scalar_one()
    db.commit()
    await NOTIFIERS["slack"](f"{count} orders")
""",
    options="`pytest --session-lint` turns the plugin on; `--session-lint-report PATH` writes its findings (JSON, "
    "or SARIF when PATH ends in `.sarif`; `--session-lint-format` chooses), which `session-lint check "
    "--runtime-findings PATH` reads. In CI: `pytest --session-lint --session-lint-report "
    "session-lint-runtime.sarif`.",
    fix_safety="No automatic fix: `session-lint fix` rewrites what `check` reports. A hold `check` also reports "
    "(as SL101-SL105) is fixed there; one only the tests saw is fixed by hand, as for SL101.",
    prelude=RUNTIME_APP,
    runtime=True,
)
