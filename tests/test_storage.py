"""The database layer: SQLite settings, URLs operators paste, migrations and one-runner-per-user."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import text

from storage import Database, normalize_url
from storage import outbox as box
from storage import runners as store
from storage.db import is_sqlite
from storage.models import DeliveryRow, OutboxRow


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


async def test_an_outbox_id_is_never_given_twice(db) -> None:
    """A sender keeps the ids of the replies it sent until it records them (and deletes
    them). If the newest reply's id came back for the next reply written, a late record
    deleted another chat's reply before it was sent: a runner's question lost."""
    async def write(chat_id: int) -> int:
        async with db.session() as session:
            row = box.add_reply(
                session,
                runner_id=None,
                bot_id=1,
                chat_id=chat_id,
                method="send",
                payload={"text": "hello", "keyboard": None},
            )
            await session.flush()
            return row.id

    first = await write(1)
    async with db.session() as session:
        sent = await session.get(OutboxRow, first)
        assert sent is not None
        await box.mark_sent(session, [(sent, None)])
    second = await write(2)
    assert second != first


async def test_a_delivery_id_is_never_given_twice(db) -> None:
    """The scheduler records a prompt's outcome by the delivery ids it claimed. If a deleted
    runner's newest delivery id came back for the next delivery written, a late outcome
    would mark another runner's prompt as sent."""
    async with db.session() as session:
        gone = await store.get_or_create_runner(session, 9101, 9101, "en")
        other = await store.get_or_create_runner(session, 9102, 9102, "en")
        await session.flush()
        first = DeliveryRow(runner_id=gone.id, kind="prompt", local_date=date(2026, 12, 7))
        session.add(first)
        await session.flush()
        first_id = first.id
    async with db.session() as session:
        await store.delete_runner(session, gone.id)
    async with db.session() as session:
        second = DeliveryRow(runner_id=other.id, kind="prompt", local_date=date(2026, 12, 7))
        session.add(second)
        await session.flush()
        assert second.id != first_id
