"""care team: invitations, links (with a member's hold and stage cap), alert events and the
exactly-once deliveries of alerts and weekly summaries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _runner_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ['runners.id'], name=f'fk_{table}_{column}_runners', ondelete='CASCADE'
    )


def upgrade() -> None:
    op.create_table(
        'care_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('inviter_name', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('spent_at', sa.DateTime(), nullable=True),
        _runner_fk('care_invites', 'runner_id'),
        sa.PrimaryKeyConstraint('id', name='pk_care_invites'),
        sa.UniqueConstraint('token_hash', name='uq_care_invites_token_hash'),
    )
    op.create_index('ix_care_invites_runner_id', 'care_invites', ['runner_id'])
    op.create_table(
        'care_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('runner_name', sa.String(length=128), nullable=False),
        sa.Column('member_name', sa.String(length=128), nullable=False),
        sa.Column('hold_since', sa.Date(), nullable=True),
        sa.Column('hold_reason', sa.Text(), nullable=True),
        sa.Column('stage_cap', sa.Integer(), nullable=True),
        sa.Column('next_summary_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _runner_fk('care_links', 'runner_id'),
        _runner_fk('care_links', 'member_id'),
        sa.PrimaryKeyConstraint('id', name='pk_care_links'),
        sa.UniqueConstraint('runner_id', 'member_id', name='uq_care_links_pair'),
    )
    op.create_index('ix_care_links_runner_id', 'care_links', ['runner_id'])
    op.create_index('ix_care_links_member_id', 'care_links', ['member_id'])
    op.create_index('ix_care_links_next_summary_at', 'care_links', ['next_summary_at'])
    op.create_table(
        'care_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('fanned_out', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        _runner_fk('care_events', 'runner_id'),
        sa.PrimaryKeyConstraint('id', name='pk_care_events'),
        sa.UniqueConstraint('runner_id', 'kind', 'day', name='uq_care_events_once'),
    )
    op.create_index('ix_care_events_fanned_out', 'care_events', ['fanned_out', 'id'])
    op.create_table(
        'care_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('message_id', sa.BigInteger(), nullable=True),
        _runner_fk('care_deliveries', 'member_id'),
        _runner_fk('care_deliveries', 'runner_id'),
        sa.PrimaryKeyConstraint('id', name='pk_care_deliveries'),
        sa.UniqueConstraint('member_id', 'runner_id', 'key', name='uq_care_deliveries_once'),
    )
    op.create_index('ix_care_deliveries_member_id', 'care_deliveries', ['member_id'])
    op.create_index('ix_care_deliveries_runner_id', 'care_deliveries', ['runner_id'])
    op.create_index('ix_care_deliveries_status', 'care_deliveries', ['status', 'claimed_at'])


def downgrade() -> None:
    op.drop_table('care_deliveries')
    op.drop_table('care_events')
    op.drop_table('care_links')
    op.drop_table('care_invites')
