"""The slow host the gateway's tools live on: one process serving a plain HTTP endpoint and an MCP
streamable-HTTP server, both answering after ``--delay`` seconds.

    python slow_backend.py --port 8001 --delay 1.0
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse


def build_app(delay: float):
    """The ASGI app: ``POST /echo`` (plain HTTP) and ``/mcp`` (MCP, tool ``slow_echo``)."""
    server = MCPServer("slow-backend")

    @server.tool()
    async def slow_echo(text: str) -> dict[str, str]:
        """Answer with ``text`` after the configured delay."""
        await asyncio.sleep(delay)
        return {"echo": text}

    @server.custom_route("/echo", methods=["POST"])
    async def echo(request: Request) -> JSONResponse:
        body = await request.json()
        await asyncio.sleep(delay)
        return JSONResponse({"echo": body})

    # Stateless with JSON answers: each gateway request opens its own MCP session, and none of
    # them needs server-side state to outlive it.
    return server.streamable_http_app(stateless_http=True, json_response=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before every answer")
    args = parser.parse_args()
    uvicorn.run(build_app(args.delay), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
