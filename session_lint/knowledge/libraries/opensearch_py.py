"""opensearch-py (``opensearchpy``): every API method of ``OpenSearch`` (``search``, ``index``,
``bulk``, ``indices.create`` ...) is a blocking request to the cluster, awaited on
``AsyncOpenSearch``; so are the bulk, scan and reindex helpers."""

from session_lint.knowledge.declarations import Category, Kind, Library

SYNC = "opensearchpy.OpenSearch"
ASYNC = "opensearchpy.AsyncOpenSearch"
HELPERS = "opensearchpy.helpers"

LIBRARY = Library(
    name="opensearch-py",
    category=Category.DATASTORE,
    summary="OpenSearch/AsyncOpenSearch API methods (search, index, indices.*, ...) and helpers",
    calls=(
        *((f"{client}.close", Kind.NOT_SINK) for client in (SYNC, ASYNC)),
        (f"{ASYNC}.*", Kind.AWAIT),
        (f"{SYNC}.*", Kind.BLOCKING),
        (f"{HELPERS}.async_bulk", Kind.AWAIT),
        (f"{HELPERS}.async_reindex", Kind.AWAIT),
        (f"{HELPERS}.async_streaming_bulk", Kind.ITERATE),
        (f"{HELPERS}.async_scan", Kind.ITERATE),
        *((f"{HELPERS}.{helper}", Kind.BLOCKING) for helper in ("bulk", "streaming_bulk", "parallel_bulk", "scan",
                                                                "reindex")),
    ),
    classes=(SYNC, ASYNC),
    aliases={
        "opensearchpy.client.OpenSearch": SYNC,
        "opensearchpy._async.client.AsyncOpenSearch": ASYNC,
        "opensearchpy.helpers.actions": HELPERS,
        "opensearchpy._async.helpers.actions": HELPERS,
    },
)
