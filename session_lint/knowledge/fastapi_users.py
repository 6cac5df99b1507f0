"""fastapi-users, the user-management library of many FastAPI projects: its database adapters
are made per request from the request's session (``SQLAlchemyUserDatabase(session, User)`` in a
``get_user_db`` dependency) and only keep it, running SQL when their methods are called."""

from __future__ import annotations

# Classes whose constructor keeps the session it is handed and runs nothing: making one opens no
# transaction, and the object carries the session to its later calls.
SESSION_KEEPERS = frozenset(
    {
        "fastapi_users_db_sqlalchemy.SQLAlchemyUserDatabase",
        "fastapi_users_db_sqlalchemy.access_token.SQLAlchemyAccessTokenDatabase",
        "fastapi_users_db_sqlmodel.SQLModelUserDatabase",
        "fastapi_users_db_sqlmodel.SQLModelUserDatabaseAsync",
        "fastapi_users_db_sqlmodel.access_token.SQLModelAccessTokenDatabase",
        "fastapi_users_db_sqlmodel.access_token.SQLModelAccessTokenDatabaseAsync",
    }
)
