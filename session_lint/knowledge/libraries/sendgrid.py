"""SendGrid (Twilio SendGrid's v3 API client): ``send(message)`` and every request made through
the fluent ``client`` (``sg.client.mail.send.post(...)``, ``sg.client.templates.get()``) block on
the API. Building the ``Mail`` message is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENTS = ("sendgrid.SendGridAPIClient", "sendgrid.TwilioEmailAPIClient")

LIBRARY = Library(
    name="sendgrid",
    category=Category.MAIL,
    summary="SendGridAPIClient.send and client.<path>.get/post/... (blocking)",
    calls=(
        *((f"{client}.send", Kind.BLOCKING) for client in CLIENTS),
        *((f"{client}.client.*", Kind.BLOCKING) for client in CLIENTS),
    ),
    classes=CLIENTS,
    aliases={
        "sendgrid.sendgrid.SendGridAPIClient": "sendgrid.SendGridAPIClient",
        "sendgrid.twilio_email.TwilioEmailAPIClient": "sendgrid.TwilioEmailAPIClient",
    },
)
