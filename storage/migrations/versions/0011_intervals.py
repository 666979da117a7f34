"""intervals.icu: linked accounts (tokens encrypted), OAuth states, synced activities, calendar
events, revocations (issue 29)

Revision ID: 0011_intervals
Revises: 0010_ops_heartbeat
Create Date: 2026-12-07 12:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_intervals'
down_revision = '0010_ops_heartbeat'
branch_labels = None
depends_on = None


def _runner(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['runner_id'], ['runners.id'],
        name=op.f(f'fk_{table}_runner_id_runners'), ondelete='CASCADE',
    )


def upgrade() -> None:
    op.create_table(
        'sync_links',
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('athlete_id', sa.String(length=32), nullable=False),
        sa.Column('athlete_name', sa.String(length=128), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(), nullable=False),
        sa.Column('calendar_due', sa.Boolean(), nullable=False),
        sa.Column('calendar_day', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _runner('sync_links'),
        sa.PrimaryKeyConstraint('runner_id', name=op.f('pk_sync_links')),
    )
    op.create_index(
        op.f('ix_sync_links_next_poll_at'), 'sync_links', ['next_poll_at'], unique=False
    )
    op.create_table(
        'sync_states',
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _runner('sync_states'),
        sa.PrimaryKeyConstraint('state', name=op.f('pk_sync_states')),
    )
    op.create_index(
        op.f('ix_sync_states_runner_id'), 'sync_states', ['runner_id'], unique=False
    )
    op.create_table(
        'synced_activities',
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('activity_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _runner('synced_activities'),
        sa.PrimaryKeyConstraint('runner_id', 'activity_id', name=op.f('pk_synced_activities')),
    )
    op.create_table(
        'sync_events',
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        _runner('sync_events'),
        sa.PrimaryKeyConstraint('runner_id', 'day', name=op.f('pk_sync_events')),
    )
    op.create_table(
        'sync_revocations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('athlete_id', sa.String(length=32), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('event_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_revocations')),
    )


def downgrade() -> None:
    op.drop_table('sync_revocations')
    op.drop_table('sync_events')
    op.drop_table('synced_activities')
    op.drop_index(op.f('ix_sync_states_runner_id'), table_name='sync_states')
    op.drop_table('sync_states')
    op.drop_index(op.f('ix_sync_links_next_poll_at'), table_name='sync_links')
    op.drop_table('sync_links')
