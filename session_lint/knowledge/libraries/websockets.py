"""websockets: connecting waits on the other host."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="websockets",
    category=Category.RPC,
    summary="websockets.connect",
    calls=(("websockets.connect", Kind.CONTEXT), ("websockets.client.connect", Kind.CONTEXT)),
)
