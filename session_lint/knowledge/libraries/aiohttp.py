"""aiohttp: the request methods of ``ClientSession`` are awaited or entered, and so is reading
the response body."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

LIBRARY = Library(
    name="aiohttp",
    category=Category.HTTP,
    summary="ClientSession requests and websockets, response bodies",
    calls=(
        *((f"aiohttp.ClientSession.{v}", Kind.AWAIT) for v in HTTP_VERBS),
        ("aiohttp.ClientSession.ws_connect", Kind.AWAIT),
        ("aiohttp.request", Kind.CONTEXT),
        ("aiohttp.ClientResponse.json", Kind.AWAIT),
        ("aiohttp.ClientResponse.text", Kind.AWAIT),
        ("aiohttp.ClientResponse.read", Kind.AWAIT),
        ("aiohttp.ClientResponse.content", Kind.ITERATE),
        ("aiohttp.ClientResponse.content.*", Kind.ITERATE),
        ("aiohttp.ClientWebSocketResponse.receive*", Kind.AWAIT),
        ("aiohttp.ClientWebSocketResponse.send_*", Kind.AWAIT),
    ),
    classes=("aiohttp.ClientSession",),
    aliases={"aiohttp.client.ClientSession": "aiohttp.ClientSession",
             "aiohttp.client_reqrep.ClientResponse": "aiohttp.ClientResponse"},
    returns={
        **{f"aiohttp.ClientSession.{v}": "aiohttp.ClientResponse" for v in HTTP_VERBS},
        "aiohttp.ClientSession.ws_connect": "aiohttp.ClientWebSocketResponse",
        "aiohttp.request": "aiohttp.ClientResponse",
    },
)
