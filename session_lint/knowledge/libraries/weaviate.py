"""The Weaviate client. v4: connecting (``weaviate.connect_to_local()``,
``connect_to_weaviate_cloud()``, ``client.connect()``) and every operation of a collection
(``collection.query.near_text``, ``data.insert``, ``aggregate.*``, ``generate.*``, ``batch``,
``tenants``, ``config``, ``iterator()``) and of the client (``collections.create``,
``is_ready``, ``backup``, ``cluster`` ...) are requests to the server: blocking on
``WeaviateClient``, awaited on ``WeaviateAsyncClient``. Getting a collection handle
(``client.collections.get(name)``) is local. v3: ``weaviate.Client(url)`` connects when made,
and ``data_object``, ``schema``, ``batch`` and a query builder's ``do()`` block."""

from session_lint.knowledge.declarations import Category, Kind, Library

SYNC = "weaviate.WeaviateClient"
ASYNC = "weaviate.WeaviateAsyncClient"
COLLECTION = "weaviate.collections.Collection"
ASYNC_COLLECTION = "weaviate.collections.CollectionAsync"
CONNECT = ("connect_to_local", "connect_to_weaviate_cloud", "connect_to_wcs", "connect_to_custom",
           "connect_to_embedded")
USE_ASYNC = ("use_async_with_local", "use_async_with_weaviate_cloud", "use_async_with_custom",
             "use_async_with_embedded")
HANDLES = ("collections.get", "collections.use")
COLLECTION_LOCAL = ("with_tenant", "with_consistency_level", "name")
V3 = "weaviate.Client"
V3_BUILDERS = {"get": "weaviate.gql.get.GetBuilder", "aggregate": "weaviate.gql.aggregate.AggregateBuilder"}
V3_CHAIN = ("with_near_text", "with_near_vector", "with_near_object", "with_near_image", "with_where", "with_limit",
            "with_offset", "with_additional", "with_hybrid", "with_bm25", "with_sort", "with_group_by",
            "with_generate", "with_ask", "with_autocut", "with_tenant", "with_consistency_level", "with_after",
            "with_fields", "with_meta_count", "with_group_by_filter")

LIBRARY = Library(
    name="weaviate",
    category=Category.DATASTORE,
    summary="v4 clients and collections (query, data, aggregate, batch, ...); v3 Client, query builders' do()",
    calls=(
        *((f"weaviate.{function}", Kind.BLOCKING) for function in CONNECT),
        *((f"{client}.{handle}", Kind.NOT_SINK) for client in (SYNC, ASYNC) for handle in HANDLES),
        *((f"{client}.close", Kind.NOT_SINK) for client in (SYNC, ASYNC)),
        (f"{ASYNC}.*", Kind.AWAIT),
        (f"{SYNC}.*", Kind.BLOCKING),
        *((f"{collection}.{method}", Kind.NOT_SINK) for collection in (COLLECTION, ASYNC_COLLECTION)
          for method in COLLECTION_LOCAL),
        (f"{ASYNC_COLLECTION}.*", Kind.AWAIT),
        (f"{COLLECTION}.*", Kind.BLOCKING),
        (V3, Kind.BLOCKING),
        *((f"{V3}.query.{builder}", Kind.NOT_SINK) for builder in V3_BUILDERS),
        (f"{V3}.*", Kind.BLOCKING),
        *((f"{builder}.do", Kind.BLOCKING) for builder in V3_BUILDERS.values()),
    ),
    classes=(SYNC, ASYNC, V3),
    aliases={
        "weaviate.client.WeaviateClient": SYNC,
        "weaviate.client.WeaviateAsyncClient": ASYNC,
        "weaviate.client.Client": V3,
        "weaviate.collections.collection.Collection": COLLECTION,
        "weaviate.collections.collection.sync.Collection": COLLECTION,
        "weaviate.collections.collection.CollectionAsync": ASYNC_COLLECTION,
        "weaviate.collections.collection.async_.CollectionAsync": ASYNC_COLLECTION,
        "weaviate.connect.helpers": "weaviate",
    },
    returns={
        **{f"weaviate.{function}": SYNC for function in CONNECT},
        **{f"weaviate.{function}": ASYNC for function in USE_ASYNC},
        **{f"{SYNC}.{handle}": COLLECTION for handle in HANDLES},
        **{f"{ASYNC}.{handle}": ASYNC_COLLECTION for handle in HANDLES},
        **{f"{COLLECTION}.{method}": COLLECTION for method in COLLECTION_LOCAL[:2]},
        **{f"{ASYNC_COLLECTION}.{method}": ASYNC_COLLECTION for method in COLLECTION_LOCAL[:2]},
        **{f"{V3}.query.{builder}": cls for builder, cls in V3_BUILDERS.items()},
        **{f"{cls}.{method}": cls for cls in V3_BUILDERS.values() for method in V3_CHAIN},
    },
)
