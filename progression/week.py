"""The week ahead (`plan_week`): the decided session, then the same level on the following
valid days (docs/protocol.md §6)."""

from __future__ import annotations

from datetime import date, timedelta

from .care_team import apply_care_team
from .decide import _decide
from .enums import Action, ReasonCode
from .history_index import _Ctx, _rx, _week_start
from .ladder import (
    cross_prescription,
    is_strength_day,
    recovery_prescription,
    running_minutes_of,
)
from .models import DayPlan, Decision, History, Prescription
from .scheduling import _needs_recovery_day, _place_run


def plan_week(
    history: History, today: date, decision: Decision | None = None
) -> tuple[DayPlan, ...]:
    """The next 7 days from `today`: the decided session first, then the same level on the
    following valid days (runs never back to back in stages 2-3, at most 4 runs in any
    7 days, preferred days respected, weekly running cap applied); cross-training or
    recovery on the other days, strength on strength days.

    `decision` is the decision for `history` on `today` when the caller has it already (the
    week then follows that very decision; by default it is decided here)."""
    ctx = _Ctx(history, today)
    d = decision if decision is not None else apply_care_team(ctx, _decide(ctx))
    profile = history.profile
    days = [today + timedelta(days=i) for i in range(7)]
    if d.action in (Action.REFER, Action.REST):  # no sessions until the next decision
        return tuple(DayPlan(day, d.prescription, False) for day in days)
    level = d.level
    stage = d.stage
    running = running_minutes_of(level) > 0
    planned_runs: list[date] = []
    planned_minutes: dict[date, int] = {}
    planned_hard: list[date] = []
    plan: dict[date, Prescription] = {}
    if d.session_date <= days[-1]:
        plan[d.session_date] = d.prescription
        if d.prescription.running_minutes > 0:
            planned_runs.append(d.session_date)
            planned_minutes[d.session_date] = d.prescription.running_minutes
            if stage == 5 and d.prescription.stage == 5:
                planned_hard.append(d.session_date)
    cursor = d.session_date + timedelta(days=1)

    def reduced(day: date) -> bool:
        """The shorter version lasts as long as what it is for: a lighter week to its end,
        a hold until the day the plan looks again (the sessions after it are planned in
        full; a new answer decides again)."""
        if not d.prescription.reduced:
            return False
        if d.has(ReasonCode.DELOAD_WEEK):
            return _week_start(day) == _week_start(d.session_date)
        return day < d.check_again_date

    while cursor <= days[-1]:
        if running:
            nd, rx, _, easy = _place_run(ctx, level, cursor, reduced(cursor),
                                         planned_runs, planned_minutes, planned_hard)
            if nd > days[-1]:
                break
            plan[nd] = rx
            if rx.running_minutes > 0:
                planned_runs.append(nd)
                planned_minutes[nd] = rx.running_minutes
                if stage == 5 and not easy and not rx.capped:
                    planned_hard.append(nd)
            cursor = nd + timedelta(days=1)
        else:
            if not (stage == 1 and _needs_recovery_day(ctx, cursor, list(plan))):
                plan[cursor] = _rx(level, ctx.injury, reduced(cursor),
                                   is_strength_day(cursor, stage))
            cursor += timedelta(days=1)
    out: list[DayPlan] = []
    for day in days:
        planned_rx = plan.get(day)
        if planned_rx is not None:
            rx = planned_rx
        else:
            strength = is_strength_day(day, stage)
            if running:
                rx = cross_prescription(level, profile, strength=strength)
            else:
                rx = recovery_prescription(level, profile, strength=strength)
        out.append(DayPlan(day, rx, rx.running_minutes > 0))
    return tuple(out)
