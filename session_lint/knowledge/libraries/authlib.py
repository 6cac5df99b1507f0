"""Authlib's OAuth clients: over httpx (``AsyncOAuth2Client``, awaited; ``OAuth2Client``,
blocking) and requests (``OAuth2Session``, blocking), fetching, refreshing, revoking and
introspecting tokens and every request made with a token are round trips to the provider. For
Starlette, an app registered on ``OAuth()`` (``oauth.google``, ``oauth.create_client(...)``)
exchanges the code (``authorize_access_token``), fetches tokens, user info and resources, all
awaited. Building an authorization URL is local; ``authorize_redirect`` only fetches the
provider's metadata once per process, so it is not counted."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

TOKENS = ("fetch_token", "refresh_token", "revoke_token", "introspect_token", "ensure_active_token",
          "fetch_request_token", "fetch_access_token", "send", "stream", *HTTP_VERBS)
HTTPX = "authlib.integrations.httpx_client"
REQUESTS = "authlib.integrations.requests_client"
STARLETTE = "authlib.integrations.starlette_client"
ASYNC_CLIENTS = tuple(f"{HTTPX}.{cls}" for cls in ("AsyncOAuth2Client", "AsyncOAuth1Client", "AsyncAssertionClient"))
SYNC_CLIENTS = (*(f"{HTTPX}.{cls}" for cls in ("OAuth2Client", "OAuth1Client", "AssertionClient")),
                *(f"{REQUESTS}.{cls}" for cls in ("OAuth2Session", "OAuth1Session", "AssertionSession")))
APP = f"{STARLETTE}.StarletteOAuth2App"
APP_REQUESTS = ("authorize_access_token", "fetch_access_token", "userinfo", "request", *HTTP_VERBS)

LIBRARY = Library(
    name="authlib",
    category=Category.OAUTH,
    summary="AsyncOAuth2Client/OAuth2Client/OAuth2Session token calls and requests; Starlette OAuth apps",
    calls=(
        *((f"{client}.create_authorization_url", Kind.NOT_SINK) for client in (*ASYNC_CLIENTS, *SYNC_CLIENTS)),
        *((f"{client}.{method}", Kind.AWAIT) for client in ASYNC_CLIENTS for method in TOKENS),
        *((f"{client}.{method}", Kind.BLOCKING) for client in SYNC_CLIENTS for method in TOKENS),
        (f"{STARLETTE}.OAuth.*.authorize_redirect", Kind.NOT_SINK),
        *((f"{STARLETTE}.OAuth.*.{method}", Kind.AWAIT) for method in APP_REQUESTS),
        *((f"{APP}.{method}", Kind.AWAIT) for method in APP_REQUESTS),
    ),
    classes=(*ASYNC_CLIENTS, *SYNC_CLIENTS, f"{STARLETTE}.OAuth"),
    aliases={
        f"{HTTPX}.oauth2_client.AsyncOAuth2Client": f"{HTTPX}.AsyncOAuth2Client",
        f"{HTTPX}.oauth2_client.OAuth2Client": f"{HTTPX}.OAuth2Client",
        f"{HTTPX}.oauth1_client.AsyncOAuth1Client": f"{HTTPX}.AsyncOAuth1Client",
        f"{HTTPX}.oauth1_client.OAuth1Client": f"{HTTPX}.OAuth1Client",
        f"{REQUESTS}.oauth2_session.OAuth2Session": f"{REQUESTS}.OAuth2Session",
        f"{REQUESTS}.oauth1_session.OAuth1Session": f"{REQUESTS}.OAuth1Session",
        f"{STARLETTE}.apps.StarletteOAuth2App": APP,
    },
    returns={f"{STARLETTE}.OAuth.register": APP, f"{STARLETTE}.OAuth.create_client": APP},
)
