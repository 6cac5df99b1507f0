from session_lint.rules.preludes import HANDLERS
from session_lint.rules import safety
from session_lint.rules.rule import HeldAt, HoldRule
from session_lint.rules.sl101 import UNRESOLVED


class ExplicitSessionHeld(HoldRule):
    def applies(self, held: HeldAt) -> bool:
        return held.explicit


RULE = ExplicitSessionHeld(
    code="SL103",
    name="explicit-session-held-across-slow-await",
    summary="an explicitly created session is open across a slow await",
    help="close or commit the session before the slow call: end its `with` block first, copying what the call "
    "needs into locals",
    what="Finds a session the code makes itself (`with fresh_db_session() as db`, `db = SessionLocal()`, "
    "`async with async_session() as s`, a `sessionmaker` result, a `@contextmanager` or "
    "`@asynccontextmanager` function that makes a session and yields it, the project's own subclass of "
    "`Session`, also through a module (`database.SessionLocal()`)) that has an open transaction at a slow "
    "await, in any async function.",
    why="A short-lived session only helps if it is closed before the slow call: one that stays open across it "
    "holds a pooled connection idle in transaction for the whole wait.",
    known_problems=UNRESOLVED,
    example="""
async def refresh(tool_id):
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        await client.get(tool.url)  # SL103
""",
    use_instead="""
async def refresh(tool_id):
    with fresh_db_session() as db:
        url = db.get(Tool, tool_id).url
    await client.get(url)
""",
    options="`session-factories` (and `extend-session-factories`) name the factories to recognise; "
    "`extra-sinks`, `non-sinks`.",
    fixable=True,
    fix_safety=safety.RELEASE,
    prelude=HANDLERS,
    priority=20,
)
