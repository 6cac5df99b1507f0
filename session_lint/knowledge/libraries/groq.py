"""The Groq Python SDK (laid out like OpenAI's): every method under a client's resource
namespaces (``chat.completions.create``, ``audio.transcriptions.create``, ``models.list`` ...) is
a request to the API: awaited on ``AsyncGroq``, blocking on ``Groq``."""

from session_lint.knowledge.declarations import Category, Kind, Library, namespace_calls

NAMESPACES = ("chat", "embeddings", "audio", "models", "batches", "files", "with_raw_response",
              "with_streaming_response")

LIBRARY = Library(
    name="groq",
    category=Category.LLM,
    summary="Groq/AsyncGroq chat.completions.create, audio, embeddings, models ...",
    calls=(*namespace_calls("groq.AsyncGroq", NAMESPACES, Kind.AWAIT),
           *namespace_calls("groq.Groq", NAMESPACES, Kind.BLOCKING)),
    classes=("groq.Groq", "groq.AsyncGroq"),
    aliases={"groq.Client": "groq.Groq", "groq.AsyncClient": "groq.AsyncGroq", "groq._client.Groq": "groq.Groq",
             "groq._client.AsyncGroq": "groq.AsyncGroq", "groq._client.Client": "groq.Groq",
             "groq._client.AsyncClient": "groq.AsyncGroq"},
    returns={f"{client}.{method}": client for client in ("groq.Groq", "groq.AsyncGroq")
             for method in ("with_options", "copy")},
)
