"""Pusher Channels' server library: ``trigger``, ``trigger_batch``, ``send_to_user``, the
channel and user queries and ``terminate_user_connections`` are blocking requests to Pusher's
HTTP API. Signing a subscription (``authenticate``) and checking a webhook are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "pusher.Pusher"
REQUESTS = ("trigger", "trigger_batch", "send_to_user", "channels_info", "channel_info", "users_info",
            "terminate_user_connections", "notify")

LIBRARY = Library(
    name="pusher",
    category=Category.CHAT,
    summary="Pusher.trigger, trigger_batch, channel and user queries (blocking)",
    calls=tuple((f"{CLIENT}.{method}", Kind.BLOCKING) for method in REQUESTS),
    classes=(CLIENT,),
    aliases={"pusher.pusher.Pusher": CLIENT, "pusher.pusher_client.PusherClient": CLIENT},
    returns={f"{CLIENT}.from_url": CLIENT, f"{CLIENT}.from_env": CLIENT},
)
