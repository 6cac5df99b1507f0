"""urllib3: requests block the calling thread."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="urllib3",
    category=Category.HTTP,
    summary="urllib3.request and PoolManager requests (blocking)",
    calls=(("urllib3.request", Kind.BLOCKING), ("urllib3.PoolManager.request*", Kind.BLOCKING)),
    classes=("urllib3.PoolManager",),
    returns={"urllib3.PoolManager": "urllib3.PoolManager"},
)
