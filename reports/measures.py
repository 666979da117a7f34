"""What a stored check-in measured, read the way progression reads it: running minutes,
session load, worst pain, the tissue's pain limits, stages of levels."""

from __future__ import annotations

from progression.ladder import LADDER, clamp_level
from progression.ladder import stage_of as ladder_stage_of
from progression.load import running_minutes_done
from storage.models import CheckInRow
from storage.records import checkin_of

SKIPPED = "skipped"


def stage_of(level: int) -> int:
    return ladder_stage_of(level)


def continuous_minutes(level: int) -> float:
    """The longest single block of running a level's session asks for."""
    segments = LADDER[clamp_level(level)].segments
    blocks = [s.minutes for s in segments if s.activity in ("run", "easy") and s.repeats == 1]
    return max(blocks, default=0.0)


def is_skipped(row: CheckInRow) -> bool:
    return row.outcome == SKIPPED


def running_minutes(row: CheckInRow) -> int:
    """Minutes actually run in a check-in: what the runner said when the check-in asked
    (a ``running_minutes`` column, when there is one), else progression's estimate from the
    level. A skipped session ran nothing."""
    if is_skipped(row):
        return 0
    told = getattr(row, "running_minutes", None)
    if told is not None and row.outcome != "cross":
        return max(0, min(int(told), max(0, row.minutes)))
    try:
        checkin = checkin_of(row)
    except ValueError:  # a code this version does not know: count nothing as running
        return 0
    return min(max(0, row.minutes), running_minutes_done(checkin))


def session_load(row: CheckInRow) -> float:
    """Session-RPE load (Foster): effort x minutes; a skipped session carries none."""
    if is_skipped(row):
        return 0.0
    return float(max(0, row.rpe) * max(0, row.minutes))


def worst_pain(row: CheckInRow) -> int | None:
    """The worse of pain during and after; None for a skipped session (nothing was felt)."""
    if is_skipped(row):
        return None
    return max(row.pain_during, row.pain_after)
