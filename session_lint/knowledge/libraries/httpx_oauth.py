"""httpx-oauth (the OAuth clients behind fastapi-users): ``get_access_token``,
``refresh_token``, ``revoke_token``, ``get_id_email`` and ``get_profile`` are awaited requests
to the provider, for the generic ``OAuth2`` and every bundled client (Google, GitHub,
Microsoft, OpenID ...). ``get_authorization_url`` is awaited but only builds a URL. Making an
``OpenID`` client fetches the discovery document, synchronously."""

from session_lint.knowledge.declarations import Category, Kind, Library

REQUESTS = ("get_access_token", "refresh_token", "revoke_token", "get_id_email", "get_profile", "send_request")
CLIENTS = (
    "httpx_oauth.oauth2.BaseOAuth2",
    "httpx_oauth.oauth2.OAuth2",
    "httpx_oauth.clients.discord.DiscordOAuth2",
    "httpx_oauth.clients.facebook.FacebookOAuth2",
    "httpx_oauth.clients.franceconnect.FranceConnectOAuth2",
    "httpx_oauth.clients.github.GitHubOAuth2",
    "httpx_oauth.clients.google.GoogleOAuth2",
    "httpx_oauth.clients.kakao.KakaoOAuth2",
    "httpx_oauth.clients.linkedin.LinkedInOAuth2",
    "httpx_oauth.clients.microsoft.MicrosoftGraphOAuth2",
    "httpx_oauth.clients.naver.NaverOAuth2",
    "httpx_oauth.clients.reddit.RedditOAuth2",
    "httpx_oauth.clients.shopify.ShopifyOAuth2",
    "httpx_oauth.clients.openid.OpenID",
    "httpx_oauth.clients.okta.OktaOAuth2",
)
# Constructors that read the provider's OpenID configuration over the network.
DISCOVERING = ("httpx_oauth.clients.openid.OpenID", "httpx_oauth.clients.okta.OktaOAuth2")

LIBRARY = Library(
    name="httpx-oauth",
    category=Category.OAUTH,
    summary="OAuth2 clients (Google, GitHub, OpenID, ...): get_access_token, refresh_token, get_id_email, ...",
    calls=(
        *((cls, Kind.BLOCKING) for cls in DISCOVERING),
        *((f"{cls}.get_authorization_url", Kind.NOT_SINK) for cls in CLIENTS),
        *((f"{cls}.{method}", Kind.AWAIT) for cls in CLIENTS for method in REQUESTS),
    ),
    classes=tuple(CLIENTS),
)
