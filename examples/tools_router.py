"""A router in the shape of ContextForge's, written the way that drained its pool.

`session-lint check examples/` reports each handler below that waits on another host while its
`Depends(get_db)` session is idle in transaction.
"""

import httpx
from fastapi import APIRouter, Depends, HTTPException
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from sqlalchemy.orm import Session

from app.db import fresh_db_session, get_db
from app.models import Gateway, Tool

router = APIRouter(prefix="/tools")
http = httpx.AsyncClient(timeout=30)


async def _call_backend(url: str, payload: dict) -> dict:
    resp = await http.post(url, json=payload)
    resp.raise_for_status()
    return resp.json()


@router.post("/{tool_id}/invoke")
async def invoke_tool(tool_id: str, payload: dict, db: Session = Depends(get_db)):
    tool = db.query(Tool).filter(Tool.id == tool_id).first()
    if tool is None:
        raise HTTPException(404, "Tool not found")
    return await _call_backend(tool.url, payload)  # SL102: held for the backend's whole reply


@router.post("/{tool_id}/call")
async def call_tool(tool_id: str, args: dict, db: Session = Depends(get_db)):
    tool = db.get(Tool, tool_id)
    async with streamablehttp_client(tool.gateway_url) as (read, write, _):  # SL101: and all the slow calls inside
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await session.call_tool(tool.name, args)


@router.get("/{tool_id}/health")
async def tool_health(tool_id: str):
    # The fixed pattern: read, copy, close, then call. Nothing to report.
    with fresh_db_session() as db:
        gateway = db.get(Gateway, tool_id)
        if gateway is None:
            raise HTTPException(404, "Gateway not found")
        url = gateway.url
    resp = await http.get(url)
    return {"status": resp.status_code}
