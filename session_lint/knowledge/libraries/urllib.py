"""urllib.request: ``urlopen`` and an opener's ``open`` block the calling thread."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="urllib",
    category=Category.HTTP,
    summary="urllib.request.urlopen and OpenerDirector.open (blocking)",
    calls=(("urllib.request.urlopen", Kind.BLOCKING), ("urllib.request.OpenerDirector.open", Kind.BLOCKING)),
    returns={"urllib.request.build_opener": "urllib.request.OpenerDirector"},
)
