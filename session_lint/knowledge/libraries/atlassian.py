"""atlassian-python-api (``from atlassian import Jira, Confluence``): every method of its REST
clients (``jira.issue``, ``jira.jql``, ``jira.create_issue``, ``confluence.get_page_by_id``,
``confluence.update_page``, Bitbucket and Service Desk calls ...) is a blocking request to the
Atlassian server. Building URLs and ``close`` are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENTS = ("Jira", "JiraCloud", "JiraServer", "Confluence", "ConfluenceCloud", "ConfluenceServer", "Bitbucket",
           "ServiceDesk", "Crowd", "Bamboo", "Xray", "Insight")
LOCAL = ("resource_url", "url_joiner", "log_curl_debug", "close", "raise_for_status", "session")

LIBRARY = Library(
    name="atlassian-python-api",
    category=Category.CHAT,
    summary="Jira, Confluence, Bitbucket, Service Desk REST methods (blocking)",
    calls=(*((f"atlassian.{cls}.{method}", Kind.NOT_SINK) for cls in CLIENTS for method in LOCAL),
           *((f"atlassian.{cls}.*", Kind.BLOCKING) for cls in CLIENTS)),
    classes=tuple(f"atlassian.{cls}" for cls in CLIENTS),
    aliases={"atlassian.jira.Jira": "atlassian.Jira", "atlassian.confluence.Confluence": "atlassian.Confluence",
             "atlassian.Stash": "atlassian.Bitbucket", "atlassian.ServiceManagement": "atlassian.ServiceDesk"},
)
