"""Safety invariants over random histories: the full count behind the suite's smaller one.

Each history mixes same-day entries, gaps, out-of-order dates, red flags and clearances
mid-way, and cross-training with pain; for each, `decide` and `plan_week` must hold every
invariant of `bench.simulation.decision_violations`: no progress while a referral is open, no
progress within 48 h of warning pain in any session, no run on the day of a step back, the
run-day rules, a reason on every decision.

    .venv/bin/python bench/safety.py [--count 100000] [--seed 0]

Prints `figure: safety_histories = N count` and `figure: safety_history_violations = N count`.
The suite runs the same check on 3,000 histories (RUNCOACH_PROPERTY_COUNT raises it).
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

from bench.simulation import decision_violations, random_history  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    started = time.process_time()
    found: collections.Counter[str] = collections.Counter()
    example: dict[str, int] = {}
    for seed in range(args.seed, args.seed + args.count):
        history, today = random_history(random.Random(seed))
        for v in decision_violations(history, today):
            found[v] += 1
            example.setdefault(v, seed)
    for v, n in found.most_common():
        print(f"  {n} x {v} (first at seed {example[v]})", file=sys.stderr)
    print(f"figure: safety_histories = {args.count} count")
    print(f"figure: safety_history_violations = {sum(found.values())} count")
    print(f"figure: safety_cpu_seconds = {time.process_time() - started:.1f} s")


if __name__ == "__main__":
    main()
