"""The standard library's vocabulary that is not about the network: context managers, abstract
methods, and calls known not to use a session handed to them."""

from __future__ import annotations

# contextlib's decorators, by name: what turns a generator that yields a session into a factory.
CONTEXT_MANAGER_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})
# The same by qualified name.
CONTEXT_MANAGER_MAKERS = frozenset(f"contextlib.{name}" for name in CONTEXT_MANAGER_DECORATORS)
ASYNC_CONTEXT_MANAGER_MAKERS = frozenset({"contextlib.asynccontextmanager"})

# Calls known not to use a session passed to them (fnmatch patterns on qualified names).
NON_USERS = frozenset(
    {
        "isinstance",
        "issubclass",
        "id",
        "type",
        "repr",
        "str",
        "print",
        "hasattr",
        "callable",
        "bool",
        "logging.Logger.*",
        "logging.*",
    }
)

# ``functools.partial(fn, ...)``: a call of ``fn`` with some arguments bound.
PARTIAL = "functools.partial"
# A method whose body stands for its overrides.
ABSTRACT_DECORATOR = "abstractmethod"
PROTOCOL_BASE = "Protocol"
NOT_IMPLEMENTED = "NotImplementedError"

# Classes whose instances are plain values: a function annotated to return one gives no object of
# a session, whatever it was handed.
VALUE_TYPES = frozenset({
    "str", "int", "float", "bool", "bytes", "bytearray", "complex", "dict", "list", "set", "frozenset", "tuple",
    "None", "NoneType", "datetime.datetime", "datetime.date", "datetime.timedelta", "decimal.Decimal", "uuid.UUID",
})
