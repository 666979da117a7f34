"""How long reading a run recording takes: a one-hour walk/run session recorded once a
second (3,601 samples, with cadence and heart rate), as FIT, GPX and TCX.

    .venv/bin/python -m bench.watch_files

The files are written by tests/watch_files.py (fit-tool, gpxpy, ElementTree); the reader is
activities/reader.read, which the bot runs in a worker thread before the
update's transaction. Prints ``figure: name = value unit`` lines.
"""

from __future__ import annotations

import time

from activities import reader as activity_files
from tests.watch_files import WRITERS, walk_run

REPEATS = 5


def main() -> int:
    parts = walk_run(repeats=11, run_s=240, walk_s=60, warmup_s=300)  # 60 min
    for fmt, write in sorted(WRITERS.items()):
        data = write(parts)
        best = float("inf")
        for _ in range(REPEATS):
            started = time.perf_counter()
            activity = activity_files.read(data, f"run.{fmt}")
            best = min(best, time.perf_counter() - started)
        assert activity.minutes == 60
        print(f"figure: watch_{fmt}_file_size = {len(data) / 1024:.0f} KiB")
        print(f"figure: watch_{fmt}_read_1h_1hz = {best * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
