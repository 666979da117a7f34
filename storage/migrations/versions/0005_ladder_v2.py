"""the faster ladder: continuous running 10 -> 20 -> 30 min (was 5 -> 30 in 5-min steps)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:30:00

Stage 3 of progression's ladder went from six levels (continuous 5, 10, 15, 20, 25, 30 min;
levels 12-17) to three (continuous 10, 20, 30 min; levels 12-14), so every later level moves
down by 3. Stored levels (the runner's level, the level of each check-in and decision) are
mapped to the new ladder, rounding down to the safer level inside stage 3.
"""
from __future__ import annotations

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# old stage-3 level -> new level (5 and 10 min -> 10; 15, 20, 25 -> 20; 30 -> 30)
_STAGE3 = {12: 12, 13: 12, 14: 13, 15: 13, 16: 13, 17: 14}
_TABLES = (('runners', 'level'), ('checkins', 'level'), ('decisions', 'level'))


def _case(column: str, mapping: dict[int, int], shift_from: int, shift: int) -> str:
    whens = ' '.join(f'WHEN {column} = {old} THEN {new}' for old, new in mapping.items())
    return (f'CASE WHEN {column} >= {shift_from} THEN {column} + ({shift}) '
            f'{whens} ELSE {column} END')


def upgrade() -> None:
    for table, column in _TABLES:
        op.execute(f'UPDATE {table} SET {column} = {_case(column, _STAGE3, 18, -3)} '
                   f'WHERE {column} >= 12')


def downgrade() -> None:
    back = {12: 13, 13: 15, 14: 17}
    for table, column in _TABLES:
        op.execute(f'UPDATE {table} SET {column} = {_case(column, back, 15, 3)} '
                   f'WHERE {column} >= 12')
