"""LiteLLM: its module functions call the provider's API (``completion``, ``embedding``,
``image_generation`` ... block; their ``a``-prefixed twins ``acompletion``, ``aembedding`` ... are
awaited), and so do the same methods of a ``Router``."""

from session_lint.knowledge.declarations import Category, Kind, Library

ENDPOINTS = ("completion", "completion_with_retries", "text_completion", "embedding", "moderation", "transcription",
             "speech", "image_generation", "image_edit", "rerank", "responses", "create_file", "create_batch",
             "retrieve_batch", "batch_completion", "health_check")

LIBRARY = Library(
    name="litellm",
    category=Category.LLM,
    summary="completion/acompletion, embedding/aembedding, ... (module functions and Router methods)",
    calls=(
        *((f"litellm.a{endpoint}", Kind.AWAIT) for endpoint in ENDPOINTS),
        *((f"litellm.{endpoint}", Kind.BLOCKING) for endpoint in ENDPOINTS),
        *((f"litellm.Router.a{endpoint}", Kind.AWAIT) for endpoint in ENDPOINTS),
        *((f"litellm.Router.{endpoint}", Kind.BLOCKING) for endpoint in ENDPOINTS),
    ),
    classes=("litellm.Router",),
    aliases={
        "litellm.main": "litellm",
        "litellm.images.main": "litellm",
        "litellm.rerank_api.main": "litellm",
        "litellm.responses.main": "litellm",
        "litellm.files.main": "litellm",
        "litellm.batches.main": "litellm",
        "litellm.router.Router": "litellm.Router",
    },
)
