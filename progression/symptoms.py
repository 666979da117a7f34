"""Symptoms: swelling lasting more than 72 h, pain at rest or in daily activities, warning
signs in a session (sharp pain or a limp, pain over the tissue's ceiling, visible swelling),
symptoms right after a progress, the next morning, the latest session's symptoms within the
limits, and a worsening trend over two weeks (docs/protocol.md §4 rules 3-4 and 6-9).

The rules that act on an event do it once (the reason carries `event_day`); the hold rules
add their reasons to `Holds`."""

from __future__ import annotations

from datetime import date, timedelta

from .assemble import Holds, _decision
from .enums import Action, CheckAgain, Compare, Outcome, ReasonCode, Swelling
from .gaps import gap_target
from .gates import evaluate_gates
from .history_index import _Ctx, _latest_reassessment, _week_start
from .ladder import clamp_level, first_level_of_stage, running_minutes_of, stage_of
from .limits import (
    GAP_RESTART_DAYS,
    REASSESSMENT_MAX_AGE_DAYS,
    RECHECK_DAYS,
    REST_PAIN_RESET,
    RETEST_READY_DAYS,
    SWELLING_MAX_DAYS,
    TREND_MIN_OVER_GREEN,
    TREND_MIN_SESSIONS,
    TREND_WORSE_BY,
)
from .models import CheckIn, Decision, MorningCheck, Reason
from .reasons import _ev, _r


def rest_for_lasting_swelling(ctx: _Ctx) -> Decision | None:
    """Swelling lasting more than 72 h: rest, then once one level lower."""
    level = ctx.level
    spell = _swelling_spell(ctx)
    if spell is not None:
        days, ongoing, end = spell
        if ongoing:
            return _decision(ctx, Action.REST, level, [_r(ReasonCode.SWELLING_72H, days=days)])
        if (ReasonCode.SWELLING_72H, end) not in ctx.handled:
            return _decision(ctx, Action.STEP_BACK, clamp_level(level - 1),
                             [_ev(ReasonCode.SWELLING_72H, end, days=days)],
                             check=CheckAgain.H48, earliest=ctx.today + timedelta(days=1))
    return None


def _swelling_spell(ctx: _Ctx) -> tuple[int, bool, date] | None:
    """(days, ongoing, last swollen day) of the latest swelling spell longer than 72 h.

    Report days come from check-ins and morning checks of the last 3 weeks; a day is swollen
    when any report of that day mentions swelling; a spell is a run of swollen report days with
    no swelling-free report day in between."""
    first = ctx.today - timedelta(days=21)
    days: dict[date, bool] = {}
    none = Swelling.NONE
    for c in reversed(ctx.checkins):
        if c.day < first:
            break
        days[c.day] = days.get(c.day, False) or c.swelling is not none
    for m in reversed(ctx.mornings):
        if m.day < first:
            break
        days[m.day] = days.get(m.day, False) or m.swelling is not none
    if not days:
        return None
    ordered = sorted(days)
    j = len(ordered) - 1
    while j >= 0 and not days[ordered[j]]:
        j -= 1
    if j < 0:
        return None
    k = j
    while k > 0 and days[ordered[k - 1]]:
        k -= 1
    length = (ordered[j] - ordered[k]).days
    if length < SWELLING_MAX_DAYS:
        return None
    return length, j == len(ordered) - 1, ordered[j]


def reset_for_rest_or_daily_pain(ctx: _Ctx, holds: Holds) -> Decision | None:
    """Pain at rest or in daily activities (weekly reassessment): stage 0 only when rest pain
    is 3+ or daily pain is rising; a low, stable daily pain holds the stage."""
    today = ctx.today
    r = _latest_reassessment(ctx)
    if r is not None and (today - r.day).days <= REASSESSMENT_MAX_AGE_DAYS:
        ok = ctx.rules.daily_pain_ok
        rest, daily = r.rest_pain, r.daily_pain
        prev = next((p.daily_pain for p in reversed(ctx.reassessments[:-1])
                     if p.daily_pain is not None), None)
        rising = daily is not None and daily > ok and prev is not None and daily > prev
        reset = (rest is not None and rest >= REST_PAIN_RESET) or rising
        if reset and ctx.stage > 0 and (ReasonCode.REST_OR_DAILY_PAIN, r.day) not in ctx.handled:
            return _decision(ctx, Action.STEP_BACK, first_level_of_stage(0), [_ev(
                ReasonCode.REST_OR_DAILY_PAIN, r.day, rest_pain=rest or 0,
                walk_pain=daily or 0)], check=CheckAgain.H48, earliest=today + timedelta(days=1))
        worst = max(rest or 0, daily or 0)
        if worst > ok:
            holds.reasons.append(_r(ReasonCode.DAILY_PAIN_LOW, pain=worst, max=ok))
    return None


def resume_after_protect(ctx: _Ctx, holds: Holds) -> Decision | None:
    """A protect spell (rest pain or rising daily pain sent the runner from a higher level to
    stage 0) ends when a reassessment after it passes the stage-0 gates (daily life and rest
    within the tissue's tolerance, no swelling): back to the level held before, one level
    lower, or lower still for the days without running (7+ one level, 14+ two, 28+ the top
    of walking and the ready-to-run tests). Until then the retest is offered every 3 days."""
    if ctx.stage != 0:
        return None
    spell = _protect_spell(ctx)
    if spell is None:
        return None
    reset, before = spell
    r = next((r for r in reversed(ctx.reassessments) if r.day > reset), None)
    if r is not None and all(g.passed for g in evaluate_gates(ctx.profile, r, ctx.level)):
        if (ReasonCode.REST_PAIN_SETTLED, r.day) in ctx.handled:
            return None
        target = max(first_level_of_stage(1), before - 1)
        if stage_of(before) >= 2 and ctx.last_run_day is not None:
            days = (ctx.today - ctx.last_run_day).days - 1
            target = min(target, gap_target(before, days))
            if days >= GAP_RESTART_DAYS:  # a long spell: walking, then the ready-to-run tests
                target = first_level_of_stage(2) - 1
        return _decision(ctx, Action.REPEAT, target,
                         [_ev(ReasonCode.REST_PAIN_SETTLED, r.day, stage=stage_of(target))])
    due = (r.day if r is not None else reset) + timedelta(days=RETEST_READY_DAYS)
    if ctx.today >= due:
        holds.reasons.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                                max_age_days=REASSESSMENT_MAX_AGE_DAYS))
        holds.weekly(ctx.today)
    return None


def _protect_spell(ctx: _Ctx) -> tuple[date, int] | None:
    """(the reset's day, the level held before it) of the protect spell the runner is in: the
    latest step back to stage 0 for rest or daily pain from a higher stage, with no clearance
    restart since."""
    for i in range(len(ctx.past) - 1, -1, -1):
        p = ctx.past[i]
        if ReasonCode.RED_FLAG_CLEARED in p.codes or ReasonCode.REST_PAIN_SETTLED in p.codes:
            return None
        if ReasonCode.REST_OR_DAILY_PAIN in p.codes and p.events and stage_of(p.level) == 0:
            before = ctx.past[i - 1].level if i > 0 else None
            if before is None or stage_of(before) == 0:
                return None
            return p.day, before
    return None


def step_back_for_warning_signs(ctx: _Ctx, recent: list[CheckIn]) -> Decision | None:
    """Warning signs in any of the `recent` sessions (run, walk, cross-training, strength):
    one step back per session, acted on once."""
    for c in recent:
        warn = _warning(ctx, c)
        if warn is not None and c.day not in ctx.handled_run_days:
            return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1), [warn],
                             check=CheckAgain.H48, earliest=ctx.today + timedelta(days=1))
    return None


def _warning(ctx: _Ctx, c: CheckIn) -> Reason | None:
    """Warning signs of a session of any kind (run, walk, cross-training, strength)."""
    if c.outcome is Outcome.SKIPPED:
        return None
    ceiling = ctx.rules.pain_ceiling
    if c.sharp_or_limp:
        return _ev(ReasonCode.SHARP_OR_LIMP, c.day, day=c.day.isoformat())
    if c.pain_during > ceiling:
        return _ev(ReasonCode.PAIN_DURING_OVER_CEILING, c.day, pain=c.pain_during,
                   ceiling=ceiling)
    if c.pain_after > ceiling:
        return _ev(ReasonCode.PAIN_AFTER_OVER_CEILING, c.day, pain=c.pain_after,
                   ceiling=ceiling)
    if c.swelling is Swelling.VISIBLE:
        return _ev(ReasonCode.SWELLING_AFTER_SESSION, c.day, swelling=str(c.swelling))
    return None


def step_back_for_symptoms_after_progress(ctx: _Ctx, latest: CheckIn | None) -> Decision | None:
    """Symptoms resurfacing at the level the runner just moved up to: back to the previous
    level."""
    if (latest is not None and latest.level == ctx.level and latest.day >= ctx.level_since
            and latest.day not in ctx.handled_run_days and _just_progressed(ctx)
            and _symptomatic(ctx, latest) and _symptoms_resurfaced(ctx, latest)):
        return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1), [_ev(
            ReasonCode.SYMPTOMS_AFTER_PROGRESS, latest.day, pain_during=latest.pain_during,
            pain_after=latest.pain_after, swelling=str(latest.swelling))],
            check=CheckAgain.H48, earliest=ctx.today + timedelta(days=1))
    return None


def _symptomatic(ctx: _Ctx, c: CheckIn) -> bool:
    green = ctx.rules.green_pain_max
    return (c.pain_during > green or c.pain_after > green
            or c.swelling is not Swelling.NONE)


def _symptoms_resurfaced(ctx: _Ctx, latest: CheckIn) -> bool:
    """Symptoms came back after a progress: swelling, or a second session above the green
    limit at the new level (one session within the ceiling is a hold, not a step back)."""
    if latest.swelling is not Swelling.NONE:
        return True
    return sum(1 for c in ctx.checkins if c.day >= ctx.level_since and c.level == ctx.level
               and c.outcome is not Outcome.SKIPPED and _symptomatic(ctx, c)) >= 2


def _just_progressed(ctx: _Ctx) -> bool:
    if not ctx.changes:
        return False
    lc = ctx.changes[-1]
    return lc.action is Action.PROGRESS and lc.level == ctx.level


def act_on_next_morning(ctx: _Ctx, holds: Holds) -> Decision | None:
    """The mornings after a session. The first unsettled or worse morning of a spell: half a
    step back (a reduced session, no run that day) and a look again 48 h after the session;
    visible swelling: one level lower at once. Still not settled at that look again (a later
    morning, 48 h or more after the session): one level lower. Within a day of any unsettled
    morning: no moving up (the green count restarts there too, greens.py)."""
    today = ctx.today
    cleared = max((f.day for f in ctx.red_flags if f.cleared_to_stage is not None), default=None)
    mornings = [m for m in ctx.mornings if cleared is None or m.day > cleared]  # a clinician
    # saw the runner since the mornings before a clearance: the clearance's restart stands
    spell: MorningCheck | None = None  # the first morning of the open unsettled spell
    for m in mornings:
        spell = None if _settled(m) else (spell or m)
    latest = mornings[-1] if mornings else None
    # an unsettled spell holds until the next session is done (its lighter version), at most
    # a week, not only for a day: a session planned after a weekend stays the lighter one
    # the result named (issue 22)
    waiting = (
        latest is not None
        and (today - latest.day).days <= NOT_SETTLED_MAX_DAYS
        and not any(c.day > latest.day and c.outcome is not Outcome.SKIPPED for c in ctx.checkins)
    )
    if spell is not None and latest is not None and ((today - latest.day).days <= 1 or waiting):
        run = spell.run_day
        values = {"pain": str(latest.pain), "stiffness": str(latest.stiffness),
                  "swelling": str(latest.swelling)}
        if latest.swelling is Swelling.VISIBLE and latest.run_day not in ctx.handled_run_days:
            return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1), [_ev(
                ReasonCode.SWELLING_AFTER_SESSION, latest.run_day, swelling=str(latest.swelling))],
                check=CheckAgain.H48, earliest=today + timedelta(days=1))
        if latest.day > spell.day and (latest.day - run).days >= RECHECK_DAYS and (
                (ReasonCode.NOT_SETTLED_AFTER_48H, run) not in ctx.handled):
            return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1),
                             [_ev(ReasonCode.NOT_SETTLED_AFTER_48H, run, **values)],
                             check=CheckAgain.H48, earliest=today + timedelta(days=1))
        stepped = next((p for p in reversed(ctx.past) if {
            (ReasonCode.NOT_SETTLED_AFTER_48H, run),
            (ReasonCode.SWELLING_AFTER_SESSION, latest.run_day)} & p.events), None)
        if stepped is not None:
            # the spell was stepped back for already: the lower level is its answer, not a
            # shorter session on top (decided again that day, the plan says the same); at
            # the bottom level the shorter session stood for the step back, and stays
            holds.reasons.append(_r(ReasonCode.NOT_SETTLED_AFTER_48H, **values))
            holds.reduced = stepped.action is Action.REPEAT
            holds.check = CheckAgain.H48
            holds.check_date = max(stepped.day + timedelta(days=2), today)
            holds.earliest = max(stepped.day + timedelta(days=1), today)
            return None
        recheck = max(run + timedelta(days=RECHECK_DAYS), spell.day + timedelta(days=1))
        code = (ReasonCode.WORSE_ON_WAKING if spell.pain is Compare.WORSE
                else ReasonCode.NOT_SETTLED_NEXT_MORNING)
        if run not in ctx.handled_run_days and (today - spell.day).days <= 1:
            holds.reasons.append(_ev(code, run, pain=str(spell.pain),
                                     stiffness=str(spell.stiffness),
                                     swelling=str(spell.swelling)))
        else:
            holds.reasons.append(_r(code, **values))
        holds.reduced = True
        holds.check = CheckAgain.H48
        holds.check_date = max(recheck, today)
        holds.earliest = max(recheck, today)
        return None
    for m in reversed(mornings):  # settled again, but within a day of an unsettled one
        if (today - m.day).days > 1:
            break
        if not _settled(m):
            holds.reasons.append(_r(ReasonCode.NOT_SETTLED_NEXT_MORNING, pain=str(m.pain),
                                    stiffness=str(m.stiffness), swelling=str(m.swelling)))
            break
    return None


NOT_SETTLED_MAX_DAYS = 7  # an unsettled morning holds the next session this long at most


def _settled(m: MorningCheck) -> bool:
    return (m.pain is not Compare.WORSE and m.stiffness is not Compare.WORSE
            and m.swelling is Swelling.NONE and not m.night_pain)


def hold_for_latest_session(ctx: _Ctx, latest: CheckIn | None, holds: Holds) -> None:
    """Symptoms of the latest session within the limits: hold (reduced after soreness). A
    session already stepped back for is not held against the runner a second time."""
    if latest is None:
        return
    green = ctx.rules.green_pain_max
    fresh = latest.day not in ctx.handled_run_days
    if fresh and latest.pain_after > green:
        holds.reasons.append(_r(ReasonCode.SORENESS_AFTER, pain=latest.pain_after,
                                safe_max=green))
        holds.reduced = True
        holds.check = holds.check or CheckAgain.H24
    elif fresh and green < latest.pain_during <= ctx.rules.pain_ceiling:
        # within the runner's rule: acceptable, not yet comfortable (above the ceiling the
        # session was a warning, stepped back for once: never "acceptable")
        holds.reasons.append(_r(ReasonCode.PAIN_ACCEPTABLE_ZONE, pain=latest.pain_during,
                                safe_max=green, ceiling=ctx.rules.pain_ceiling))
    if (latest.outcome is Outcome.SHORTER and latest.pain_during > 0
            and running_minutes_of(ctx.level) > 0 and running_minutes_of(latest.level) > 0):
        holds.reasons.append(_r(ReasonCode.SPLIT_SESSION, minutes=latest.minutes))
    if latest.swelling is Swelling.MILD:
        holds.reasons.append(_r(ReasonCode.SWELLING_AFTER_SESSION,
                                swelling=str(latest.swelling)))


def act_on_worsening_trend(ctx: _Ctx, holds: Holds) -> Decision | None:
    """A worsening trend over two weeks: once a week (and not within 7 days of another step
    back), one level lower; otherwise a hold."""
    today = ctx.today
    trend = _pain_trend(ctx)
    if trend is not None:
        this_w, last_w, week_start = trend
        reason = _ev(ReasonCode.WORSENING_TREND, week_start, this_week=round(this_w, 1),
                     last_week=round(last_w, 1))
        recent_down = any(p.events and (today - p.day).days < 7 for p in ctx.past)
        if not recent_down and ctx.level > 0 and ctx.handled.isdisjoint({reason.event}):
            return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1), [reason],
                             check=CheckAgain.H48, earliest=today + timedelta(days=1))
        holds.reasons.append(_r(ReasonCode.WORSENING_TREND, this_week=round(this_w, 1),
                                last_week=round(last_w, 1)))
    return None


def _pain_trend(ctx: _Ctx) -> tuple[float, float, date] | None:
    """(this week's mean pain, last week's, this week's start) when pain rises above the green
    limit: means up by 1+, this week's mean above the green limit, and 3+ sessions above the
    green limit across the two weeks with more of them this week."""
    today = ctx.today
    green = ctx.rules.green_pain_max
    a: list[int] = []
    b: list[int] = []
    for c in reversed(ctx.checkins):
        age = (today - c.day).days
        if age >= 14:
            break
        if c.outcome is Outcome.SKIPPED:
            continue
        (a if age < 7 else b).append(max(c.pain_during, c.pain_after))
    if len(a) < TREND_MIN_SESSIONS or len(b) < TREND_MIN_SESSIONS:
        return None
    this_w, last_w = sum(a) / len(a), sum(b) / len(b)
    over_a = sum(1 for p in a if p > green)
    over_b = sum(1 for p in b if p > green)
    if (this_w - last_w >= TREND_WORSE_BY and this_w > green
            and over_a + over_b >= TREND_MIN_OVER_GREEN and over_a > over_b):
        return this_w, last_w, _week_start(today)
    return None
