"""The engine, the request-scoped session dependency and the short-lived session factory.

The pool is deliberately small (5 connections, no overflow, 2 s to wait for one) so that a few
handlers holding connections across slow calls are enough to drain it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

# pg_stat_activity is filtered on this name, so a load test sees only this gateway's connections
# (two gateways, before and after the fix, may share one database).
APPLICATION_NAME = os.environ.get("GATEWAY_APPLICATION_NAME", "session-lint-gateway")

engine = create_engine(
    os.environ.get("GATEWAY_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gateway"),
    pool_size=int(os.environ.get("GATEWAY_POOL_SIZE", "5")),
    max_overflow=0,
    pool_timeout=float(os.environ.get("GATEWAY_POOL_TIMEOUT", "2")),
    connect_args={"application_name": APPLICATION_NAME},
)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    """The request-scoped session: FastAPI closes it only after the handler has returned."""
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


@contextmanager
def fresh_db_session() -> Iterator[Session]:
    """A session for one database phase; the connection goes back to the pool at the block's end."""
    db = SessionLocal()
    try:
        yield db
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()
