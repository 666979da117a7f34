"""clinical safety: minutes actually run, results not tested, clinician clearance, cadence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Reassessment results that may now be "not asked" (NULL), never a made-up 0.
OPTIONAL_RESULTS = ('heel_raises_left', 'heel_raises_right', 'hops_left', 'hops_right',
                    'hop_pain', 'morning_stiffness_min')


def upgrade() -> None:
    with op.batch_alter_table('checkins') as batch:
        batch.add_column(sa.Column('running_minutes', sa.Integer(), nullable=True))
    with op.batch_alter_table('reassessments') as batch:
        for name in OPTIONAL_RESULTS:
            batch.alter_column(name, existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('daily_pain', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('rest_pain', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('swelling', sa.String(length=8), nullable=True))
    with op.batch_alter_table('red_flags') as batch:
        batch.add_column(sa.Column('cleared_to_stage', sa.Integer(), nullable=True))
    with op.batch_alter_table('runners') as batch:
        batch.add_column(sa.Column('cadence_spm', sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch copy: recreating `runners` would drop the old table, and with foreign
        # keys on that deletes every runner's records (ON DELETE CASCADE). SQLite >= 3.35.
        op.execute(sa.text('ALTER TABLE runners DROP COLUMN cadence_spm'))
    else:
        op.drop_column('runners', 'cadence_spm')
    with op.batch_alter_table('red_flags') as batch:
        batch.drop_column('cleared_to_stage')
    with op.batch_alter_table('reassessments') as batch:
        batch.drop_column('swelling')
        batch.drop_column('rest_pain')
        batch.drop_column('daily_pain')
        for name in OPTIONAL_RESULTS:
            # results not asked become 0, as they were read before this revision
            op.execute(sa.text(f'UPDATE reassessments SET {name} = 0 WHERE {name} IS NULL'))
            batch.alter_column(name, existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('checkins') as batch:
        batch.drop_column('running_minutes')
