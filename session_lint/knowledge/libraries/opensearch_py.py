"""opensearch-py (``opensearchpy``): every API method of ``OpenSearch`` (``search``, ``index``,
``bulk``, ``indices.create`` ...) is a blocking request to the cluster, awaited on
``AsyncOpenSearch``; so are the bulk, scan and reindex helpers."""

from session_lint.knowledge.declarations import Category, Kind, Library
from session_lint.knowledge.libraries.elasticsearch import helper_calls

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
        *helper_calls(HELPERS),
    ),
    classes=(SYNC, ASYNC),
    aliases={
        "opensearchpy.client.OpenSearch": SYNC,
        "opensearchpy._async.client.AsyncOpenSearch": ASYNC,
        "opensearchpy.helpers.actions": HELPERS,
        "opensearchpy._async.helpers.actions": HELPERS,
    },
)
