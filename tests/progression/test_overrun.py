"""A session measured well over the plan (Outcome.OVER, progression/overrun.py): never a
green session, its running counts, and no progress until the morning after it is settled."""

from __future__ import annotations

from datetime import timedelta

from progression import (
    OVER_MARGIN_MIN,
    Action,
    Outcome,
    ReasonCode,
    decide,
    over_plan,
    plan_week,
    prescription_for,
    running_minutes_done,
    weekly_loads,
)
from tests.progression.prog_helpers import D0, checkin, history, morning, profile

S2 = 8  # run 1 / walk 4: 6 minutes of running
WALK30 = 7


def test_the_margin() -> None:
    six = prescription_for(S2, profile())  # 6 min running planned
    assert not over_plan(six, 6 + OVER_MARGIN_MIN)
    assert over_plan(six, 6 + OVER_MARGIN_MIN + 1)
    assert over_plan(six, 30)
    thirty = prescription_for(14, profile())  # 30 min continuous
    assert not over_plan(thirty, 39) and over_plan(thirty, 40)  # 30 % of 30 is 9
    walk = prescription_for(WALK30, profile())  # no running at all
    assert not over_plan(walk, 5) and over_plan(walk, 6) and over_plan(walk, 44)


def _ready_to_progress(outcome: Outcome, *, with_morning: bool) -> object:
    """Two sessions at the level, the second one as given; the mornings as given."""
    first, second = D0, D0 + timedelta(days=2)
    checkins = (checkin(first, S2, running=6),
                checkin(second, S2, outcome=outcome, minutes=50, running=44))
    mornings = (morning(first),) + ((morning(second),) if with_morning else ())
    return history(S2, since=D0 - timedelta(days=1), checkins=checkins, mornings=mornings)


def test_an_overrun_is_not_green_and_holds_until_its_morning() -> None:
    today = D0 + timedelta(days=2)
    done = decide(_ready_to_progress(Outcome.DONE, with_morning=True), today + timedelta(1))
    assert done.action is Action.PROGRESS  # the same two sessions, as planned: up
    over = decide(_ready_to_progress(Outcome.OVER, with_morning=False), today)
    assert over.action is Action.REPEAT
    assert over.has(ReasonCode.SESSION_OVER_PLAN)
    settled = decide(_ready_to_progress(Outcome.OVER, with_morning=True), today + timedelta(1))
    assert not settled.has(ReasonCode.SESSION_OVER_PLAN)
    assert settled.action is Action.REPEAT  # settled, but still not a green session
    assert settled.has(ReasonCode.MORE_GREEN_SESSIONS_NEEDED)


def test_its_running_counts_in_the_load_and_the_spacing() -> None:
    h = _ready_to_progress(Outcome.OVER, with_morning=False)
    over = h.checkins[-1]  # type: ignore[attr-defined]
    assert running_minutes_done(over) == 44
    week = weekly_loads(h.checkins, over.day, weeks=1)[0]  # type: ignore[attr-defined]
    assert week.running_minutes == 6 + 44
    tomorrow = plan_week(h, over.day)[1]  # type: ignore[arg-type]
    assert tomorrow.prescription.running_minutes == 0  # no run the day after a run
