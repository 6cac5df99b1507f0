from session_lint.rules.preludes import HANDLERS
from session_lint.rules import safety
from session_lint.rules.rule import HeldAt, HoldRule
from session_lint.rules.sl101 import UNRESOLVED


class SubDependencySessionHeld(HoldRule):
    def applies(self, held: HeldAt) -> bool:
        return held.sub_dependency


RULE = SubDependencySessionHeld(
    code="SL105",
    name="sub-dependency-session-held",
    summary="a session opened by a sub-dependency is open across a slow await in the handler",
    help="commit or close the request's session in the dependency that used it, before it returns",
    what="Finds a handler with a dependency such as `user=Depends(get_current_user)` whose chain (at any depth) "
    "queries through `Depends(get_db)`, and that then awaits a slow operation. FastAPI caches `get_db` per "
    "request and closes it after the response, so the transaction the dependency opened is still open, though "
    "the handler never names the session. When the handler also takes `db=Depends(get_db)`, that is the same "
    "session and the finding is SL101/SL102 on `db`.",
    why="The connection is checked out for the whole request, including every slow call the handler makes.",
    known_problems=UNRESOLVED + " A dependency defined in an installed library is read only when its source "
    "is found.",
    example="""
def get_current_user(token: str, db: Session = Depends(get_db)):
    return db.query(User).filter(User.token == token).first()


@router.post("/notify")
async def notify(user=Depends(get_current_user)):
    await client.post(HOOK_URL, json={"user": user.id})  # SL105
""",
    use_instead="""
def get_current_user(token: str, db: Session = Depends(get_db)):
    user = db.query(User).filter(User.token == token).first()
    db.commit()
    return user


@router.post("/notify")
async def notify(user=Depends(get_current_user)):
    await client.post(HOOK_URL, json={"user": user.id})
""",
    options="`session-dependencies`.",
    fixable=True,
    fix_safety=safety.RELEASE,
    prelude=HANDLERS,
    priority=30,
)
