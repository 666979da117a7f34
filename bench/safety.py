"""Safety over random histories: the notes' rules, checked independently of the engine's code.

Each history mixes same-day entries, gaps, out-of-order dates, red flags and clearances
mid-way, cross-training with pain, and a care-team hold or stage cap; for each, `decide` and
`plan_week` are judged by `bench/rules.py`, which re-derives every rule from
/work/shared/protocol-notes.md without calling the engine's helpers: referrals (night pain
included), no progress within 48 h of warning pain, no run on a step-back day, run spacing,
gaps (from the last run, once per tier), green sessions (the level's own session in full,
settled, counted again after an unsettled morning), no progress before the latest morning
check or within a day of an unsettled one, and escalation (symptom step-backs only, cleared
by moving up, never "see a clinician" while a care-team member holds or caps the plan).

    .venv/bin/python bench/safety.py [--count 100000] [--seed 0]

Prints `figure: safety_histories`, `safety_violations` (every rule together), and one figure
per rule: `gap_rule_violations`, `green_count_violations`,
`escalation_while_care_team_holds`, `progress_after_unsettled_morning`, ... The suite runs the
same check on 3,000 histories (RUNCOACH_PROPERTY_COUNT raises it).
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

from bench.rules import RULES  # noqa: E402
from bench.simulation import random_history, rule_violations  # noqa: E402

# the figure each rule prints under (the names where it names one)
FIGURES = {rule: f"{rule}_violations" for rule in RULES}
FIGURES["escalation_while_care_team_holds"] = "escalation_while_care_team_holds"
FIGURES["progress_after_unsettled_morning"] = "progress_after_unsettled_morning"
FIGURES["progress_before_morning_check"] = "progress_before_morning_check"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    started = time.process_time()
    found: collections.Counter[str] = collections.Counter()
    example: dict[str, tuple[int, str]] = {}
    for seed in range(args.seed, args.seed + args.count):
        history, today = random_history(random.Random(seed))
        for rule, message in rule_violations(history, today):
            found[rule] += 1
            example.setdefault(rule, (seed, message))
    for rule, n in found.most_common():
        seed, message = example[rule]
        print(f"  {n} x {rule}: {message} (first at seed {seed})", file=sys.stderr)
    print(f"figure: safety_histories = {args.count} count")
    print(f"figure: safety_violations = {sum(found.values())} count")
    for rule in RULES:
        print(f"figure: {FIGURES[rule]} = {found[rule]} count")
    print(f"figure: safety_cpu_seconds = {time.process_time() - started:.1f} s")


if __name__ == "__main__":
    main()
