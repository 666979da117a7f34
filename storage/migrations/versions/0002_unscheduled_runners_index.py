"""partial index for runners the scheduler has not scheduled yet

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Active/paused runners whose next_due_at is NULL: the tick schedules them on first sight.
    # Partial, so abandoned onboardings and parked (blocked, referred) runners cost nothing.
    op.create_index(
        'ix_runners_unscheduled',
        'runners',
        ['status', 'blocked'],
        unique=False,
        postgresql_where=sa.text('next_due_at IS NULL'),
        sqlite_where=sa.text('next_due_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('ix_runners_unscheduled', table_name='runners')
