"""The MCP SDK: every ``ClientSession`` method is a request to the MCP server, and opening a
transport connects to it."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="mcp",
    category=Category.MCP,
    summary="ClientSession methods; streamablehttp_client, sse_client, websocket_client, stdio_client",
    calls=(
        ("mcp.ClientSession.*", Kind.AWAIT),
        ("mcp.client.streamable_http.streamablehttp_client", Kind.CONTEXT),
        ("mcp.client.streamable_http.streamable_http_client", Kind.CONTEXT),
        ("mcp.client.sse.sse_client", Kind.CONTEXT),
        ("mcp.client.websocket.websocket_client", Kind.CONTEXT),
        ("mcp.client.stdio.stdio_client", Kind.CONTEXT),
    ),
    classes=("mcp.ClientSession",),
    aliases={"mcp.client.session.ClientSession": "mcp.ClientSession", "mcp.client.ClientSession": "mcp.ClientSession"},
)
