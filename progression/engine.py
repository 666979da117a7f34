"""The decision core: `decide`, `start`, `plan_week`, `is_urgent`.

Pure: today's date and the history come in, a Decision with machine-readable reasons
comes out. No clock, no I/O, no randomness.

Events (a session with warning pain, a bad morning, night pain that resolved, a long swelling,
rest pain at a reassessment, a gap, a clinician's clearance) are acted on once: the reason that
acts on one carries its `event_day`, the stored decision keeps it (`History.past`), and a later
decision sees that it was handled. A red-flag referral is not an event that fades: it holds
until the runner confirms a clinician cleared them.
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
from .gates import evaluate_gates, tested
from .injuries import InjuryRules, rules_for
from .ladder import (
    LADDER,
    MAX_LEVEL,
    WARM_UP_WALK_MIN,
    cadence_target,
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
    PastDecision,
    Prescription,
    Profile,
    Reason,
    Reassessment,
    Segment,
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
GAP_RESTART_DAYS = 28  # back to the walk/run entry and a reassessment
SWELLING_MAX_DAYS = 3  # > 72 h
EVENT_MAX_AGE_DAYS = 7  # a resolved episode older than this is no longer acted on
WARNING_BLOCK_DAYS = 2  # no progress within 48 h of warning pain in any session
REASSESSMENT_MAX_AGE_DAYS = 7
RETEST_READY_DAYS = 3  # failed ready-to-run tests are retried after 3 days (other gates: 7)
STAGE4_STABLE_DAYS = 14
WEEKLY_CAP_STEP_MIN = 10
WEEKLY_CAP_PCT = 10  # +10 % a week once 10 % is more than 10 min
WEEKLY_CAP_PCT_ABOVE_MIN = 60  # novices: above this weekly volume the step is min(10 min, 10 %)
WEEKLY_CAP_FLOOR_MIN = 20  # novices: baseline allowance when last week had (almost) no running
LADDER_SHARE_PCT = 75  # stages 2-3: up to 3/4 of the pre-injury weekly volume
DELOAD_FRACTION = 0.8  # a lighter week runs at most 80 % of the week before
BUILD_WEEKS_BEFORE_DELOAD = 3
REST_PAIN_RESET = 3  # rest pain at or above this at a reassessment: back to stage 0
TREND_WORSE_BY = 1.0  # mean weekly pain rising by >= 1 point
TREND_MIN_SESSIONS = 2
TREND_MIN_OVER_GREEN = 3  # ...with at least 3 sessions above the green limit in the 2 weeks
ESCALATE_STEP_BACKS = 3  # step-backs in ESCALATE_WINDOW_DAYS that call for a clinician review
ESCALATE_WINDOW_DAYS = 28
ESCALATE_NO_PROGRESS_DAYS = 28
ESCALATE_MIN_SESSIONS = 4  # sessions logged in those 4 weeks (the runner was training)
POOR_SLEEP_HOURS = 5.0
POOR_MOOD = 1
STAGE5_EASY_LEVEL = first_level_of_stage(5) - 1  # the longest easy run, trimmed by the cap
_RUNNING_STAGES_NO_B2B = (2, 3)

# Events of one run (its check-in and the next morning): one step back per run, whichever
# sign came first.
RUN_EVENTS = frozenset({
    ReasonCode.SHARP_OR_LIMP,
    ReasonCode.PAIN_DURING_OVER_CEILING,
    ReasonCode.PAIN_AFTER_OVER_CEILING,
    ReasonCode.SWELLING_AFTER_SESSION,
    ReasonCode.SYMPTOMS_AFTER_PROGRESS,
    ReasonCode.WORSE_ON_WAKING,
})
_STOPS = (Action.STEP_BACK, Action.REST, Action.REFER)


def is_urgent(flags: frozenset[RedFlag]) -> bool:
    """Chest pain or sudden breathlessness: emergency care now, not a clinic visit."""
    return RedFlag.CHEST_OR_BREATH in flags


def _r(code: ReasonCode, **values: Value) -> Reason:
    return Reason(code, tuple(values.items()))


def _ev(code: ReasonCode, event_day: date, **values: Value) -> Reason:
    """A reason that acts on an event: carries the event's day so it is acted on once."""
    return Reason(code, (*values.items(), ("event_day", event_day.isoformat())))


@lru_cache(maxsize=4096)
def _rx(level: int, injury: Injury, reduced: bool, strength: bool) -> Prescription:
    profile = Profile(injury, Side.BOTH, None, 0, 0, 0, 0, 1)
    return prescription_for(level, profile, reduced=reduced, strength=strength)


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _wk(d: date) -> int:
    return (d.toordinal() - 1) // 7


class _Ctx:
    """Sorted, pre-indexed view of a History at `today` (built once per decide call)."""

    __slots__ = (
        "care_hold",
        "changes",
        "checkins",
        "deload_weeks",
        "handled",
        "handled_run_days",
        "injury",
        "last_run_day",
        "level",
        "level_since",
        "morning_by_run_day",
        "mornings",
        "past",
        "profile",
        "reassessments",
        "red_flags",
        "rules",
        "run_days",
        "run_min",
        "run_offset",
        "run_week",
        "stage",
        "stage_cap",
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
        self.care_hold = h.care_hold
        self.stage_cap = h.stage_cap
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
        # stable sort: same-day reports keep the order they were recorded in
        self.red_flags = sorted((f for f in h.red_flags if f.day <= today), key=key)
        self.past: list[PastDecision] = sorted((p for p in h.past if p.day <= today), key=key)
        self.handled = frozenset(e for p in self.past for e in p.events)
        self.handled_run_days = frozenset(d for c, d in self.handled if c in RUN_EVENTS)
        self.deload_weeks = frozenset(_wk(p.day) for p in self.past
                                      if ReasonCode.DELOAD_WEEK in p.codes)
        # the first answer about a run stands: a later morning check does not overwrite it
        by_run: dict[date, MorningCheck] = {}
        for m in self.mornings:
            by_run.setdefault(m.run_day, m)
        self.morning_by_run_day = by_run
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
                    wk = _wk(day)
                run_week[wk] = run_week.get(wk, 0) + rm
        self.run_days = run_days
        self.run_week = run_week
        self.run_min = run_min
        last_run = run_days[-1] if run_days else None
        if h.last_run_day is not None and h.last_run_day <= today and (
                last_run is None or h.last_run_day > last_run):
            last_run = h.last_run_day
        self.last_run_day: date | None = last_run

    def stopped_today(self) -> bool:
        """A step back, rest or referral was decided today (no run today then)."""
        today = self.today
        for p in reversed(self.past):
            if p.day < today:
                return False
            if p.action in _STOPS or p.events:
                return True
        return False


_day_key = attrgetter("day")


# ---------------------------------------------------------------- helpers
def _is_green(ctx: _Ctx, c: CheckIn) -> bool:
    """Done as planned, within the tissue's green limit, no sharp pain, limp or swelling, and
    settled by the next morning."""
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


def _recent(ctx: _Ctx, days: int) -> list[CheckIn]:
    """Non-skipped sessions of the last `days` days and today, newest first."""
    out: list[CheckIn] = []
    for c in reversed(ctx.checkins):
        if (ctx.today - c.day).days > days:
            break
        if c.outcome is not Outcome.SKIPPED:
            out.append(c)
    return out


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
    """Stage 5: an easy run unless the last intensity session is at least 3 days old."""
    if stage_of(level) != 5:
        return level
    recent = any(c.day >= d - timedelta(days=2) and stage_of(c.level) == 5
                 and c.outcome in (Outcome.DONE, Outcome.SHORTER) for c in ctx.checkins[-4:])
    recent = recent or any(p >= d - timedelta(days=2) and p < d for p in planned)
    return STAGE5_EASY_LEVEL if recent else level


MIN_CAPPED_RUN_MIN = 10


def _capped_stage(ctx: _Ctx, stage: int) -> bool:
    """The weekly running cap applies to every running stage."""
    return stage >= 2


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


def _capped_rx(ctx: _Ctx, level: int, rx: Prescription, remaining: int) -> Prescription:
    """The session shortened to the running minutes left this week. From continuous running
    on it is an easy continuous run of those minutes (whole 5 minutes); before that, the
    longest lower walk/run level that fits."""
    stage = stage_of(level)
    if stage >= 3 and remaining >= MIN_CAPPED_RUN_MIN:
        minutes = remaining - remaining % 5
        segs = (Segment("walk", WARM_UP_WALK_MIN), Segment("run", minutes))
        if stage == 5:  # no quality work in a shortened session: an easy run
            rx = _rx(STAGE5_EASY_LEVEL, ctx.injury, rx.reduced, bool(rx.strength))
        return replace(rx, segments=segs, total_minutes=round(WARM_UP_WALK_MIN) + minutes,
                       running_minutes=minutes, capped=True,
                       cues=(*rx.cues, Cue.CAPPED_SESSION))
    fit = _rx(_fit_level(level, remaining), ctx.injury, rx.reduced, bool(rx.strength))
    return replace(fit, capped=True, cues=(*fit.cues, Cue.CAPPED_SESSION))


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
    return ctx.run_week.get(_wk(week_start), 0)


def _is_deload_week(ctx: _Ctx, week_start: date) -> bool:
    """A lighter week after 3 build weeks (each of the 3 previous weeks ran more than the one
    before it), never two lighter weeks in a row."""
    wk = _wk(week_start)
    if wk - 1 in ctx.deload_weeks or wk - BUILD_WEEKS_BEFORE_DELOAD <= _wk(_stage4_since(ctx)):
        return False  # never two in a row; build weeks count from the start of stage 4
    get = ctx.run_week.get
    r = [get(wk - k, 0) for k in range(1, BUILD_WEEKS_BEFORE_DELOAD + 2)]
    return r[-1] > 0 and all(r[i] > r[i + 1] for i in range(BUILD_WEEKS_BEFORE_DELOAD))


def weekly_cap(last_week: int, pre_injury: int = 0) -> int:
    """Allowed running minutes this week given last week's.

    With a running history (`pre_injury` minutes a week before the injury): restart near half
    of it, then +10 min or +10 %, whichever is more, up to 10 % above it. Without one (a
    novice): +10 min on at least 20, and above 60 min no more than +10 %."""
    if pre_injury > 0:
        base = max(last_week, pre_injury // 2)
        step = max(WEEKLY_CAP_STEP_MIN, base * WEEKLY_CAP_PCT // 100)
        return min(base + step, max(pre_injury * (100 + WEEKLY_CAP_PCT) // 100, last_week))
    base = max(last_week, WEEKLY_CAP_FLOOR_MIN)
    step = WEEKLY_CAP_STEP_MIN
    if last_week > WEEKLY_CAP_PCT_ABOVE_MIN:
        step = min(step, last_week // 10)
    return base + step


def weekly_limit(last_week: int, pre_injury: int, stage: int) -> int:
    """The weekly cap at a stage. On the walk/run and continuous ladder (stages 2-3) a runner
    with a running history may run up to 3/4 of their pre-injury volume, since the ladder
    itself gates each step (2 green sessions a level, 2 levels a week at most)."""
    cap = weekly_cap(last_week, pre_injury)
    if stage in (2, 3) and pre_injury > 0:
        cap = max(cap, pre_injury * LADDER_SHARE_PCT // 100)
    return cap


def _cap_for(ctx: _Ctx, d: date, planned: dict[date, int],
             stage: int) -> tuple[int, int, int]:
    """(limit, used this calendar week before d, last week's running minutes)."""
    ws = _week_start(d)
    last = _week_running(ctx, ws - timedelta(days=7))
    base = last
    if _wk(ws) - 1 in ctx.deload_weeks:  # after a lighter week the engine prescribed
        base = max(last, _week_running(ctx, ws - timedelta(days=14)))
    limit = weekly_limit(base, ctx.profile.minutes_per_week_before, stage)
    if stage >= 4 and ctx.stage >= 4 and _is_deload_week(ctx, ws):
        limit = min(limit, math.floor(last * DELOAD_FRACTION))
    used = 0
    off = ctx.run_offset
    for i in range(len(ctx.checkins) - 1, off - 1, -1):
        day = ctx.checkins[i].day
        if day < ws:
            break
        if day < d:
            used += ctx.run_min[i - off]
    used += sum(v for k, v in planned.items() if ws <= k < d)
    return limit, used, last


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


def _flags_value(flags: frozenset[RedFlag]) -> str:
    return ",".join(sorted(str(f) for f in flags))


# ---------------------------------------------------------------- decide
def decide(history: History, today: date) -> Decision:
    """The next step for the runner, given everything logged up to and including `today`."""
    ctx = _Ctx(history, today)
    d = _care_team(ctx, _decide(ctx))
    if d.action is not Action.REFER:
        esc = _escalation(ctx, d)
        if esc is not None:
            d = replace(d, reasons=(*d.reasons, esc))
    return d


def _care_team(ctx: _Ctx, d: Decision) -> Decision:
    """A care-team member's stage cap and hold, applied to the engine's decision (a referral
    stands as it is): never a level above the cap (a runner above it steps back to the cap's
    last level), and no moving up while the plan is held."""
    if d.action is Action.REFER:
        return d
    cap = ctx.stage_cap
    if cap is not None and 0 <= cap < stage_of(MAX_LEVEL) and d.stage > cap:
        top = first_level_of_stage(cap + 1) - 1
        reason = _r(ReasonCode.STAGE_CAP, stage=cap)
        if d.action is Action.REST:  # a rest stays a rest (night pain, lasting swelling)
            return _decision(ctx, Action.REST, min(ctx.level, top), [*d.reasons, reason])
        if ctx.level > top:  # the events the decision acted on stay acted on
            events = [r for r in d.reasons if r.event is not None]
            return _decision(ctx, Action.STEP_BACK, top, [*events, reason],
                             check=CheckAgain.H48)
        held = [r for r in d.reasons if d.action is not Action.PROGRESS]
        d = _decision(ctx, Action.REPEAT, min(ctx.level, top), [*held, reason])
    elif cap is not None and d.stage == cap and not d.has(ReasonCode.STAGE_CAP):
        d = replace(d, reasons=(*d.reasons, _r(ReasonCode.STAGE_CAP, stage=cap)))
    if ctx.care_hold:
        hold = _r(ReasonCode.CARE_TEAM_HOLD)
        if d.action is Action.PROGRESS or d.level > ctx.level:  # a restart above, too
            return _decision(ctx, Action.REPEAT, ctx.level, [hold])
        if not d.has(ReasonCode.CARE_TEAM_HOLD):
            d = replace(d, reasons=(*d.reasons, hold))
    return d


def _open_referral(ctx: _Ctx) -> list[Reason] | None:
    """The reasons of a referral still open: a red flag (or, for shin pain, night pain)
    reported after the last clinician clearance. A clear screen does not close it."""
    flags: set[RedFlag] = set()
    since: date | None = None
    cleared: date | None = None
    for f in ctx.red_flags:
        if f.cleared_to_stage is not None:
            flags, since, cleared = set(), None, f.day
        elif f.flags:
            flags |= f.flags
            since = since or f.day
    night: date | None = None
    if ctx.rules.night_pain_refers:
        for m in ctx.mornings:
            if m.night_pain and (cleared is None or m.day > cleared):
                night = night or m.day
    reasons: list[Reason] = []
    if flags and since is not None:
        frozen = frozenset(flags)
        reasons.append(_r(ReasonCode.RED_FLAG, flags=_flags_value(frozen),
                          urgent=int(is_urgent(frozen)), since=since.isoformat()))
    if night is not None:
        reasons.append(_r(ReasonCode.BONE_STRESS_SUSPECTED, injury=str(ctx.injury),
                          since=night.isoformat()))
        reasons.append(_r(ReasonCode.NIGHT_PAIN, day=night.isoformat()))
    return reasons or None


def _clearance(ctx: _Ctx) -> Decision | None:
    """A clinician's clearance not yet acted on: restart at the first level of the stage it
    names (walking by default, protect if the clinician asked for less)."""
    latest = None
    referred = False
    for f in ctx.red_flags:
        if f.cleared_to_stage is not None:
            latest = f
        elif f.flags:
            referred = True
    if latest is None or latest.cleared_to_stage is None:
        return None
    if not referred and ctx.rules.night_pain_refers:
        referred = any(m.night_pain and m.day <= latest.day for m in ctx.mornings)
    if not referred or (ReasonCode.RED_FLAG_CLEARED, latest.day) in ctx.handled:
        return None
    stage = max(0, min(latest.cleared_to_stage, max(1, ctx.stage)))
    target = first_level_of_stage(stage)
    reason = _ev(ReasonCode.RED_FLAG_CLEARED, latest.day, stage=stage)
    if target < ctx.level:
        return _decision(ctx, Action.STEP_BACK, target, [reason], check=CheckAgain.H48)
    return _decision(ctx, Action.REPEAT, target, [reason])


def _night_pain(ctx: _Ctx) -> tuple[bool, date | None, int]:
    """(night pain now, the last night of an episode that has since resolved, episodes).

    Episodes are counted while the latest one is recent (within the escalation window): a
    second episode then advises a clinician review."""
    episodes = 0
    in_episode = False
    last_night: date | None = None
    for m in ctx.mornings:
        if m.night_pain:
            if not in_episode:
                episodes += 1
            in_episode = True
            last_night = m.day
        else:
            in_episode = False
    now = bool(ctx.mornings) and ctx.mornings[-1].night_pain
    if last_night is None or (ctx.today - last_night).days > ESCALATE_WINDOW_DAYS:
        episodes = 0
    return now, (None if now else last_night), episodes


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


def _decide(ctx: _Ctx) -> Decision:
    today = ctx.today
    level = ctx.level
    rules = ctx.rules
    one_down = clamp_level(level - 1)
    h48 = CheckAgain.H48
    tomorrow = today + timedelta(days=1)
    fresh_event = ctx.handled.isdisjoint

    # 1. an open referral holds until a clinician clears the runner
    referral = _open_referral(ctx)
    if referral is not None:
        return _decision(ctx, Action.REFER, level, referral)
    cleared = _clearance(ctx)
    if cleared is not None:
        return cleared

    # 2. night pain: rest until a morning without it, then once one level lower
    night_now, night_last, _ = _night_pain(ctx)
    if night_now:
        last_m = ctx.mornings[-1]
        return _decision(ctx, Action.REST, level,
                         [_r(ReasonCode.NIGHT_PAIN, day=last_m.day.isoformat())])
    if (night_last is not None and (today - night_last).days <= EVENT_MAX_AGE_DAYS
            and (ReasonCode.NIGHT_PAIN_RESOLVED, night_last) not in ctx.handled):
        return _decision(ctx, Action.STEP_BACK, one_down,
                         [_ev(ReasonCode.NIGHT_PAIN_RESOLVED, night_last)], check=h48,
                         earliest=tomorrow)

    # 3. swelling lasting more than 72 h: rest, then once one level lower
    spell = _swelling_spell(ctx)
    if spell is not None:
        days, ongoing, end = spell
        if ongoing:
            return _decision(ctx, Action.REST, level, [_r(ReasonCode.SWELLING_72H, days=days)])
        if (ReasonCode.SWELLING_72H, end) not in ctx.handled:
            return _decision(ctx, Action.STEP_BACK, one_down,
                             [_ev(ReasonCode.SWELLING_72H, end, days=days)], check=h48,
                             earliest=tomorrow)

    holds: list[Reason] = []
    # 4. pain at rest or in daily activities (weekly reassessment): stage 0 only when rest
    #    pain is 3+ or daily pain is rising; a low, stable daily pain holds the stage
    r = _latest_reassessment(ctx)
    if r is not None and (today - r.day).days <= REASSESSMENT_MAX_AGE_DAYS:
        ok = rules.daily_pain_ok
        rest, daily = r.rest_pain, r.daily_pain
        prev = next((p.daily_pain for p in reversed(ctx.reassessments[:-1])
                     if p.daily_pain is not None), None)
        rising = daily is not None and daily > ok and prev is not None and daily > prev
        reset = (rest is not None and rest >= REST_PAIN_RESET) or rising
        if reset and ctx.stage > 0 and (ReasonCode.REST_OR_DAILY_PAIN, r.day) not in ctx.handled:
            return _decision(ctx, Action.STEP_BACK, first_level_of_stage(0), [_ev(
                ReasonCode.REST_OR_DAILY_PAIN, r.day, rest_pain=rest or 0,
                walk_pain=daily or 0)], check=h48, earliest=tomorrow)
        worst = max(rest or 0, daily or 0)
        if worst > ok:
            holds.append(_r(ReasonCode.DAILY_PAIN_LOW, pain=worst, max=ok))

    # 5. a gap without running: 7+ days one level lower, 14+ two, 28+ back to the walk/run
    #    entry and a reassessment
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

    # 6. warning signs in any session of the last 48 h (run, walk, cross-training, strength):
    #    one step back per session, acted on once
    recent = _recent(ctx, WARNING_BLOCK_DAYS)
    for c in recent:
        warn = _warning(ctx, c)
        if warn is not None and c.day not in ctx.handled_run_days:
            return _decision(ctx, Action.STEP_BACK, one_down, [warn], check=h48,
                             earliest=tomorrow)
    latest = recent[0] if recent else None
    green = rules.green_pain_max
    if (latest is not None and latest.level == level and latest.day >= ctx.level_since
            and latest.day not in ctx.handled_run_days and _just_progressed(ctx)
            and _symptomatic(ctx, latest) and _symptoms_resurfaced(ctx, latest)):
        return _decision(ctx, Action.STEP_BACK, one_down, [_ev(
            ReasonCode.SYMPTOMS_AFTER_PROGRESS, latest.day, pain_during=latest.pain_during,
            pain_after=latest.pain_after, swelling=str(latest.swelling))],
            check=h48, earliest=tomorrow)

    # 7. the next morning: worse on waking steps back once; not settled holds for 48 h
    reduced = False
    check: CheckAgain | None = None
    check_date: date | None = None
    earliest: date | None = None
    for m in ctx.morning_by_run_day.values():
        if (today - m.day).days > 1 or m.run_day in ctx.handled_run_days:
            continue
        if m.pain is Compare.WORSE or m.swelling is Swelling.VISIBLE:
            return _decision(ctx, Action.STEP_BACK, one_down, [_ev(
                ReasonCode.WORSE_ON_WAKING, m.run_day, pain=str(m.pain),
                stiffness=str(m.stiffness), swelling=str(m.swelling))], check=h48,
                earliest=tomorrow)
        if not _settled(m):
            holds.append(_r(ReasonCode.NOT_SETTLED_NEXT_MORNING, pain=str(m.pain),
                            stiffness=str(m.stiffness), swelling=str(m.swelling)))
            reduced = True
            check = h48
            earliest = check_date = max(today, m.run_day + timedelta(days=2))

    # 8. symptoms of the latest session within the limits: hold
    if latest is not None:
        if latest.pain_after > green:
            holds.append(_r(ReasonCode.SORENESS_AFTER, pain=latest.pain_after, safe_max=green))
            reduced = True
            check = check or CheckAgain.H24
        elif latest.pain_during > green:
            holds.append(_r(ReasonCode.PAIN_ACCEPTABLE_ZONE, pain=latest.pain_during,
                            safe_max=green, ceiling=rules.pain_ceiling))
        if (latest.outcome is Outcome.SHORTER and latest.pain_during > 0
                and running_minutes_of(level) > 0 and running_minutes_of(latest.level) > 0):
            holds.append(_r(ReasonCode.SPLIT_SESSION, minutes=latest.minutes))
        if latest.swelling is Swelling.MILD:
            holds.append(_r(ReasonCode.SWELLING_AFTER_SESSION, swelling=str(latest.swelling)))

    # 9. a worsening trend over two weeks: once a week, one level lower
    trend = _pain_trend(ctx)
    if trend is not None:
        this_w, last_w, week_start = trend
        reason = _ev(ReasonCode.WORSENING_TREND, week_start, this_week=round(this_w, 1),
                     last_week=round(last_w, 1))
        recent_down = any(p.events and (today - p.day).days < 7 for p in ctx.past)
        if not recent_down and level > 0 and fresh_event({reason.event}):
            return _decision(ctx, Action.STEP_BACK, one_down, [reason], check=h48,
                             earliest=tomorrow)
        holds.append(_r(ReasonCode.WORSENING_TREND, this_week=round(this_w, 1),
                        last_week=round(last_w, 1)))

    # 10. progression criteria
    return _progress_or_hold(ctx, holds, reduced, check, check_date, earliest)


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


def _escalation(ctx: _Ctx, d: Decision) -> Reason | None:
    """Advise a clinician review after 3+ step-backs in 28 days, 4 weeks of training without
    progress, or night pain that came back."""
    today = ctx.today
    window = today - timedelta(days=ESCALATE_WINDOW_DAYS)
    acted = {e for p in ctx.past if p.day > window for e in p.events}
    acted |= d.events
    step_backs = len({e for e in acted if e[0] is not ReasonCode.RED_FLAG_CLEARED})
    if step_backs >= ESCALATE_STEP_BACKS:
        return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="step_backs", step_backs=step_backs,
                  days=ESCALATE_WINDOW_DAYS)
    _, _, episodes = _night_pain(ctx)
    if episodes >= 2:
        return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="night_pain_again",
                  step_backs=step_backs, days=episodes)
    if d.action is Action.PROGRESS or ctx.level >= MAX_LEVEL or not ctx.past:
        return None
    ups = [p.day for p in ctx.past if p.action is Action.PROGRESS]
    since = ups[-1] if ups else ctx.past[0].day
    days = (today - since).days
    if days >= ESCALATE_NO_PROGRESS_DAYS:
        sessions = sum(1 for c in ctx.checkins if c.day > window
                       and c.outcome is not Outcome.SKIPPED)
        if sessions >= ESCALATE_MIN_SESSIONS:
            return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="no_progress",
                      step_backs=step_backs, days=days)
    return None


def _greens(ctx: _Ctx, level: int) -> tuple[int, date | None]:
    """Green sessions at this level since it started (a capped or reduced version of it
    counts; in stage 5 only the quality session itself), and a session awaiting its morning."""
    greens = 0
    pending: date | None = None
    since = ctx.level_since
    exact = stage_of(level) == 5
    for c in reversed(ctx.checkins):
        if c.day < since:
            break
        if c.level != level and (exact or c.level > level or c.day <= since):
            continue
        if _is_green(ctx, c):
            greens += 1
        elif (c.outcome is Outcome.DONE and c.day not in ctx.morning_by_run_day
              and (ctx.today - c.day).days <= 1):
            pending = c.day
    return greens, pending


def _progress_or_hold(ctx: _Ctx, holds: list[Reason], reduced: bool,
                      check: CheckAgain | None, check_date: date | None,
                      earliest: date | None) -> Decision:
    today = ctx.today
    level = ctx.level
    spec = LADDER[level]
    greens, pending = _greens(ctx, level)
    # never move up within 48 h of warning signs in any session, whatever its level or kind
    for c in _recent(ctx, WARNING_BLOCK_DAYS):
        warn = _warning(ctx, c)
        if warn is not None:
            holds.append(_r(ReasonCode.RECENT_WARNING_PAIN, day=c.day.isoformat(),
                            pain=max(c.pain_during, c.pain_after)))
            break
    if ctx.stopped_today():
        holds.append(_r(ReasonCode.NO_RUN_ON_STEP_BACK_DAY))
    needed = spec.greens_needed
    if greens < needed:
        holds.append(_r(ReasonCode.MORE_GREEN_SESSIONS_NEEDED, count=greens, needed=needed,
                        left=needed - greens))
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

    if ctx.stage >= 4 and _is_deload_week(ctx, _week_start(today)):
        holds.append(_r(ReasonCode.DELOAD_WEEK, build_weeks=BUILD_WEEKS_BEFORE_DELOAD))
        reduced = True

    passed: list[Reason] = []
    nxt = clamp_level(level + 1)
    gate_level = level if stage_of(nxt) != ctx.stage else None
    restart = _restart_gate_day(ctx)
    if gate_level is None and restart is not None:
        gate_level = first_level_of_stage(2) - 1  # the ready-to-run tests, again
    if level < MAX_LEVEL and gate_level is not None:
        r = _latest_reassessment(ctx)
        stale = r is None or (today - r.day).days > REASSESSMENT_MAX_AGE_DAYS
        if r is None or stale or (restart is not None and r.day < restart):
            holds.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                            max_age_days=REASSESSMENT_MAX_AGE_DAYS))
            check, check_date = CheckAgain.WEEKLY, today
        else:
            gates = evaluate_gates(ctx.profile, r, gate_level)
            failed = [g for g in gates if not g.passed]
            if failed:
                holds += [_gate_reason(ReasonCode.GATE_FAILED, g) for g in failed]
                retest = r.day + timedelta(days=RETEST_READY_DAYS if stage_of(gate_level) == 1
                                           else REASSESSMENT_MAX_AGE_DAYS)
                if today >= retest or not all(tested(g) for g in failed):
                    # a test not done yet, or the retest is due: the reassessment comes now
                    holds.append(_r(ReasonCode.REASSESSMENT_NEEDED,
                                    max_age_days=REASSESSMENT_MAX_AGE_DAYS))
                    check, check_date = CheckAgain.WEEKLY, today
                else:
                    check, check_date = CheckAgain.WEEKLY, retest
            else:
                passed = [_gate_reason(ReasonCode.GATE_PASSED, g) for g in gates]
        if stage_of(nxt) == 5:
            days = (today - _stage4_since(ctx)).days
            if days < STAGE4_STABLE_DAYS:
                holds.append(_r(ReasonCode.STAGE_STABILITY_NEEDED, days=days,
                                needed=STAGE4_STABLE_DAYS))

    if holds:
        return _decision(ctx, Action.REPEAT, level, holds, reduced=reduced, check=check,
                         check_date=check_date, earliest=earliest)
    reasons = [_r(ReasonCode.GREEN_SESSIONS, count=greens, needed=needed), *passed]
    return _decision(ctx, Action.PROGRESS, nxt, reasons)


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


def _gate_reason(code: ReasonCode, g: Gate) -> Reason:
    return Reason(code, (("gate", str(g.code)), *g.values))


# ---------------------------------------------------------------- onboarding
def start(profile: Profile, red_flags: frozenset[RedFlag], tests: Reassessment | None,
          today: date) -> Decision:
    """Starting level and first prescription (placement by criteria, not at the bottom).

    Red flags refer. Pain at rest or in daily activities above what the tissue tolerates starts
    in stage 0 (protect). Otherwise walking; a pain-free 30-min brisk walk skips the walking
    stage to the ready-to-run tests (the top walking level, retested at once); passed
    ready-to-run tests start the walk/run ladder."""
    history = History(profile, 0, today)
    ctx = _Ctx(history, today)
    if red_flags:
        return _decision(ctx, Action.REFER, 0, [_r(
            ReasonCode.RED_FLAG, flags=_flags_value(red_flags),
            urgent=int(is_urgent(red_flags)), since=today.isoformat())])
    reasons: list[Reason] = []
    ok = ctx.rules.daily_pain_ok
    if profile.rest_pain > ok or profile.walk_pain > ok:
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
                if tests.walk_pain is not None and tests.walk_pain <= ok:
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
    d = _care_team(ctx, _decide(ctx))
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
