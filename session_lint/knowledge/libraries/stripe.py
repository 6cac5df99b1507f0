"""Stripe's Python SDK: class-level resource methods (``stripe.Customer.create``,
``stripe.PaymentIntent.retrieve``, ``stripe.checkout.Session.create``, ``stripe.Refund.list``
...) are blocking requests to the API, awaited in their ``_async`` forms; on a ``StripeClient``
every service method (``client.customers.create``, ``client.v1.payment_intents.confirm``,
``raw_request``) likewise. Webhook signature checks (``stripe.Webhook.construct_event``,
``client.construct_event``), ``construct_from`` and OAuth's ``authorize_url`` are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "stripe.StripeClient"
CLIENT_LOCAL = ("construct_event*", "parse_event_notification*", "parse_thin_event*", "deserialize",
                "with_stripe_context", "*notification_handler*", "oauth.authorize_url")

LIBRARY = Library(
    name="stripe",
    category=Category.PAYMENT,
    summary="stripe.<Resource>.create/retrieve/... (and *_async); StripeClient services",
    calls=(
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in CLIENT_LOCAL),
        (f"{CLIENT}.*_async", Kind.AWAIT),
        (f"{CLIENT}.*", Kind.BLOCKING),
        ("stripe.*Webhook.*", Kind.NOT_SINK),
        ("stripe.*WebhookSignature.*", Kind.NOT_SINK),
        ("stripe.*.construct_from", Kind.NOT_SINK),
        ("stripe.*OAuth.authorize_url", Kind.NOT_SINK),
        # ``stripe.Customer.create``; ``stripe.checkout.Session.create`` one package down.
        ("stripe.[A-Z]*.*_async", Kind.AWAIT),
        ("stripe.[A-Z]*.*", Kind.BLOCKING),
        ("stripe.[a-z]*.[A-Z]*.*_async", Kind.AWAIT),
        ("stripe.[a-z]*.[A-Z]*.*", Kind.BLOCKING),
    ),
    classes=(CLIENT,),
    aliases={"stripe._stripe_client.StripeClient": CLIENT},
)
