"""google-api-python-client (``googleapiclient``): a request's ``execute()`` and a media
transfer's ``next_chunk()`` block on the Google API. The requests come from a discovery
resource (``build("drive", "v3").files().list(...)``) whose methods are generated at run time:
only a request or download whose type is known (an ``HttpRequest`` or
``MediaIoBaseDownload`` made or annotated as such) is followed. ``build`` with the
bundled discovery documents is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="google-api-python-client",
    category=Category.CLOUD,
    summary="HttpRequest.execute, MediaIoBaseDownload/Upload.next_chunk (blocking; typed requests only)",
    calls=(
        ("googleapiclient.http.HttpRequest.execute", Kind.BLOCKING),
        ("googleapiclient.http.BatchHttpRequest.execute", Kind.BLOCKING),
        ("googleapiclient.http.MediaIoBaseDownload.next_chunk", Kind.BLOCKING),
        ("googleapiclient.http.HttpRequest.next_chunk", Kind.BLOCKING),
    ),
    classes=("googleapiclient.http.HttpRequest", "googleapiclient.http.BatchHttpRequest",
             "googleapiclient.http.MediaIoBaseDownload"),
    returns={"googleapiclient.discovery.build": "googleapiclient.discovery.Resource"},
)
