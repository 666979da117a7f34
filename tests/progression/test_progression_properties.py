"""Property tests over random 12-week histories and closed-loop simulations."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progression import (
    MAX_LEVEL,
    Action,
    History,
    Outcome,
    decide,
    plan_week,
    rules_for,
    running_minutes_done,
    stage_of,
    weekly_cap,
)
from tests.progression.prog_helpers import random_history, simulate

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def _history(seed: int) -> tuple[History, date]:
    return random_history(random.Random(seed))


@SETTINGS
@given(seeds)
def test_every_decision_has_a_reason_and_valid_level(seed: int) -> None:
    h, today = _history(seed)
    d = decide(h, today)
    assert d.reasons
    assert 0 <= d.level <= MAX_LEVEL
    assert d.stage == stage_of(d.level) >= 0
    assert d.session_date >= today
    assert d.check_again_date >= today
    assert d.prescription.running_minutes <= d.prescription.total_minutes or \
        d.prescription.total_minutes == 0
    for r in d.reasons:
        assert all(isinstance(v, int | float | str) for _, v in r.values)


@SETTINGS
@given(seeds)
def test_same_input_same_decision(seed: int) -> None:
    h, today = _history(seed)
    assert decide(h, today) == decide(h, today)
    # order of the tuples does not matter
    rev = History(h.profile, h.level, h.level_since, h.checkins[::-1], h.mornings[::-1],
                  h.reassessments[::-1], h.level_changes[::-1], h.red_flags[::-1])
    assert decide(rev, today) == decide(h, today)
    assert plan_week(h, today) == plan_week(rev, today)


@SETTINGS
@given(seeds)
def test_no_progress_with_red_flag_or_over_ceiling_pain(seed: int) -> None:
    h, today = _history(seed)
    d = decide(h, today)
    if h.red_flags:
        latest = max(h.red_flags, key=lambda f: f.day)
        if latest.flags and latest.day <= today:
            assert d.action is Action.REFER
    todays = [c for c in h.checkins if (today - c.day).days <= 1
              and c.outcome is not Outcome.SKIPPED]
    ceiling = rules_for(h.profile.injury).pain_ceiling
    if any(c.pain_during > ceiling or c.pain_after > ceiling or c.sharp_or_limp
           for c in todays):
        assert d.action is not Action.PROGRESS


@SETTINGS
@given(seeds)
def test_plan_week_rules(seed: int) -> None:
    h, today = _history(seed)
    plan = plan_week(h, today)
    assert [p.day for p in plan] == [today + timedelta(days=i) for i in range(7)]
    runs = [p.day for p in plan if p.is_run_day]
    assert len(runs) <= 4
    d = decide(h, today)
    if d.stage in (2, 3):
        for a, b in itertools.pairwise(runs):
            assert (b - a).days >= 2
    if h.profile.preferred_days and runs:
        assert any(r.weekday() in h.profile.preferred_days for r in runs)
    strength_days = sum(1 for p in plan if p.prescription.strength)
    assert strength_days <= 3


def _check_simulation(seed: int) -> None:
    rng = random.Random(seed)
    h, log = simulate(rng, days=84, start_level=rng.choice((3, 8, 12, 18, 24)))
    # 1. at most 2 levels up in any 7 days
    ups = [c.day for c in h.level_changes if c.action is Action.PROGRESS]
    for i, d in enumerate(ups):
        assert sum(1 for u in ups[i:] if (u - d).days < 7) <= 2, ups
    # 2. level changes by one on progress, never below 0, never past the top
    prev = None
    for c in h.level_changes:
        assert 0 <= c.level <= MAX_LEVEL
        if c.action is Action.PROGRESS and prev is not None:
            assert c.level == prev + 1
        prev = c.level
    # 3. weekly running minutes never rise past the cap (calendar weeks)
    weeks: dict[date, int] = {}
    for c in h.checkins:
        ws = c.day - timedelta(days=c.day.weekday())
        weeks[ws] = weeks.get(ws, 0) + running_minutes_done(c)
    for ws, minutes in weeks.items():
        last = weeks.get(ws - timedelta(days=7), 0)
        assert minutes <= weekly_cap(last) or minutes <= _deload_allowance(weeks, ws), (
            ws, minutes, last)
    # 4. no running on back-to-back days in stages 2-3; at most 4 runs in 7 days
    run_days = sorted({c.day for c in h.checkins if running_minutes_done(c) > 0})
    staged = {t: dec.stage for t, dec in log}  # the runner's stage when the run was decided
    for a, b in itertools.pairwise(run_days):
        if staged[b] in (2, 3):
            assert (b - a).days >= 2
    for a, _b, c in zip(run_days, run_days[1:], run_days[2:], strict=False):
        assert (c - a).days >= 3  # never three days in a row
    for i, d in enumerate(run_days):
        assert sum(1 for r in run_days[i:] if (r - d).days < 7) <= 4
    # 5. every decision has a reason; no progress the day after a bad session
    for today, dec in log:
        assert dec.reasons
        bad = [c for c in h.checkins if c.day == today - timedelta(days=1) and (
            c.sharp_or_limp or c.pain_during > rules_for(h.profile.injury).pain_ceiling)]
        if bad:
            assert dec.action is not Action.PROGRESS


def _deload_allowance(weeks: dict[date, int], ws: date) -> int:
    """After a lighter week the cap is based on the week before it."""
    return weekly_cap(max(weeks.get(ws - timedelta(days=7), 0),
                          weeks.get(ws - timedelta(days=14), 0)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seeds)
def test_closed_loop_simulation(seed: int) -> None:
    _check_simulation(seed)


def test_simulation_makes_progress_when_all_is_well() -> None:
    rng = random.Random(7)
    h, _ = simulate(rng, days=84, start_level=3, pain_rate=0.0, flag_rate=0.0)
    assert h.level > 8, h.level


@SETTINGS
@given(seeds)
def test_start_always_gives_a_valid_first_step(seed: int) -> None:
    from progression import RedFlag, start

    h, today = _history(seed)
    rng = random.Random(seed)
    flags = frozenset(rng.sample(list(RedFlag), rng.choice((0, 0, 0, 1))))
    tests = h.reassessments[-1] if h.reassessments and rng.random() < 0.7 else None
    d = start(h.profile, flags, tests, today)
    assert d.reasons
    if flags:
        assert d.action is Action.REFER
    else:
        assert d.reasons[0].as_dict()["level"] == d.level <= 8
        if h.profile.rest_pain or h.profile.walk_pain:
            assert d.stage == 0
