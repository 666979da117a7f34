"""plan_days: what the plan said for each day (issue 22: /history tells missed from rest)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_days',
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('session', sa.Boolean(), nullable=False),
        sa.Column('total_minutes', sa.Integer(), nullable=False),
        sa.Column('running_minutes', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['runner_id'], ['runners.id'],
            name=op.f('fk_plan_days_runner_id_runners'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('runner_id', 'day', name=op.f('pk_plan_days')),
    )


def downgrade() -> None:
    op.drop_table('plan_days')
