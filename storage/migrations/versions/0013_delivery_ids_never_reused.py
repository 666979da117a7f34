"""Prompt and care-team deliveries' ids are never given twice on SQLite (AUTOINCREMENT)

The scheduler holds the ids of the deliveries it claimed while their messages are on the
wire and records the outcome by id. On SQLite a deleted runner's newest delivery id went to
the next delivery written, which a late outcome would then have marked. PostgreSQL's
sequences never give an id twice: nothing changes there.

Revision ID: 0013_delivery_ids
Revises: 0012_outbox_ids
Create Date: 2026-12-07 20:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0013_delivery_ids'
down_revision = '0012_outbox_ids'
branch_labels = None
depends_on = None

TABLES = ('deliveries', 'care_deliveries')


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:  # rebuilt with the same columns, rows (ids kept) and constraints
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
