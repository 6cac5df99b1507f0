"""google-auth (and google-auth-oauthlib's flows): refreshing credentials
(``creds.refresh(Request())``: user, service-account, Compute Engine and impersonated
credentials), verifying or fetching ID tokens (which downloads Google's certificates), a flow's
``fetch_token`` and requests through an ``AuthorizedSession`` block on Google's token and API
endpoints. Loading credentials from info or a file and building an authorization URL are
local."""

from session_lint.knowledge.declarations import HTTP_VERBS, Category, Kind, Library

CREDENTIALS = ("google.oauth2.credentials.Credentials", "google.oauth2.service_account.Credentials",
               "google.auth.compute_engine.Credentials", "google.auth.impersonated_credentials.Credentials",
               "google.auth.credentials.Credentials")
ID_TOKEN = ("verify_token", "verify_oauth2_token", "verify_firebase_token", "fetch_id_token",
            "fetch_id_token_credentials")
FLOWS = ("google_auth_oauthlib.flow.Flow", "google_auth_oauthlib.flow.InstalledAppFlow")
SESSION = "google.auth.transport.requests.AuthorizedSession"
LOADERS = ("from_authorized_user_info", "from_authorized_user_file", "from_service_account_info",
           "from_service_account_file")

LIBRARY = Library(
    name="google-auth",
    category=Category.OAUTH,
    summary="Credentials.refresh, id_token.verify_*/fetch_id_token, Flow.fetch_token, AuthorizedSession (blocking)",
    calls=(
        *((f"{credentials}.refresh", Kind.BLOCKING) for credentials in CREDENTIALS),
        *((f"google.oauth2.id_token.{function}", Kind.BLOCKING) for function in ID_TOKEN),
        *((f"{flow}.fetch_token", Kind.BLOCKING) for flow in FLOWS),
        *((f"{SESSION}.{verb}", Kind.BLOCKING) for verb in HTTP_VERBS),
    ),
    classes=(*CREDENTIALS, *FLOWS, SESSION),
    aliases={"google.auth.compute_engine.credentials.Credentials": "google.auth.compute_engine.Credentials"},
    returns={
        **{f"{credentials}.{loader}": credentials for credentials in CREDENTIALS for loader in LOADERS},
        **{f"{flow}.{maker}": flow for flow in FLOWS for maker in ("from_client_config", "from_client_secrets_file")},
    },
)
