"""Trajectories: simulated runners replayed through `decide`/`plan_week` as the bot stores them.

Prints `figure: name = value unit` lines: per profile the weeks from the first jog to 30 min
continuous, the weeks to the pre-injury weekly volume, the step-backs, and the number of
safety-invariant violations over every simulated runner (the five profiles plus random
runners with pain, skipped sessions, red flags and clearances).

    .venv/bin/python bench/trajectories.py [--random N] [--weeks W]

Targets (issue 11): trained <= 4 weeks to 30 min continuous and <= 12 weeks to pre-injury
volume; novice <= 9 weeks to 30 min; tendon at 4/10 settled <= 8 weeks to 30 min; back to the
pre-flare level within 3 weeks of a week-4 flare; 0 safety violations. Issue 23: the walking
stage in at most 7 days when no tests were done at onboarding (`walk_stage_days_no_tests`),
a runner on 3 run days back to the pre-injury week in at most 14 weeks
(`three_runs_weeks_to_preinjury_volume`), at most 5 weeks to 30 min continuous with a flare in
the 4th week (`flare_week4_weeks_to_30min`). Safety: the notes' rules of bench/rules.py on
every decision of every simulated runner (holidays, a physio's hold or cap included).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from datetime import date  # noqa: E402

from bench.rules import RULES  # noqa: E402
from bench.simulation import (  # noqa: E402
    D0,
    Trajectory,
    profiles,
    random_runner,
    simulate,
)
from progression import LADDER  # noqa: E402


def figure(name: str, value: float | int | str, unit: str) -> None:
    if isinstance(value, float):
        value = f"{value:.1f}"
    print(f"figure: {name} = {value} {unit}", flush=True)


def weeks(t: Trajectory, until: date | None) -> float | str:
    w = t.weeks(until)
    return "never" if w is None else w


def flare_recovery(t: Trajectory) -> float | str:
    """Weeks from the first run over the limit (the flare) until the runner is back at the
    level they held before it."""
    ceiling = 3
    bad = sorted((c for c in t.history.checkins if c.pain_during > ceiling),
                 key=lambda c: c.day)
    if not bad:
        return "no flare"
    flare = bad[0].day
    before = max((d.level for day, d in t.log if day < flare), default=0)
    for day, d in t.log:
        if day > flare and d.level >= before:
            return (day - flare).days / 7
    return "never"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--random", type=int, default=300, help="random runners (safety count)")
    ap.add_argument("--weeks", type=int, default=26)
    args = ap.parse_args()
    days = 7 * args.weeks
    started = time.process_time()
    violations = 0
    runs: dict[str, Trajectory] = {}
    for name, runner in profiles().items():
        t = simulate(runner, days=days)
        runs[name] = t
        violations += len(t.violations)
        for v in t.violations[:5]:
            print(f"  violation ({name}): {v}", file=sys.stderr)
        print(f"# {name}: first jog {t.first_jog}, 30 min continuous {t.continuous_30}, "
              f"pre-injury volume {t.preinjury_week}, final level "
              f"{LADDER[t.history.level].code}")
        figure(f"{name}_weeks_to_30min", weeks(t, t.continuous_30), "weeks")
        if runner.profile.minutes_per_week_before > 0:
            figure(f"{name}_weeks_to_preinjury_volume", weeks(t, t.preinjury_week), "weeks")
        figure(f"{name}_step_backs", t.step_backs, "count")
    figure("trained_weeks_to_30min", weeks(runs["trained"], runs["trained"].continuous_30),
           "weeks")
    figure("trained_weeks_to_preinjury_volume",
           weeks(runs["trained"], runs["trained"].preinjury_week), "weeks")
    figure("novice_weeks_to_30min", weeks(runs["novice"], runs["novice"].continuous_30),
           "weeks")
    figure("tendon_weeks_to_30min", weeks(runs["tendon"], runs["tendon"].continuous_30),
           "weeks")
    figure("flare_weeks_to_recover", flare_recovery(runs["flare"]), "weeks")
    walked = runs["no_tests"].left_walking
    figure("walk_stage_days_no_tests", "never" if walked is None else (walked - D0).days,
           "days")
    figure("three_runs_weeks_to_preinjury_volume",
           weeks(runs["three_runs"], runs["three_runs"].preinjury_week), "weeks")
    figure("flare_week4_weeks_to_30min",
           weeks(runs["flare_week4"], runs["flare_week4"].continuous_30), "weeks")
    found = sum((t.found for t in runs.values()), start=collections.Counter())
    rng = random.Random(20261125)
    for _ in range(args.random):
        runner, flags, clear = random_runner(rng)
        t = simulate(runner, days=days, flags=flags, clear_after=clear)
        violations += len(t.violations)
        found += t.found
        for v in t.violations[:3]:
            print(f"  violation ({runner.name}): {v}", file=sys.stderr)
    figure("simulated_runners", len(runs) + args.random, "runners")
    figure("safety_violations", violations, "count")
    for rule in RULES:
        figure(f"simulated_{rule}_violations", found[rule], "count")
    figure("bench_cpu_seconds", time.process_time() - started, "s")


if __name__ == "__main__":
    main()
