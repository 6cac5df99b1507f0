from session_lint.rules.preludes import MODELS
from session_lint.rules.rule import Rule

RULE = Rule(
    code="SL201",
    name="orm-object-after-session",
    summary="an ORM object is read after its short-lived session ended, where that read needs the session",
    help="copy the value into a local inside the session's block, or load it eagerly (`selectinload`)",
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
    known_problems="Exception types are not modelled: every `except` is taken to catch what the `try` raises. "
    "A relationship whose target class cannot be found is taken to hold one object.",
    example="""
def gateway_url(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
    return tool.gateway.url  # SL201: the gateway relationship lazy-loads after the session closed
""",
    use_instead="""
def gateway_url(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        url = tool.gateway.url
    return url
""",
    options="`session-factories` (their `expire_on_commit` is read from the source).",
    fix_safety="No automatic fix for SL201 itself. `session-lint fix` extracts values this way when it rewrites "
    "a handler, and marks a rewrite that lets an object escape its block whole as unsafe.",
    prelude=MODELS,
    valid=(
        """
def eager(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.scalars(select(Tool).options(selectinload(Tool.gateway)).where(Tool.id == tool_id)).one()
    return tool.gateway.url
""",
        """
def loaded_column(tool_id: int) -> str:
    with fresh_db_session() as db:
        tool = db.get(Tool, tool_id)
        tool.gateway.url
    return tool.name + tool.gateway.url
""",
    ),
)
