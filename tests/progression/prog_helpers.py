"""Builders and a seeded simulator shared by the progression tests and the bench."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from progression import (
    CheckIn,
    Compare,
    History,
    Injury,
    MorningCheck,
    Outcome,
    Profile,
    Reassessment,
    Side,
    Swelling,
)

D0 = date(2026, 3, 2)  # a Monday


def profile(injury: Injury = Injury.CALF_STRAIN, runs: int = 3,
            preferred: frozenset[int] = frozenset()) -> Profile:
    return Profile(injury, Side.LEFT, D0 - timedelta(days=21), 0, 0, 3, 90, runs, preferred)


def checkin(day: date, level: int, *, pain_during: int = 0, pain_after: int = 0,
            sharp: bool = False, swelling: Swelling = Swelling.NONE,
            outcome: Outcome = Outcome.DONE, minutes: int = 30, rpe: int = 3, mood: int = 4,
            sleep: float | None = 8.0, running: int | None = None) -> CheckIn:
    return CheckIn(day, outcome, minutes, pain_during, pain_after, sharp, 1, swelling, rpe, mood,
                   sleep, level, running)


def morning(run_day: date, *, pain: Compare = Compare.SAME, stiffness: Compare = Compare.SAME,
            swelling: Swelling = Swelling.NONE, night_pain: bool = False,
            day: date | None = None) -> MorningCheck:
    return MorningCheck(day or run_day + timedelta(days=1), run_day, pain, stiffness, swelling,
                        night_pain)


def passed_tests(day: date, **kw: object) -> Reassessment:
    base = Reassessment(day, 32, 33, 12, 12, 0, 10.0, 10.5, 5, 0, 55, 0, 0)
    return replace(base, **kw)  # type: ignore[arg-type]


def green_pair(day: date, level: int) -> tuple[CheckIn, MorningCheck]:
    return checkin(day, level), morning(day)


def history(level: int, since: date = D0, **kw: object) -> History:
    p = kw.pop("profile", None) or profile()
    return History(p, level, since, **kw)  # type: ignore[arg-type]


# Random histories and the closed-loop simulation live in bench/simulation.py.
from bench.simulation import random_history  # noqa: E402

__all__ = ["D0", "checkin", "green_pair", "history", "morning", "passed_tests", "profile",
           "random_history"]
