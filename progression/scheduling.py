"""Which day each session goes on: run spacing (never back to back in stages 2-3, never three
days in a row later, at most 4 runs in any 7 days, preferred weekdays), stage 5's easy runs
between intensity sessions, stage 1's recovery day, and placing a run within the weekly
running cap (docs/protocol.md §6)."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta

from .enums import Outcome, ReasonCode
from .history_index import _Ctx, _rx, _week_start
from .ladder import is_strength_day, stage_of
from .limits import (
    MAX_RUNS_PER_WEEK,
    MIN_CAPPED_RUN_MIN,
    QUALITY_EVERY_DAYS,
    QUALITY_MIN_GAP_DAYS,
    STAGE5_EASY_LEVEL,
)
from .models import Prescription, Reason
from .reasons import _r
from .volume import _cap_for, _capped_rx, _capped_stage

_RUNNING_STAGES_NO_B2B = (2, 3)


def _runs_between(ctx: _Ctx, first: date, last: date, planned: list[date]) -> int:
    """Run days in [first, last] from history plus planned runs."""
    rd = ctx.run_days
    n = bisect_left(rd, last + timedelta(days=1)) - bisect_left(rd, first)
    return n + sum(1 for p in planned if first <= p <= last)


def _ran_on(ctx: _Ctx, d: date, planned: list[date]) -> bool:
    i = bisect_left(ctx.run_days, d)
    return (i < len(ctx.run_days) and ctx.run_days[i] == d) or d in planned


def _runs_cap(ctx: _Ctx) -> int:
    return min(MAX_RUNS_PER_WEEK, max(1, ctx.profile.run_days_per_week))


def _run_blockers(ctx: _Ctx, stage: int, d: date, planned: list[date]) -> tuple[bool, bool]:
    """(back-to-back problem, weekly run count reached) for a run on day d."""
    one = d - timedelta(days=1)
    if stage in _RUNNING_STAGES_NO_B2B:
        b2b = _ran_on(ctx, one, planned)
    else:  # stages 4-5: never three days in a row
        b2b = _ran_on(ctx, one, planned) and _ran_on(ctx, d - timedelta(days=2), planned)
    full = _runs_between(ctx, d - timedelta(days=6), one, planned) >= _runs_cap(ctx)
    return b2b, full


def _next_run_date(ctx: _Ctx, level: int, earliest: date, planned: list[date]) -> date:
    stage = stage_of(level)
    preferred = ctx.profile.preferred_days
    d = earliest
    for tries in range(28):
        b2b, full = _run_blockers(ctx, stage, d, planned)
        off_pref = bool(preferred) and tries < 14 and d.weekday() not in preferred
        if not (b2b or full or off_pref):
            return d
        d += timedelta(days=1)
    return d  # pragma: no cover - 28 days always hold a valid day


def _base_level(ctx: _Ctx, level: int, d: date, planned: list[date]) -> int:
    """Stage 5: an easy run unless the last intensity session is at least 3 days old, and,
    for a runner on 3 or fewer run days a week, at least 7 days old (one quality session a
    week, so the easy runs carry the volume back to the pre-injury week)."""
    if stage_of(level) != 5:
        return level
    days = QUALITY_EVERY_DAYS if _runs_cap(ctx) <= 3 else QUALITY_MIN_GAP_DAYS
    first = d - timedelta(days=days - 1)
    recent = False
    for c in reversed(ctx.checkins):
        if c.day < first:
            break
        if stage_of(c.level) == 5 and c.outcome in (Outcome.DONE, Outcome.SHORTER):
            recent = True
            break
    recent = recent or any(first <= p < d for p in planned)
    return STAGE5_EASY_LEVEL if recent else level


def _place_run(ctx: _Ctx, level: int, earliest: date, reduced: bool, planned: list[date],
               planned_minutes: dict[date, int], planned_hard: list[date],
               ) -> tuple[date, Prescription, tuple[int, int, int, int] | None, bool]:
    """Date and prescription of the next run at `level` from `earliest`, respecting run-day
    rules and the weekly running cap. A session that would be cut below half (or below
    10 min of running) moves to the next calendar week instead.
    Returns (date, prescription, cap info (limit, used, planned, last_week) or None, easy)."""
    stage = stage_of(level)
    d = _next_run_date(ctx, level, earliest, planned)
    info: tuple[int, int, int, int] | None = None
    rx = _rx(level, ctx.injury, reduced, is_strength_day(d, stage))
    easy = False
    if not _capped_stage(ctx, stage):
        return d, rx, None, False
    for attempt in range(3):
        base = _base_level(ctx, level, d, planned_hard)
        easy = base != level
        rx = _rx(base, ctx.injury, reduced, is_strength_day(d, stage))
        limit, used, last = _cap_for(ctx, d, planned_minutes, stage)
        remaining = limit - used
        if rx.running_minutes <= remaining:
            return d, rx, info, easy
        info = (limit, used, rx.running_minutes, last)
        capped = _capped_rx(ctx, base, rx, remaining)
        if capped.running_minutes >= MIN_CAPPED_RUN_MIN or attempt == 2:
            return d, capped, info, easy
        d = _next_run_date(ctx, level, _week_start(d) + timedelta(days=7), planned)
    return d, rx, info, easy  # pragma: no cover


def _session_date(ctx: _Ctx, level: int, earliest: date, reasons: list[Reason]) -> date:
    """Date of the next non-running session (stages 0-1)."""
    if stage_of(level) == 1 and _needs_recovery_day(ctx, earliest, []):
        reasons.append(_r(ReasonCode.RECOVERY_DAY))
        return earliest + timedelta(days=1)
    return earliest


def _needs_recovery_day(ctx: _Ctx, d: date, planned: list[date]) -> bool:
    """Stage 1: every 4th day is a recovery day (3 walking days in a row before `d`)."""
    days = {c.day for c in ctx.checkins[-6:] if c.outcome is not Outcome.SKIPPED}
    days.update(planned)
    return all((d - timedelta(days=k)) in days for k in (1, 2, 3))
