"""A History sorted and indexed once per call (`_Ctx`), and the small queries on it that
several rule families share.

Names with a leading underscore are internal to `progression/` (shared between its modules);
the package's public API is what `progression/__init__.py` exports.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter

from .enums import Action, Injury, Outcome, ReasonCode, Side
from .injuries import InjuryRules, rules_for
from .ladder import (
    LADDER,
    MAX_LEVEL,
    clamp_level,
    prescription_for,
    running_minutes_table,
    stage_of,
    total_minutes_table,
)
from .load import running_minutes_done
from .models import (
    CheckIn,
    History,
    MorningCheck,
    PastDecision,
    Prescription,
    Profile,
    Reassessment,
)

_RUN_TABLE = running_minutes_table()
_TOTAL_TABLE = total_minutes_table()
RUN_WINDOW_DAYS = 56  # running history indexed for cap/deload/spacing (covers 5 weeks back)

# Events of one run (its check-in and the next morning): one step back per run, whichever
# sign came first.
RUN_EVENTS = frozenset({
    ReasonCode.SHARP_OR_LIMP,
    ReasonCode.PAIN_DURING_OVER_CEILING,
    ReasonCode.PAIN_AFTER_OVER_CEILING,
    ReasonCode.SWELLING_AFTER_SESSION,
    ReasonCode.SYMPTOMS_AFTER_PROGRESS,
    ReasonCode.WORSE_ON_WAKING,
    ReasonCode.NOT_SETTLED_NEXT_MORNING,
    ReasonCode.NOT_SETTLED_AFTER_48H,
})
_STOPS = (Action.STEP_BACK, Action.REST, Action.REFER)


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


def _recent(ctx: _Ctx, days: int) -> list[CheckIn]:
    """Non-skipped sessions of the last `days` days and today, newest first."""
    out: list[CheckIn] = []
    for c in reversed(ctx.checkins):
        if (ctx.today - c.day).days > days:
            break
        if c.outcome is not Outcome.SKIPPED:
            out.append(c)
    return out


def _session_logged_on(ctx: _Ctx, d: date) -> bool:
    return any(c.day == d and c.outcome is not Outcome.SKIPPED for c in reversed(ctx.checkins[-4:]))


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
