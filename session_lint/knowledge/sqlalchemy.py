"""SQLAlchemy's (and SQLModel's) vocabulary: every name the analysis gives a meaning to.

The front end, the ORM reader, the engine and ``fix`` all read SQLAlchemy's API by name; the
names live here, once, so that they cannot disagree. What the names mean for a transaction (open,
released, written, locked) is decided by the engine from these sets.
"""

from __future__ import annotations

import ast
from typing import Optional

# ---------------------------------------------------------------- sessions and their factories

# Classes whose instances are sessions (a project's own subclass of one is one too).
SESSION_CLASSES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
# Calls whose result, bound at module level, is a session factory.
SESSION_MAKERS = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
)
# An ``AsyncSession`` by the name it is annotated with.
ASYNC_SESSION_CLASS = "AsyncSession"
ASYNC_SESSION_MAKERS = frozenset({"sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session"})
# The same makers by their last name, for reading a module without resolving its imports.
SESSION_MAKER_NAMES = frozenset({"sessionmaker", "async_sessionmaker"})

# ---------------------------------------------------------------- what a session method does

# End the transaction and hand the connection back to the pool.
RELEASING_METHODS = frozenset({"commit", "rollback", "close", "invalidate"})
# Read the session's own bookkeeping without touching the database.
NON_OPENING_METHODS = frozenset({"is_active", "in_transaction", "get_bind", "begin_nested_is_active"})
# Detach every object the session holds (as ``close()`` does to them).
DETACHING_METHODS = frozenset({"close", "expunge_all", "invalidate"})
# Expire every object the session holds, without ending the transaction.
EXPIRING_METHODS = frozenset({"expire_all"})
# ``with db.begin():`` commits (or rolls back) when its block ends.
BEGIN_METHOD = "begin"
# ``db.add(obj)``: the session holds a new object from now on.
ADD_METHOD = "add"
# ``db.refresh(obj)``: the object's columns are loaded again.
REFRESH_METHOD = "refresh"
# The object leaves the session: a later commit or rollback no longer expires it.
EXPUNGING_METHODS = frozenset({"expunge", "delete"})
# Methods that write: a transaction that ran one holds pending writes.
WRITE_METHODS = frozenset({"add", "add_all", "delete", "merge", "flush", "bulk_save_objects", "bulk_insert_mappings",
                           "bulk_update_mappings"})
# Calls that take row locks, on a query or a statement.
LOCKING_METHODS = frozenset({"with_for_update"})
LOCKING_SQL = ("for update", "for share", "for no key update", "for key share")
# ``begin_nested()``: a savepoint inside the transaction.
NESTED_METHOD = "begin_nested"
# Isolation levels under which splitting a transaction changes what it sees.
STRICT_ISOLATION = frozenset({"REPEATABLE READ", "SERIALIZABLE"})
ISOLATION_KEYWORD = "isolation_level"
# Methods that run a statement given to them: they write when it is DML.
STATEMENT_METHODS = frozenset({"execute", "exec", "scalar", "scalars"})
# DML constructs (``insert(Tool)``, ``sa.update(...)``) by their last name.
DML_FUNCTIONS = frozenset({"insert", "update", "delete"})
# SQL text that writes, by its first keyword (``text("UPDATE tools SET ...")``).
DML_KEYWORDS = frozenset({"insert", "update", "delete", "merge", "upsert", "truncate", "create", "alter", "drop"})
TEXT_FUNCTION = "text"

# ---------------------------------------------------------------- loading ORM objects

# Session methods that load objects of the class given as first argument.
LOAD_BY_CLASS = frozenset({"get", "get_one", "query"})
# Session methods that run a statement and give objects (``scalars``) or a result to take them
# from (``exec`` is SQLModel's).
LOAD_BY_STATEMENT = frozenset({"scalars", "scalar", "execute", "exec"})
# Query methods whose result is not the loaded objects.
NOT_OBJECTS = frozenset({"count", "delete", "update", "exists", "subquery", "cte", "statement", "scalar_subquery",
                         "rowcount", "values", "with_entities", "group_by", "label"})
# What takes the objects out of a result that holds them (``result.scalar_one_or_none()``).
RESULT_ACCESSORS = frozenset({"scalars", "scalar", "scalar_one", "scalar_one_or_none", "first", "one",
                              "one_or_none", "all", "unique", "fetchall", "fetchone"})
# Accessors (and ``get``) that give one object rather than a list or a result.
ONE_OBJECT = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "scalar", "get"})
# ``select(Tool)`` as written.
SELECT_FUNCTIONS = frozenset({"select", "sqlalchemy.select", "sa.select", "future.select"})
# Loader options that load a relationship with the rows, and every loader option of a path.
EAGER_LOADERS = frozenset({"joinedload", "selectinload", "subqueryload", "immediateload", "contains_eager", "undefer"})
PATH_LOADERS = EAGER_LOADERS | frozenset({"defaultload", "lazyload", "noload", "raiseload"})
OPTIONS_METHOD = "options"

# ---------------------------------------------------------------- mapped classes

# Relationship loader strategies that load with the parent row: reading them later needs no
# session. Everything else either loads on first access (``select``, the default) or always
# queries (``dynamic``, ``write_only``).
EAGER_LAZY = frozenset({"joined", "selectin", "subquery", "immediate"})
QUERYING_LAZY = frozenset({"dynamic", "write_only"})
# ``lazy="raise"``/``"noload"`` never touch the database: nothing to report.
SILENT_LAZY = frozenset({"raise", "raise_on_sql", "noload"})

COLUMN_CALLS = frozenset({"Column", "mapped_column", "column_property", "composite", "synonym"})
DEFERRED_CALLS = frozenset({"deferred"})
RELATIONSHIP_CALLS = frozenset({"relationship", "relation", "Relationship"})  # the last: SQLModel's
PROPERTY_DECORATORS = frozenset({"property", "hybrid_property", "cached_property"})
# ``Mapped[X]`` and the collection annotations of relationships.
MAPPED_ANNOTATION = "Mapped"
COLLECTION_ANNOTATIONS = frozenset({"List", "list", "Set", "set", "Sequence", "WriteOnlyMapped", "DynamicMapped"})
TABLE_ATTRIBUTES = frozenset({"__tablename__", "__table__"})
# SQLModel: ``class Team(SQLModel, table=True)`` maps every annotated field.
SQLMODEL_BASE = "SQLModel"


def is_dml(statement: Optional[ast.AST]) -> bool:
    """Whether the statement handed to ``execute`` writes: ``insert(...)``/``update(...)``/
    ``delete(...)`` (with their ``.where(...)``/``.values(...)`` chains), or ``text("UPDATE ...")``
    and a plain SQL string that begin with a writing keyword."""
    node = statement
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value  # ``update(Tool).where(...).values(...)``
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in DML_FUNCTIONS:
            return True
        if name == TEXT_FUNCTION and node.args:
            return is_dml(node.args[0])
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = node.value.split(None, 1)
        return bool(words) and words[0].lower() in DML_KEYWORDS
    return False


def locks_rows(statement: Optional[ast.AST]) -> bool:
    """Whether a statement takes row locks: ``select(...).with_for_update()``, or SQL text
    with ``FOR UPDATE``/``FOR SHARE``."""
    node = statement
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in LOCKING_METHODS:
            return True
        node = node.func.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == TEXT_FUNCTION and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = " ".join(node.value.lower().split())
        return any(clause in text for clause in LOCKING_SQL)
    return False


def locks_by_keyword(call: ast.Call) -> bool:
    """Whether a session method takes row locks by its ``with_for_update`` keyword:
    ``db.get(Tool, 1, with_for_update=True)``, ``db.refresh(tool, with_for_update={"nowait": True})``
    (anything but a literal ``False`` or ``None``)."""
    for kw in call.keywords:
        if kw.arg in LOCKING_METHODS:
            return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None))
    return False


def isolation_set(call: ast.Call) -> str:
    """The isolation level a call sets, upper-cased: ``isolation_level="SERIALIZABLE"`` as a
    keyword or in an ``execution_options`` dict, or ``SET TRANSACTION ISOLATION LEVEL ...``
    text given to it; "" when it sets none."""
    for kw in call.keywords:
        value = kw.value
        if kw.arg == ISOLATION_KEYWORD and isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value.upper().replace("_", " ")
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values):
                if isinstance(key, ast.Constant) and key.value == ISOLATION_KEYWORD and isinstance(item, ast.Constant) \
                        and isinstance(item.value, str):
                    return item.value.upper().replace("_", " ")
    for arg in call.args:
        node = arg.args[0] if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == TEXT_FUNCTION and arg.args else arg
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = " ".join(node.value.upper().split())
            if words.startswith("SET TRANSACTION ISOLATION LEVEL "):
                return words[len("SET TRANSACTION ISOLATION LEVEL "):].rstrip(";")
    return ""


def expire_on_commit(call: ast.Call, default: Optional[bool] = True) -> Optional[bool]:
    """What a ``sessionmaker(...)`` or ``Session(...)`` call sets ``expire_on_commit`` to:
    ``default`` when absent (SQLAlchemy's own is True), None when it is not a literal."""
    for kw in call.keywords:
        if kw.arg == "expire_on_commit":
            value = kw.value.value if isinstance(kw.value, ast.Constant) else None
            return value if isinstance(value, bool) else None
    return default
