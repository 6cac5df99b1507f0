"""pymemcache: every command of a ``Client``, ``PooledClient``, ``HashClient`` or
``RetryingClient`` (``get``, ``set``, ``delete``, ``incr`` ...) is a blocking round trip to
memcached. Off by default, like every cache (``enable-libraries``)."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENTS = ("pymemcache.Client", "pymemcache.PooledClient", "pymemcache.HashClient", "pymemcache.RetryingClient")
LOCAL = ("close", "quit", "check_key", "serialize", "deserialize")

LIBRARY = Library(
    name="pymemcache",
    category=Category.CACHE,
    summary="memcached client commands (get, set, delete, ...)",
    calls=(*((f"{client}.{method}", Kind.NOT_SINK) for client in CLIENTS for method in LOCAL),
           *((f"{client}.*", Kind.BLOCKING) for client in CLIENTS)),
    classes=CLIENTS,
    aliases={
        "pymemcache.client.Client": "pymemcache.Client",
        "pymemcache.client.base.Client": "pymemcache.Client",
        "pymemcache.client.PooledClient": "pymemcache.PooledClient",
        "pymemcache.client.base.PooledClient": "pymemcache.PooledClient",
        "pymemcache.client.HashClient": "pymemcache.HashClient",
        "pymemcache.client.hash.HashClient": "pymemcache.HashClient",
        "pymemcache.client.RetryingClient": "pymemcache.RetryingClient",
        "pymemcache.client.retrying.RetryingClient": "pymemcache.RetryingClient",
    },
    default_enabled=False,
)
