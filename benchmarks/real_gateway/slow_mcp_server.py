"""The MCP server the real gateway federates: streamable HTTP on loopback, one tool and one
resource, each answering after ``--delay`` seconds.

Runs in session-lint's own environment (the test extra's ``mcp`` 2.x), not in a gateway's venv:
the server is the same for every arm, so only the gateway changes between them.

    python slow_mcp_server.py --port 8001 --delay 1.5
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from mcp.server.mcpserver import MCPServer

RESOURCE_URI = "slow://status"


def build_app(delay: float):
    """The ASGI app: MCP at ``/mcp`` with tool ``slow_echo`` and resource ``slow://status``."""
    server = MCPServer("slow-mcp")

    # The gateway rejects tools and resources whose description holds characters it deems unsafe
    # (backticks among them), so these docstrings, which become the descriptions, are plain.
    @server.tool()
    async def slow_echo(text: str) -> str:
        """Answers with the text it was given, after the configured delay."""
        await asyncio.sleep(delay)
        return f"echo: {text}"

    @server.resource(RESOURCE_URI, name="slow_status", mime_type="text/plain")
    async def slow_status() -> str:
        """A fixed text after the configured delay: every read is slow, and every answer the same."""
        await asyncio.sleep(delay)
        return "status: ok"

    # Stateless with JSON answers: each gateway request opens its own MCP session, and none of
    # them needs server-side state to outlive it.
    return server.streamable_http_app(stateless_http=True, json_response=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=1.5, help="seconds before every answer")
    args = parser.parse_args()
    uvicorn.run(build_app(args.delay), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
