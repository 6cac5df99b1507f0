"""PyGithub (``from github import Github``): the client's lookups and searches (``get_repo``,
``get_user``, ``get_organization``, ``search_issues`` ...) and the methods of what they return
(a repository's ``get_contents``, ``create_issue``, ``get_pulls``, an issue's
``create_comment``, ``edit`` ...) are blocking requests to the GitHub API. ``close`` and the
client's settings are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "github.Github"
OBJECTS = {"get_repo": "Repository", "get_user": "NamedUser", "get_organization": "Organization"}
RESOURCES = ("Repository", "NamedUser", "AuthenticatedUser", "Organization", "Issue", "PullRequest")
LOCAL = ("close", "requester", "per_page", "withLazy", "dump", "load", "create_from_raw_data")

LIBRARY = Library(
    name="pygithub",
    category=Category.CHAT,
    summary="Github lookups and searches, repository/issue/pull request methods (blocking)",
    calls=(
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in LOCAL),
        (f"{CLIENT}.*", Kind.BLOCKING),
        *((f"github.{resource}.{resource}.*", Kind.BLOCKING) for resource in RESOURCES),
    ),
    classes=(CLIENT,),
    aliases={"github.MainClass.Github": CLIENT},
    returns={
        **{f"{CLIENT}.{method}": f"github.{resource}.{resource}" for method, resource in OBJECTS.items()},
        "github.Repository.Repository.get_issue": "github.Issue.Issue",
        "github.Repository.Repository.create_issue": "github.Issue.Issue",
        "github.Repository.Repository.get_pull": "github.PullRequest.PullRequest",
        "github.Repository.Repository.create_pull": "github.PullRequest.PullRequest",
    },
)
