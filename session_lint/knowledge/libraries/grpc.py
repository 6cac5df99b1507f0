"""gRPC: a call through a generated stub (``stub.GetFeature(request)``, the stub from a
``*_pb2_grpc`` module) is a request to the server, awaited over a ``grpc.aio`` channel;
``await channel.channel_ready()`` and ``grpc.channel_ready_future(channel).result()`` wait for
the connection. Making a channel or a stub is local: channels connect lazily."""

from session_lint.knowledge.declarations import Category, Kind, Library

LIBRARY = Library(
    name="grpc",
    category=Category.RPC,
    summary="calls on *_pb2_grpc stubs (awaited), channel_ready, channel_ready_future().result()",
    calls=(
        ("grpc.aio.insecure_channel", Kind.NOT_SINK),
        ("grpc.aio.secure_channel", Kind.NOT_SINK),
        ("grpc.aio.Channel.channel_ready", Kind.AWAIT),
        ("grpc.aio.Channel.wait_for_state_change", Kind.AWAIT),
        ("grpc.aio.Channel.close", Kind.NOT_SINK),
        ("grpc.Future.result", Kind.BLOCKING),
        # The stub's methods are attributes it sets to the channel's multi-callables, one per
        # RPC of the service; a stub is only ever generated into a ``<name>_pb2_grpc`` module.
        ("*_pb2_grpc.*Stub.*", Kind.AWAIT),
    ),
    classes=("grpc.aio.Channel",),
    aliases={"grpc.aio._channel.Channel": "grpc.aio.Channel"},
    returns={
        "grpc.aio.insecure_channel": "grpc.aio.Channel",
        "grpc.aio.secure_channel": "grpc.aio.Channel",
        "grpc.channel_ready_future": "grpc.Future",
    },
)
