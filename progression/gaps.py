"""Days without running (stages 2-5), measured from the last run, acted on once per gap: 7+
days one level below the level the gap began at, 14+ two, 28+ back to the walk/run entry and
the ready-to-run tests again (docs/protocol.md §4 rule 5).

A gap is identified by its first day (the last run, or the last restart a clinician or the end
of a protect spell gave); each tier acts once on it, and a longer tier only adds what the
shorter one has not taken yet, so a runner away 41 days is two levels down at day 14 and at
the walk/run entry at day 28, never one level a week."""

from __future__ import annotations

from datetime import date, timedelta

from .assemble import _decision
from .enums import Action, CheckAgain, ReasonCode
from .history_index import _Ctx
from .ladder import first_level_of_stage
from .limits import (
    GAP_ONE_LEVEL_DAYS,
    GAP_RESTART_DAYS,
    GAP_TWO_LEVELS_DAYS,
    REASSESSMENT_MAX_AGE_DAYS,
)
from .models import Decision
from .reasons import _ev, _r

# the gap tiers, longest first: (days, code, levels below the level the gap began at; None =
# back to the walk/run entry)
TIERS: tuple[tuple[int, ReasonCode, int | None], ...] = (
    (GAP_RESTART_DAYS, ReasonCode.GAP_28_DAYS, None),
    (GAP_TWO_LEVELS_DAYS, ReasonCode.GAP_14_DAYS, 2),
    (GAP_ONE_LEVEL_DAYS, ReasonCode.GAP_7_DAYS, 1),
)
GAP_CODES = frozenset(code for _, code, _ in TIERS)
# restarts that already placed the runner for the time off: the gap is measured from them
RESTART_CODES = frozenset({ReasonCode.RED_FLAG_CLEARED, ReasonCode.REST_PAIN_SETTLED})


def gap_start(ctx: _Ctx) -> date | None:
    """The day the current gap is measured from: the last run, or a later restart (a
    clinician's clearance, the end of a protect spell acted on)."""
    ref = ctx.last_run_day
    for p in reversed(ctx.past):
        if not p.codes.isdisjoint(RESTART_CODES):
            if ref is None or p.day > ref:
                ref = p.day
            break
    return ref


def gap_days(ctx: _Ctx, ref: date) -> int:
    """Whole days without running since `ref`."""
    return (ctx.today - ref).days - 1


def gap_target(level: int, days: int) -> int:
    """The level a gap of `days` days leads to from `level`, the level it began at (the
    walk/run entry at the lowest)."""
    floor = first_level_of_stage(2)
    for limit, _, drop in TIERS:
        if days >= limit:
            if drop is None:
                return min(level, floor)
            return max(min(level, floor), level - drop)
    return level


def _level_on(ctx: _Ctx, day: date) -> int | None:
    """The runner's level when `day` began (the last change before it), when the history
    says it."""
    if ctx.level_since < day:
        return ctx.level
    for c in reversed(ctx.changes):
        if c.day < day:
            return c.level
    return None


def step_back_after_gap(ctx: _Ctx) -> Decision | None:
    """A gap without running, once per tier of each gap: one level lower after 7 days, two
    after 14 (of the level the gap began at), the walk/run entry and a reassessment after 28."""
    if ctx.stage < 2:
        return None
    ref = gap_start(ctx)
    if ref is None:
        return None
    days = gap_days(ctx, ref)
    floor = first_level_of_stage(2)
    handled = {code for code, day in ctx.handled if day == ref and code in GAP_CODES}
    # the level the gap began at: held when its first day began (after the morning check
    # about the last run); a shorter tier already acted on counts as taken from it
    base = _level_on(ctx, ref + timedelta(days=2))
    if base is None:
        taken = 2 if ReasonCode.GAP_14_DAYS in handled else 1 if handled else 0
        base = ctx.level + taken
    for limit, code, _ in TIERS:
        if days < limit:
            continue
        # Each tier acts once per gap: after it, the level is at or below the tier's target,
        # and nothing but a run (which ends the gap) moves it up again. A level above the
        # target is stepped back whatever the history says was done.
        reason = _ev(code, ref, days=days)
        if code is ReasonCode.GAP_28_DAYS:
            if ctx.level <= floor and code in handled:
                return None
            # back to the walk/run entry, and the ready-to-run tests before moving on; asked
            # at once, so /today and the daily prompt offer the reassessment
            need = _r(ReasonCode.REASSESSMENT_NEEDED, max_age_days=REASSESSMENT_MAX_AGE_DAYS)
            action = Action.STEP_BACK if ctx.level > floor else Action.REPEAT
            return _decision(ctx, action, min(ctx.level, floor), [reason, need],
                             check=CheckAgain.WEEKLY, check_date=ctx.today)
        target = max(min(ctx.level, floor), min(gap_target(base, days), ctx.level))
        if target >= ctx.level:
            return None
        return _decision(ctx, Action.STEP_BACK, target, [reason], check=CheckAgain.H48)
    return None


def _restart_gate_day(ctx: _Ctx) -> date | None:
    """After a 28-day gap sent the runner back to the walk/run entry, the ready-to-run tests
    must be passed again before moving on: the day of that restart, while in stage 2."""
    if ctx.stage != 2:
        return None
    for p in reversed(ctx.past):
        if ReasonCode.GAP_28_DAYS in p.codes:
            return p.day
        if p.action is Action.PROGRESS:
            return None
    return None
