"""run recordings from a watch (issue 17): activity_files, and measured values on check-ins

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MEASURED = (
    ('measured_minutes', sa.Integer()),
    ('distance_m', sa.Float()),
    ('cadence_spm', sa.Integer()),
    ('avg_hr', sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        'activity_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('runner_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('sport', sa.String(length=32), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('elapsed_s', sa.Integer(), nullable=False),
        sa.Column('moving_s', sa.Integer(), nullable=False),
        sa.Column('running_s', sa.Integer(), nullable=False),
        sa.Column('distance_m', sa.Float(), nullable=False),
        sa.Column('cadence_spm', sa.Integer(), nullable=True),
        sa.Column('avg_hr', sa.Integer(), nullable=True),
        sa.Column('checkin_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['runner_id'], ['runners.id'],
            name=op.f('fk_activity_files_runner_id_runners'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_files')),
        sa.UniqueConstraint('runner_id', 'sha256', name='uq_activity_files_runner_sha256'),
    )
    op.create_index('ix_activity_files_runner_day', 'activity_files', ['runner_id', 'day'])
    with op.batch_alter_table('checkins') as batch:
        for name, kind in MEASURED:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checkins') as batch:
        for name, _ in reversed(MEASURED):
            batch.drop_column(name)
    op.drop_index('ix_activity_files_runner_day', table_name='activity_files')
    op.drop_table('activity_files')
