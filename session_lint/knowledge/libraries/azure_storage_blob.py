"""Azure Blob Storage (``azure.storage.blob`` and its ``aio`` twin): every method of a
``BlobServiceClient``, ``ContainerClient`` or ``BlobClient`` that is not a constructor
(``from_connection_string``, ``get_blob_client`` ...) or ``close`` is a request to the storage
account, and so is reading a download (``download_blob().readall()``): blocking, or awaited
with the ``aio`` clients."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLASSES = ("BlobServiceClient", "ContainerClient", "BlobClient")
LOCAL = ("close", "from_*", "get_*_client")
SYNC = "azure.storage.blob"
ASYNC = "azure.storage.blob.aio"
DOWNLOADER = "StorageStreamDownloader"


def _calls(package: str, kind: Kind):
    for cls in CLASSES:
        yield from ((f"{package}.{cls}.{method}", Kind.NOT_SINK) for method in LOCAL)
        yield f"{package}.{cls}.*", kind
    yield f"{package}.{DOWNLOADER}.*", kind


def _returns(package: str):
    service, container, blob = (f"{package}.{cls}" for cls in CLASSES)
    return {
        f"{service}.from_connection_string": service,
        f"{service}.get_container_client": container,
        f"{service}.get_blob_client": blob,
        f"{service}.create_container": container,
        f"{container}.from_connection_string": container,
        f"{container}.from_container_url": container,
        f"{container}.get_blob_client": blob,
        f"{container}.upload_blob": blob,
        f"{blob}.from_connection_string": blob,
        f"{blob}.from_blob_url": blob,
        f"{container}.download_blob": f"{package}.{DOWNLOADER}",
        f"{blob}.download_blob": f"{package}.{DOWNLOADER}",
    }


LIBRARY = Library(
    name="azure-storage-blob",
    category=Category.CLOUD,
    summary="BlobServiceClient/ContainerClient/BlobClient requests and downloads (sync blocking, aio awaited)",
    calls=(*_calls(ASYNC, Kind.AWAIT), *_calls(SYNC, Kind.BLOCKING)),
    classes=tuple(f"{package}.{cls}" for package in (SYNC, ASYNC) for cls in CLASSES),
    aliases={
        **{f"{SYNC}._{module}.{cls}": f"{SYNC}.{cls}" for module, cls in (
            ("blob_service_client", "BlobServiceClient"), ("container_client", "ContainerClient"),
            ("blob_client", "BlobClient"), ("download", DOWNLOADER))},
        **{f"{ASYNC}._{module}_async.{cls}": f"{ASYNC}.{cls}" for module, cls in (
            ("blob_service_client", "BlobServiceClient"), ("container_client", "ContainerClient"),
            ("blob_client", "BlobClient"), ("download", DOWNLOADER))},
    },
    returns={**_returns(SYNC), **_returns(ASYNC)},
)
