"""Twilio's Python SDK: on ``twilio.rest.Client``, a resource's ``create``, ``fetch``, ``update``,
``delete``, ``list``, ``stream`` and ``page`` (``client.messages.create(...)``,
``client.api.account.calls.list()``, ``client.verify.v2.services(sid).verifications.create(...)``)
are requests to the API: blocking, or awaited in their ``_async`` forms. Naming a resource
(``client.messages(sid)``) is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "twilio.rest.Client"
VERBS = ("create", "fetch", "update", "delete", "list", "stream", "page", "get_page")
# Resource contexts called with a sid (``client.messages(sid).fetch()``): what they give is
# named after them, so that the verb on it is recognised.
CONTEXTS = ("messages", "calls", "api.account.messages", "api.account.calls", "verify.v2.services",
            "verify.services", "conversations.v1.conversations", "conversations.conversations")

LIBRARY = Library(
    name="twilio",
    category=Category.CHAT,
    summary="twilio.rest.Client resources: messages.create, calls, verify, ... (blocking; *_async awaited)",
    calls=(
        *((f"{CLIENT}.*.{verb}*_async", Kind.AWAIT) for verb in VERBS),
        *((f"{CLIENT}.*.{verb}", Kind.BLOCKING) for verb in VERBS),
        *((f"{CLIENT}.*.{verb}_with_http_info", Kind.BLOCKING) for verb in VERBS),
        (f"{CLIENT}.request", Kind.BLOCKING),
        (f"{CLIENT}.request_async", Kind.AWAIT),
    ),
    classes=(CLIENT,),
    aliases={"twilio.rest.client.Client": CLIENT},
    returns={f"{CLIENT}.{context}": f"{CLIENT}.{context}" for context in CONTEXTS},
)
