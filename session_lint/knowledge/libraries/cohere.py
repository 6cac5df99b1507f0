"""Cohere: the client's own methods (``chat``, ``chat_stream``, ``embed``, ``rerank``,
``generate``, ``classify``, ``tokenize`` ...) and those of its namespaces (``v2``, ``datasets``,
``embed_jobs``, ``models``, ``finetuning`` ...) are requests to the API: blocking on ``Client``
and ``ClientV2``, awaited (or iterated, for streams) on ``AsyncClient`` and ``AsyncClientV2``."""

from session_lint.knowledge.declarations import Category, Kind, Library, namespace_calls

METHODS = ("chat", "chat_stream", "generate", "generate_stream", "embed", "embed_stream", "rerank", "classify",
           "summarize", "tokenize", "detokenize", "check_api_key", "parse")
NAMESPACES = ("v2", "batches", "embed_jobs", "datasets", "connectors", "models", "finetuning", "audio",
              "with_raw_response")
SYNC_CLIENTS = ("cohere.Client", "cohere.ClientV2")
ASYNC_CLIENTS = ("cohere.AsyncClient", "cohere.AsyncClientV2")


def _calls(client: str, kind: Kind):
    return (*((f"{client}.{method}", kind) for method in METHODS), *namespace_calls(client, NAMESPACES, kind))


LIBRARY = Library(
    name="cohere",
    category=Category.LLM,
    summary="Client/ClientV2 and their async twins: chat, embed, rerank, generate, ... and namespaces",
    calls=tuple(call for client in ASYNC_CLIENTS for call in _calls(client, Kind.AWAIT))
    + tuple(call for client in SYNC_CLIENTS for call in _calls(client, Kind.BLOCKING)),
    classes=(*SYNC_CLIENTS, *ASYNC_CLIENTS),
    aliases={
        "cohere.client.Client": "cohere.Client",
        "cohere.client.AsyncClient": "cohere.AsyncClient",
        "cohere.client_v2.ClientV2": "cohere.ClientV2",
        "cohere.client_v2.AsyncClientV2": "cohere.AsyncClientV2",
        # The cloud variants are subclasses with the same methods.
        "cohere.BedrockClient": "cohere.Client",
        "cohere.BedrockClientV2": "cohere.ClientV2",
        "cohere.SagemakerClient": "cohere.Client",
        "cohere.SagemakerClientV2": "cohere.ClientV2",
    },
)
