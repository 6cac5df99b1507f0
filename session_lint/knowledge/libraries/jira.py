"""The ``jira`` package: connecting (``JIRA(server, ...)`` fetches server info and may log in)
and every method of the client (``issue``, ``create_issue``, ``search_issues``, ``add_comment``,
``transition_issue`` ...) block on the Jira server, as do an issue's own ``update``, ``delete``
and ``add_field_value``. The client's accessors (``client_info``, ``server_url``) are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "jira.JIRA"
ISSUE = "jira.resources.Issue"
LOCAL = ("close", "client_info", "server_url", "json_params", "cookies", "wrapper", "is_experimental",
         "generate_multipartencoded_request_args")

LIBRARY = Library(
    name="jira",
    category=Category.CHAT,
    summary="JIRA(...) connecting and its methods (issue, create_issue, search_issues, ...), Issue.update",
    calls=(
        (CLIENT, Kind.BLOCKING),
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in LOCAL),
        (f"{CLIENT}.*", Kind.BLOCKING),
        *((f"{ISSUE}.{method}", Kind.BLOCKING) for method in ("update", "delete", "add_field_value", "find")),
    ),
    classes=(CLIENT,),
    aliases={"jira.client.JIRA": CLIENT},
    returns={f"{CLIENT}.issue": ISSUE, f"{CLIENT}.create_issue": ISSUE},
)
