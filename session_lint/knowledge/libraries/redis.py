"""redis-py (and ``redis.asyncio``, which absorbed aioredis): every command is a round trip to
the Redis server, blocking on ``redis.Redis``, awaited on ``redis.asyncio.Redis``; a pipeline
waits only when it executes. Off by default: a cache answers in well under a millisecond, so
holding a transaction across it is not the hazard the rules are about (``enable-libraries``)."""

from session_lint.knowledge.declarations import Category, Kind, Library

# Methods that make an object or change local state without a round trip.
LOCAL = ("pipeline", "pubsub", "lock", "monitor", "client", "close", "aclose", "from_url", "from_pool",
         "get_encoder", "get_connection_kwargs", "set_response_callback", "get_retry", "set_retry")


def _client(cls: str, kind: Kind):
    return (*((f"{cls}.{method}", Kind.NOT_SINK) for method in LOCAL), (f"{cls}.*", kind))


LIBRARY = Library(
    name="redis",
    category=Category.CACHE,
    summary="Redis and redis.asyncio.Redis commands, pipeline execute",
    calls=(
        *_client("redis.Redis", Kind.BLOCKING),
        *_client("redis.RedisCluster", Kind.BLOCKING),
        ("redis.client.Pipeline.execute", Kind.BLOCKING),
        ("redis.client.Pipeline.watch", Kind.BLOCKING),
        *_client("redis.asyncio.Redis", Kind.AWAIT),
        *_client("redis.asyncio.RedisCluster", Kind.AWAIT),
        ("redis.asyncio.client.Pipeline.execute", Kind.AWAIT),
        ("redis.asyncio.client.Pipeline.watch", Kind.AWAIT),
    ),
    classes=("redis.Redis", "redis.RedisCluster", "redis.asyncio.Redis", "redis.asyncio.RedisCluster"),
    aliases={
        "redis.StrictRedis": "redis.Redis",
        "redis.client.Redis": "redis.Redis",
        "redis.client.StrictRedis": "redis.Redis",
        "redis.cluster.RedisCluster": "redis.RedisCluster",
        "redis.utils.from_url": "redis.from_url",
        "redis.asyncio.StrictRedis": "redis.asyncio.Redis",
        "redis.asyncio.client.Redis": "redis.asyncio.Redis",
        "redis.asyncio.client.StrictRedis": "redis.asyncio.Redis",
        "redis.asyncio.cluster.RedisCluster": "redis.asyncio.RedisCluster",
        "redis.asyncio.utils.from_url": "redis.asyncio.from_url",
        # aioredis 2 is redis.asyncio under its old name.
        "aioredis.Redis": "redis.asyncio.Redis",
        "aioredis.StrictRedis": "redis.asyncio.Redis",
        "aioredis.client.Redis": "redis.asyncio.Redis",
        "aioredis.from_url": "redis.asyncio.from_url",
    },
    returns={
        "redis.from_url": "redis.Redis",
        "redis.Redis.from_url": "redis.Redis",
        "redis.Redis.pipeline": "redis.client.Pipeline",
        "redis.asyncio.from_url": "redis.asyncio.Redis",
        "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
        "redis.asyncio.Redis.pipeline": "redis.asyncio.client.Pipeline",
    },
    default_enabled=False,
)
