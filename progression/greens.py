"""Moving up: green sessions at the level, and everything that holds a progress back (warning
signs in the last 48 h, a step-back day, 2 level-ups in 7 days, poor recovery, a lighter week,
the next stage's gates and the reassessment they need, stage 4's two stable weeks)
(docs/protocol.md §4 rules 10-17; the gates themselves are in gates.py)."""

from __future__ import annotations

from datetime import date, timedelta

from .assemble import Holds, _decision
from .enums import Action, Outcome, ReasonCode, Swelling
from .gaps import _restart_gate_day, gap_days, gap_start
from .gates import evaluate_gates, tested
from .history_index import _Ctx, _latest_reassessment, _recent, _stage4_since, _week_start
from .ladder import (
    LADDER,
    MAX_LEVEL,
    clamp_level,
    first_level_of_stage,
    running_minutes_of,
    stage_of,
    total_minutes_table,
)
from .limits import (
    BUILD_WEEKS_BEFORE_DELOAD,
    EVENT_MAX_AGE_DAYS,
    FULL_SHARE,
    GAP_ONE_LEVEL_DAYS,
    MAX_UPS_PER_7_DAYS,
    MORNING_OVERDUE_DAYS,
    POOR_MOOD,
    POOR_SLEEP_HOURS,
    REASSESSMENT_MAX_AGE_DAYS,
    RECLIMB_DAYS,
    RETEST_READY_DAYS,
    STAGE4_STABLE_DAYS,
    WARNING_BLOCK_DAYS,
)
from .models import CheckIn, Decision, Reason
from .reasons import _gate_reason, _r
from .symptoms import _settled, _warning
from .volume import _is_deload_week


def progress_or_hold(ctx: _Ctx, holds: Holds) -> Decision:
    """Move up one level when nothing holds the runner back; otherwise repeat with every
    reason that holds them (those gathered by the rules before, and these)."""
    level = ctx.level
    spec = LADDER[level]
    greens, pending = _greens(ctx, level)
    needed = _greens_needed(ctx, level, spec.greens_needed)
    _hold_until_ready(ctx, holds, greens, needed, pending)
    nxt = clamp_level(level + 1)
    passed = _hold_for_next_stage(ctx, holds, nxt)
    if holds.reasons:
        return _decision(ctx, Action.REPEAT, level, holds.reasons, reduced=holds.reduced,
                         check=holds.check, check_date=holds.check_date,
                         earliest=holds.earliest)
    reasons = [_r(ReasonCode.GREEN_SESSIONS, count=greens, needed=needed), *passed]
    missing = _latest_session_without_morning(ctx)
    if missing is not None:  # overdue by more than a day: the step up says so
        reasons.append(_r(ReasonCode.MORNING_CHECK_MISSING, day=missing.isoformat()))
    return _decision(ctx, Action.PROGRESS, nxt, reasons)


def _greens_needed(ctx: _Ctx, level: int, needed: int) -> int:
    """A level the runner already moved up from in the last 28 days (back on it after a step
    back or a gap) is climbed again after one green session; a new level needs its own."""
    for c in reversed(ctx.changes):
        if (ctx.today - c.day).days > RECLIMB_DAYS:
            break
        if c.action is Action.PROGRESS and c.level == level + 1:
            return 1
    return needed


def _full(c: CheckIn, level: int) -> bool:
    """The level's own session done in full: at the level, done as planned, and at least
    `FULL_SHARE` of its running minutes (of its minutes, for walks and cross-training). A
    reduced ("half step back") or capped session is shorter, and a capped one is stored at
    the lower level it fitted, so neither counts."""
    if c.level != level or c.outcome is not Outcome.DONE:
        return False
    run = running_minutes_of(level)
    if run > 0:
        done = c.running_minutes if c.running_minutes is not None else run
        return done >= FULL_SHARE * run
    total = total_minutes_table()[level]
    return c.minutes >= FULL_SHARE * total


def _is_green(ctx: _Ctx, c: CheckIn, level: int) -> bool:
    """The level's own session done in full, within the tissue's green limit, no sharp pain,
    limp or swelling, and settled by the next morning."""
    g = ctx.rules.green_pain_max
    if not _full(c, level) or c.sharp_or_limp or c.swelling is not Swelling.NONE:
        return False
    if c.pain_during > g or c.pain_after > g:
        return False
    m = ctx.morning_by_run_day.get(c.day)
    return m is not None and _settled(m)


def _count_from(ctx: _Ctx) -> date:
    """The first day whose sessions count towards moving up: the level's start, or the day
    of the latest unsettled or worse morning after it (the count restarts there), or today
    after 7 or more days without running (sessions from before a gap carry no one up)."""
    since = ctx.level_since
    if ctx.stage >= 2:
        ref = gap_start(ctx)
        if ref is not None and gap_days(ctx, ref) >= GAP_ONE_LEVEL_DAYS:
            return ctx.today + timedelta(days=1)
    for m in reversed(ctx.mornings):
        if m.day < since:
            break
        if not _settled(m):
            return m.day
    return since


def _greens(ctx: _Ctx, level: int) -> tuple[int, date | None]:
    """Green sessions at this level since it started (and since the latest unsettled
    morning), and the latest session when its morning check is not in yet (and not overdue
    by more than a day)."""
    greens = 0
    start = _count_from(ctx)
    for c in reversed(ctx.checkins):
        if c.day < start:
            break
        if _is_green(ctx, c, level):
            greens += 1
    return greens, _latest_session_pending(ctx)


def _latest_session(ctx: _Ctx) -> CheckIn | None:
    for c in reversed(ctx.checkins):
        if c.outcome in (Outcome.DONE, Outcome.SHORTER):
            return c
    return None


def _latest_session_pending(ctx: _Ctx) -> date | None:
    """The latest session's day while its morning check is not in and not yet overdue by more
    than a day (no step up before it)."""
    c = _latest_session(ctx)
    if c is None or c.day in ctx.morning_by_run_day:
        return None
    return c.day if (ctx.today - c.day).days <= MORNING_OVERDUE_DAYS else None


def _latest_session_without_morning(ctx: _Ctx) -> date | None:
    """The latest session's day when its morning check never came (overdue by more than a
    day), within the last week."""
    c = _latest_session(ctx)
    if c is None or c.day in ctx.morning_by_run_day:
        return None
    age = (ctx.today - c.day).days
    return c.day if MORNING_OVERDUE_DAYS < age <= EVENT_MAX_AGE_DAYS else None


def _hold_until_ready(ctx: _Ctx, holds: Holds, greens: int, needed: int,
                      pending: date | None) -> None:
    """The holds of the runner's own readiness: warning signs in 48 h, a step back today, too
    few green sessions, the latest session's morning check, the top of the ladder, 2 level-ups
    in 7 days on the running ladder, poor recovery, a lighter week (which also reduces the
    session)."""
    today = ctx.today
    level = ctx.level
    # never move up within 48 h of warning signs in any session, whatever its level or kind
    for c in _recent(ctx, WARNING_BLOCK_DAYS):
        warn = _warning(ctx, c)
        if warn is not None:
            holds.reasons.append(_r(ReasonCode.RECENT_WARNING_PAIN, day=c.day.isoformat(),
                                    pain=max(c.pain_during, c.pain_after)))
            break
    if ctx.stopped_today():
        holds.reasons.append(_r(ReasonCode.NO_RUN_ON_STEP_BACK_DAY))
    if greens < needed:
        holds.reasons.append(_r(ReasonCode.MORE_GREEN_SESSIONS_NEEDED, count=greens,
                                needed=needed, left=needed - greens))
    if pending is not None:  # never move up before the latest session's morning is in
        holds.reasons.append(_r(ReasonCode.MORNING_CHECK_PENDING,
                                run_day=pending.isoformat()))
    if level >= MAX_LEVEL:
        holds.reasons.append(_r(ReasonCode.TOP_OF_LADDER, level=level))

    if stage_of(clamp_level(level + 1)) >= 2:  # the walk/run rule (notes §2), from stage 2 on
        ups = sum(1 for c in ctx.changes if c.action is Action.PROGRESS
                  and stage_of(c.level) >= 2 and (today - c.day).days < 7)
        if ups >= MAX_UPS_PER_7_DAYS:
            holds.reasons.append(_r(ReasonCode.MAX_LEVELS_PER_WEEK, ups=ups,
                                    max=MAX_UPS_PER_7_DAYS))

    if ctx.checkins:
        lc = ctx.checkins[-1]
        if (today - lc.day).days <= 1 and (
                (lc.sleep_hours is not None and lc.sleep_hours < POOR_SLEEP_HOURS)
                or lc.mood <= POOR_MOOD):
            holds.reasons.append(_r(ReasonCode.POOR_RECOVERY,
                                    sleep_hours=lc.sleep_hours or 0.0, mood=lc.mood))

    if ctx.stage >= 4 and _is_deload_week(ctx, _week_start(today)):
        holds.reasons.append(_r(ReasonCode.DELOAD_WEEK, build_weeks=BUILD_WEEKS_BEFORE_DELOAD))
        holds.reduced = True


def _hold_for_next_stage(ctx: _Ctx, holds: Holds, nxt: int) -> list[Reason]:
    """When the next level is in a new stage (or after a 28-day gap): a recent reassessment,
    the stage's gates passed on it, and 14 days in stage 4 before stage 5. Returns the passed
    gates' reasons; a missing or due reassessment sets the weekly check."""
    today = ctx.today
    level = ctx.level
    passed: list[Reason] = []
    gate_level = level if stage_of(nxt) != ctx.stage else None
    restart = _restart_gate_day(ctx)
    if gate_level is None and restart is not None:
        gate_level = first_level_of_stage(2) - 1  # the ready-to-run tests, again
    if level < MAX_LEVEL and gate_level is not None:
        r = _latest_reassessment(ctx)
        stale = r is None or (today - r.day).days > REASSESSMENT_MAX_AGE_DAYS
        if r is None or stale or (restart is not None and r.day < restart):
            holds.reasons.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                                    max_age_days=REASSESSMENT_MAX_AGE_DAYS))
            holds.weekly(today)
        else:
            gates = evaluate_gates(ctx.profile, r, gate_level)
            failed = [g for g in gates if not g.passed]
            if failed:
                holds.reasons += [_gate_reason(ReasonCode.GATE_FAILED, g) for g in failed]
                retest = r.day + timedelta(days=RETEST_READY_DAYS if stage_of(gate_level) <= 1
                                           else REASSESSMENT_MAX_AGE_DAYS)
                if today >= retest or not all(tested(g) for g in failed):
                    # a test not done yet, or the retest is due: the reassessment comes now
                    holds.reasons.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                                            max_age_days=REASSESSMENT_MAX_AGE_DAYS))
                    holds.weekly(today)
                else:
                    holds.weekly(retest)
            else:
                passed = [_gate_reason(ReasonCode.GATE_PASSED, g) for g in gates]
        if stage_of(nxt) == 5:
            days = (today - _stage4_since(ctx)).days
            if days < STAGE4_STABLE_DAYS:
                holds.reasons.append(_r(ReasonCode.STAGE_STABILITY_NEEDED, days=days,
                                        needed=STAGE4_STABLE_DAYS))
    return passed
