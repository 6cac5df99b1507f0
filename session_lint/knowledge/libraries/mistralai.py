"""Mistral AI's SDK: one client, ``Mistral``, whose namespace methods are requests to the API,
each in two forms: ``chat.complete`` (blocking) and ``chat.complete_async`` (awaited), likewise
``chat.stream``/``stream_async``, ``embeddings.create``, ``fim``, ``agents``, ``files``, ``ocr`` ...
The 0.x clients (``MistralClient``, ``MistralAsyncClient``) are requests too."""

from session_lint.knowledge.declarations import Category, Kind, Library

NAMESPACES = ("chat", "fim", "agents", "embeddings", "classifiers", "ocr", "files", "models", "batch", "audio",
              "beta", "responses", "realtime", "workflows", "events", "fine_tuning", "conversations", "libraries")
CLIENTS = ("mistralai.Mistral", "mistralai.MistralAzure", "mistralai.MistralGCP")
LEGACY_METHODS = ("chat", "chat_stream", "embeddings", "list_models", "completion", "completion_stream",
                  "delete_model", "jobs.*", "files.*")

LIBRARY = Library(
    name="mistralai",
    category=Category.LLM,
    summary="Mistral chat.complete(_async), stream(_async), embeddings, fim, agents, ocr, files ...",
    calls=(
        *((f"{client}.{namespace}.*_async", Kind.AWAIT) for client in CLIENTS for namespace in NAMESPACES),
        *((f"{client}.{namespace}.*", Kind.BLOCKING) for client in CLIENTS for namespace in NAMESPACES),
        *((f"mistralai.async_client.MistralAsyncClient.{method}", Kind.AWAIT) for method in LEGACY_METHODS),
        *((f"mistralai.client.MistralClient.{method}", Kind.BLOCKING) for method in LEGACY_METHODS),
    ),
    classes=(*CLIENTS, "mistralai.client.MistralClient", "mistralai.async_client.MistralAsyncClient"),
    aliases={
        # 1.x exports the client from the package, 2.x from mistralai.client.
        "mistralai.client.Mistral": "mistralai.Mistral",
        "mistralai.client.sdk.Mistral": "mistralai.Mistral",
        "mistralai.sdk.Mistral": "mistralai.Mistral",
        "mistralai.azure.client.MistralAzure": "mistralai.MistralAzure",
        "mistralai_azure.MistralAzure": "mistralai.MistralAzure",
        "mistralai.gcp.client.MistralGCP": "mistralai.MistralGCP",
        "mistralai_gcp.MistralGoogleCloud": "mistralai.MistralGCP",
    },
)
