"""The gateway application: ``uvicorn gateway_app.main:app`` from ``examples/gateway``.

Environment: ``GATEWAY_DATABASE_URL`` (a SQLAlchemy URL), ``GATEWAY_BACKEND_URL`` (where the slow
backend listens; the tools registered at startup point there), ``GATEWAY_APPLICATION_NAME`` (its
connections' name in pg_stat_activity), ``GATEWAY_POOL_SIZE`` and ``GATEWAY_POOL_TIMEOUT``.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gateway_app.db import engine, fresh_db_session
from gateway_app.models import Base, Tool
from gateway_app.routes import http, router

# uvicorn configures this logger (stderr, --log-level), so its lines land in the server log.
log = logging.getLogger("uvicorn.error")

HTTP_TOOL_ID = 1
MCP_TOOL_ID = 2
SCHEMA_LOCK = 7_041_001


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    backend = os.environ.get("GATEWAY_BACKEND_URL", "http://127.0.0.1:8001").rstrip("/")
    with fresh_db_session() as db:
        # Gateways starting together on one database (before and after the fix) would race on
        # CREATE TABLE and on the rows: one at a time, and merge rather than add.
        db.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
        Base.metadata.create_all(db.connection())
        db.merge(Tool(id=HTTP_TOOL_ID, name="echo", url=f"{backend}/echo"))
        db.merge(Tool(id=MCP_TOOL_ID, name="slow_echo", url=f"{backend}/mcp"))
    yield
    await http.aclose()
    engine.dispose()


app = FastAPI(lifespan=lifespan)
app.include_router(router)


class InFlight:
    """Counts requests accepted and not yet answered, so a load test can wait until the gateway
    has worked off what it accepted (``/stats``). Plain ASGI: ``@app.middleware("http")`` would
    run the handler in another task, which changes what a client disconnect does to it."""

    count = 0

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        InFlight.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            InFlight.count -= 1


app.add_middleware(InFlight)


@app.exception_handler(PoolTimeout)
async def pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
    # A distinct answer and log line, so a load test can tell a drained pool from any other
    # failure, even when the client has given up before the answer comes.
    log.warning("database pool timeout: %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "database pool timeout"}, status_code=503)


@app.get("/healthz")
async def healthz() -> dict:
    return {"ok": True}


@app.get("/stats")
async def stats() -> dict:
    return {"in_flight": InFlight.count, "pool_checked_out": engine.pool.checkedout()}
