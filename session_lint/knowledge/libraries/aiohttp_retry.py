"""aiohttp-retry: ``RetryClient`` wraps an aiohttp ``ClientSession`` and retries; its requests
(``get``, ``post`` ..., ``request``, ``requests``) are awaited or entered, each possibly several
round trips with back-off in between, and give aiohttp responses."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

CLIENT = "aiohttp_retry.RetryClient"

LIBRARY = Library(
    name="aiohttp-retry",
    category=Category.HTTP,
    summary="RetryClient requests (awaited or entered, with retries)",
    calls=(*((f"{CLIENT}.{verb}", Kind.CONTEXT) for verb in HTTP_VERBS), (f"{CLIENT}.requests", Kind.CONTEXT)),
    classes=(CLIENT,),
    aliases={"aiohttp_retry.client.RetryClient": CLIENT},
    returns={**{f"{CLIENT}.{verb}": "aiohttp.ClientResponse" for verb in HTTP_VERBS},
             f"{CLIENT}.requests": "aiohttp.ClientResponse"},
)
