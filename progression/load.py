"""Training-load measures (trends only; none of them gates progression)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .enums import Outcome
from .ladder import MAX_LEVEL, running_minutes_table, total_minutes_table
from .models import CheckIn


def session_load(c: CheckIn) -> float:
    """Foster session-RPE load: effort (CR-10) x minutes. Skipped sessions carry no load."""
    if c.outcome is Outcome.SKIPPED:
        return 0.0
    return float(max(0, c.rpe) * max(0, c.minutes))


def running_minutes_done(c: CheckIn) -> int:
    """Minutes actually run in a check-in (explicit, else estimated from the level)."""
    outcome = c.outcome
    if outcome is Outcome.SKIPPED or outcome is Outcome.CROSS:
        return 0
    if c.running_minutes is not None:
        return c.running_minutes if c.running_minutes > 0 else 0
    lvl = c.level
    lvl = 0 if lvl < 0 else MAX_LEVEL if lvl > MAX_LEVEL else lvl
    planned = _RUN[lvl]
    if planned == 0 or outcome is not Outcome.SHORTER:
        return planned
    total = _TOTAL[lvl]
    frac = min(1.0, max(0, c.minutes) / total) if total > 0 else 0.0
    return math.floor(planned * frac)


_RUN = running_minutes_table()
_TOTAL = total_minutes_table()


@dataclass(frozen=True)
class WeekLoad:
    week_start: date
    load: float
    monotony: float | None  # mean daily load / SD of daily load; None if SD is 0
    strain: float | None  # weekly load x monotony
    running_minutes: int


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekly_loads(checkins: Iterable[CheckIn], today: date, weeks: int = 8) -> tuple[WeekLoad, ...]:
    """Calendar weeks (Mon-Sun), oldest first, the last one containing `today`."""
    weeks = max(1, weeks)
    last = _week_start(today)
    first = last - timedelta(days=7 * (weeks - 1))
    daily = [0.0] * (7 * weeks)
    running = [0] * weeks
    for c in checkins:
        if c.day < first or c.day > today:
            continue
        i = (c.day - first).days
        daily[i] += session_load(c)
        running[i // 7] += running_minutes_done(c)
    out: list[WeekLoad] = []
    for w in range(weeks):
        days = daily[7 * w: 7 * w + 7]
        total = sum(days)
        mean = total / 7
        sd = math.sqrt(sum((x - mean) ** 2 for x in days) / 7)
        monotony = mean / sd if sd > 0 else None
        strain = total * monotony if monotony is not None else None
        out.append(WeekLoad(first + timedelta(days=7 * w), total, monotony, strain, running[w]))
    return tuple(out)


def acwr(checkins: Iterable[CheckIn], today: date) -> float | None:
    """Acute:chronic workload ratio (7-day load / mean weekly load over 28 days). Trend only."""
    acute = 0.0
    chronic = 0.0
    for c in checkins:
        age = (today - c.day).days
        if 0 <= age < 28:
            load = session_load(c)
            chronic += load
            if age < 7:
                acute += load
    if chronic <= 0:
        return None
    return acute / (chronic / 4)
