"""Turning a rule's verdict (an action, a level, the reasons) into a Decision: the session's
date and prescription, when to check again, and the reasons the placement adds (no run on a
step-back day, a session moved or capped). `Holds` carries what the hold rules gathered."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .enums import Action, CheckAgain, ReasonCode
from .history_index import _Ctx, _rx, _session_logged_on
from .ladder import (
    cadence_target,
    clamp_level,
    is_strength_day,
    rest_prescription,
    running_minutes_of,
    stage_of,
)
from .models import Decision, Reason
from .reasons import _r
from .scheduling import _place_run, _run_blockers, _runs_cap, _session_date


@dataclass(slots=True)
class Holds:
    """What the hold rules gathered on the way through `decide`: their reasons, whether the
    session is reduced, and when to check again and train next (None: the session's default).
    Unless a later rule decides otherwise, they end as a `repeat` with all their reasons."""

    reasons: list[Reason] = field(default_factory=list)
    reduced: bool = False
    check: CheckAgain | None = None
    check_date: date | None = None
    earliest: date | None = None

    def weekly(self, day: date) -> None:
        """The next reassessment is when to check again, unless a look again 48 h after an
        unsettled session is due first (the reassessment is still asked for by its reason)."""
        if self.check is not CheckAgain.H48:
            self.check, self.check_date = CheckAgain.WEEKLY, day


def _decision(ctx: _Ctx, action: Action, level: int, reasons: list[Reason], *,
              earliest: date | None = None, reduced: bool = False,
              check: CheckAgain | None = None, check_date: date | None = None) -> Decision:
    today = ctx.today
    level = clamp_level(level)
    stage = stage_of(level)
    if action is Action.STEP_BACK and level == ctx.level:  # already at the bottom
        action, reduced = Action.REPEAT, True
    if action is Action.REFER:
        urgent = any(r.code is ReasonCode.RED_FLAG and r.as_dict().get("urgent") == 1
                     for r in reasons)
        rx = rest_prescription(ctx.level, ctx.profile, refer=True, urgent=urgent)
        return Decision(action, ctx.level, ctx.stage, rx, today, CheckAgain.CLINICIAN, today,
                        tuple(reasons))
    if action is Action.REST:
        rx = rest_prescription(level, ctx.profile)
        return Decision(action, level, stage, rx, today, CheckAgain.H24,
                        today + timedelta(days=1), tuple(reasons))
    logged = _session_logged_on(ctx, today)
    if earliest is None or logged:
        # a session done today: the next one is tomorrow at the earliest, whatever holds
        earliest = max(earliest or today, today + timedelta(days=1) if logged else today)
    if running_minutes_of(level) == 0 and (
        action is Action.STEP_BACK
        or ctx.stopped_today()
        or any(r.event is not None for r in reasons)
    ):
        # the day of a step back stays a day without the session, also when the plan is
        # decided again that day (/today after the morning's result)
        earliest = max(earliest, today + timedelta(days=1))
    if running_minutes_of(level) > 0:
        if (action is Action.STEP_BACK or ctx.stopped_today()
                or any(r.event is not None for r in reasons)):
            earliest = max(earliest, today + timedelta(days=1))  # no run on a step-back day
            if not any(r.code is ReasonCode.NO_RUN_ON_STEP_BACK_DAY for r in reasons):
                reasons.append(_r(ReasonCode.NO_RUN_ON_STEP_BACK_DAY))
        sdate, rx, info, easy = _place_run(ctx, level, earliest, reduced, [], {}, [])
        if sdate != earliest:
            b2b, full = _run_blockers(ctx, stage, earliest, [])
            if b2b:
                reasons.append(_r(ReasonCode.NO_BACK_TO_BACK))
            if full:
                reasons.append(_r(ReasonCode.RUNS_PER_WEEK_LIMIT, max=_runs_cap(ctx)))
        if easy:
            reasons.append(_r(ReasonCode.EASY_BETWEEN_HARD))
        if info is not None:
            limit, used, planned, last = info
            reasons.append(_r(ReasonCode.WEEKLY_MINUTES_CAP, limit=limit, used=used,
                              planned=planned, last_week=last,
                              pre_injury=ctx.profile.minutes_per_week_before))
        target = cadence_target(ctx.profile)
        if target is not None and rx.running_minutes > 0:
            rx = replace(rx, cadence_target=target)
    else:
        sdate = _session_date(ctx, level, earliest, reasons)
        rx = _rx(level, ctx.injury, reduced, is_strength_day(sdate, stage))
    if check is None:
        check, check_date = CheckAgain.H24, sdate + timedelta(days=1)
    elif check_date is None:
        check_date = today + timedelta(days=2 if check is CheckAgain.H48 else 1)
    if not reasons:  # pragma: no cover - callers always give a reason
        reasons.append(_r(ReasonCode.MORE_GREEN_SESSIONS_NEEDED, count=0, needed=0, left=0))
    return Decision(action, level, stage, rx, sdate, check, check_date, tuple(reasons))
