"""keep what the runner said: the injury-date answer as given, and symptoms not asked as NULL

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:00:00

* ``runners.injury_date_answer`` is the onboarding button the runner pressed for "When did it
  happen?" (``week``, ``2weeks``, ``6weeks``, ``older``) or ``date`` for a typed date, and
  ``runners.injury_date_told_on`` the day they answered, so the clinician report prints
  "1-2 weeks before 25 Nov 2026" from what was said, not from a reconstruction.
* ``checkins.stiffness``, ``swelling`` and ``mood`` become nullable: a check-in after a
  symptom-free session does not ask stiffness and swelling, and mood is optional; NULL is
  "not asked" and the report says so. Rows stored before this revision keep their values
  (0 / "none" / 3 could mean either; they are not guessed at).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of `runners`: see downgrade)
    op.add_column('runners', sa.Column('injury_date_answer', sa.String(length=8), nullable=True))
    op.add_column('runners', sa.Column('injury_date_told_on', sa.Date(), nullable=True))
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.alter_column('stiffness', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('swelling', existing_type=sa.String(length=8), nullable=True)
        batch_op.alter_column('mood', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE checkins SET stiffness = 0 WHERE stiffness IS NULL")
    op.execute("UPDATE checkins SET swelling = 'none' WHERE swelling IS NULL")
    op.execute("UPDATE checkins SET mood = 3 WHERE mood IS NULL")
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.alter_column('mood', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('swelling', existing_type=sa.String(length=8), nullable=False)
        batch_op.alter_column('stiffness', existing_type=sa.Integer(), nullable=False)
    for column in ('injury_date_told_on', 'injury_date_answer'):
        if op.get_bind().dialect.name == 'sqlite':
            # Not a batch copy: recreating `runners` drops the old table, and with foreign
            # keys on that deletes every runner's records (ON DELETE CASCADE). SQLite >= 3.35.
            op.execute(sa.text(f'ALTER TABLE runners DROP COLUMN {column}'))
        else:
            op.drop_column('runners', column)
