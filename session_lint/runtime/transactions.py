"""Transactions, from SQLAlchemy's own events: a connection's ``begin``, ``commit`` and
``rollback``, which fire alike under a ``Session``, a bare ``Connection`` and an ``AsyncSession``
(whose sync engine runs the same code in a greenlet), with the pool's ``checkin`` as the backstop
for a connection given back without either (the pool's reset-on-return rolls back below the
events).

Listeners are attached to the ``Engine`` and ``Pool`` classes, so every engine is seen, also those
made before the plugin was configured. A transaction is known by its DBAPI connection.

A session's own transaction (``after_begin`` to ``after_transaction_end``) counts as a transaction
of its own where the session joined a connection's transaction that was open already, and a
savepoint where the connection's transaction belongs to another scope. That is the common test
setup that binds the app's session to a connection the test began a transaction on (rolled back
at the end of the test): each of the app's transactions is then only a stretch of the test's, or
a savepoint in it, and in production each is a real transaction.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, List, Optional, Set, Tuple

from session_lint.runtime.recorder import Recorder, _scope


def _dbapi_key(conn: object) -> Optional[int]:
    # The private attribute, not ``conn.connection``: that property reconnects an invalidated
    # connection, which a listener must never cause.
    fairy = getattr(conn, "_dbapi_connection", None)
    dbapi = getattr(fairy, "dbapi_connection", None)
    return id(dbapi) if dbapi is not None else None


class TransactionListeners:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._savepoints: Dict[int, Set[Tuple[int, str]]] = {}
        self._installed: List[Tuple[object, str, Callable]] = []

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.orm import Session
        from sqlalchemy.pool import Pool

        for target, name, listener in (
            (Engine, "begin", self._begin),
            (Engine, "commit", self._end),
            (Engine, "rollback", self._end),
            (Engine, "savepoint", self._savepoint),
            (Engine, "release_savepoint", self._end_savepoint),
            (Engine, "rollback_savepoint", self._end_savepoint),
            (Pool, "checkin", self._checkin),
            (Session, "after_begin", self._session_begin),
            (Session, "after_transaction_end", self._session_end),
        ):
            event.listen(target, name, listener)
            self._installed.append((target, name, listener))

    def uninstall(self) -> None:
        from sqlalchemy import event

        while self._installed:
            target, name, listener = self._installed.pop()
            event.remove(target, name, listener)

    def _begin(self, conn: object) -> None:
        key = _dbapi_key(conn)
        if key is not None:
            self.recorder.began(key)

    def _end(self, conn: object) -> None:
        key = _dbapi_key(conn)
        if key is not None:
            self._end_all(key)

    def _checkin(self, dbapi_connection: object, _record: object) -> None:
        if dbapi_connection is not None:
            self._end_all(id(dbapi_connection))

    def _end_all(self, key: int) -> None:
        for savepoint in self._savepoints.pop(key, ()):
            self.recorder.ended(savepoint)
        self.recorder.ended(key)

    def _joins_another_scope(self, key: int) -> bool:
        """Whether the connection's transaction was begun outside the current scope (by the test,
        or before the plugin saw it); else that transaction is the one held."""
        outer = self.recorder.open.get(key)
        return outer is None or outer.scope is not _scope.get()

    def _session_begin(self, _session: object, transaction: object, conn: object) -> None:
        key = _dbapi_key(conn)
        if key is None or getattr(transaction, "parent", None) is not None:
            return
        if self._joins_another_scope(key) or not self._began_the_connections(key):
            self.recorder.began(("session", id(transaction)), "session")

    def _began_the_connections(self, key: int) -> bool:
        """Whether this session transaction began the connection's transaction just now, rather
        than joining one that was open already (a test's, even in the same scope). The connection
        began inside the session's ``_connection_for_bind`` if that frame is on its begin stack."""
        outer = self.recorder.open.get(key)
        frame = sys._getframe(2)
        for _depth in range(12):
            if frame is None:
                break
            if frame.f_code.co_name == "_connection_for_bind":
                return outer is not None and (id(frame), frame.f_code) in outer.frame_keys()
            frame = frame.f_back
        return True  # not the path SQLAlchemy 2 takes: leave it to the connection's events

    def _session_end(self, _session: object, transaction: object) -> None:
        if getattr(transaction, "parent", None) is None:
            self.recorder.ended(("session", id(transaction)))

    def _savepoint(self, conn: object, name: str) -> None:
        key = _dbapi_key(conn)
        if key is None or not self._joins_another_scope(key):
            return  # a nested transaction inside this scope's own: the outer one is what is held
        savepoint = (key, name)
        self._savepoints.setdefault(key, set()).add(savepoint)
        self.recorder.began(savepoint, "savepoint")

    def _end_savepoint(self, conn: object, name: str, _context: object) -> None:
        key = _dbapi_key(conn)
        if key is None:
            return
        savepoint = (key, name)
        self._savepoints.get(key, set()).discard(savepoint)
        self.recorder.ended(savepoint)
