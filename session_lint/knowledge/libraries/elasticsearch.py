"""Elasticsearch's Python client: every API method of ``Elasticsearch`` (``search``, ``index``,
``get``, ``bulk``, ``count`` ..., and those of its namespaces: ``indices.create``,
``cluster.health`` ...) is a blocking request to the cluster, awaited on
``AsyncElasticsearch``; so are the bulk, scan and reindex helpers. ``options(...)`` makes a
configured copy of the client without a request."""

from typing import Tuple

from session_lint.knowledge.declarations import Category, Kind, Library

SYNC = "elasticsearch.Elasticsearch"
ASYNC = "elasticsearch.AsyncElasticsearch"
HELPERS = "elasticsearch.helpers"


def helper_calls(helpers: str) -> Tuple[Tuple[str, Kind], ...]:
    """The bulk, scan and reindex helpers of module ``helpers``: the async ones awaited (or
    iterated), the others blocking. opensearch-py, a fork of this client, keeps their names."""
    return (
        (f"{helpers}.async_bulk", Kind.AWAIT),
        (f"{helpers}.async_reindex", Kind.AWAIT),
        (f"{helpers}.async_streaming_bulk", Kind.ITERATE),
        (f"{helpers}.async_scan", Kind.ITERATE),
        *((f"{helpers}.{helper}", Kind.BLOCKING) for helper in ("bulk", "streaming_bulk", "parallel_bulk", "scan",
                                                                "reindex")),
    )


LIBRARY = Library(
    name="elasticsearch",
    category=Category.DATASTORE,
    summary="Elasticsearch/AsyncElasticsearch API methods (search, index, indices.*, ...) and helpers",
    calls=(
        *((f"{client}.{local}", Kind.NOT_SINK) for client in (SYNC, ASYNC) for local in ("options", "close")),
        (f"{ASYNC}.*", Kind.AWAIT),
        (f"{SYNC}.*", Kind.BLOCKING),
        *helper_calls(HELPERS),
    ),
    classes=(SYNC, ASYNC),
    aliases={
        "elasticsearch.client.Elasticsearch": SYNC,
        "elasticsearch._sync.client.Elasticsearch": SYNC,
        "elasticsearch.client.AsyncElasticsearch": ASYNC,
        "elasticsearch._async.client.AsyncElasticsearch": ASYNC,
        "elasticsearch.helpers.actions": HELPERS,
        "elasticsearch._async.helpers": HELPERS,
    },
    returns={f"{SYNC}.options": SYNC, f"{ASYNC}.options": ASYNC},
)
