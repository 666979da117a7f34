"""Scheduler benchmark: finding who is due among 100,000 runners, a paced fan-out to the Bot
API double enforcing 30 messages/s, and the bot process's memory with 100 and 100,000 runners.

    python bench/scheduler.py                                   # SQLite (a temporary file)
    python bench/scheduler.py --database postgresql://postgres@127.0.0.1:5432/test
    python bench/scheduler.py --fanout 600 --rss-runners 100,20000   # quicker

On PostgreSQL everything lives in a schema of its own (bench_<random>), dropped at the end.
Figures are printed one per line as ``figure: <name> = <value> <unit>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text, update  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot_api_double import BotApiDouble  # noqa: E402
from conversations import Services  # noqa: E402
from storage import Database, schedule  # noqa: E402
from storage.db import is_sqlite, normalize_url  # noqa: E402
from storage.models import Runner  # noqa: E402

TOKEN = "123456:BENCHtokenNotSecret0123456789abcdefgh"
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
    "UTC",
]
# The benchmark's "now": a Monday morning in Europe.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def figure(name: str, value: float, unit: str) -> None:
    print(f"figure: {name} = {value:.6g} {unit}", flush=True)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- databases


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[Database]:
    """A fresh database: a temporary SQLite file, or a new PostgreSQL schema dropped after."""
    if url is None or is_sqlite(url):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
            await db.migrate()
            try:
                yield db
            finally:
                await db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, schema=schema)
    db.bench_schema = schema  # type: ignore[attr-defined]
    try:
        await db.migrate()
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def runner_values(i: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """A realistic population: mostly active, some paused, blocked, new and referred."""
    roll = rng.random()
    status, blocked, paused_until = "active", False, None
    if roll < 0.04:
        status, paused_until = "paused", date(2026, 3, 2) + timedelta(days=rng.randint(1, 20))
    elif roll < 0.07:
        blocked = True
    elif roll < 0.09:
        status = "new"
    elif roll < 0.10:
        status = "referred"
    values: dict[str, Any] = {
        "telegram_user_id": 10_000_000 + i,
        "chat_id": 10_000_000 + i,
        "language": rng.choice(["en", "ru", "es", "de"]),
        "time_zone": ZONES[i % len(ZONES)],
        "reminder_minute": rng.randrange(5 * 60, 22 * 60, 15),
        "reassess_weekday": rng.randrange(7),
        "status": status,
        "blocked": blocked,
        "paused_until": paused_until,
        "injury": "calf_strain",
        "side": "left",
        "injury_date": date(2026, 1, 10),
        "rest_pain": 0,
        "walk_pain": 1,
        "runs_per_week_before": 3,
        "minutes_per_week_before": 120,
        "run_days_per_week": 3,
        "preferred_days": "0,2,4",
        "level": 0,
        "consent_at": datetime(2026, 2, 27, tzinfo=UTC),
        "created_at": datetime(2026, 2, 27, tzinfo=UTC),
        "updated_at": datetime(2026, 2, 27, tzinfo=UTC),
    }
    probe = Runner(**{k: v for k, v in values.items() if k != "updated_at"})
    values["next_due_at"] = schedule.first_due(probe, now)
    return values


async def populate(db: Database, count: int, now: datetime, *, scheduled: bool = True) -> None:
    rng = random.Random(20260302)
    chunk = 5_000
    for start in range(0, count, chunk):
        rows = [runner_values(i, rng, now) for i in range(start, min(count, start + chunk))]
        if not scheduled:
            for row in rows:
                row["next_due_at"] = None
        async with db.session() as session:
            await session.execute(insert(Runner), rows)
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------- 1. finding who is due


async def bench_due_query(db: Database, runners: int, batch: int) -> None:
    started = time.perf_counter()
    await populate(db, runners, NOW)
    note(f"populated {runners} runners in {time.perf_counter() - started:.1f} s")
    for label, now in (
        ("tick", NOW + timedelta(minutes=15, seconds=30)),  # reminders are on quarter hours
        ("after_1h", NOW + timedelta(hours=1)),
    ):
        timings = []
        found = 0
        for _ in range(15):
            t = time.perf_counter()
            async with db.session() as session:
                rows = await schedule.due_runners(session, now, batch)
                found = len(rows)
            timings.append((time.perf_counter() - t) * 1000)
        figure(f"due_query_{label}_ms", statistics.median(timings), "ms")
        figure(f"due_query_{label}_rows", found, "runners")
    # every due runner after an hour of downtime, paged as the tick pages (batch at a time)
    timings = []
    total = 0
    for _ in range(5):
        t = time.perf_counter()
        total = 0
        after = None
        while True:
            async with db.session() as session:
                rows = await schedule.due_runners(session, NOW + timedelta(hours=1), batch, after)
            total += len(rows)
            if len(rows) < batch:
                break
            after = (rows[-1].next_due_at, rows[-1].id)
        timings.append((time.perf_counter() - t) * 1000)
    figure("find_all_due_after_1h_ms", statistics.median(timings), "ms")
    figure("find_all_due_after_1h_rows", total, "runners")
    timings = []
    for _ in range(15):
        t = time.perf_counter()
        async with db.session() as session:
            await schedule.unscheduled_runners(session, batch)
        timings.append((time.perf_counter() - t) * 1000)
    figure("unscheduled_query_ms", statistics.median(timings), "ms")
    if not is_sqlite(db.url):
        async with db.session() as session:
            plan = await session.execute(
                text(
                    "EXPLAIN SELECT id, status, blocked, next_due_at FROM runners "
                    "WHERE next_due_at <= :now ORDER BY next_due_at, id LIMIT :n"
                ),
                {"now": (NOW + timedelta(minutes=15, seconds=30)).replace(tzinfo=None), "n": batch},
            )
            note("plan: " + " | ".join(r[0].strip() for r in plan))


# --------------------------------------------------------------------------- 2. the fan-out


class RemoteDouble:
    """The Bot API double in a process of its own, like Telegram: its timing is not disturbed
    by the bot's work, and its memory is not the bot's. Controlled over stdin/stdout."""

    def __init__(self, rate: float | None = None) -> None:
        # niced up (when allowed) so that the double, which stands for Telegram's servers,
        # stamps arrivals when they arrive, not when a busy 2-CPU machine gets round to it
        command = ["nice", "-n", "-10", sys.executable, __file__, "--double-child"]
        if rate:
            command += ["--rate", str(rate)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.ask("quit")
        self.process.wait(10)


async def double_child(rate: float | None) -> None:
    # The double stands for Telegram and stamps each request as it handles it. It keeps every
    # message it receives, and as that heap grows Python's full garbage collections stall it
    # for up to ~80 ms; the requests that arrived meanwhile would be stamped together when it
    # resumes, as if the bot had sent them in a burst. Telegram's servers do not pause like
    # that, so the double's cyclic collector is off (reference counting still frees memory).
    gc.disable()
    async with BotApiDouble() as double:
        if rate:
            double.enforce_rate(rate)
        print(double.base_url, flush=True)
        loop = asyncio.get_running_loop()
        seen = 0.0
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "times":  # arrival times of messages sent since the last call
                times = sorted(
                    m.date
                    for chat in list(double._sent.values())
                    for m in chat
                    if m.method == "sendMessage" and m.date > seen
                )
                seen = times[-1] if times else seen
                print(json.dumps({"times": times, "stats": dict(double.stats)}), flush=True)
            else:
                print(json.dumps({"bye": True}), flush=True)
                return


class Burners:
    """``count`` processes spinning on the CPU beside the bot for the whole fan-out, as on a
    busy machine: the bot is starved of CPU now and then, and must still keep its rate."""

    def __init__(self, count: int) -> None:
        code = "while True: pass"
        self.processes = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait(10)


async def fan_out(
    db: Database,
    double: RemoteDouble,
    count: int,
    *,
    paced: bool,
    skip: int = 0,
    days: int = 1,
    paid: bool = False,
    burners: int = 0,
    label: str | None = None,
) -> None:
    """``count`` runners due at the same minute, sent by the scheduler through the bot that
    bot/app.py builds for ``runcoach run`` (``PacedRateLimiter`` under every request, the heap
    settled as after start-up). ``paced=False``: PTB's ``AIORateLimiter(29/s)`` instead, with
    the scheduler's own ``Pacer`` on top: the set-up bot/app.py had first, for comparison.
    ``paid``: with paid broadcasts on (``PAID_BROADCAST``). ``burners``: that many processes
    spinning on the CPU beside the bot for the whole run. Lateness: when each prompt
    reached the double, counted from the minute all of them fell due."""
    from telegram.ext import AIORateLimiter, ExtBot

    from bot.app import build_application, settle_heap
    from bot.delivery import DEFAULT_RATE
    from bot.scheduler import Scheduler
    from bot.settings import Settings

    day = NOW.date() + timedelta(days=days)
    due = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
    async with db.session() as session:
        picked = (
            await session.execute(
                text(
                    "SELECT id, chat_id FROM runners WHERE status = 'active' AND NOT blocked "
                    "ORDER BY id LIMIT :n OFFSET :skip"
                ),
                {"n": count, "skip": skip},
            )
        ).all()
        ids = [row.id for row in picked]
        # only these are due; everybody else is looked at next month
        await session.execute(update(Runner).values(next_due_at=due + timedelta(days=30)))
        await session.execute(
            update(Runner)
            .where(Runner.id.in_(list(ids)))
            .values(time_zone="UTC", reminder_minute=8 * 60, next_due_at=due)
        )
    base = time.monotonic()
    wall_due = time.time()  # the double stamps arrivals with time.time()

    def clock() -> datetime:
        return due + timedelta(seconds=time.monotonic() - base)

    services = Services(db=db, clock=clock)
    if paced:  # bot/app.py as ``runcoach run`` builds it
        paid_option = {"paid_broadcast": True} if paid else {}
        settings = Settings(
            token=TOKEN, api_url=double.base_url, database_url=db.url, **paid_option
        )
        app = build_application(settings, services=services, rate_limit=True)
        await app.initialize()
        settle_heap()  # as ``runcoach run`` does in post_init (not run here: no polling)
        bot: Any = app.bot
        closing = app.shutdown
    else:
        limiter = AIORateLimiter(overall_max_rate=29, max_retries=3)
        bot = ExtBot(TOKEN, base_url=double.base_url, rate_limiter=limiter)
        await bot.initialize()
        closing = bot.shutdown
    workers = int(os.environ.get("BENCH_CONCURRENCY", "64" if paid else "16"))
    paid_rate = {"paid_rate": Settings(token=TOKEN).paid_broadcast_rate} if paid else {}
    scheduler = Scheduler(bot, services, rate=DEFAULT_RATE, concurrency=workers, **paid_rate)
    before = double.ask("times")["stats"]
    started = time.perf_counter()
    sent = 0
    burning = Burners(burners)
    try:
        while sent < len(ids):
            stats = await scheduler.tick()
            sent += stats.sent
            if stats.looked_at == 0 and stats.reclaimed == 0:
                break
    finally:
        burning.stop()
        await closing()
    elapsed = time.perf_counter() - started
    answer = double.ask("times")
    stamps = answer["times"]
    limited = answer["stats"].get("too_many_requests", 0) - before.get("too_many_requests", 0)
    window = stamps[-1] - stamps[0] if len(stamps) > 1 else elapsed
    label = label or ("fanout" if paced else "fanout_aioratelimiter")
    figure(f"{label}_messages", sent, "messages")
    figure(f"{label}_rate", (len(stamps) - 1) / window if window else 0.0, "messages/s")
    figure(f"{label}_429_answers", limited, "answers")
    figure(f"{label}_seconds", elapsed, "s")
    window = getattr(scheduler, "window", None)  # (absent before issue 26: 16 workers)
    if window is not None:
        figure(f"{label}_in_flight_peak", window.peak, "deliveries")
    late = sorted(t - wall_due for t in stamps)
    p99 = late[min(len(late) - 1, int(0.99 * len(late)))] if late else 0.0
    if label == "fanout":
        figure("prompt_lateness_p99_s_free", p99, "s")
    elif label == "fanout_cpu_starved":
        figure("fanout_429_answers_cpu_starved", limited, "answers")
    elif label == "fanout_paid":
        figure("prompt_lateness_p99_s_paid", p99, "s")
        figure(
            "fanout_paid_broadcasts",
            answer["stats"].get("paid_broadcasts", 0) - before.get("paid_broadcasts", 0),
            "messages",
        )
    # the fastest any one-second window was, as the double counts it
    peak = 0
    j = 0
    for i, t in enumerate(stamps):
        while t - stamps[j] >= 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    figure(f"{label}_peak_per_second", peak, "messages")


# --------------------------------------------------------------------------- 3. memory


def rss_kib() -> tuple[int, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def rss_child(url: str, api_url: str | None, catch_up_minutes: int) -> None:
    """The bot process: the Application, the scheduler and a double; a full tick that
    schedules every runner (all never scheduled), then a tick after ``catch_up_minutes``
    of downtime that sends every prompt that fell due."""
    from bot.app import build_application
    from bot.scheduler import Scheduler
    from bot.settings import Settings

    schema = os.environ.get("BENCH_SCHEMA")
    db = Database(url, schema=schema) if schema else Database(url)
    now = NOW

    def clock() -> datetime:
        return now

    local = None
    if api_url is None:  # no double given: one in this process (its memory counts too)
        local = BotApiDouble()
        await local.start()
        api_url = local.base_url
    services = Services(db=db, clock=clock)
    settings = Settings(token=TOKEN, api_url=api_url, database_url=db.url)
    app = build_application(settings, services=services, rate_limit=False)
    await app.initialize()
    scheduler = Scheduler(app.bot, services, rate=None)
    first = await scheduler.tick()
    now = NOW + timedelta(minutes=catch_up_minutes)
    second = await scheduler.tick()
    await app.shutdown()
    if local is not None:
        await local.stop()
    await db.dispose()
    current, peak = rss_kib()
    print(
        json.dumps(
            {
                "rss_kib": current,
                "peak_kib": peak,
                "scheduled": first.scheduled,
                "sent": second.sent,
                "tick_seconds": first.seconds + second.seconds,
            }
        )
    )


async def bench_rss(url: str | None, sizes: list[int], catch_up_minutes: int) -> None:
    for size in sizes:
        async with database(url) as db:
            await populate(db, size, NOW, scheduled=False)
            env = dict(os.environ)
            schema = getattr(db, "bench_schema", None)
            if schema:
                env["BENCH_SCHEMA"] = schema
            double = RemoteDouble()
            child = subprocess.run(  # noqa: ASYNC221 - nothing else runs meanwhile
                [
                    sys.executable,
                    __file__,
                    "--rss-child",
                    "--api-url",
                    double.base_url,
                    "--database",
                    db.url,
                    "--catch-up-minutes",
                    str(catch_up_minutes),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            double.close()
            if child.returncode != 0:
                raise SystemExit(f"memory child failed:\n{child.stderr[-3000:]}")
            result = json.loads(child.stdout.strip().splitlines()[-1])
        note(f"{size} runners: {result}")
        figure(f"rss_{size}_runners", result["rss_kib"] / 1024, "MiB")
        figure(f"peak_rss_{size}_runners", result["peak_kib"] / 1024, "MiB")
        figure(f"rss_{size}_runners_prompts_sent", result["sent"], "messages")


# --------------------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> None:
    url = args.database
    backend = "sqlite" if url is None or is_sqlite(url) else "postgresql"
    note(f"backend: {backend}")
    if args.runners:
        async with database(url) as db:
            await bench_due_query(db, args.runners, args.batch)
    if args.fanout:
        async with database(url) as db:
            most = max(args.fanout, args.starved_fanout, args.paid_fanout)
            await populate(db, int((most + args.current) * 1.15) + 100, NOW)
            double = RemoteDouble(rate=30)
            try:
                if args.current:
                    await fan_out(db, double, args.current, paced=False)
                    await asyncio.sleep(2)
                await fan_out(db, double, args.fanout, paced=True, skip=args.current, days=2)
                if args.starved_fanout:
                    note(f"fan-out beside {args.burners} CPU-burning processes")
                    await fan_out(
                        db,
                        double,
                        args.starved_fanout,
                        paced=True,
                        skip=args.current,
                        days=3,
                        burners=args.burners,
                        label="fanout_cpu_starved",
                    )
                if args.paid_fanout:
                    await fan_out(
                        db,
                        double,
                        args.paid_fanout,
                        paced=True,
                        skip=args.current,
                        days=4,
                        paid=True,
                        label="fanout_paid",
                    )
            finally:
                double.close()
    sizes = [int(s) for s in args.rss_runners.split(",") if s]
    if sizes:
        await bench_rss(url, sizes, args.catch_up_minutes)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    parser.add_argument("--runners", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200, help="the tick's page size")
    parser.add_argument("--fanout", type=int, default=10_000, help="prompts in the fan-out")
    parser.add_argument(
        "--starved-fanout",
        type=int,
        default=10_000,
        help="then a fan-out of this many beside CPU-burning processes (0: none)",
    )
    parser.add_argument("--burners", type=int, default=3, help="CPU-burning processes")
    parser.add_argument(
        "--paid-fanout",
        type=int,
        default=10_000,
        help="then a fan-out of this many with paid broadcasts on (0: none)",
    )
    parser.add_argument(
        "--current",
        type=int,
        default=0,
        help="first a fan-out of this many through PTB's AIORateLimiter (comparison)",
    )
    parser.add_argument("--rss-runners", default="100,100000", help="sizes for the memory test")
    parser.add_argument("--catch-up-minutes", type=int, default=15)
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--double-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.double_child:
        asyncio.run(double_child(arguments.rate))
    elif arguments.rss_child:
        asyncio.run(rss_child(arguments.database, arguments.api_url, arguments.catch_up_minutes))
    else:
        asyncio.run(main(arguments))
