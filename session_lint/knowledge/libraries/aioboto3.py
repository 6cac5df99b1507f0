"""aioboto3 and aiobotocore: a client entered from ``Session().client(...)`` (or aiobotocore's
``get_session().create_client(...)``) awaits every operation on AWS, and a resource entered from
``Session().resource(...)`` every action; paginators are iterated and waiters awaited. Entering
the client only builds it, and signing a URL (``generate_presigned_url``, awaited) is local."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "aiobotocore.client.AioBaseClient"
RESOURCE = "aioboto3.resources.base.AIOBoto3ServiceResource"

CLIENT_LOCAL = ("close", "get_paginator", "can_paginate", "get_waiter", "waiter_names", "exceptions.*", "meta.*",
                "generate_presigned_url", "generate_presigned_post")
# ``await dynamodb.Table("name")`` makes the sub-resource without a request.
SUB_RESOURCES = ("Bucket", "Object", "ObjectSummary", "MultipartUpload", "BucketPolicy", "Table", "Queue",
                 "Message", "Topic", "Subscription")

STUB_CLIENTS = {"s3": "S3Client", "sqs": "SQSClient", "sns": "SNSClient", "ses": "SESClient",
                "dynamodb": "DynamoDBClient", "lambda": "LambdaClient", "secretsmanager": "SecretsManagerClient",
                "bedrock_runtime": "BedrockRuntimeClient", "sts": "STSClient", "kms": "KMSClient"}

LIBRARY = Library(
    name="aioboto3",
    category=Category.CLOUD,
    summary="aioboto3/aiobotocore client operations and resource actions (awaited), paginators",
    calls=(
        ("aioboto3.Session.client", Kind.NOT_SINK),
        ("aioboto3.Session.resource", Kind.NOT_SINK),
        ("aiobotocore.session.AioSession.create_client", Kind.NOT_SINK),
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in CLIENT_LOCAL),
        (f"{CLIENT}.*", Kind.AWAIT),
        ("aiobotocore.paginate.AioPaginator.paginate", Kind.ITERATE),
        ("aiobotocore.paginate.AioPageIterator.*", Kind.AWAIT),
        ("aiobotocore.waiter.AIOWaiter.wait", Kind.AWAIT),
        *((f"{RESOURCE}.{name}", Kind.NOT_SINK) for name in SUB_RESOURCES),
        (f"{RESOURCE}.meta.client.*", Kind.AWAIT),
        (f"{RESOURCE}.meta.*", Kind.NOT_SINK),
        (f"{RESOURCE}.*", Kind.AWAIT),
    ),
    classes=("aioboto3.Session", "aiobotocore.session.AioSession"),
    aliases={
        "aioboto3.session.Session": "aioboto3.Session",
        **{f"types_aiobotocore_{package}.{name}": CLIENT for package, name in STUB_CLIENTS.items()},
        **{f"types_aiobotocore_{package}.client.{name}": CLIENT for package, name in STUB_CLIENTS.items()},
    },
    returns={
        "aioboto3.Session.client": CLIENT,
        "aioboto3.Session.resource": RESOURCE,
        "aiobotocore.session.get_session": "aiobotocore.session.AioSession",
        "aiobotocore.session.AioSession.create_client": CLIENT,
        f"{CLIENT}.get_paginator": "aiobotocore.paginate.AioPaginator",
        f"{CLIENT}.get_waiter": "aiobotocore.waiter.AIOWaiter",
        **{f"{RESOURCE}.{name}": RESOURCE for name in SUB_RESOURCES},
    },
)
