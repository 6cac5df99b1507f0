"""MinIO's Python client (any S3-compatible store): every object and bucket operation of
``Minio`` (``put_object``, ``get_object``, ``fput_object``, ``stat_object``, ``list_objects``,
``remove_object``, ``bucket_exists`` ...) is a blocking request to the store. Presigning URLs
and switching endpoint styles or tracing are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "minio.Minio"
LOCAL = ("presigned_*", "get_presigned_url", "set_app_info", "trace_on", "trace_off", "enable_*_endpoint",
         "disable_*_endpoint")

LIBRARY = Library(
    name="minio",
    category=Category.CLOUD,
    summary="Minio object and bucket operations (blocking); presigning is local",
    calls=(*((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in LOCAL), (f"{CLIENT}.*", Kind.BLOCKING)),
    classes=(CLIENT,),
    aliases={"minio.api.Minio": CLIENT},
)
