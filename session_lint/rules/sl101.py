from session_lint.rules.preludes import HANDLERS
from session_lint.rules import safety
from session_lint.rules.rule import HeldAt, HoldRule

UNRESOLVED = (
    "A call the analysis cannot follow (a third-party function it has no declaration for, dispatch it cannot "
    "see through) is assumed not to wait on another host, so a hold behind one goes unreported. "
    "`session-lint check --explain-unresolved` lists such calls made while a session was open; name the slow "
    "ones in `extra-sinks`."
)

SINK_OPTIONS = (
    "`session-dependencies`, `session-decorators`, `extra-sinks`, `extra-blocking-sinks`, `non-sinks` (and their "
    "`extend-` forms); `fix-factory` for the rewrite."
)

class SessionHeldAcrossSlowAwait(HoldRule):
    def applies(self, held: HeldAt) -> bool:
        return len(held.hold.chain) == 1


RULE = SessionHeldAcrossSlowAwait(
    code="SL101",
    name="session-held-across-slow-await",
    summary="a handler's dependency session is open across a slow network await",
    help="end the transaction before the slow call: read what it needs in a short-lived session (`with "
    "fresh_db_session() as db:`) and copy values into locals, or `db.commit()` first",
    what="Finds a FastAPI handler whose `Depends(get_db)` session has an open transaction (some database "
    "operation ran and no `commit()`, `rollback()` or `close()` followed) at an `await`, `async with` or "
    "`async for` that waits on another host: an HTTP client, the MCP SDK, an LLM or cloud SDK, mail, or a "
    "configured sink (`session-lint libraries` lists what is known).",
    why="SQLAlchemy checks a connection out of the pool at the session's first database operation and returns "
    "it only at commit, rollback or close; FastAPI closes a dependency's session after the response. While the "
    "handler waits 1-30 s on the other host, the connection sits 'idle in transaction'. Under load the pool "
    "drains, requests time out waiting for a connection, and PostgreSQL's "
    "`idle_in_transaction_session_timeout` kills sessions.",
    known_problems=UNRESOLVED,
    example="""
@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str, db: Session = Depends(get_db)):
    tool = db.query(Tool).filter(Tool.id == tool_id).first()
    return await client.post(tool.gateway_url)  # SL101
""",
    use_instead="""
@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str):
    with fresh_db_session() as db:
        tool = db.query(Tool).filter(Tool.id == tool_id).first()
        gateway_url = tool.gateway_url
    return await client.post(gateway_url)
""",
    options=SINK_OPTIONS,
    fix_safety=f"{safety.EXTRACT} {safety.RELEASE}",
    fixable=True,
    prelude=HANDLERS,
    valid=(
        """
@router.get("/a")
async def fetch_first(db: Session = Depends(get_db)):
    resp = await client.get("https://example.com")
    return db.query(Tool).count()
""",
        """
@router.get("/b")
async def commit_first(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    url = tool.url
    db.commit()
    return await client.get(url)
""",
    ),
    invalid=(
        """
@router.get("/b")
async def held_in_branch(flag: bool, db: Session = Depends(get_db)):
    if flag:
        db.query(Tool).all()
    async with httpx.AsyncClient() as c:
        await c.post("https://example.com")  # SL101
""",
    ),
    priority=50,
)

