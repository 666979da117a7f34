"""The SQLite driver (storage/sqlite_driver.py): SQLAlchemy's aiosqlite dialect with each
statement, its rows and the commit run on the event loop's thread, no trip to aiosqlite's.
What SQLAlchemy and the code read from a cursor (rows, counts, the new row's id) is as with
the stock adapter, and compiled statements are cached."""

from __future__ import annotations

from pathlib import Path
from threading import get_ident

from sqlalchemy import select, text

from storage import Database
from storage.models import Runner
from storage.sqlite_driver import OneTripDialect


async def test_rows_counts_and_new_ids_come_back_without_a_trip_to_another_thread(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/one.sqlite3")
    try:
        assert isinstance(db.engine.dialect, OneTripDialect)
        trips = 0
        async with db.engine.begin() as conn:
            raw = await conn.get_raw_connection()
            aio = raw.driver_connection
            assert aio is not None
            original = aio._execute

            async def counted(fn, *args, **kwargs):
                nonlocal trips
                trips += 1
                return await original(fn, *args, **kwargs)

            aio._execute = counted
            threads: list[int] = []
            await conn.run_sync(
                lambda sync: sync.connection.dbapi_connection.driver_connection._conn
                .create_function("where_am_i", 0, lambda: threads.append(get_ident()) or 1)
            )
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            result = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            assert result.lastrowid == 1
            insert = text("INSERT INTO t (v) VALUES (:v)")
            many = await conn.execute(insert, [{"v": "b"}, {"v": "c"}])
            assert many.rowcount == 2
            updated = await conn.execute(text("UPDATE t SET v = 'x' WHERE id > 1"))
            assert updated.rowcount == 2
            rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "x"), (3, "x")]
            assert list((await conn.execute(text("SELECT v FROM t WHERE id = 9"))).all()) == []
            assert (await conn.execute(text("SELECT where_am_i()"))).scalar() == 1
            await conn.commit()
            assert threads == [get_ident()]  # the statement ran on the event loop's thread
            assert trips == 0  # none to aiosqlite's thread (the stock adapter makes four each)
            aio._execute = original
    finally:
        await db.dispose()


async def test_compiled_statements_are_cached(tmp_path: Path) -> None:
    """A dialect class that does not say it supports SQLAlchemy's statement cache gets every
    statement compiled again each time it runs: a quarter of a check-in step's CPU, measured
    (docs/performance.md)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/cache.sqlite3")
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            first = await conn.execute(select(Runner.id).where(Runner.id == 1))
            second = await conn.execute(select(Runner.id).where(Runner.id == 2))
        assert second.context.compiled is first.context.compiled
    finally:
        await db.dispose()


async def test_a_checkpoint_held_back_by_another_reader_leaves_the_event_loop_free(
    tmp_path: Path, monkeypatch
) -> None:
    """A WAL checkpoint waits in SQLite's busy handler while another program reads (an
    online backup). That wait runs on a thread of its own: the event loop, where this
    process's statements run, goes on meanwhile (here it is what lets the reader finish),
    and the checkpoint succeeds on its first try."""
    import asyncio
    import sqlite3
    import threading

    from storage import db as db_module

    path = tmp_path / "wal.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        async with db.session() as session:
            await session.execute(text("DELETE FROM runners"))  # something in the WAL
        reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM runners").fetchall()  # holds its snapshot
        entered, tries = threading.Event(), []
        real = db_module._checkpoint

        def counted(*args: object) -> bool:
            tries.append(1)
            entered.set()
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(db_module, "_checkpoint", counted)
        checkpoint = asyncio.create_task(db.checkpoint())
        await asyncio.to_thread(entered.wait)
        reader.execute("COMMIT")  # run by the loop while the checkpoint waits
        reader.close()
        await checkpoint
        assert tries == [1]
        assert path.with_name("wal.sqlite3-wal").stat().st_size == 0  # truncated
    finally:
        await db.dispose()
