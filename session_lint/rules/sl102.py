from session_lint.rules.preludes import HANDLERS
from session_lint.rules.rule import HeldAt, HoldRule
from session_lint.rules import safety
from session_lint.rules.sl101 import SINK_OPTIONS, UNRESOLVED


class SessionHeldAcrossSlowCallee(HoldRule):
    def applies(self, held: HeldAt) -> bool:
        return True  # any other hold of a handler's own session: the slow call is in a callee


RULE = SessionHeldAcrossSlowCallee(
    code="SL102",
    name="session-held-across-slow-callee",
    summary="a handler's dependency session is open while an awaited project function reaches a slow call",
    help="end the transaction before the awaited call (or in the callee, before its slow call): read what it "
    "needs in a short-lived session and copy values into locals, or commit first",
    what="Like SL101, where the slow operation happens inside a function of the project that the handler "
    "awaits, at any depth (functions, methods on `self` or on module-level service instances, base classes, "
    "callbacks it is handed). The message names the chain: `invoke_tool -> _call_backend -> "
    "httpx.AsyncClient.post`. A callee that commits or closes the session it was given before its own slow "
    "call does not hold it.",
    why="The connection is held exactly as in SL101; the wait is only further away from the handler.",
    known_problems=UNRESOLVED,
    example="""
async def _call_backend(url):
    return await client.post(url)


@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str, db: Session = Depends(get_db)):
    tool = db.get(Tool, tool_id)
    return await _call_backend(tool.url)  # SL102: _call_backend -> httpx.AsyncClient.post
""",
    use_instead="""
async def _call_backend(url):
    return await client.post(url)


@router.post("/tools/{tool_id}/call")
async def call_tool(tool_id: str):
    with fresh_db_session() as db:
        url = db.get(Tool, tool_id).url
    return await _call_backend(url)
""",
    options=SINK_OPTIONS,
    fix_safety=f"{safety.EXTRACT} {safety.RELEASE}",
    fixable=True,
    prelude=HANDLERS,
    valid=(
        """
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
        """
async def _call_backend(url):
    return await client.post(url)


async def invoke_tool(url):
    return await _call_backend(url)


@router.post("/a")
async def handler(db: Session = Depends(get_db)):
    tool = db.get(Tool, 1)
    return await invoke_tool(tool.url)  # SL102
""",
    ),
    priority=60,
)
