"""Handlers written the way that drained the gateway's pool: the request's session reads the
tool, and stays idle in transaction while the handler waits on the tool's backend.

`session-lint check` reports every handler here; `session-lint fix` rewrites each one safely.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends, HTTPException
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.orm import Session

from gateway_app.db import get_db
from gateway_app.models import Tool

router = APIRouter(prefix="/tools")
http = httpx.AsyncClient(timeout=30)


@router.post("/{tool_id}/invoke")
async def invoke_tool(tool_id: int, payload: dict, db: Session = Depends(get_db)):
    """Forward the payload to the tool's HTTP backend.

    Args:
        tool_id: the tool to invoke.
        payload: passed through to the backend as JSON.
        db: the request's session.
    """
    tool = db.get(Tool, tool_id)
    if tool is None:
        raise HTTPException(404, "Tool not found")
    resp = await http.post(tool.url, json=payload)
    resp.raise_for_status()
    return {"tool": tool.name, "result": resp.json()}


@router.post("/{tool_id}/call")
async def call_tool(tool_id: int, args: dict, db: Session = Depends(get_db)):
    """Call the tool on its MCP server over streamable HTTP."""
    tool = db.get(Tool, tool_id)
    if tool is None:
        raise HTTPException(404, "Tool not found")
    async with streamable_http_client(tool.url) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool(tool.name, args)
    return {"tool": tool.name, "is_error": result.is_error, "result": result.structured_content}
