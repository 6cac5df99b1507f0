from session_lint.rules.preludes import HANDLERS
from session_lint.rules import safety
from session_lint.rules.rule import HeldAt, HoldRule
from session_lint.rules.sl101 import UNRESOLVED


class BlockingCallHeld(HoldRule):
    def applies(self, held: HeldAt) -> bool:
        return held.hold.blocking


RULE = BlockingCallHeld(
    code="SL104",
    name="session-held-across-blocking-call",
    summary="a blocking network call while a session's transaction is open",
    help="commit or close the session before the blocking call, or move the call out of the transaction",
    what="Finds a synchronous network call (`requests`, `httpx.Client`, `smtplib`, `urllib`, a blocking SDK "
    "client) made while a session's transaction is open, directly or through project functions. Sync (`def`) "
    "handlers run in FastAPI's threadpool and hold the connection exactly as async ones do.",
    why="The connection stays checked out and idle in transaction for the whole blocking call; in an async "
    "function the event loop is blocked as well.",
    known_problems=UNRESOLVED,
    example="""
@router.get("/tools/{tool_id}/ping")
def ping(tool_id: int, db: Session = Depends(get_db)):
    tool = db.get(Tool, tool_id)
    return requests.get(tool.url).status_code  # SL104
""",
    use_instead="""
@router.get("/tools/{tool_id}/ping")
def ping(tool_id: int, db: Session = Depends(get_db)):
    url = db.get(Tool, tool_id).url
    db.close()
    return requests.get(url).status_code
""",
    options="`extra-blocking-sinks`, `non-sinks`.",
    fixable=True,
    fix_safety=safety.RELEASE,
    prelude=HANDLERS,
    priority=10,
)
