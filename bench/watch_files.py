"""Watch files: how long reading a recording takes, what the corpus of real recordings reads
as, and whether every run far over the plan gets the overrun reply.

    .venv/bin/python -m bench.watch_files

1. Read time: a one-hour walk/run session recorded once a second (3,601 samples, with cadence
   and heart rate) as FIT, GPX and TCX, written by tests/watch_files.py (fit-tool, gpxpy,
   ElementTree), read by activities/reader.read (the bot runs it in a worker thread before
   the update's transaction).
2. The corpus (tests/corpus.py): real recordings from parser libraries' test suites and the
   quirk files. ``watch_corpus_runs_refused`` counts the files that hold a run or walk and
   are refused, whatever the reason.
3. The overrun reply: every corpus recording that reads as a session is sent, as today's
   run, by a runner on a walking-only day, on the first walk/run day (6 minutes of running)
   and on a 60-minute easy-run day, through the conversation layer itself
   (conversations/watch.received, on a SQLite database, no Telegram; a file with no date is
   answered "Today"). A run is *far* over the
   plan when it ran at least twice the planned running and 10 minutes more (independent of
   the 5 min and 30 % margin the bot applies); ``watch_overrun_unflagged`` counts those
   answered without the overrun reply, ``watch_overrun_false_alarms`` the runs within the
   planned running that got it.

Prints ``figure: name = value unit`` lines.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from activities import reader as activity_files
from tests.corpus import CORPUS
from tests.watch_files import WRITERS, walk_run

REPEATS = 5
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # a Wednesday evening
PLANS = {"walking day": 7, "first walk/run day": 8, "60-minute run day": 22}


def read_times() -> None:
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


def read_corpus() -> dict[str, activity_files.Activity]:
    sessions: dict[str, activity_files.Activity] = {}
    refused: list[str] = []
    slowest = 0.0
    for entry in CORPUS:
        data = entry.data()
        started = time.perf_counter()
        try:
            sessions[entry.name] = activity_files.read(data, entry.name)
        except activity_files.Unreadable as bad:
            if entry.holds:
                refused.append(f"{entry.name} ({bad.reason})")
        slowest = max(slowest, time.perf_counter() - started)
    real = [e for e in CORPUS if e.real]
    print(f"figure: watch_corpus_files = {len(real)} files")
    print(f"figure: watch_corpus_quirk_files = {len(CORPUS) - len(real)} files")
    print(f"figure: watch_corpus_runs_refused = {len(refused)} files")
    for name in refused:
        print(f"#   refused: {name}")
    misread = [e for e in CORPUS if e.misread]
    print(f"figure: watch_corpus_not_on_foot_counted = {len(misread)} files")
    print(f"figure: watch_corpus_slowest_read = {slowest * 1000:.0f} ms")
    return sessions


async def overrun_replies(sessions: dict[str, activity_files.Activity]) -> None:
    from conversations import bootstrap, engine, watch  # noqa: F401  (bootstrap: subscribers)
    from conversations.context import Ctx, Services
    from conversations.decisions import current
    from locales import translator
    from progression import plan_week
    from storage import runners as store
    from storage.db import Database

    heading = translator("en").gettext("This was well over your plan.")
    far = unflagged = false_alarms = answered = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
        await db.migrate()
        user = 9_500_000
        for name, activity in sessions.items():
            for plan, level in PLANS.items():
                user += 1
                run = replace(activity, start=NOW - timedelta(seconds=activity.elapsed_s + 1800))
                async with db.session() as session:
                    runner = await store.get_or_create_runner(session, user, user, "en")
                    _ready(runner, level, NOW.date())
                    ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=NOW)
                    _, history = await current(ctx)
                    planned = plan_week(history, NOW.date())[0].prescription.running_minutes
                    await watch.received(ctx, watch.Upload(activity=run, sha256=f"{user:064d}"))
                    if not run.dated:  # the file has no date: the runner answers "Today"
                        await engine.answer(ctx, "0")
                    said = "\n".join(o.text for o in ctx.out)
                answered += 1
                flagged = heading in said
                if run.running_minutes >= 2 * planned + 10:
                    far += 1
                    if not flagged:
                        unflagged += 1
                        print(f"#   unflagged: {name} on a {plan} ({planned} min planned)")
                elif run.running_minutes <= planned and flagged:
                    false_alarms += 1
                    print(f"#   false alarm: {name} on a {plan} ({planned} min planned)")
        await db.dispose()
    print(f"figure: watch_overrun_uploads = {answered} uploads")
    print(f"figure: watch_overrun_far_over = {far} uploads")
    print(f"figure: watch_overrun_unflagged = {unflagged} uploads")
    print(f"figure: watch_overrun_false_alarms = {false_alarms} uploads")


def _ready(runner: object, level: int, today: date) -> None:
    """A runner with an Achilles tendinopathy, active at ``level`` since 3 days ago."""
    for key, value in {
        "status": "active", "injury": "achilles_tendinopathy", "side": "left",
        "injury_date": today - timedelta(days=42), "rest_pain": 0, "walk_pain": 0,
        "run_days_per_week": 3, "runs_per_week_before": 3, "minutes_per_week_before": 120,
        "time_zone": "UTC", "level": level, "level_since": today - timedelta(days=3),
    }.items():  # fmt: skip
        setattr(runner, key, value)


def main() -> int:
    read_times()
    sessions = read_corpus()
    asyncio.run(overrun_replies(sessions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
