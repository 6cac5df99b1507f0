"""Slack's Python SDK: every Web API method of ``WebClient`` (``chat_postMessage``,
``conversations_list``, ``users_info``, ``files_upload_v2``, ``api_call`` ...) is a blocking
request to Slack, awaited on ``AsyncWebClient``; so is an incoming webhook's ``send``. Also the
client a Bolt app holds (``app.client``) and the older ``slackclient`` package (``slack``).
Verifying a request signature is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

SYNC = "slack_sdk.WebClient"
ASYNC = "slack_sdk.web.async_client.AsyncWebClient"
LOCAL = ("validate_slack_signature", "logger")

LIBRARY = Library(
    name="slack_sdk",
    category=Category.CHAT,
    summary="WebClient/AsyncWebClient Web API methods (chat_postMessage, ...), webhook send",
    calls=(
        *((f"{client}.{method}", Kind.NOT_SINK) for client in (SYNC, ASYNC) for method in LOCAL),
        (f"{ASYNC}.*", Kind.AWAIT),
        (f"{SYNC}.*", Kind.BLOCKING),
        ("slack_sdk.webhook.async_client.AsyncWebhookClient.send*", Kind.AWAIT),
        ("slack_sdk.WebhookClient.send*", Kind.BLOCKING),
        ("slack_bolt.async_app.AsyncApp.client.*", Kind.AWAIT),
        ("slack_bolt.App.client.*", Kind.BLOCKING),
    ),
    classes=(SYNC, ASYNC, "slack_sdk.WebhookClient", "slack_sdk.webhook.async_client.AsyncWebhookClient",
             "slack_bolt.App", "slack_bolt.async_app.AsyncApp"),
    aliases={
        "slack_sdk.web.WebClient": SYNC,
        "slack_sdk.web.client.WebClient": SYNC,
        "slack_sdk.web.async_client.AsyncWebClient": ASYNC,
        "slack_sdk.webhook.WebhookClient": "slack_sdk.WebhookClient",
        "slack_sdk.webhook.client.WebhookClient": "slack_sdk.WebhookClient",
        # slackclient 2.x, the SDK's former name.
        "slack.WebClient": SYNC,
        "slack.web.client.WebClient": SYNC,
        "slack.web.async_client.AsyncWebClient": ASYNC,
        "slack_bolt.app.App": "slack_bolt.App",
        "slack_bolt.app.app.App": "slack_bolt.App",
        "slack_bolt.app.async_app.AsyncApp": "slack_bolt.async_app.AsyncApp",
    },
)
