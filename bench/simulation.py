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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from bench.rules import GREEN_MAX, violations
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
from progression.ladder import (
    LADDER,
    MAX_LEVEL,
    running_minutes_table,
    total_minutes_table,
)
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
    # days away (day index, length): no sessions, no check-ins, no morning checks; the daily
    # prompt still comes (and /today decides)
    holidays: tuple[tuple[int, int], ...] = ()
    # a care-team member holds the plan on these days (day index, length), or caps the stage
    care_hold: tuple[int, int] | None = None
    stage_cap: int | None = None


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
    found: Counter[str] = field(default_factory=Counter)  # violations by rule (bench/rules.py)
    left_walking: date | None = None  # the first day on the walk/run ladder

    def note(self, today: date, found: list[tuple[str, str]]) -> None:
        for rule, message in found:
            self.found[rule] += 1
            self.violations.append(f"{today}: {message}")

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
    h = History(runner.profile, first.level, start, stage_cap=runner.stage_cap)
    h = store(h, first, start)
    h = replace(h, level_changes=(LevelChange(start, first.level, first.action),))
    if runner.onboarding_tests is not None:  # the onboarding tests are the first reassessment
        h = replace(h, reassessments=(runner.onboarding_tests,))
    t = Trajectory(runner, h)
    week_minutes: dict[date, int] = {}
    runs = 0
    sessions = 0
    pending_morning: CheckIn | None = None
    flag_days = flags or {}
    last_reassess: date | None = start if runner.onboarding_tests is not None else None
    away = {start + timedelta(days=d0 + k) for d0, n in runner.holidays for k in range(n)}
    held = set()
    if runner.care_hold is not None:
        held = {start + timedelta(days=runner.care_hold[0] + k)
                for k in range(runner.care_hold[1])}
    green = GREEN_MAX[runner.profile.injury]

    def keep(h: History, today: date) -> History:
        """A decision after new answers, stored; its safety is checked as it is made, and
        what /today then decides again from the stored history too."""
        d = decide(h, today)
        t.note(today, violations(h, today, d, plan_week(h, today)))
        h = store(h, d, today)
        t.note(today, rule_violations(h, today))
        return h

    def current(h: History, today: date) -> tuple[History, Decision]:
        """/today and the daily prompt, checked as they decide."""
        d = decide(h, today)
        t.note(today, violations(h, today, d, plan_week(h, today)))
        h, d = _current(h, today)
        t.note(today, rule_violations(h, today))
        return h, d
    for i in range(days):
        today = start + timedelta(days=i)
        week = i // 7
        h = replace(h, care_hold=today in held)
        if today in away:
            pending_morning = None
            h, d = current(h, today)  # the daily prompt still decides
            t.log.append((today, d))
            continue
        # the morning check about yesterday's session, or the look again 48 h after an
        # unsettled one (the bot asks both)
        recheck = (h.mornings and not _settled(max(h.mornings, key=lambda m: m.day))
                   and any(p.day == today - timedelta(days=1) for p in h.past)
                   and max(h.mornings, key=lambda m: m.day).day == today - timedelta(days=1))
        if pending_morning is not None or recheck:
            about = pending_morning or max(h.mornings, key=lambda m: m.day)
            run_day = about.day if pending_morning is not None else about.run_day
            worse = pending_morning is not None and pending_morning.stiffness == 9
            m = MorningCheck(today, run_day, Compare.WORSE if worse else Compare.SAME,
                             Compare.SAME, Swelling.NONE)
            h = replace(h, mornings=(*h.mornings, m))
            h = keep(h, today)
            pending_morning = None
        if i in flag_days:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(today, flag_days[i])))
            h = keep(h, today)
        if clear_after is not None and flag_days and i == min(flag_days) + clear_after:
            h = replace(h, red_flags=(*h.red_flags, RedFlagReport(today, frozenset(), 1)))
        h, d = current(h, today)
        due = d.has(ReasonCode.REASSESSMENT_NEEDED) or today.weekday() == 6
        if due and (last_reassess is None or (today - last_reassess).days >= 3
                    or (d.has(ReasonCode.REASSESSMENT_NEEDED) and last_reassess < today
                        and _gap_restart_since(h, last_reassess))):
            # the bot offers the reassessment as soon as the engine asks for one
            h = replace(h, reassessments=(*h.reassessments, passed_tests(today)))
            last_reassess = today
            h = keep(h, today)
            h, d = current(h, today)
        t.log.append((today, d))
        if t.left_walking is None and d.stage >= 2:
            t.left_walking = today
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
            if (t.continuous_30 is None and rx.level >= CONTINUOUS_30 and not rx.capped
                    and max(pd, pa) <= green):
                t.continuous_30 = today
            ws = today - timedelta(days=today.weekday())
            week_minutes[ws] = week_minutes.get(ws, 0) + rx.running_minutes
            target = runner.profile.minutes_per_week_before
            if (t.preinjury_week is None and target > 0 and week_minutes[ws] >= target):
                t.preinjury_week = today
    t.history = h
    t.step_backs = sum(1 for p in h.past
                       if p.events and ReasonCode.RED_FLAG_CLEARED not in p.codes)
    for v in trajectory_violations(t):
        t.note(start, [("run_spacing", v)])
    return t


def _settled(m: MorningCheck) -> bool:
    return ("worse" not in (m.pain, m.stiffness) and m.swelling is Swelling.NONE
            and not m.night_pain)


def _gap_restart_since(h: History, day: date) -> bool:
    """A 28-day gap's restart after `day`: the ready-to-run tests are asked again at once."""
    return any(p.day >= day and ReasonCode.GAP_28_DAYS in p.codes for p in h.past)


# ---------------------------------------------------------------- invariants
def rule_violations(h: History, today: date) -> list[tuple[str, str]]:
    """The notes' rules (bench/rules.py) on one decision and the week planned from it."""
    return violations(h, today, decide(h, today), plan_week(h, today))


def decision_violations(h: History, today: date) -> list[str]:
    """The safety invariants of one decision and the week planned from it."""
    return [f"{rule}: {message}" for rule, message in rule_violations(h, today)]


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
    if rng.random() < 0.15:  # a care-team member holds or caps the plan
        h = replace(h, care_hold=rng.random() < 0.5,
                    stage_cap=rng.choice((None, 1, 2, 3, 4)))
    if rng.random() < 0.5:  # sessions at the runner's own level since it started
        h = _level_block(rng, h, today)
    return h, today


def _level_block(rng: random.Random, h: History, today: date) -> History:
    """Recent sessions at the runner's level, mostly green: some reduced or capped, some
    with pain, some mornings unsettled, late or missing (the progress rules' inputs)."""
    level = h.level
    run, total = running_minutes_table()[level], total_minutes_table()[level]
    since = today - timedelta(days=rng.randint(3, 12))
    checkins: list[CheckIn] = []
    mornings: list[MorningCheck] = []
    day = since
    while day <= today:
        share = rng.choice((1.0, 1.0, 1.0, 1.0, 0.67, 0.75, 0.9))
        pain = rng.choices((0, 1, 2, 3, 5), (0.6, 0.15, 0.1, 0.1, 0.05))[0]
        outcome = rng.choices((Outcome.DONE, Outcome.SHORTER, Outcome.SKIPPED), (0.85, 0.1, 0.05))
        checkins.append(CheckIn(
            day, outcome[0],
            round(total * share) if run == 0 else total, pain, rng.choice((0, 0, 0, 1, pain)),
            rng.random() < 0.02, 0, rng.choices(list(Swelling), (0.94, 0.05, 0.01))[0], 4, 4, 7.0,
            level if rng.random() < 0.9 else max(0, level - 1),
            round(run * share) if run else 0))
        if rng.random() < 0.85:
            late = rng.choices((1, 2, 3), (0.85, 0.1, 0.05))[0]
            worse = rng.random() < 0.15
            mornings.append(MorningCheck(
                day + timedelta(days=late), day, Compare.WORSE if worse and rng.random() < 0.5
                else Compare.SAME, Compare.WORSE if worse else Compare.SAME,
                rng.choices(list(Swelling), (0.95, 0.04, 0.01))[0]))
        day += timedelta(days=rng.choice((1, 2, 2, 3)))
    return replace(h, level_since=min(h.level_since, since),
                   checkins=(*h.checkins, *checkins), mornings=(*h.mornings, *mornings))


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

    flared: list[int] = []

    def flare_week4(run: int, week: int) -> tuple[int, int, bool]:
        """The first two runs of the 4th week hurt (6/10 during, 4 after, worse on waking)."""
        if week == 3 and (len(flared) < 2 or run in flared):
            if run not in flared:
                flared.append(run)
            return 6, 4, True
        return 0, 0, False

    tests = passed_tests(D0)
    three = replace(calf_trained, run_days_per_week=3, runs_per_week_before=3)
    return {
        "trained": Runner("trained", calf_trained, tests),
        "novice": Runner("novice", novice, tests),
        "tendon": Runner("tendon", tendon, tests, tendon_pain),
        "muscle": Runner("muscle", hamstring, tests, muscle_pain),
        "flare": Runner("flare", calf_trained, tests, flare),
        # issue 23: the walking stage with no tests at onboarding, a runner on 3 run days,
        # a flare in the 4th week before 30 min continuous
        "no_tests": Runner("no_tests", calf_trained),
        "three_runs": Runner("three_runs", three, tests),
        "flare_week4": Runner("flare_week4", calf_trained, tests, flare_week4),
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
    runner = Runner(f"random-{seed}", prof, tests, pain, rng.choice((0, 0, 5)))
    if rng.random() < 0.4:  # holidays: days away without running or checking in
        runner = replace(runner, holidays=tuple(
            (rng.randint(10, 150), rng.choice((5, 8, 10, 15, 20, 30, 41)))
            for _ in range(rng.randint(1, 2))))
    if rng.random() < 0.2:  # a physio holds the plan for a while, or caps the stage
        runner = replace(runner, care_hold=(rng.randint(5, 100), rng.randint(7, 50)),
                         stage_cap=rng.choice((None, None, 2, 3, 4)))
    return runner, flags, clear
