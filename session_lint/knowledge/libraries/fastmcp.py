"""FastMCP's client: every method talks to the MCP server."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="fastmcp",
    category=Category.MCP,
    summary="fastmcp.Client methods",
    calls=(("fastmcp.Client.*", Kind.AWAIT),),
    classes=("fastmcp.Client",),
    aliases={"fastmcp.client.Client": "fastmcp.Client", "fastmcp.client.client.Client": "fastmcp.Client"},
)
