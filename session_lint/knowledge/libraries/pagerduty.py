"""PagerDuty's Python clients, ``python-pagerduty`` and its former name ``pdpyras``: a REST
API client's requests (``rget``, ``rpost``, ``list_all``, ``iter_all``, ``find``, ``persist``,
plain ``get``/``post`` ...) and an Events API client's ``trigger``, ``acknowledge``, ``resolve``
and ``send_event`` all block on PagerDuty."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

REST = ("rget", "rpost", "rput", "rpatch", "rdelete", "jget", "jpost", "jput", "list_all", "iter_*", "dict_all",
        "find", "persist", "get_total", "account_has_ability", *HTTP_VERBS)
EVENTS = ("trigger", "acknowledge", "resolve", "send_event", "send_change_event", "submit", *HTTP_VERBS)
REST_CLIENTS = ("pagerduty.RestApiV2Client", "pdpyras.APISession")
EVENTS_CLIENTS = ("pagerduty.EventsApiV2Client", "pdpyras.EventsAPISession", "pdpyras.ChangeEventsAPISession")

LIBRARY = Library(
    name="pagerduty",
    category=Category.CHAT,
    summary="RestApiV2Client/APISession requests, EventsApiV2Client/EventsAPISession trigger ... (blocking)",
    calls=(
        *((f"{client}.{method}", Kind.BLOCKING) for client in REST_CLIENTS for method in REST),
        *((f"{client}.{method}", Kind.BLOCKING) for client in EVENTS_CLIENTS for method in EVENTS),
    ),
    classes=(*REST_CLIENTS, *EVENTS_CLIENTS),
    aliases={
        "pagerduty.rest_api_v2_client.RestApiV2Client": "pagerduty.RestApiV2Client",
        "pagerduty.events_api_v2_client.EventsApiV2Client": "pagerduty.EventsApiV2Client",
    },
)
