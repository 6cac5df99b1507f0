"""The Kubernetes Python client: every method of an API class (``CoreV1Api().read_namespaced_secret``,
``AppsV1Api().patch_namespaced_deployment``, ``CustomObjectsApi().list_cluster_custom_object``
...) is a blocking request to the API server, awaited with ``kubernetes_asyncio``; so is
streaming a watch. Loading the kube config is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

APIS = ("CoreV1Api", "AppsV1Api", "BatchV1Api", "CustomObjectsApi", "NetworkingV1Api", "RbacAuthorizationV1Api",
        "AutoscalingV1Api", "AutoscalingV2Api", "StorageV1Api", "PolicyV1Api", "ApiextensionsV1Api",
        "CoordinationV1Api", "EventsV1Api", "VersionApi", "CoreApi")
SYNC = "kubernetes.client"
ASYNC = "kubernetes_asyncio.client"

LIBRARY = Library(
    name="kubernetes",
    category=Category.CLOUD,
    summary="API classes' methods (CoreV1Api.read_namespaced_secret, ...), watch streams; kubernetes_asyncio awaited",
    calls=(
        *((f"{package}.*Api.api_client", Kind.NOT_SINK) for package in (ASYNC, SYNC)),
        (f"{ASYNC}.*Api.*", Kind.AWAIT),
        (f"{SYNC}.*Api.*", Kind.BLOCKING),
        ("kubernetes_asyncio.watch.Watch.stream", Kind.ITERATE),
        ("kubernetes.watch.Watch.stream", Kind.BLOCKING),
    ),
    classes=(*(f"{package}.{api}" for package in (SYNC, ASYNC) for api in APIS),
             "kubernetes.watch.Watch", "kubernetes_asyncio.watch.Watch"),
)
