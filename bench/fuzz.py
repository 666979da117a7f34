"""Bench: the full fuzz run, at least 10,000 arbitrary inputs through every conversation.

Run from the repo root::

    python bench/fuzz.py

It runs tests/test_fuzz_conversations.py with ``RUNCOACH_FUZZ_FULL=1`` (the test suite runs
the same test with a short count) and prints ``figure:`` lines: inputs fed and seconds taken.
Add ``RUNCOACH_TEST_DATABASE_URL=postgresql://…`` to run it on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = dict(os.environ, RUNCOACH_FUZZ_FULL="1")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "tests/test_fuzz_conversations.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    fed = re.search(r"fuzz: (\d+) inputs fed", result.stdout)
    if result.returncode != 0 or fed is None:
        sys.stdout.write(result.stdout[-4000:])
        sys.stderr.write(result.stderr[-4000:])
        print("fuzz: FAILED", file=sys.stderr)
        return 1
    inputs = int(fed.group(1))
    print(f"figure: fuzz_inputs = {inputs} inputs")
    print(f"figure: fuzz_seconds = {seconds:.1f} s")
    print(f"figure: fuzz_inputs_per_second = {inputs / seconds:.0f} inputs/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
