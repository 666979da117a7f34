"""process heartbeats: a dead process's claimed prompts and care messages are taken over
within seconds (issue 24, item 6), not after a 2-minute lease; care-team events once per
referral episode (a second referral on a clearance day is alerted) and holds numbered (a
"Resume" button resumes the hold it was shown for) (item 9)

Revision ID: 0010_ops_heartbeat
Revises: 0009
Create Date: 2026-12-07 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_ops_heartbeat'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'process_beats',
        sa.Column('owner', sa.String(length=32), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('owner', name=op.f('pk_process_beats')),
    )
    for table in ('deliveries', 'care_deliveries'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
    with op.batch_alter_table('care_events') as batch:
        batch.add_column(
            sa.Column('episode', sa.Integer(), nullable=False, server_default='0')
        )
        batch.drop_constraint('uq_care_events_once', type_='unique')
        batch.create_unique_constraint(
            'uq_care_events_once', ['runner_id', 'kind', 'day', 'episode']
        )
    with op.batch_alter_table('care_links') as batch:
        batch.add_column(
            sa.Column('hold_number', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('care_links') as batch:
        batch.drop_column('hold_number')
    with op.batch_alter_table('care_events') as batch:
        batch.drop_constraint('uq_care_events_once', type_='unique')
        batch.drop_column('episode')
        batch.create_unique_constraint('uq_care_events_once', ['runner_id', 'kind', 'day'])
    for table in ('deliveries', 'care_deliveries'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('claimed_by')
    op.drop_table('process_beats')
