"""Google Cloud Storage (``from google.cloud import storage``): the client's, a bucket's and a
blob's requests (``get_bucket``, ``list_blobs``, ``blob.upload_from_*``, ``download_*``,
``exists``, ``delete``, ``reload`` ...) block on GCS. Naming a bucket or blob
(``client.bucket(...)``, ``bucket.blob(...)``) and signing a URL are local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "google.cloud.storage.Client"
BUCKET = "google.cloud.storage.Bucket"
BLOB = "google.cloud.storage.Blob"

IAM = ("get_iam_policy", "set_iam_policy", "test_iam_permissions", "make_public", "make_private")
CLIENT_REQUESTS = ("get_bucket", "lookup_bucket", "create_bucket", "list_buckets", "list_blobs",
                   "download_blob_to_file", "restore_bucket", "get_service_account_email", "create_hmac_key",
                   "list_hmac_keys", "get_hmac_key_metadata")
BUCKET_REQUESTS = ("exists", "create", "update", "reload", "patch", "delete", "get_blob", "list_blobs",
                   "delete_blob", "delete_blobs", "copy_blob", "rename_blob", "move_blob", "restore_blob",
                   "list_notifications", "get_notification", "lock_retention_policy", *IAM)
BLOB_REQUESTS = ("exists", "reload", "patch", "update", "delete", "download_to_file", "download_to_filename",
                 "download_as_bytes", "download_as_string", "download_as_text", "upload_from_file",
                 "upload_from_filename", "upload_from_string", "create_resumable_upload_session", "compose",
                 "rewrite", "update_storage_class", "open", *IAM)

LIBRARY = Library(
    name="google-cloud-storage",
    category=Category.CLOUD,
    summary="storage.Client, Bucket and Blob requests: upload_from_*, download_*, list_blobs, ... (blocking)",
    calls=(
        *((f"{CLIENT}.{method}", Kind.BLOCKING) for method in CLIENT_REQUESTS),
        *((f"{BUCKET}.{method}", Kind.BLOCKING) for method in BUCKET_REQUESTS),
        *((f"{BLOB}.{method}", Kind.BLOCKING) for method in BLOB_REQUESTS),
    ),
    classes=(CLIENT, BUCKET, BLOB),
    aliases={
        "google.cloud.storage.client.Client": CLIENT,
        "google.cloud.storage.bucket.Bucket": BUCKET,
        "google.cloud.storage.blob.Blob": BLOB,
    },
    returns={
        f"{CLIENT}.bucket": BUCKET,
        f"{CLIENT}.get_bucket": BUCKET,
        f"{CLIENT}.lookup_bucket": BUCKET,
        f"{CLIENT}.create_bucket": BUCKET,
        f"{CLIENT}.from_service_account_json": CLIENT,
        f"{CLIENT}.from_service_account_info": CLIENT,
        f"{CLIENT}.create_anonymous_client": CLIENT,
        f"{BUCKET}.blob": BLOB,
        f"{BUCKET}.get_blob": BLOB,
        f"{BUCKET}.from_string": BUCKET,
        f"{BLOB}.from_string": BLOB,
        f"{BLOB}.from_uri": BLOB,
    },
)
