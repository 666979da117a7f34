"""SQLAlchemy's aiosqlite dialect, with one trip to the database thread per statement.

aiosqlite runs each SQLite call on a thread of its own; SQLAlchemy's adapter makes four
calls per statement (open a cursor, execute, fetch the rows, close the cursor), and each
call is a hand-off to that thread and back through the event loop. For the small statements
of a check-in step the hand-offs cost more than SQLite itself: 43 per step, about a third of
the step's CPU (docs/performance.md). This cursor does the four in one call on the thread.
Everything else (the connection, commit and rollback, the pool, the errors) is SQLAlchemy's
and aiosqlite's own; the same tests run on it and on PostgreSQL.

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
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            return self._keep(
                await connection._execute(_execute, connection._conn, operation, parameters)
            )

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            return self._keep(
                await connection._execute(
                    _executemany, connection._conn, operation, seq_of_parameters
                )
            )


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


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
