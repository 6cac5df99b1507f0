"""boto3 and botocore: every operation of a service client (``boto3.client("s3")``,
``Session().client(...)``, ``botocore.session.get_session().create_client(...)``) is a blocking
request to AWS, and so is every action of a resource (``boto3.resource("dynamodb").Table(...)
.put_item``), a paginator's pages and a waiter's wait. Making clients, resources, paginators and
waiters is local, and so is signing: ``generate_presigned_url`` never leaves the process."""

from session_lint.knowledge.declarations import Category, Kind, Library

CLIENT = "botocore.client.BaseClient"
RESOURCE = "boto3.resources.base.ServiceResource"

# A client's methods that are not operations.
CLIENT_LOCAL = ("close", "get_paginator", "can_paginate", "get_waiter", "waiter_names", "exceptions.*", "meta.*",
                "generate_presigned_url", "generate_presigned_post")
# Sub-resources are made locally (``s3.Bucket("name")``); their actions are requests.
SUB_RESOURCES = ("Bucket", "Object", "ObjectSummary", "ObjectAcl", "MultipartUpload", "BucketPolicy", "Table",
                 "Queue", "Message", "Topic", "Subscription", "PlatformEndpoint", "Instance", "Volume", "Vpc",
                 "SecurityGroup", "Image", "User", "Role", "Group", "Policy")

# Type stubs (mypy-boto3-*) that projects annotate clients with.
STUB_CLIENTS = {
    "s3": "S3Client", "sqs": "SQSClient", "sns": "SNSClient", "ses": "SESClient", "sesv2": "SESV2Client",
    "dynamodb": "DynamoDBClient", "lambda": "LambdaClient", "secretsmanager": "SecretsManagerClient",
    "ssm": "SSMClient", "sts": "STSClient", "kms": "KMSClient", "bedrock_runtime": "BedrockRuntimeClient",
    "bedrock": "BedrockClient", "bedrock_agent_runtime": "AgentsforBedrockRuntimeClient",
    "cloudwatch": "CloudWatchClient", "logs": "CloudWatchLogsClient", "ec2": "EC2Client", "ecs": "ECSClient",
    "textract": "TextractClient", "kinesis": "KinesisClient", "firehose": "FirehoseClient",
    "athena": "AthenaClient", "glue": "GlueClient", "sagemaker_runtime": "SageMakerRuntimeClient",
    "cognito_idp": "CognitoIdentityProviderClient", "events": "EventBridgeClient", "stepfunctions": "SFNClient",
    "iam": "IAMClient", "transcribe": "TranscribeServiceClient", "polly": "PollyClient",
}
STUB_RESOURCES = {"s3": "S3ServiceResource", "dynamodb": "DynamoDBServiceResource", "sqs": "SQSServiceResource",
                  "sns": "SNSServiceResource", "ec2": "EC2ServiceResource", "iam": "IAMServiceResource"}


def _stub_aliases():
    aliases = {}
    for package, name in STUB_CLIENTS.items():
        aliases[f"mypy_boto3_{package}.{name}"] = CLIENT
        aliases[f"mypy_boto3_{package}.client.{name}"] = CLIENT
    for package, name in STUB_RESOURCES.items():
        aliases[f"mypy_boto3_{package}.{name}"] = RESOURCE
        aliases[f"mypy_boto3_{package}.service_resource.{name}"] = RESOURCE
    aliases["mypy_boto3_s3.service_resource.Bucket"] = RESOURCE
    aliases["mypy_boto3_dynamodb.service_resource.Table"] = RESOURCE
    return aliases


LIBRARY = Library(
    name="boto3",
    category=Category.CLOUD,
    summary="boto3/botocore client operations, resource actions, paginators and waiters (blocking)",
    calls=(
        *((f"{CLIENT}.{method}", Kind.NOT_SINK) for method in CLIENT_LOCAL),
        (f"{CLIENT}.*", Kind.BLOCKING),
        ("botocore.paginate.Paginator.paginate", Kind.BLOCKING),
        ("botocore.paginate.PageIterator.*", Kind.BLOCKING),
        ("botocore.waiter.Waiter.wait", Kind.BLOCKING),
        *((f"{RESOURCE}.{name}", Kind.NOT_SINK) for name in SUB_RESOURCES),
        # ``s3.meta.client`` is the resource's client.
        (f"{RESOURCE}.meta.client.*", Kind.BLOCKING),
        (f"{RESOURCE}.meta.*", Kind.NOT_SINK),
        (f"{RESOURCE}.get_available_subresources", Kind.NOT_SINK),
        (f"{RESOURCE}.*", Kind.BLOCKING),
    ),
    classes=("boto3.Session", "botocore.session.Session"),
    aliases={
        "boto3.session.Session": "boto3.Session",
        **_stub_aliases(),
    },
    returns={
        "boto3.client": CLIENT,
        "boto3.resource": RESOURCE,
        "boto3.Session.client": CLIENT,
        "boto3.Session.resource": RESOURCE,
        "botocore.session.get_session": "botocore.session.Session",
        "botocore.session.Session.create_client": CLIENT,
        f"{CLIENT}.get_paginator": "botocore.paginate.Paginator",
        f"{CLIENT}.get_waiter": "botocore.waiter.Waiter",
        "botocore.paginate.Paginator.paginate": "botocore.paginate.PageIterator",
        **{f"{RESOURCE}.{name}": RESOURCE for name in SUB_RESOURCES},
    },
)
