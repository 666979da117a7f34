"""Weekly running volume: the weekly cap (`weekly_cap`, `weekly_limit`), the lighter (deload)
week after three build weeks, and a session shortened to the minutes the week has left
(docs/protocol.md §4.12)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

from .enums import Cue
from .history_index import _Ctx, _rx, _stage4_since, _week_start, _wk
from .ladder import WARM_UP_WALK_MIN, running_minutes_of, stage_of
from .limits import (
    BUILD_WEEKS_BEFORE_DELOAD,
    DELOAD_FRACTION,
    LADDER_SHARE_PCT,
    MIN_CAPPED_RUN_MIN,
    STAGE5_EASY_LEVEL,
    WEEKLY_CAP_FLOOR_MIN,
    WEEKLY_CAP_PCT,
    WEEKLY_CAP_PCT_ABOVE_MIN,
    WEEKLY_CAP_STEP_MIN,
)
from .models import Prescription, Segment


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


def _capped_stage(ctx: _Ctx, stage: int) -> bool:
    """The weekly running cap applies to every running stage."""
    return stage >= 2


def _capped_rx(ctx: _Ctx, level: int, rx: Prescription, remaining: int) -> Prescription:
    """The session shortened to the running minutes left this week. From continuous running
    on it is an easy continuous run of those minutes; before that, the longest lower walk/run
    level that fits."""
    stage = stage_of(level)
    if stage >= 3 and remaining >= MIN_CAPPED_RUN_MIN:
        minutes = remaining  # whole minutes: rounding down to 5 would compound week on week
        segs = (Segment("walk", WARM_UP_WALK_MIN), Segment("run", minutes))
        if stage == 5:  # no quality work in a shortened session: an easy run
            rx = _rx(STAGE5_EASY_LEVEL, ctx.injury, rx.reduced, bool(rx.strength))
        # stored at the level it fits (a capped session is not the level's own, greens.py)
        fits = _fit_level(level, minutes)
        return replace(rx, segments=segs, total_minutes=round(WARM_UP_WALK_MIN) + minutes,
                       running_minutes=minutes, capped=True, level=fits, stage=stage_of(fits),
                       cues=(*rx.cues, Cue.CAPPED_SESSION))
    fit = _rx(_fit_level(level, remaining), ctx.injury, rx.reduced, bool(rx.strength))
    return replace(fit, capped=True, cues=(*fit.cues, Cue.CAPPED_SESSION))


def _fit_level(level: int, remaining: int) -> int:
    for lvl in range(level, -1, -1):
        if running_minutes_of(lvl) <= remaining:
            return lvl
    return 0  # pragma: no cover - stage 0/1 levels never run
