"""Apprise: ``notify`` sends to every configured service (mail, Slack, Discord, push, webhooks
...), blocking until they answer; ``async_notify`` is the awaited form. Adding URLs to the
object and reading its configuration are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="apprise",
    category=Category.CHAT,
    summary="Apprise.notify (blocking) and async_notify",
    calls=(("apprise.Apprise.async_notify", Kind.AWAIT), ("apprise.Apprise.notify", Kind.BLOCKING)),
    classes=("apprise.Apprise",),
    aliases={"apprise.apprise.Apprise": "apprise.Apprise", "apprise.Apprise.Apprise": "apprise.Apprise"},
)
