"""qdrant-client: every operation of ``QdrantClient`` (``query_points``, ``search``, ``upsert``,
``scroll``, ``retrieve``, ``create_collection`` ...) is a blocking request to the Qdrant server,
awaited on ``AsyncQdrantClient``. Choosing an embedding model for the FastEmbed helpers and
``close`` are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

SYNC = "qdrant_client.QdrantClient"
ASYNC = "qdrant_client.AsyncQdrantClient"
LOCAL = ("close", "init_options", "set_model", "set_sparse_model", "get_fastembed_*", "get_*_field_name",
         "get_embedding_size")

LIBRARY = Library(
    name="qdrant-client",
    category=Category.DATASTORE,
    summary="QdrantClient/AsyncQdrantClient operations (query_points, upsert, scroll, ...)",
    calls=(
        *((f"{client}.{method}", Kind.NOT_SINK) for client in (SYNC, ASYNC) for method in LOCAL),
        (f"{ASYNC}.*", Kind.AWAIT),
        (f"{SYNC}.*", Kind.BLOCKING),
    ),
    classes=(SYNC, ASYNC),
    aliases={"qdrant_client.qdrant_client.QdrantClient": SYNC,
             "qdrant_client.async_qdrant_client.AsyncQdrantClient": ASYNC},
)
