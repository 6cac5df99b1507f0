"""Pinecone: an index's data operations (``upsert``, ``query``, ``fetch``, ``delete``,
``update``, ``describe_index_stats``, ``search`` ...) and the client's control-plane and
inference calls (``create_index``, ``list_indexes``, ``inference.embed`` ...) are requests to
Pinecone: blocking with ``Pinecone`` (and its gRPC variant), awaited with ``PineconeAsyncio``
and ``IndexAsyncio``. Targeting an index (``pc.Index(name)``) is local. The 2.x module API
(``pinecone.init``, ``pinecone.list_indexes``, ``pinecone.Index(name).query``) too."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT_LOCAL = ("Index", "IndexAsyncio", "index", "config", "close")
LEGACY = ("init", "whoami", "create_index", "list_indexes", "describe_index", "delete_index", "configure_index",
          "create_collection", "list_collections", "describe_collection", "delete_collection")

LIBRARY = Library(
    name="pinecone",
    category=Category.DATASTORE,
    summary="Index upsert/query/fetch/..., Pinecone control plane and inference (sync; asyncio awaited)",
    calls=(
        *((f"{client}.{method}", Kind.NOT_SINK) for client in ("pinecone.Pinecone", "pinecone.PineconeAsyncio",
                                                               "pinecone.grpc.PineconeGRPC")
          for method in CLIENT_LOCAL),
        *((f"{index}.{method}", Kind.NOT_SINK) for index in ("pinecone.Index", "pinecone.IndexAsyncio",
                                                             "pinecone.grpc.GRPCIndex")
          for method in ("host", "close")),
        ("pinecone.PineconeAsyncio.*", Kind.AWAIT),
        ("pinecone.IndexAsyncio.*", Kind.AWAIT),
        ("pinecone.Pinecone.*", Kind.BLOCKING),
        ("pinecone.grpc.PineconeGRPC.*", Kind.BLOCKING),
        ("pinecone.Index.*", Kind.BLOCKING),
        ("pinecone.grpc.GRPCIndex.*", Kind.BLOCKING),
        *((f"pinecone.{function}", Kind.BLOCKING) for function in LEGACY),
    ),
    classes=("pinecone.Pinecone", "pinecone.PineconeAsyncio", "pinecone.grpc.PineconeGRPC", "pinecone.Index",
             "pinecone.IndexAsyncio", "pinecone.grpc.GRPCIndex"),
    aliases={
        "pinecone.AsyncPinecone": "pinecone.PineconeAsyncio",
        "pinecone._client.Pinecone": "pinecone.Pinecone",
        "pinecone.pinecone.Pinecone": "pinecone.Pinecone",
        "pinecone.async_client.pinecone.AsyncPinecone": "pinecone.PineconeAsyncio",
        "pinecone.pinecone_asyncio.PineconeAsyncio": "pinecone.PineconeAsyncio",
        "pinecone.index.Index": "pinecone.Index",
        "pinecone.AsyncIndex": "pinecone.IndexAsyncio",
        "pinecone.async_client.async_index.AsyncIndex": "pinecone.IndexAsyncio",
        "pinecone.db_data.index_asyncio.IndexAsyncio": "pinecone.IndexAsyncio",
        "pinecone.grpc.index_grpc.GRPCIndex": "pinecone.grpc.GRPCIndex",
    },
    returns={
        "pinecone.Pinecone.Index": "pinecone.Index",
        "pinecone.Pinecone.index": "pinecone.Index",
        "pinecone.Pinecone.IndexAsyncio": "pinecone.IndexAsyncio",
        "pinecone.PineconeAsyncio.IndexAsyncio": "pinecone.IndexAsyncio",
        "pinecone.PineconeAsyncio.index": "pinecone.IndexAsyncio",
        "pinecone.PineconeAsyncio.Index": "pinecone.IndexAsyncio",
        "pinecone.grpc.PineconeGRPC.Index": "pinecone.grpc.GRPCIndex",
    },
)
