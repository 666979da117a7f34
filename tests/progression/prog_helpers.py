"""Builders and a seeded simulator shared by the progression tests and the bench."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from progression import (
    Action,
    CheckIn,
    Compare,
    Decision,
    History,
    Injury,
    LevelChange,
    MorningCheck,
    Outcome,
    Profile,
    Reassessment,
    RedFlag,
    RedFlagReport,
    Side,
    Swelling,
    decide,
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


# ------------------------------------------------------------------ random histories
def random_history(rng: random.Random, days: int = 84) -> tuple[History, date]:
    """A random (not necessarily coherent) 12-week history and the 'today' after it."""
    injury = rng.choice(list(Injury))
    prof = Profile(injury, rng.choice(list(Side)), D0 - timedelta(days=rng.randint(0, 60)),
                   rng.randint(0, 3), rng.randint(0, 3), rng.randint(0, 6),
                   rng.randint(0, 300), rng.randint(1, 7),
                   frozenset(rng.sample(range(7), rng.randint(0, 4))))
    level = rng.randint(0, 33)
    checkins: list[CheckIn] = []
    mornings: list[MorningCheck] = []
    reassess: list[Reassessment] = []
    changes: list[LevelChange] = []
    flags: list[RedFlagReport] = []
    lvl = rng.randint(0, 33)
    for i in range(days):
        day = D0 + timedelta(days=i)
        if rng.random() < 0.45:
            pd = min(10, max(0, int(rng.expovariate(0.6))))
            pa = min(10, max(0, int(rng.expovariate(0.7))))
            checkins.append(CheckIn(
                day, rng.choice(list(Outcome)), rng.randint(5, 70), pd, pa,
                rng.random() < 0.03, rng.randint(0, 5),
                rng.choices(list(Swelling), (0.85, 0.1, 0.05))[0], rng.randint(1, 9),
                rng.randint(1, 5), rng.choice((None, 4.0, 6.5, 8.0)), lvl))
            if rng.random() < 0.8:
                mornings.append(MorningCheck(
                    day + timedelta(days=1), day,
                    rng.choices(list(Compare), (0.3, 0.6, 0.1))[0],
                    rng.choices(list(Compare), (0.3, 0.6, 0.1))[0],
                    rng.choices(list(Swelling), (0.9, 0.08, 0.02))[0], rng.random() < 0.01))
        if rng.random() < 0.1:
            lvl = max(0, min(33, lvl + rng.choice((-2, -1, 1, 1))))
            changes.append(LevelChange(day, lvl, rng.choice(list(Action))))
        if i % 7 == 6:
            reassess.append(Reassessment(
                day, rng.randint(10, 40), rng.randint(10, 40), rng.randint(0, 15),
                rng.randint(0, 15), rng.choice((0, 0, 0, 2)), None, None,
                rng.randint(0, 20), rng.choice((None, 0, 0, 2)), rng.choice((None, 40, 55))))
        if rng.random() < 0.01:
            flags.append(RedFlagReport(day, frozenset(rng.sample(list(RedFlag),
                                                                 rng.randint(0, 2)))))
    today = D0 + timedelta(days=days)
    if rng.random() < 0.3:  # a session logged on the decision day itself
        checkins.append(CheckIn(today, Outcome.DONE, 30, rng.randint(0, 8), rng.randint(0, 8),
                                rng.random() < 0.2, 1, Swelling.NONE, 4, 3, None, lvl))
    rng.shuffle(checkins)  # decide must sort defensively
    h = History(prof, level, today - timedelta(days=rng.randint(0, 30)), tuple(checkins),
                tuple(mornings), tuple(reassess), tuple(changes), tuple(flags))
    return h, today


# ------------------------------------------------------------------ closed-loop simulation
def simulate(rng: random.Random, days: int = 84, injury: Injury | None = None,
             start_level: int | None = None, pain_rate: float = 0.1,
             flag_rate: float = 0.003) -> tuple[History, list[tuple[date, Decision]]]:
    """Feed decisions back for `days` days: the runner does the prescribed session on its
    date (sometimes with symptoms), answers the morning check, reassesses weekly."""
    prof = profile(injury or rng.choice(list(Injury)), runs=rng.randint(2, 6),
                   preferred=frozenset(rng.sample(range(7), rng.choice((0, 0, 3, 4)))))
    level = start_level if start_level is not None else rng.randint(0, 30)
    h = History(prof, level, D0 - timedelta(days=1))
    log: list[tuple[date, Decision]] = []
    for i in range(days):
        today = D0 + timedelta(days=i)
        d = decide(h, today)
        log.append((today, d))
        h = _apply(h, d, today)
        if d.action is Action.REST:  # the runner answers a morning check every rest day
            last_run = max((c.day for c in h.checkins), default=today)
            h = replace(h, mornings=(*h.mornings, MorningCheck(
                today + timedelta(days=1), last_run, Compare.SAME, Compare.SAME,
                Swelling.NONE, rng.random() < 0.3)))
        if d.session_date == today and d.action not in (Action.REST, Action.REFER):
            if rng.random() < 0.1:
                continue  # skipped
            bad = rng.random() < pain_rate
            pd = rng.randint(3, 7) if bad else rng.randint(0, 2)
            pa = rng.randint(2, 6) if bad and rng.random() < 0.5 else rng.randint(0, 1)
            rx = d.prescription
            c = CheckIn(today, Outcome.DONE, rx.total_minutes, pd, pa, bad and rng.random() < 0.2,
                        1, Swelling.MILD if bad and rng.random() < 0.3 else Swelling.NONE,
                        min(10, rx.rpe_max), rng.randint(2, 5), rng.choice((None, 7.5)),
                        rx.level, rx.running_minutes)
            m = MorningCheck(today + timedelta(days=1), today,
                             Compare.WORSE if bad and rng.random() < 0.3 else Compare.SAME,
                             Compare.SAME, Swelling.NONE,
                             rng.random() < 0.005)
            h = replace(h, checkins=(*h.checkins, c))
            # the morning check arrives tomorrow: append now, decide ignores future days
            h = replace(h, mornings=(*h.mornings, m))
        if today.weekday() == 6:
            strong = rng.random() < 0.8
            r = Reassessment(today, 32 if strong else 20, 33, 12, 12, 0, None, None, 5, 0,
                             55 if strong else 40)
            h = replace(h, reassessments=(*h.reassessments, r))
        if rng.random() < flag_rate:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(
                today, frozenset({RedFlag.CLOT_SIGNS}))))
        elif h.red_flags and h.red_flags[-1].flags and rng.random() < 0.3:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(today, frozenset())))
    return h, log


def _apply(h: History, d: Decision, today: date) -> History:
    if d.level != h.level:
        return replace(h, level=d.level, level_since=today,
                       level_changes=(*h.level_changes, LevelChange(today, d.level, d.action)))
    return h
