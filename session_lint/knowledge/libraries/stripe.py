"""Stripe's Python SDK: the API methods of its resources (``stripe.Customer.create``,
``stripe.PaymentIntent.retrieve``, ``stripe.checkout.Session.create``, ``stripe.Refund.list``,
``customer.delete()`` ...) are blocking requests to the API, awaited in their ``_async`` forms;
on a ``StripeClient`` every service method (``client.customers.create``,
``client.v1.payment_intents.confirm``, ``raw_request``) likewise. Reading a resource object
(``charge.outcome.get(...)``, ``account.to_dict()``: a resource is a dict), webhook signature
checks (``stripe.Webhook.construct_event``, ``client.construct_event``), ``construct_from`` and
OAuth's ``authorize_url`` are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "stripe.StripeClient"
# The resources' request methods (from the SDK's own resource classes). Not ``*``: an object
# fetched from the API is typed as its resource class, and its fields are read with dict methods.
VERBS = ("create", "create_*", "retrieve", "retrieve_*", "modify", "modify_*", "delete", "delete_*", "list",
         "list_*", "search", "cancel", "capture", "confirm", "attach", "attach_*", "detach", "finalize_*",
         "void_*", "pay", "send_invoice", "mark_uncollectible", "increment_authorization", "refresh", "save",
         "reject", "unreject", "approve", "accept", "close", "release", "reverse", "refund", "verify",
         "verify_*", "validate", "pdf", "preview", "preview_*", "pause", "resume", "archive", "unarchive",
         "apply_customer_balance", "report_*", "add_lines", "remove_lines", "update_lines", "upcoming",
         "upcoming_lines", "persons", "migrate", "auto_paging_iter")
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
        *((f"stripe.*.{verb}_async", Kind.AWAIT) for verb in VERBS),
        *((f"stripe.*.{verb}", Kind.BLOCKING) for verb in VERBS),
    ),
    classes=(CLIENT,),
    aliases={"stripe._stripe_client.StripeClient": CLIENT},
)
