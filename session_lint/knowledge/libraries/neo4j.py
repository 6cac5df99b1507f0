"""The Neo4j Python driver: a driver's ``execute_query`` and ``verify_connectivity``, a
session's ``run``, ``execute_read``/``execute_write`` and ``begin_transaction``, a
transaction's ``run``/``commit``, and reading a result (``single``, ``data``, ``consume`` ...)
are round trips to the database server: blocking, awaited on the async driver. Making a driver
or a session is local (they connect lazily)."""

from session_lint.knowledge.declarations import Category, Kind, Library

DRIVER = ("execute_query", "verify_connectivity", "verify_authentication", "get_server_info", "supports_multi_db")
SESSION = ("run", "begin_transaction", "execute_read", "execute_write", "read_transaction", "write_transaction")
TRANSACTION = ("run", "commit", "rollback")
RESULT = ("consume", "single", "fetch", "peek", "graph", "value", "values", "data", "to_eager_result", "to_df")


def _calls(prefix: str, kind: Kind):
    yield from ((f"neo4j.{prefix}Driver.{method}", kind) for method in DRIVER)
    yield from ((f"neo4j.{prefix}Session.{method}", kind) for method in SESSION)
    yield from ((f"neo4j.{prefix}Transaction.{method}", kind) for method in TRANSACTION)
    yield from ((f"neo4j.{prefix}Result.{method}", kind) for method in RESULT)


def _returns(prefix: str):
    return {
        f"neo4j.{prefix}GraphDatabase.driver": f"neo4j.{prefix}Driver",
        f"neo4j.{prefix}GraphDatabase.bolt_driver": f"neo4j.{prefix}Driver",
        f"neo4j.{prefix}GraphDatabase.neo4j_driver": f"neo4j.{prefix}Driver",
        f"neo4j.{prefix}Driver.session": f"neo4j.{prefix}Session",
        f"neo4j.{prefix}Session.run": f"neo4j.{prefix}Result",
        f"neo4j.{prefix}Session.begin_transaction": f"neo4j.{prefix}Transaction",
        f"neo4j.{prefix}Transaction.run": f"neo4j.{prefix}Result",
    }


def _aliases(prefix: str, package: str):
    return {
        f"neo4j.{prefix}BoltDriver": f"neo4j.{prefix}Driver",
        f"neo4j.{prefix}Neo4jDriver": f"neo4j.{prefix}Driver",
        f"neo4j.{package}.driver.{prefix}Driver": f"neo4j.{prefix}Driver",
        f"neo4j.{package}.driver.{prefix}GraphDatabase": f"neo4j.{prefix}GraphDatabase",
        f"neo4j.{package}.work.session.{prefix}Session": f"neo4j.{prefix}Session",
        f"neo4j.{package}.work.result.{prefix}Result": f"neo4j.{prefix}Result",
        f"neo4j.{package}.work.transaction.{prefix}Transaction": f"neo4j.{prefix}Transaction",
        f"neo4j.{prefix}ManagedTransaction": f"neo4j.{prefix}Transaction",
    }


LIBRARY = Library(
    name="neo4j",
    category=Category.DATASTORE,
    summary="Driver.execute_query, Session.run/execute_read/execute_write, results (sync blocking, async awaited)",
    calls=(*_calls("Async", Kind.AWAIT), *_calls("", Kind.BLOCKING)),
    classes=("neo4j.Driver", "neo4j.AsyncDriver"),
    aliases={**_aliases("", "_sync"), **_aliases("Async", "_async")},
    returns={**_returns(""), **_returns("Async")},
)
