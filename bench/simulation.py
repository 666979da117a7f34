"""Closed-loop runner simulation and the safety invariants, for tests and bench/.

Deterministic: a seeded `random.Random` and dates go in, histories and findings come out (it
lives here, not in progression/, which uses no randomness at all). The loop feeds decisions
back the way the bot stores them: the decision of the day is stored when it changes the level,
refers or acts on an event (as /today and the daily prompt do), and every decision after a
check-in, morning check or reassessment is stored (as the conversations do).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from progression import decide, plan_week, weekly_limit
from progression import start as place
from progression.enums import (
    Action,
    Compare,
    Injury,
    Outcome,
    ReasonCode,
    RedFlag,
    Side,
    Swelling,
)
from progression.injuries import rules_for
from progression.ladder import LADDER, MAX_LEVEL
from progression.load import running_minutes_done
from progression.models import (
    CheckIn,
    Decision,
    History,
    LevelChange,
    MorningCheck,
    PastDecision,
    Profile,
    Reassessment,
    RedFlagReport,
)

CONTINUOUS_30 = next(s.index for s in LADDER if s.code == "s3_continuous30")
D0 = date(2026, 3, 2)  # a Monday

# (run index from 0, week index from 0) -> (pain during, pain after, next morning worse)
PainModel = Callable[[int, int], tuple[int, int, bool]]


def no_pain(run: int, week: int) -> tuple[int, int, bool]:
    return 0, 0, False


@dataclass(frozen=True)
class Runner:
    """A simulated runner: who they are, what the tests show, how their body answers."""

    name: str
    profile: Profile
    onboarding_tests: Reassessment | None = None
    pain: PainModel = no_pain
    skip_every: int = 0  # skip every Nth planned session (0 = never)


@dataclass
class Trajectory:
    runner: Runner
    history: History
    log: list[tuple[date, Decision]] = field(default_factory=list)
    first_jog: date | None = None
    continuous_30: date | None = None
    preinjury_week: date | None = None
    step_backs: int = 0
    violations: list[str] = field(default_factory=list)

    def weeks(self, until: date | None) -> float | None:
        if until is None or self.first_jog is None:
            return None
        return (until - self.first_jog).days / 7


def passed_tests(day: date) -> Reassessment:
    return Reassessment(day, 32, 33, 12, 12, 0, 10.0, 10.5, 5, 0, 55, 0, 0, Swelling.NONE, 12, 12)


def store(h: History, d: Decision, today: date) -> History:
    """Store a decision the way storage does: the level moves with it, the past keeps it."""
    past = (*h.past, PastDecision.of(today, d.action, d.level, d.reasons))
    if d.level != h.level:
        return replace(h, level=d.level, level_since=today, past=past,
                       level_changes=(*h.level_changes, LevelChange(today, d.level, d.action)))
    return replace(h, past=past)


def _handled(h: History) -> frozenset[tuple[ReasonCode, date]]:
    return frozenset(e for p in h.past for e in p.events)


def _current(h: History, today: date) -> tuple[History, Decision]:
    """/today and the daily prompt: store when the level changes, it refers or acts on an event."""
    d = decide(h, today)
    if d.level != h.level or d.action is Action.REFER or (d.events - _handled(h)):
        h = store(h, d, today)
    return h, d


def simulate(runner: Runner, days: int = 7 * 26, start: date = D0,
             flags: dict[int, frozenset[RedFlag]] | None = None,
             clear_after: int | None = None) -> Trajectory:
    """Run `runner` for `days` days from onboarding on `start`."""

    first = place(runner.profile, frozenset(), runner.onboarding_tests, start)
    h = History(runner.profile, first.level, start)
    h = store(h, first, start)
    h = replace(h, level_changes=(LevelChange(start, first.level, first.action),))
    t = Trajectory(runner, h)
    week_minutes: dict[date, int] = {}
    runs = 0
    sessions = 0
    pending_morning: CheckIn | None = None
    flag_days = flags or {}
    last_reassess: date | None = None

    def keep(h: History, today: date) -> History:
        """A decision after new answers, stored; its safety is checked as it is made."""
        d = decide(h, today)
        if d.action is Action.PROGRESS and warning_within_48h(h, today):
            t.violations.append(f"{today}: progress within 48 h of warning pain")
        if d.action is not Action.REFER and referral_open(h, today):
            t.violations.append(f"{today}: {d.action} while a referral is open")
        return store(h, d, today)
    for i in range(days):
        today = start + timedelta(days=i)
        week = i // 7
        # the morning check about yesterday's session
        if pending_morning is not None:
            worse = pending_morning.stiffness == 9  # the pain model's "worse" mark
            m = MorningCheck(today, pending_morning.day,
                             Compare.WORSE if worse else Compare.SAME, Compare.SAME,
                             Swelling.NONE)
            h = replace(h, mornings=(*h.mornings, m))
            h = keep(h, today)
            pending_morning = None
        if i in flag_days:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(today, flag_days[i])))
            h = keep(h, today)
        if clear_after is not None and flag_days and i == min(flag_days) + clear_after:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(today, frozenset(), 1)))
        h, d = _current(h, today)
        due = d.has(ReasonCode.REASSESSMENT_NEEDED) or today.weekday() == 6
        if due and (last_reassess is None or (today - last_reassess).days >= 3):
            # the bot offers the reassessment as soon as the engine asks for one
            h = replace(h, reassessments=(*h.reassessments, passed_tests(today)))
            last_reassess = today
            h = keep(h, today)
            h, d = _current(h, today)
        t.log.append((today, d))
        t.violations += [f"{today}: {v}" for v in decision_violations(h, today)]
        plan = plan_week(h, today)[0]
        rx = plan.prescription
        if d.action in (Action.REFER, Action.REST) or rx.total_minutes <= 0:
            continue
        if not plan.is_run_day and (d.session_date != today or d.stage >= 2):
            continue  # cross-training and strength days are not logged here
        sessions += 1
        if runner.skip_every and sessions % runner.skip_every == 0:
            c = CheckIn(today, Outcome.SKIPPED, 0, 0, 0, False, 0, Swelling.NONE, 0, 3, None,
                        rx.level, 0)
            h = replace(h, checkins=(*h.checkins, c))
            h = keep(h, today)
            continue
        pd, pa, worse = (0, 0, False)
        if rx.running_minutes > 0:
            pd, pa, worse = runner.pain(runs, week)
            runs += 1
        c = CheckIn(today, Outcome.DONE, rx.total_minutes, pd, pa, False, 9 if worse else 0,
                    Swelling.NONE, min(10, rx.rpe_max), 4, 7.5, rx.level,
                    rx.running_minutes)
        h = replace(h, checkins=(*h.checkins, c))
        h = keep(h, today)
        pending_morning = c
        if rx.running_minutes > 0:
            if t.first_jog is None:
                t.first_jog = today
            if t.continuous_30 is None and rx.level >= CONTINUOUS_30 and not rx.capped:
                t.continuous_30 = today
            ws = today - timedelta(days=today.weekday())
            week_minutes[ws] = week_minutes.get(ws, 0) + rx.running_minutes
            target = runner.profile.minutes_per_week_before
            if (t.preinjury_week is None and target > 0 and week_minutes[ws] >= target):
                t.preinjury_week = today
    t.history = h
    t.step_backs = sum(1 for p in h.past
                       if p.events and ReasonCode.RED_FLAG_CLEARED not in p.codes)
    t.violations += trajectory_violations(t)
    return t


# ---------------------------------------------------------------- invariants
def referral_open(h: History, today: date) -> bool:
    """Independent of the engine: a red flag (or, for shin pain, night pain) reported after
    the last clinician clearance."""
    cleared: date | None = None
    is_open = False
    for f in sorted((f for f in h.red_flags if f.day <= today), key=lambda f: f.day):
        if f.cleared_to_stage is not None:
            is_open, cleared = False, f.day
        elif f.flags:
            is_open = True
    if rules_for(h.profile.injury).night_pain_refers:
        is_open = is_open or any(m.night_pain and m.day <= today and (cleared is None or
                                                                  m.day > cleared)
                             for m in h.mornings)
    return is_open


def warning_within_48h(h: History, today: date) -> bool:
    ceiling = rules_for(h.profile.injury).pain_ceiling
    return any(0 <= (today - c.day).days <= 2 and c.outcome is not Outcome.SKIPPED and (
        c.sharp_or_limp or c.pain_during > ceiling or c.pain_after > ceiling)
        for c in h.checkins)


def decision_violations(h: History, today: date) -> list[str]:
    """The safety invariants of one decision and the week planned from it."""
    out: list[str] = []
    d = decide(h, today)
    if not d.reasons:
        out.append("decision without a reason")
    if referral_open(h, today) and d.action is not Action.REFER:
        out.append(f"{d.action} while a referral is open")
    if d.action is Action.PROGRESS and warning_within_48h(h, today):
        out.append("progress within 48 h of warning pain")
    plan = plan_week(h, today)
    stopped = d.action in (Action.STEP_BACK, Action.REST, Action.REFER) or any(
        p.day == today and (p.action in (Action.STEP_BACK, Action.REST, Action.REFER)
                            or p.events) for p in h.past)
    if stopped and (plan[0].is_run_day or (d.session_date == today
                                           and d.prescription.running_minutes > 0)):
        out.append("a run prescribed on the day of a step back")
    runs = [p.day for p in plan if p.is_run_day]
    if len(runs) > 4:
        out.append("more than 4 runs planned in 7 days")
    if d.stage in (2, 3) and any((b - a).days < 2 for a, b in itertools.pairwise(runs)):
        out.append("runs planned on back-to-back days in the walk/run stages")
    if any((c - a).days < 3 for a, c in zip(runs, runs[2:], strict=False)):
        out.append("runs planned on three days in a row")
    return out


def t_stage(t: Trajectory, day: date) -> int:
    """The runner's stage as decided on `day`."""
    return next((d.stage for when, d in reversed(t.log) if when <= day), 0)


def trajectory_violations(t: Trajectory) -> list[str]:
    """Invariants over a whole simulated history."""
    h = t.history
    out: list[str] = []
    for today, d in t.log:
        if not d.reasons:
            out.append(f"{today}: no reason")
    run_days = sorted({c.day for c in h.checkins if running_minutes_done(c) > 0})
    stage_on = {day: d.stage for day, d in t.log}
    for a, b in itertools.pairwise(run_days):
        if (b - a).days < 2 and stage_on.get(b, 0) in (2, 3):
            out.append(f"{b}: runs on back-to-back days in the walk/run stages")
    for a, z in zip(run_days, run_days[2:], strict=False):
        if (z - a).days < 3:
            out.append(f"{z}: runs on three days in a row")
    for i, a in enumerate(run_days):
        if sum(1 for r in run_days[i:] if (r - a).days < 7) > 4:
            out.append(f"{a}: more than 4 runs in 7 days")
    weeks: dict[date, int] = {}
    stages: dict[date, int] = {}
    for ci in h.checkins:
        ws = ci.day - timedelta(days=ci.day.weekday())
        weeks[ws] = weeks.get(ws, 0) + running_minutes_done(ci)
        if running_minutes_done(ci) > 0:
            stages[ws] = min(stages.get(ws, 5), max(2, t_stage(t, ci.day)))
    pre = h.profile.minutes_per_week_before
    for ws, stage in stages.items():
        base = max(weeks.get(ws - timedelta(days=7), 0), weeks.get(ws - timedelta(days=14), 0))
        if weeks[ws] > weekly_limit(base, pre, stage):
            out.append(f"{ws}: {weeks[ws]} running minutes over the weekly cap")
    return out


# ---------------------------------------------------------------- random histories
def random_history(rng: random.Random, days: int = 84) -> tuple[History, date]:
    """A random, not necessarily coherent history (same-day entries, gaps, out-of-order
    dates, flags and clearances mid-way, cross-training with pain) and the day after it."""
    injury = rng.choice(list(Injury))
    prof = Profile(injury, rng.choice(list(Side)), D0 - timedelta(days=rng.randint(0, 60)),
                   rng.randint(0, 3), rng.randint(0, 3), rng.randint(0, 6),
                   rng.choice((0, 0, 60, 150, 300)), rng.randint(1, 7),
                   frozenset(rng.sample(range(7), rng.randint(0, 4))),
                   rng.choice((None, None, 150, 168)))
    checkins: list[CheckIn] = []
    mornings: list[MorningCheck] = []
    reassess: list[Reassessment] = []
    changes: list[LevelChange] = []
    flags: list[RedFlagReport] = []
    past: list[PastDecision] = []
    lvl = rng.randint(0, MAX_LEVEL)
    gap_from = rng.randint(0, days) if rng.random() < 0.3 else days + 1
    gap_len = rng.randint(5, 40)
    for i in range(days):
        day = D0 + timedelta(days=i)
        if gap_from <= i < gap_from + gap_len:
            continue
        for _ in range(rng.choice((1, 1, 1, 2))):
            if rng.random() < 0.5:
                pd = min(10, max(0, int(rng.expovariate(0.6))))
                pa = min(10, max(0, int(rng.expovariate(0.7))))
                checkins.append(CheckIn(
                    day, rng.choice(list(Outcome)), rng.randint(5, 70), pd, pa,
                    rng.random() < 0.03, rng.randint(0, 5),
                    rng.choices(list(Swelling), (0.85, 0.1, 0.05))[0], rng.randint(1, 9),
                    rng.randint(1, 5), rng.choice((None, 4.0, 6.5, 8.0)), lvl,
                    rng.choice((None, 0, 10, 30))))
                if rng.random() < 0.8:
                    mornings.append(MorningCheck(
                        day + timedelta(days=1), day,
                        rng.choices(list(Compare), (0.3, 0.6, 0.1))[0],
                        rng.choices(list(Compare), (0.3, 0.6, 0.1))[0],
                        rng.choices(list(Swelling), (0.9, 0.08, 0.02))[0],
                        rng.random() < 0.02))
        if rng.random() < 0.1:
            action = rng.choice(list(Action))
            lvl = max(0, min(MAX_LEVEL, lvl + rng.choice((-2, -1, 1, 1))))
            changes.append(LevelChange(day, lvl, action))
            codes = frozenset(rng.sample(list(ReasonCode), 2))
            events = frozenset({(c, day - timedelta(days=rng.randint(0, 2))) for c in codes}
                               ) if rng.random() < 0.5 else frozenset()
            past.append(PastDecision(day, action, lvl, codes, events))
        if i % 7 == 6:
            reassess.append(Reassessment(
                day, rng.choice((None, 20, 32)), rng.choice((None, 20, 33)),
                rng.choice((None, 5, 12)), rng.choice((None, 5, 12)), rng.choice((None, 0, 2)),
                None, None, rng.choice((None, 5, 20)), rng.choice((None, 0, 0, 2)),
                rng.choice((None, 40, 55)), rng.choice((None, 0, 1, 3)),
                rng.choice((None, 0, 0, 3)), rng.choice((None, *Swelling))))
        if rng.random() < 0.02:
            flags.append(RedFlagReport(day, frozenset(rng.sample(list(RedFlag),
                                                                 rng.randint(0, 2)))))
        elif flags and rng.random() < 0.02:
            flags.append(RedFlagReport(day, frozenset(), rng.choice((0, 1))))
    today = D0 + timedelta(days=days)
    if rng.random() < 0.3:  # a session logged on the decision day itself
        checkins.append(CheckIn(today, rng.choice((Outcome.DONE, Outcome.CROSS)), 30,
                                rng.randint(0, 8), rng.randint(0, 8), rng.random() < 0.2, 1,
                                Swelling.NONE, 4, 3, None, lvl))
    rng.shuffle(checkins)  # decide must sort defensively
    rng.shuffle(mornings)
    level = rng.randint(0, MAX_LEVEL)
    since = today - timedelta(days=rng.randint(0, 30))
    if rng.random() < 0.3:  # the level changed today (a step back this morning, say)
        since = today
        past.append(PastDecision(today, Action.STEP_BACK, level, frozenset(
            {ReasonCode.WORSE_ON_WAKING}), frozenset({(ReasonCode.WORSE_ON_WAKING, today)})))
    last_run = today - timedelta(days=rng.randint(1, 120)) if rng.random() < 0.3 else None
    h = History(prof, level, since, tuple(checkins), tuple(mornings), tuple(reassess),
                tuple(changes), tuple(flags), tuple(past), last_run)
    return h, today


def profiles() -> dict[str, Runner]:
    """The simulated runners of bench/trajectories.py and the pace tests."""
    calf_trained = Profile(Injury.CALF_STRAIN, Side.LEFT, D0 - timedelta(days=14), 0, 0, 4,
                           150, 4)
    novice = Profile(Injury.CALF_STRAIN, Side.LEFT, D0 - timedelta(days=14), 0, 0, 0, 0, 3)
    tendon = Profile(Injury.ACHILLES, Side.RIGHT, D0 - timedelta(days=30), 0, 0, 3, 120, 3)
    hamstring = Profile(Injury.HAMSTRING_STRAIN, Side.LEFT, D0 - timedelta(days=14), 0, 0, 4,
                        150, 4)

    def tendon_pain(run: int, week: int) -> tuple[int, int, bool]:
        return 4, 2, False  # 4/10 during every run, settled by the morning

    def muscle_pain(run: int, week: int) -> tuple[int, int, bool]:
        return (3, 1, False) if run % 3 == 2 else (0, 0, False)

    def flare(run: int, week: int) -> tuple[int, int, bool]:
        return (6, 4, True) if week == 3 and run % 2 == 0 else (0, 0, False)

    tests = passed_tests(D0)
    return {
        "trained": Runner("trained", calf_trained, tests),
        "novice": Runner("novice", novice, tests),
        "tendon": Runner("tendon", tendon, tests, tendon_pain),
        "muscle": Runner("muscle", hamstring, tests, muscle_pain),
        "flare": Runner("flare", calf_trained, tests, flare),
    }


def random_runner(rng: random.Random) -> tuple[Runner, dict[int, frozenset[RedFlag]], int | None]:
    """A random runner for the safety bench: injury, history, pain and skipping at random,
    sometimes a red flag mid-way and a clearance some days later."""
    injury = rng.choice(list(Injury))
    prof = Profile(injury, rng.choice(list(Side)), D0 - timedelta(days=rng.randint(3, 60)),
                   rng.choice((0, 0, 1, 3)), rng.choice((0, 0, 1, 2)), rng.randint(0, 6),
                   rng.choice((0, 60, 150, 240)), rng.randint(1, 7),
                   frozenset(rng.sample(range(7), rng.choice((0, 0, 3, 4)))),
                   rng.choice((None, 160)))
    tests = rng.choice((None, passed_tests(D0), replace(passed_tests(D0), hops_left=7)))
    rate = rng.choice((0.0, 0.1, 0.3))
    seed = rng.randrange(2**32)

    def pain(run: int, week: int) -> tuple[int, int, bool]:
        r = random.Random(seed * 1000 + run)
        if r.random() < rate:
            return r.randint(3, 8), r.randint(1, 6), r.random() < 0.3
        return r.randint(0, 2), r.randint(0, 1), False

    flags: dict[int, frozenset[RedFlag]] = {}
    clear: int | None = None
    if rng.random() < 0.2:
        flags[rng.randint(5, 120)] = frozenset(rng.sample(list(RedFlag), 1))
        clear = rng.choice((None, 3, 10))
    return Runner(f"random-{seed}", prof, tests, pain, rng.choice((0, 0, 5))), flags, clear
