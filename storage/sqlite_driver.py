"""SQLAlchemy's aiosqlite dialect, with SQLite's statements run where they are asked for.

aiosqlite runs each SQLite call on a thread of its own; SQLAlchemy's adapter makes four
calls per statement (open a cursor, execute, fetch the rows, close the cursor), and each
call is a hand-off to that thread and back through the event loop. For the small statements
of a check-in step the hand-offs cost more than SQLite itself (docs/performance.md): first
43 per step, a third of the step's CPU; then, with the four calls in one, still one per
statement plus the commit, at 130-170 µs each on a virtual machine whose threads wake
slowly, against a few µs for SQLite's own work.

So a statement, its rows, and the commit or rollback run right here, on the event loop's
thread (the connection is opened with ``check_same_thread=False``). This is safe because
nothing else can be waiting on this process's own lock: every transaction of the process
queues on ``Database``'s asyncio lock first (storage/db.py), so a statement never meets
another of its own transactions' write locks, and one process owns a SQLite file
(docs/operations.md). Another process holding the file (a standby's heartbeat, a backup)
makes a writer wait in SQLite's busy handler, milliseconds that now hold the loop too; the
readiness probe's "is it writable?" and the WAL checkpoint, which can wait on another
program's reader, run on a thread of their own for that reason (``Database.writable``,
``Database.checkpoint``). Opening and closing a connection stay on aiosqlite's thread.
Everything else (the pool, the errors) is SQLAlchemy's and aiosqlite's own; the same tests
run on it and on PostgreSQL.

``register()`` makes ``sqlite+aiosqlite://`` URLs use it in this process.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Result = tuple[Any, list[Any] | None, int, int | None]


def _execute(raw: sqlite3.Connection, operation: str, parameters: Any) -> Result:
    """On aiosqlite's thread: the whole statement, rows included."""
    cursor = raw.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(raw: sqlite3.Connection, operation: str, parameters: Any) -> Result:
    cursor = raw.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement, rows and counts come back in one trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: nothing to open
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def _keep(self, result: Result) -> Any:
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows or ())
        return self

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return self._keep(_execute(self._connection._conn, operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._keep(_executemany(self._connection._conn, operation, seq_of_parameters))


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def commit(self) -> None:
        self._end(sqlite3.Connection.commit)

    def rollback(self) -> None:
        self._end(sqlite3.Connection.rollback)

    def _end(self, how: Any) -> None:
        raw = self._connection._connection  # None once aiosqlite closed it
        if raw is None:
            return
        try:
            how(raw)
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's own adapter does
        return OneTripConnection(self, await_(connection))


class OneTripDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True  # SQLAlchemy asks every dialect class to say so itself

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


def register() -> None:
    registry.register("sqlite.aiosqlite", __name__, "OneTripDialect")
