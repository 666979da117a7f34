"""The decision core: `decide`, `start`, `plan_week`, `is_urgent`.

Pure: today's date and the history come in, a Decision with machine-readable reasons
comes out. No clock, no I/O, no randomness.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter

from .enums import (
    Action,
    CheckAgain,
    Compare,
    Cue,
    Injury,
    Outcome,
    ReasonCode,
    RedFlag,
    Side,
    Swelling,
)
from .gates import evaluate_gates
from .injuries import InjuryRules, rules_for
from .ladder import (
    LADDER,
    MAX_LEVEL,
    clamp_level,
    cross_prescription,
    first_level_of_stage,
    is_strength_day,
    prescription_for,
    recovery_prescription,
    rest_prescription,
    running_minutes_of,
    running_minutes_table,
    stage_of,
    total_minutes_table,
)
from .load import running_minutes_done
from .models import (
    CheckIn,
    DayPlan,
    Decision,
    Gate,
    History,
    MorningCheck,
    Prescription,
    Profile,
    Reason,
    Reassessment,
    Value,
)

_RUN_TABLE = running_minutes_table()
_TOTAL_TABLE = total_minutes_table()
RUN_WINDOW_DAYS = 56  # running history indexed for cap/deload/spacing (covers 5 weeks back)

# ---- constants (documented in docs/protocol.md)
MAX_UPS_PER_7_DAYS = 2
MAX_RUNS_PER_WEEK = 4
GAP_ONE_LEVEL_DAYS = 7
GAP_TWO_LEVELS_DAYS = 14
SWELLING_MAX_DAYS = 3  # > 72 h
REASSESSMENT_MAX_AGE_DAYS = 7
STAGE4_STABLE_DAYS = 14
WEEKLY_CAP_STEP_MIN = 10
WEEKLY_CAP_PCT_ABOVE_MIN = 60  # above this weekly volume the step is min(10 min, 10 %)
WEEKLY_CAP_FLOOR_MIN = 20  # baseline allowance when last week had (almost) no running
BUILD_WEEKS_BEFORE_DELOAD = 3
TREND_WORSE_BY = 1.0  # mean weekly pain rising by >= 1 point
TREND_MIN_SESSIONS = 2
TREND_MIN_MEAN = 2.0  # ...and this week's mean pain is at least 2/10
POOR_SLEEP_HOURS = 5.0
POOR_MOOD = 1
STAGE5_EASY_LEVEL = first_level_of_stage(4) + 4  # 45 min easy between intensity sessions
_RUNNING_STAGES_NO_B2B = (2, 3)


def is_urgent(flags: frozenset[RedFlag]) -> bool:
    """Chest pain or sudden breathlessness: emergency care now, not a clinic visit."""
    return RedFlag.CHEST_OR_BREATH in flags


def _r(code: ReasonCode, **values: Value) -> Reason:
    return Reason(code, tuple(values.items()))


@lru_cache(maxsize=4096)
def _rx(level: int, injury: Injury, reduced: bool, strength: bool) -> Prescription:
    profile = Profile(injury, Side.BOTH, None, 0, 0, 0, 0, 1)
    return prescription_for(level, profile, reduced=reduced, strength=strength)


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


class _Ctx:
    """Sorted, pre-indexed view of a History at `today` (built once per decide call)."""

    __slots__ = (
        "changes",
        "checkins",
        "injury",
        "last_step_back",
        "level",
        "level_since",
        "morning_by_run_day",
        "mornings",
        "profile",
        "reassessments",
        "red_flags",
        "rules",
        "run_days",
        "run_min",
        "run_offset",
        "run_week",
        "stage",
        "today",
    )

    def __init__(self, h: History, today: date) -> None:
        self.today = today
        self.profile = h.profile
        self.injury = h.profile.injury
        self.rules: InjuryRules = rules_for(h.profile.injury)
        self.level = clamp_level(h.level)
        self.stage = LADDER[self.level].stage
        self.level_since = h.level_since
        key = _day_key
        self.checkins: list[CheckIn] = sorted(h.checkins, key=key)
        if self.checkins and self.checkins[-1].day > today:
            self.checkins = [c for c in self.checkins if c.day <= today]
        self.mornings: list[MorningCheck] = sorted(h.mornings, key=key)
        if self.mornings and self.mornings[-1].day > today:
            self.mornings = [m for m in self.mornings if m.day <= today]
        self.reassessments: list[Reassessment] = sorted(
            (r for r in h.reassessments if r.day <= today), key=key)
        self.changes = sorted((c for c in h.level_changes if c.day <= today), key=key)
        self.red_flags = sorted((f for f in h.red_flags if f.day <= today), key=key)
        self.morning_by_run_day: dict[date, MorningCheck] = {m.run_day: m for m in self.mornings}
        # running data is only needed for the recent weeks (cap, deload, spacing) and the
        # last run day (gaps): index the last RUN_WINDOW_DAYS only
        checkins = self.checkins
        cutoff = today - timedelta(days=RUN_WINDOW_DAYS)
        off = len(checkins)
        while off > 0 and checkins[off - 1].day >= cutoff:
            off -= 1
        self.run_offset = off
        run_days: list[date] = []
        for j in range(off - 1, -1, -1):
            if running_minutes_done(checkins[j]) > 0:
                run_days.append(checkins[j].day)
                break
        run_week: dict[int, int] = {}
        run_min: list[int] = []
        last_day: date | None = None
        wk = 0
        skipped, cross, shorter = Outcome.SKIPPED, Outcome.CROSS, Outcome.SHORTER
        run_table = _RUN_TABLE
        top = MAX_LEVEL
        for c in checkins[off:] if off else checkins:
            o = c.outcome
            if o is skipped or o is cross:
                run_min.append(0)
                continue
            rm = c.running_minutes
            if rm is None:
                lvl = c.level
                lvl = 0 if lvl < 0 else top if lvl > top else lvl
                rm = run_table[lvl]
                if rm and o is shorter:
                    total = _TOTAL_TABLE[lvl]
                    frac = c.minutes / total if total > 0 and c.minutes > 0 else 0.0
                    rm = math.floor(rm * (frac if frac < 1.0 else 1.0))
            elif rm < 0:
                rm = 0
            run_min.append(rm)
            if rm > 0:
                day = c.day
                if day != last_day:
                    run_days.append(day)
                    last_day = day
                    wk = (day.toordinal() - 1) // 7
                run_week[wk] = run_week.get(wk, 0) + rm
        self.run_days = run_days
        self.run_week = run_week
        self.run_min = run_min
        sb = [c.day for c in self.changes if c.action is Action.STEP_BACK]
        self.last_step_back: date | None = sb[-1] if sb else None

    def fresh(self, day: date) -> bool:
        """An event not yet acted upon: after the current level started, after a step back."""
        if day < self.level_since:
            return False
        return self.last_step_back is None or day > self.last_step_back


_day_key = attrgetter("day")


# ---------------------------------------------------------------- helpers
def _is_green(ctx: _Ctx, c: CheckIn) -> bool:
    g = ctx.rules.green_pain_max
    if c.outcome is not Outcome.DONE or c.sharp_or_limp or c.swelling is not Swelling.NONE:
        return False
    if c.pain_during > g or c.pain_after > g:
        return False
    m = ctx.morning_by_run_day.get(c.day)
    return m is not None and _settled(m)


def _settled(m: MorningCheck) -> bool:
    return (m.pain is not Compare.WORSE and m.stiffness is not Compare.WORSE
            and m.swelling is Swelling.NONE and not m.night_pain)


def _runs_between(ctx: _Ctx, first: date, last: date, planned: list[date]) -> int:
    """Run days in [first, last] from history plus planned runs."""
    rd = ctx.run_days
    n = bisect_left(rd, last + timedelta(days=1)) - bisect_left(rd, first)
    return n + sum(1 for p in planned if first <= p <= last)


def _ran_on(ctx: _Ctx, d: date, planned: list[date]) -> bool:
    i = bisect_left(ctx.run_days, d)
    return (i < len(ctx.run_days) and ctx.run_days[i] == d) or d in planned


def _session_logged_on(ctx: _Ctx, d: date) -> bool:
    return any(c.day == d and c.outcome is not Outcome.SKIPPED for c in reversed(ctx.checkins[-4:]))


def _run_blockers(ctx: _Ctx, stage: int, d: date, planned: list[date]) -> tuple[bool, bool]:
    """(back-to-back problem, weekly run count reached) for a run on day d."""
    one = d - timedelta(days=1)
    if stage in _RUNNING_STAGES_NO_B2B:
        b2b = _ran_on(ctx, one, planned)
    else:  # stages 4-5: never three days in a row
        b2b = _ran_on(ctx, one, planned) and _ran_on(ctx, d - timedelta(days=2), planned)
    runs_cap = min(MAX_RUNS_PER_WEEK, max(1, ctx.profile.run_days_per_week))
    full = _runs_between(ctx, d - timedelta(days=6), one, planned) >= runs_cap
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
    """Stage 5: an easy run unless the last intensity session is at least 3 days old."""
    if stage_of(level) != 5:
        return level
    recent = any(c.day >= d - timedelta(days=2) and stage_of(c.level) == 5
                 and c.outcome in (Outcome.DONE, Outcome.SHORTER) for c in ctx.checkins[-4:])
    recent = recent or any(p >= d - timedelta(days=2) and p < d for p in planned)
    return STAGE5_EASY_LEVEL if recent else level


MIN_CAPPED_RUN_MIN = 10


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
    for attempt in range(3):
        base = _base_level(ctx, level, d, planned_hard)
        easy = base != level
        rx = _rx(base, ctx.injury, reduced, is_strength_day(d, stage))
        limit, used, last = _cap_for(ctx, d, planned_minutes)
        remaining = limit - used
        if rx.running_minutes <= remaining:
            return d, rx, info, easy
        info = (limit, used, rx.running_minutes, last)
        fit = _fit_level(base, remaining)
        capped = _rx(fit, ctx.injury, reduced, is_strength_day(d, stage))
        capped = replace(capped, capped=True, cues=(*capped.cues, Cue.CAPPED_SESSION))
        enough = capped.running_minutes >= max(MIN_CAPPED_RUN_MIN, rx.running_minutes // 2)
        if enough or attempt == 2:
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


def _week_running(ctx: _Ctx, week_start: date) -> int:
    return ctx.run_week.get((week_start.toordinal() - 1) // 7, 0)


def _is_deload_week(ctx: _Ctx, week_start: date) -> bool:
    """A lighter week after 3 build weeks (each of the 3 previous weeks ran more than the one
    before it)."""
    wk = (week_start.toordinal() - 1) // 7
    get = ctx.run_week.get
    r = [get(wk - k, 0) for k in range(1, BUILD_WEEKS_BEFORE_DELOAD + 2)]
    return r[-1] > 0 and all(r[i] > r[i + 1] for i in range(BUILD_WEEKS_BEFORE_DELOAD))


def weekly_cap(last_week: int) -> int:
    """Allowed running minutes this week given last week's (conservative 10 min / 10 %)."""
    base = max(last_week, WEEKLY_CAP_FLOOR_MIN)
    step = WEEKLY_CAP_STEP_MIN
    if last_week > WEEKLY_CAP_PCT_ABOVE_MIN:
        step = min(step, last_week // 10)
    return base + step


def _cap_for(ctx: _Ctx, d: date, planned: dict[date, int]) -> tuple[int, int, int]:
    """(limit, used this calendar week before d, last week's running minutes)."""
    ws = _week_start(d)
    last = _week_running(ctx, ws - timedelta(days=7))
    if _is_deload_week(ctx, ws - timedelta(days=7)):
        last = max(last, _week_running(ctx, ws - timedelta(days=14)))
    used = 0
    off = ctx.run_offset
    for i in range(len(ctx.checkins) - 1, off - 1, -1):
        day = ctx.checkins[i].day
        if day < ws:
            break
        if day < d:
            used += ctx.run_min[i - off]
    used += sum(v for k, v in planned.items() if ws <= k < d)
    return weekly_cap(last), used, last


def _fit_level(level: int, remaining: int) -> int:
    for lvl in range(level, -1, -1):
        if running_minutes_of(lvl) <= remaining:
            return lvl
    return 0  # pragma: no cover - stage 0/1 levels never run


def _latest_reassessment(ctx: _Ctx) -> Reassessment | None:
    return ctx.reassessments[-1] if ctx.reassessments else None


def _stage4_since(ctx: _Ctx) -> date:
    since = ctx.level_since
    for ch in reversed(ctx.changes):
        if stage_of(ch.level) >= 4:
            since = min(since, ch.day)
        else:
            break
    return since


# ---------------------------------------------------------------- decision assembly
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
    if earliest is None:
        earliest = today + timedelta(days=1) if _session_logged_on(ctx, today) else today
    if running_minutes_of(level) > 0:
        sdate, rx, info, easy = _place_run(ctx, level, earliest, reduced, [], {}, [])
        if info is not None and action is Action.PROGRESS:
            limit, used, planned, last = info
            reasons[:] = [_r(ReasonCode.WEEKLY_MINUTES_CAP, limit=limit, used=used,
                             planned=planned, last_week=last)]
            return _decision(ctx, Action.REPEAT, ctx.level, reasons, earliest=earliest,
                             reduced=reduced, check=check, check_date=check_date)
        if sdate != earliest:
            b2b, full = _run_blockers(ctx, stage, earliest, [])
            if b2b:
                reasons.append(_r(ReasonCode.NO_BACK_TO_BACK))
            if full:
                reasons.append(_r(ReasonCode.RUNS_PER_WEEK_LIMIT, max=min(
                    MAX_RUNS_PER_WEEK, max(1, ctx.profile.run_days_per_week))))
        if easy:
            reasons.append(_r(ReasonCode.EASY_BETWEEN_HARD))
        if info is not None and not any(r.code is ReasonCode.WEEKLY_MINUTES_CAP
                                        for r in reasons):
            limit, used, planned, last = info
            reasons.append(_r(ReasonCode.WEEKLY_MINUTES_CAP, limit=limit, used=used,
                              planned=planned, last_week=last))
    else:
        sdate = _session_date(ctx, level, earliest, reasons)
        rx = _rx(level, ctx.injury, reduced, is_strength_day(sdate, stage))
    if check is None:
        check, check_date = CheckAgain.H24, sdate + timedelta(days=1)
    elif check_date is None:
        check_date = today + timedelta(days=2 if check is CheckAgain.H48 else 1)
    if not reasons:  # pragma: no cover - callers always give a reason
        reasons.append(_r(ReasonCode.MORE_GREEN_SESSIONS_NEEDED, count=0, needed=0))
    return Decision(action, level, stage, rx, sdate, check, check_date, tuple(reasons))


def _flags_value(flags: frozenset[RedFlag]) -> str:
    return ",".join(sorted(str(f) for f in flags))


# ---------------------------------------------------------------- decide
def decide(history: History, today: date) -> Decision:
    """The next step for the runner, given everything logged up to and including `today`."""
    return _decide(_Ctx(history, today))


def _decide(ctx: _Ctx) -> Decision:
    today = ctx.today
    level = ctx.level
    rules = ctx.rules
    one_down = clamp_level(level - 1)
    h48 = CheckAgain.H48
    tomorrow = today + timedelta(days=1)

    # 1. red flags: refer (latest screening wins; an empty report clears)
    if ctx.red_flags:
        latest = ctx.red_flags[-1]
        if latest.flags:
            return _decision(ctx, Action.REFER, level, [_r(
                ReasonCode.RED_FLAG, flags=_flags_value(latest.flags),
                urgent=int(is_urgent(latest.flags)))])
        if any(f.flags and ctx.fresh(f.day) for f in ctx.red_flags) and ctx.stage > 0:
            return _decision(ctx, Action.STEP_BACK, 0, [_r(ReasonCode.RED_FLAG_CLEARED)],
                             check=h48)

    # 2. night pain: rest until symptom-free (refer for shin pain), then resume one level lower
    if ctx.mornings:
        latest_m = ctx.mornings[-1]
        if latest_m.night_pain:  # rest until a morning check says it has gone
            if rules.night_pain_refers:
                return _decision(ctx, Action.REFER, level, [
                    _r(ReasonCode.BONE_STRESS_SUSPECTED, injury=str(ctx.injury)),
                    _r(ReasonCode.NIGHT_PAIN, day=latest_m.day.isoformat())])
            return _decision(ctx, Action.REST, level,
                             [_r(ReasonCode.NIGHT_PAIN, day=latest_m.day.isoformat())])
        if _fresh_night_pain(ctx):
            return _decision(ctx, Action.STEP_BACK, one_down,
                             [_r(ReasonCode.NIGHT_PAIN_RESOLVED)], check=h48)

    # 3. swelling lasting more than 72 h: rest, then resume one level lower
    sw = _swelling_state(ctx)
    if sw is not None:
        days, ongoing = sw
        if ongoing:
            return _decision(ctx, Action.REST, level, [_r(ReasonCode.SWELLING_72H, days=days)])
        return _decision(ctx, Action.STEP_BACK, one_down,
                         [_r(ReasonCode.SWELLING_72H, days=days)], check=h48)

    # 3b. pain at rest or in daily activities (weekly reassessment): back to stage 0
    r = _latest_reassessment(ctx)
    if (r is not None and ctx.stage > 0 and ctx.fresh(r.day)
            and ((r.rest_pain or 0) > 0 or (r.daily_pain or 0) > 0)):
        return _decision(ctx, Action.STEP_BACK, first_level_of_stage(0), [_r(
            ReasonCode.REST_OR_DAILY_PAIN, rest_pain=r.rest_pain or 0,
            walk_pain=r.daily_pain or 0)], check=h48)

    # 4. gap without running: 7+ days one level lower, 14+ days two (not below walk/run entry)
    if ctx.stage >= 2 and ctx.run_days:
        ref = max(ctx.run_days[-1], ctx.level_since)
        gap = (today - ref).days - 1  # whole days without running
        floor = first_level_of_stage(2)
        if gap >= GAP_TWO_LEVELS_DAYS and level > floor:
            return _decision(ctx, Action.STEP_BACK, max(floor, level - 2),
                             [_r(ReasonCode.GAP_14_DAYS, days=gap)], check=h48)
        if gap >= GAP_ONE_LEVEL_DAYS and level > floor:
            return _decision(ctx, Action.STEP_BACK, max(floor, level - 1),
                             [_r(ReasonCode.GAP_7_DAYS, days=gap)], check=h48)

    # 5. the latest session at (or below) the current level
    holds: list[Reason] = []
    reduced = False
    check: CheckAgain | None = None
    last = _latest_session(ctx)
    if last is not None:
        ceiling = rules.pain_ceiling
        green = rules.green_pain_max
        if last.sharp_or_limp:
            return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                ReasonCode.SHARP_OR_LIMP, day=last.day.isoformat())], check=h48,
                earliest=tomorrow)
        if last.pain_during > ceiling:
            return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                ReasonCode.PAIN_DURING_OVER_CEILING, pain=last.pain_during, ceiling=ceiling)],
                check=h48, earliest=tomorrow)
        if last.pain_after > ceiling:
            return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                ReasonCode.PAIN_AFTER_OVER_CEILING, pain=last.pain_after, ceiling=ceiling)],
                check=h48, earliest=tomorrow)
        if last.swelling is Swelling.VISIBLE:
            return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                ReasonCode.SWELLING_AFTER_SESSION, swelling=str(last.swelling))],
                check=h48, earliest=tomorrow)
        symptomatic = (last.pain_during > green or last.pain_after > green
                       or last.swelling is not Swelling.NONE)
        if symptomatic and last.level == level and _just_progressed(ctx):
            return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                ReasonCode.SYMPTOMS_AFTER_PROGRESS, pain_during=last.pain_during,
                pain_after=last.pain_after, swelling=str(last.swelling))],
                check=h48, earliest=tomorrow)
        m = ctx.morning_by_run_day.get(last.day)
        if m is not None:
            if m.pain is Compare.WORSE or m.swelling is Swelling.VISIBLE:
                return _decision(ctx, Action.STEP_BACK, one_down, [_r(
                    ReasonCode.WORSE_ON_WAKING, pain=str(m.pain), stiffness=str(m.stiffness),
                    swelling=str(m.swelling))], check=h48, earliest=tomorrow)
            if not _settled(m):
                return _decision(ctx, Action.REPEAT, level, [_r(
                    ReasonCode.NOT_SETTLED_NEXT_MORNING, pain=str(m.pain),
                    stiffness=str(m.stiffness), swelling=str(m.swelling))],
                    reduced=True, check=h48, check_date=max(today, last.day + timedelta(days=2)),
                    earliest=max(today, last.day + timedelta(days=2)))
        if last.pain_after > green:
            holds.append(_r(ReasonCode.SORENESS_AFTER, pain=last.pain_after, safe_max=green))
            reduced = True
            check = CheckAgain.H24
        elif last.pain_during > green:
            holds.append(_r(ReasonCode.PAIN_ACCEPTABLE_ZONE, pain=last.pain_during,
                            safe_max=green, ceiling=ceiling))
        if last.outcome is Outcome.SHORTER and last.pain_during > 0:
            holds.append(_r(ReasonCode.SPLIT_SESSION, minutes=last.minutes))
        if last.swelling is Swelling.MILD:
            holds.append(_r(ReasonCode.SWELLING_AFTER_SESSION, swelling=str(last.swelling)))

    # 6. worsening weekly trend: rest, then a lower level (once a week at most)
    trend = _pain_trend(ctx)
    if trend is not None:
        this_w, last_w = trend
        if this_w - last_w >= TREND_WORSE_BY and this_w >= TREND_MIN_MEAN:
            reason = _r(ReasonCode.WORSENING_TREND, this_week=round(this_w, 1),
                        last_week=round(last_w, 1))
            recent_down = ctx.last_step_back is not None and (
                today - ctx.last_step_back).days < 7
            if not recent_down and level > 0:
                return _decision(ctx, Action.STEP_BACK, one_down, [reason], check=h48,
                                 earliest=today + timedelta(days=1))
            holds.append(reason)

    if holds:
        return _decision(ctx, Action.REPEAT, level, holds, reduced=reduced, check=check)

    # 7. progression criteria
    return _progress_or_hold(ctx)


def _fresh_night_pain(ctx: _Ctx) -> bool:
    for m in reversed(ctx.mornings):
        if m.day < ctx.level_since:
            return False
        if m.night_pain and ctx.fresh(m.day):
            return True
    return False


def _latest_session(ctx: _Ctx) -> CheckIn | None:
    for c in reversed(ctx.checkins):
        if c.outcome is Outcome.SKIPPED or c.outcome is Outcome.CROSS:
            continue  # the prescribed session is the one that counts
        if c.level <= ctx.level and c.day >= ctx.level_since:
            return c
        return None
    return None


def _just_progressed(ctx: _Ctx) -> bool:
    if not ctx.changes:
        return False
    lc = ctx.changes[-1]
    return lc.action is Action.PROGRESS and lc.level == ctx.level


def _swelling_state(ctx: _Ctx) -> tuple[int, bool] | None:
    """(days, ongoing) for a swelling spell longer than 72 h that still needs acting on.

    Report days come from check-ins and morning checks; a day is swollen when any report of
    that day mentions swelling. A spell is a run of swollen report days with no swelling-free
    report day in between. Scans backwards and stops as soon as the answer is known."""
    cs, ms = ctx.checkins, ctx.mornings
    ci, mi = len(cs) - 1, len(ms) - 1
    none = Swelling.NONE
    floor = ctx.level_since
    if ctx.last_step_back is not None and ctx.last_step_back >= floor:
        floor = ctx.last_step_back + timedelta(days=1)
    latest: bool | None = None
    end: date | None = None
    start: date | None = None
    while ci >= 0 or mi >= 0:
        use_c = mi < 0 or (ci >= 0 and cs[ci].day >= ms[mi].day)
        day = cs[ci].day if use_c else ms[mi].day
        swollen = False
        while ci >= 0 and cs[ci].day == day:
            swollen = swollen or cs[ci].swelling is not none
            ci -= 1
        while mi >= 0 and ms[mi].day == day:
            swollen = swollen or ms[mi].swelling is not none
            mi -= 1
        if latest is None:
            latest = swollen
        if swollen:
            if end is None:
                end = day
            start = day
            continue
        if end is not None and start is not None:  # a spell [start, end] just closed
            verdict = _spell_verdict(latest, end, start, floor)
            if verdict is not None or latest:
                return verdict
            end = start = None
        if day < floor:
            return None
    if end is not None and start is not None:
        return _spell_verdict(bool(latest), end, start, floor)
    return None


def _spell_verdict(latest: bool | None, end: date, start: date,
                   floor: date) -> tuple[int, bool] | None:
    days = (end - start).days
    if latest:  # the newest spell is still going on
        return (days, True) if days >= SWELLING_MAX_DAYS else None
    if days >= SWELLING_MAX_DAYS and end >= floor:
        return days, False
    return None


def _pain_trend(ctx: _Ctx) -> tuple[float, float] | None:
    today = ctx.today
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
    return sum(a) / len(a), sum(b) / len(b)


def _progress_or_hold(ctx: _Ctx) -> Decision:
    today = ctx.today
    level = ctx.level
    spec = LADDER[level]
    holds: list[Reason] = []
    check: CheckAgain | None = None
    check_date: date | None = None

    greens = 0
    pending: date | None = None
    since = ctx.level_since
    for c in reversed(ctx.checkins):
        if c.day < since:
            break
        if c.level != level:
            continue
        if _is_green(ctx, c):
            greens += 1
        elif (c.outcome is Outcome.DONE and c.day not in ctx.morning_by_run_day
              and (today - c.day).days <= 1):
            pending = c.day
    # safety net: never move up within a day of a session with warning pain, whatever its level
    ceiling = ctx.rules.pain_ceiling
    for c in reversed(ctx.checkins):
        if (today - c.day).days > 1:
            break
        if c.outcome is Outcome.SKIPPED:
            continue
        if c.sharp_or_limp:
            holds.append(_r(ReasonCode.SHARP_OR_LIMP, day=c.day.isoformat()))
        elif c.pain_during > ceiling:
            holds.append(_r(ReasonCode.PAIN_DURING_OVER_CEILING, pain=c.pain_during,
                            ceiling=ceiling))
        elif c.pain_after > ceiling:
            holds.append(_r(ReasonCode.PAIN_AFTER_OVER_CEILING, pain=c.pain_after,
                            ceiling=ceiling))
        else:
            continue
        break
    needed = spec.greens_needed
    if greens < needed:
        holds.append(_r(ReasonCode.MORE_GREEN_SESSIONS_NEEDED, count=greens, needed=needed))
        if pending is not None:
            holds.append(_r(ReasonCode.MORNING_CHECK_PENDING, run_day=pending.isoformat()))
    if level >= MAX_LEVEL:
        holds.append(_r(ReasonCode.TOP_OF_LADDER, level=level))

    ups = sum(1 for c in ctx.changes
              if c.action is Action.PROGRESS and (today - c.day).days < 7)
    if ups >= MAX_UPS_PER_7_DAYS:
        holds.append(_r(ReasonCode.MAX_LEVELS_PER_WEEK, ups=ups, max=MAX_UPS_PER_7_DAYS))

    if ctx.checkins:
        lc = ctx.checkins[-1]
        if (today - lc.day).days <= 1 and (
                (lc.sleep_hours is not None and lc.sleep_hours < POOR_SLEEP_HOURS)
                or lc.mood <= POOR_MOOD):
            holds.append(_r(ReasonCode.POOR_RECOVERY, sleep_hours=lc.sleep_hours or 0.0,
                            mood=lc.mood))

    reduced = False
    if ctx.stage >= 4 and _is_deload_week(ctx, _week_start(today)):
        holds.append(_r(ReasonCode.DELOAD_WEEK, build_weeks=BUILD_WEEKS_BEFORE_DELOAD))
        reduced = True

    passed: list[Reason] = []
    nxt = clamp_level(level + 1)
    if level < MAX_LEVEL and stage_of(nxt) != ctx.stage:
        r = _latest_reassessment(ctx)
        if r is None or (today - r.day).days > REASSESSMENT_MAX_AGE_DAYS:
            holds.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                            max_age_days=REASSESSMENT_MAX_AGE_DAYS))
            check, check_date = CheckAgain.WEEKLY, today
        else:
            gates = evaluate_gates(ctx.profile, r, level)
            failed = [g for g in gates if not g.passed]
            if failed:
                holds += [_gate_reason(ReasonCode.GATE_FAILED, g) for g in failed]
                check, check_date = CheckAgain.WEEKLY, r.day + timedelta(days=7)
            else:
                passed = [_gate_reason(ReasonCode.GATE_PASSED, g) for g in gates]
        if stage_of(nxt) == 5:
            days = (today - _stage4_since(ctx)).days
            if days < STAGE4_STABLE_DAYS:
                holds.append(_r(ReasonCode.STAGE_STABILITY_NEEDED, days=days,
                                needed=STAGE4_STABLE_DAYS))

    if holds:
        return _decision(ctx, Action.REPEAT, level, holds, reduced=reduced, check=check,
                         check_date=check_date)
    reasons = [_r(ReasonCode.GREEN_SESSIONS, count=greens, needed=needed), *passed]
    return _decision(ctx, Action.PROGRESS, nxt, reasons)


def _gate_reason(code: ReasonCode, g: Gate) -> Reason:
    return Reason(code, (("gate", str(g.code)), *g.values))


# ---------------------------------------------------------------- onboarding
def start(profile: Profile, red_flags: frozenset[RedFlag], tests: Reassessment | None,
          today: date) -> Decision:
    """Starting level and first prescription. Red flags refer; pain at rest or in daily
    activities starts in stage 0; a pain-free 30-min walk starts at the top of stage 1;
    passed ready-to-run tests start at the first walk/run level."""
    history = History(profile, 0, today)
    ctx = _Ctx(history, today)
    if red_flags:
        return _decision(ctx, Action.REFER, 0, [_r(
            ReasonCode.RED_FLAG, flags=_flags_value(red_flags), urgent=int(is_urgent(red_flags)))])
    reasons: list[Reason] = []
    if profile.rest_pain > 0 or profile.walk_pain > 0:
        level = first_level_of_stage(0)
        reasons.append(_r(ReasonCode.REST_OR_DAILY_PAIN, rest_pain=profile.rest_pain,
                          walk_pain=profile.walk_pain))
    else:
        level = first_level_of_stage(1)
        if tests is not None:
            top_walk = first_level_of_stage(2) - 1
            gates = evaluate_gates(profile, tests, top_walk)
            if all(g.passed for g in gates):
                level = first_level_of_stage(2)
                reasons += [_gate_reason(ReasonCode.GATE_PASSED, g) for g in gates]
            else:
                if tests.walk_pain == 0:
                    level = top_walk
                reasons += [_gate_reason(ReasonCode.GATE_FAILED, g) for g in gates
                            if not g.passed]
    ctx.level, ctx.stage = level, stage_of(level)
    reasons.insert(0, _r(ReasonCode.STARTING_LEVEL, level=level, stage=stage_of(level)))
    return _decision(ctx, Action.REPEAT, level, reasons)


# ---------------------------------------------------------------- the week ahead
def plan_week(history: History, today: date) -> tuple[DayPlan, ...]:
    """The next 7 days from `today`: the decided session first, then the same level on the
    following valid days (runs never back to back in stages 2-3, at most 4 runs in any
    7 days, preferred days respected, weekly running cap applied); cross-training or
    recovery on the other days, strength on strength days."""
    ctx = _Ctx(history, today)
    d = _decide(ctx)
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
    while cursor <= days[-1]:
        if running:
            nd, rx, _, easy = _place_run(ctx, level, cursor, d.prescription.reduced,
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
                plan[cursor] = _rx(level, ctx.injury, d.prescription.reduced,
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
