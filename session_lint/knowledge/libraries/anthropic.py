"""The Anthropic Python SDK: every method under a client's resource namespaces
(``messages.create``, ``messages.count_tokens``, ``models.list``, ``beta.messages.create`` ...)
is a request to the API: awaited on ``AsyncAnthropic``, blocking on ``Anthropic``, the same for
the Bedrock, Vertex, Foundry and AWS clients. ``messages.stream(...)`` is entered; it connects
when entered. Webhook payload parsing is local."""

from session_lint.knowledge.declarations import Category, Kind, Library, namespace_calls

NAMESPACES = ("messages", "completions", "models", "files", "skills", "user_profiles", "organization", "beta",
              "with_raw_response", "with_streaming_response")
ENTERED = ("*stream",)
LOCAL = ("beta.webhooks.unwrap", "beta.webhooks.parse_unverified")

PLATFORMS = ("", "Bedrock", "Vertex", "Foundry", "AWS")
SYNC_CLIENTS = tuple(f"anthropic.Anthropic{platform}" for platform in PLATFORMS)
ASYNC_CLIENTS = tuple(f"anthropic.AsyncAnthropic{platform}" for platform in PLATFORMS)

LIBRARY = Library(
    name="anthropic",
    category=Category.LLM,
    summary="Anthropic/AsyncAnthropic (and Bedrock, Vertex) messages.create, messages.stream, models, beta ...",
    calls=(
        *(call for client in ASYNC_CLIENTS
          for call in namespace_calls(client, NAMESPACES, Kind.AWAIT, ENTERED, LOCAL)),
        *(call for client in SYNC_CLIENTS
          for call in namespace_calls(client, NAMESPACES, Kind.BLOCKING, ENTERED, LOCAL)),
    ),
    classes=(*SYNC_CLIENTS, *ASYNC_CLIENTS),
    aliases={
        "anthropic.Client": "anthropic.Anthropic",
        "anthropic.AsyncClient": "anthropic.AsyncAnthropic",
        "anthropic._client.Anthropic": "anthropic.Anthropic",
        "anthropic._client.AsyncAnthropic": "anthropic.AsyncAnthropic",
        "anthropic._client.Client": "anthropic.Anthropic",
        "anthropic._client.AsyncClient": "anthropic.AsyncAnthropic",
        "anthropic.lib.bedrock.AnthropicBedrock": "anthropic.AnthropicBedrock",
        "anthropic.lib.bedrock.AsyncAnthropicBedrock": "anthropic.AsyncAnthropicBedrock",
        "anthropic.lib.bedrock._client.AnthropicBedrock": "anthropic.AnthropicBedrock",
        "anthropic.lib.bedrock._client.AsyncAnthropicBedrock": "anthropic.AsyncAnthropicBedrock",
        "anthropic.lib.vertex.AnthropicVertex": "anthropic.AnthropicVertex",
        "anthropic.lib.vertex.AsyncAnthropicVertex": "anthropic.AsyncAnthropicVertex",
        "anthropic.lib.vertex._client.AnthropicVertex": "anthropic.AnthropicVertex",
        "anthropic.lib.vertex._client.AsyncAnthropicVertex": "anthropic.AsyncAnthropicVertex",
        "anthropic.lib.foundry.AnthropicFoundry": "anthropic.AnthropicFoundry",
        "anthropic.lib.foundry.AsyncAnthropicFoundry": "anthropic.AsyncAnthropicFoundry",
        "anthropic.lib.aws.AnthropicAWS": "anthropic.AnthropicAWS",
        "anthropic.lib.aws.AsyncAnthropicAWS": "anthropic.AsyncAnthropicAWS",
    },
    returns={f"{client}.{method}": client for client in (*SYNC_CLIENTS, *ASYNC_CLIENTS)
             for method in ("with_options", "copy")},
)
