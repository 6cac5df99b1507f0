"""httpx: ``AsyncClient`` requests and streams are awaited, ``Client`` and the module-level
functions block."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

LIBRARY = Library(
    name="httpx",
    category=Category.HTTP,
    summary="AsyncClient requests, streams and response bodies; Client and httpx.get/post/... block",
    calls=(
        *((f"httpx.AsyncClient.{v}", Kind.AWAIT) for v in HTTP_VERBS),
        ("httpx.AsyncClient.send", Kind.AWAIT),
        ("httpx.AsyncClient.stream", Kind.CONTEXT),
        ("httpx.Response.aread", Kind.AWAIT),
        ("httpx.Response.aiter_*", Kind.ITERATE),
        *((f"httpx.Client.{v}", Kind.BLOCKING) for v in HTTP_VERBS),
        ("httpx.Client.send", Kind.BLOCKING),
        ("httpx.Client.stream", Kind.BLOCKING),
        *((f"httpx.{v}", Kind.BLOCKING) for v in HTTP_VERBS),
        ("httpx.stream", Kind.BLOCKING),
    ),
    classes=("httpx.AsyncClient", "httpx.Client"),
    aliases={"httpx._client.AsyncClient": "httpx.AsyncClient", "httpx._client.Client": "httpx.Client"},
    returns={
        **{f"httpx.AsyncClient.{v}": "httpx.Response" for v in HTTP_VERBS},
        "httpx.AsyncClient.send": "httpx.Response",
        "httpx.AsyncClient.stream": "httpx.Response",
    },
)
