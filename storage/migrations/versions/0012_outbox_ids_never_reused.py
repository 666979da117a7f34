"""The outbox's ids are never given twice on SQLite (AUTOINCREMENT), as on PostgreSQL

A sending process keeps the ids of replies it sent until it records them; on SQLite the id of
the newest row, once deleted, went to the next reply written, so a record that came late
deleted another chat's reply before it was sent (a lost question), and a late send could
double one. PostgreSQL's sequences never give an id twice: nothing changes there.

Revision ID: 0012_outbox_ids
Revises: 0011_intervals
Create Date: 2026-12-07 19:30:00
"""
from __future__ import annotations

from alembic import op

revision = '0012_outbox_ids'
down_revision = '0011_intervals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    # rebuilt with the same columns, rows (ids kept) and index
    with op.batch_alter_table(
        'outbox', recreate='always', table_kwargs={'sqlite_autoincrement': True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table(
        'outbox', recreate='always', table_kwargs={'sqlite_autoincrement': False}
    ):
        pass
