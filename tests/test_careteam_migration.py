"""Migration 0007 (the care team): down and up again keeps the runners, and the migrated
schema of the care-team tables is the one storage/models.py declares (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from storage import Database
from storage.db import alembic_config
from storage.models import Base, Runner

CARE_TABLES = {"care_invites", "care_links", "care_events", "care_deliveries"}


def _run(conn: Any, step: Any, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    step(cfg, revision)


def _care_diffs(conn: Any) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    diffs = compare_metadata(context, Base.metadata)

    def table_of(diff: Any) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if isinstance(part, str) and part in CARE_TABLES:
                return part
            if name in CARE_TABLES:
                return str(name)
        return None

    return [d for d in diffs if table_of(d) in CARE_TABLES]


async def test_migration_0007_matches_the_models_and_goes_down_and_up(db: Database) -> None:
    async with db.session() as session:
        session.add(Runner(telegram_user_id=7301, chat_id=7301, status="active"))
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables >= CARE_TABLES
        assert await conn.run_sync(_care_diffs) == []
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, command.downgrade, "0006")
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not CARE_TABLES & tables
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, command.upgrade, "head")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Runner)) == 1
