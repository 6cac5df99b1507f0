"""Google GenAI (``from google import genai``): ``genai.Client()``'s resource methods
(``models.generate_content``, ``models.embed_content``, ``files.upload``, ``caches.*``,
``batches.*`` ...) are requests to Gemini or Vertex AI: blocking on the client, awaited on its
``aio`` twin (``client.aio.models.generate_content``); ``aio.live.connect`` is entered. A chat
(``client.chats.create``, local) sends with ``send_message``."""

from session_lint.knowledge.declarations import Category, Kind, Library, namespace_calls

CLIENT = "google.genai.Client"
NAMESPACES = ("models", "files", "caches", "batches", "tunings", "operations", "file_search_stores", "auth_tokens",
              "interactions", "documents", "live")

LIBRARY = Library(
    name="google-genai",
    category=Category.LLM,
    summary="genai.Client models.generate_content, files, caches, ...; client.aio.* awaited; chats send_message",
    calls=(
        # Making a chat only records its settings; sending waits on the model.
        (f"{CLIENT}.chats.create", Kind.NOT_SINK),
        (f"{CLIENT}.aio.chats.create", Kind.NOT_SINK),
        *namespace_calls(f"{CLIENT}.aio", NAMESPACES, Kind.AWAIT, entered=("connect",)),
        *namespace_calls(CLIENT, NAMESPACES, Kind.BLOCKING),
        ("google.genai.chats.Chat.send_message*", Kind.BLOCKING),
        ("google.genai.chats.AsyncChat.send_message*", Kind.AWAIT),
    ),
    classes=(CLIENT,),
    aliases={
        "google.genai.client.Client": CLIENT,
        # What ``client.aio`` is, for annotations that name its class.
        "google.genai.client.AsyncClient": f"{CLIENT}.aio",
    },
    returns={
        f"{CLIENT}.chats.create": "google.genai.chats.Chat",
        f"{CLIENT}.aio.chats.create": "google.genai.chats.AsyncChat",
    },
)
