"""The OpenAI Python SDK: every method under a client's resource namespaces (``chat.completions
.create``, ``responses.create``, ``embeddings.create``, ``files.*``, ``beta.*`` ...) is a request
to the API: awaited on ``AsyncOpenAI``, blocking on ``OpenAI``. ``stream(...)`` and the realtime
``connect(...)`` are entered instead; they connect when entered. The module-level client
(``openai.chat.completions.create``) and the 0.x class API (``openai.ChatCompletion.create``,
``acreate``) are requests too. Webhook signature checks are local."""

from session_lint.knowledge.declarations import Category, Kind, Library, namespace_calls

# The client's properties that hold API resources.
NAMESPACES = (
    "chat", "completions", "responses", "embeddings", "images", "audio", "moderations", "models",
    "files", "uploads", "batches", "fine_tuning", "vector_stores", "beta", "realtime", "conversations",
    "evals", "containers", "videos", "webhooks", "admin", "live", "skills", "safety", "decisions",
    "content_provenance_checks", "with_raw_response", "with_streaming_response",
)

SYNC_CLIENTS = ("openai.OpenAI", "openai.AzureOpenAI", "openai.BedrockOpenAI")
ASYNC_CLIENTS = ("openai.AsyncOpenAI", "openai.AsyncAzureOpenAI", "openai.AsyncBedrockOpenAI")

# The 0.x API (still in projects pinned below 1.0): class methods, ``a``-prefixed ones async.
LEGACY_RESOURCES = (
    "ChatCompletion", "Completion", "Embedding", "Edit", "Image", "Moderation", "Audio", "File",
    "FineTune", "FineTuningJob", "Model", "Engine", "Deployment",
)
ENTERED = ("*stream", "*.connect")
LOCAL = ("webhooks.unwrap", "webhooks.verify_signature")


LIBRARY = Library(
    name="openai",
    category=Category.LLM,
    summary="OpenAI/AsyncOpenAI (and Azure) resource methods: chat.completions, responses, embeddings, ...",
    calls=(
        *(call for client in ASYNC_CLIENTS
          for call in namespace_calls(client, NAMESPACES, Kind.AWAIT, ENTERED, LOCAL)),
        *(call for client in SYNC_CLIENTS
          for call in namespace_calls(client, NAMESPACES, Kind.BLOCKING, ENTERED, LOCAL)),
        # ``openai.api_key = ...; openai.chat.completions.create(...)``: the module-level client.
        ("openai.webhooks.unwrap", Kind.NOT_SINK),
        ("openai.webhooks.verify_signature", Kind.NOT_SINK),
        *((f"openai.{namespace}.*", Kind.BLOCKING) for namespace in NAMESPACES),
        *((f"openai.{resource}.a*", Kind.AWAIT) for resource in LEGACY_RESOURCES),
        *((f"openai.{resource}.*", Kind.BLOCKING) for resource in LEGACY_RESOURCES),
    ),
    classes=(*SYNC_CLIENTS, *ASYNC_CLIENTS),
    aliases={
        "openai.Client": "openai.OpenAI",
        "openai.AsyncClient": "openai.AsyncOpenAI",
        "openai._client.OpenAI": "openai.OpenAI",
        "openai._client.AsyncOpenAI": "openai.AsyncOpenAI",
        "openai._client.Client": "openai.OpenAI",
        "openai._client.AsyncClient": "openai.AsyncOpenAI",
        "openai.lib.azure.AzureOpenAI": "openai.AzureOpenAI",
        "openai.lib.azure.AsyncAzureOpenAI": "openai.AsyncAzureOpenAI",
        "openai.lib.bedrock.BedrockOpenAI": "openai.BedrockOpenAI",
        "openai.lib.bedrock.AsyncBedrockOpenAI": "openai.AsyncBedrockOpenAI",
    },
    # A client's copies are clients of the same kind.
    returns={f"{client}.{method}": client for client in (*SYNC_CLIENTS, *ASYNC_CLIENTS)
             for method in ("with_options", "copy")},
)
