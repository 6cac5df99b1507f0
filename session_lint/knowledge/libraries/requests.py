"""requests: every request blocks the calling thread."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

LIBRARY = Library(
    name="requests",
    category=Category.HTTP,
    summary="requests.get/post/... and Session requests (blocking)",
    calls=(
        ("requests.Session.close", Kind.NOT_SINK),
        *((f"requests.{v}", Kind.BLOCKING) for v in HTTP_VERBS),
        *((f"requests.Session.{v}", Kind.BLOCKING) for v in HTTP_VERBS),
        ("requests.Session.send", Kind.BLOCKING),
    ),
    classes=("requests.Session",),
    aliases={"requests.sessions.Session": "requests.Session", "requests.session": "requests.Session",
             "requests.api": "requests"},
    returns={"requests.Session": "requests.Session"},
)
