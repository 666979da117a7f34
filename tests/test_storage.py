"""The database layer: SQLite settings, URLs operators paste, migrations and one-runner-per-user."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage import Database, normalize_url
from storage import runners as store
from storage.db import is_sqlite


def test_pasted_urls_get_async_drivers() -> None:
    assert normalize_url("postgres://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert normalize_url("postgresql://h/db") == "postgresql+asyncpg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path}/w.sqlite3")
    try:
        await db.migrate()
        async with db.session() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.dispose()


async def test_migrations_are_idempotent(db) -> None:
    await db.migrate()
    async with db.session() as session:
        version = (await session.execute(text("select version_num from alembic_version"))).scalar()
    assert version


async def test_concurrent_first_contact_creates_one_runner(db) -> None:
    async def contact() -> int:
        async with db.session() as session:
            runner = await store.get_or_create_runner(session, 5151, 5151, "en")
            return runner.id

    ids = await asyncio.gather(*(contact() for _ in range(5)))
    assert len(set(ids)) == 1


async def test_an_update_is_remembered_once(db) -> None:
    async with db.session() as session:
        runner = await store.get_or_create_runner(session, 5152, 5152, "en")
        assert await store.remember_update(session, runner.id, "msg:1:5152:7")
        assert not await store.remember_update(session, runner.id, "msg:1:5152:7")
        assert await store.remember_update(session, runner.id, "msg:1:5152:8")


def test_backend_detection() -> None:
    assert is_sqlite("sqlite:///x") and not is_sqlite("postgresql://h/db")
