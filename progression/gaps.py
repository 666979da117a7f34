"""Days without running (stages 2-5): 7+ days one level lower, 14+ two, 28+ back to the
walk/run entry and the ready-to-run tests again (docs/protocol.md §4 rule 5)."""

from __future__ import annotations

from datetime import date

from .assemble import _decision
from .enums import Action, CheckAgain, ReasonCode
from .history_index import _Ctx
from .ladder import first_level_of_stage
from .limits import GAP_ONE_LEVEL_DAYS, GAP_RESTART_DAYS, GAP_TWO_LEVELS_DAYS
from .models import Decision
from .reasons import _ev


def step_back_after_gap(ctx: _Ctx) -> Decision | None:
    """A gap without running: 7+ days one level lower, 14+ two, 28+ back to the walk/run
    entry and a reassessment."""
    today = ctx.today
    level = ctx.level
    h48 = CheckAgain.H48
    if ctx.stage >= 2 and ctx.last_run_day is not None:
        ref = max(ctx.last_run_day, ctx.level_since)
        gap = (today - ref).days - 1  # whole days without running
        floor = first_level_of_stage(2)
        if level > floor:
            if gap >= GAP_RESTART_DAYS:
                return _decision(ctx, Action.STEP_BACK, floor,
                                 [_ev(ReasonCode.GAP_28_DAYS, ref, days=gap)], check=h48)
            if gap >= GAP_TWO_LEVELS_DAYS:
                return _decision(ctx, Action.STEP_BACK, max(floor, level - 2),
                                 [_ev(ReasonCode.GAP_14_DAYS, ref, days=gap)], check=h48)
            if gap >= GAP_ONE_LEVEL_DAYS:
                return _decision(ctx, Action.STEP_BACK, max(floor, level - 1),
                                 [_ev(ReasonCode.GAP_7_DAYS, ref, days=gap)], check=h48)
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
