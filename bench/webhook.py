"""Webhook mode with 1, 2 and 4 ``runcoach run --webhook`` processes on one PostgreSQL.

    python bench/webhook.py [--database postgresql://…] [--runners 200] [--seconds 60]
                            [--think 1.0] [--processes 1,2,4]

``--runners`` seeded runners (onboarded, active) talk at a human pace: each sends a command
(/today, /help, /plan in turn), waits for the answer, thinks ``--think`` s (±50 %, random),
and goes again. The Bot API double delivers the updates to the processes' webhooks as
Telegram does (a chat's next update after the previous one's 200; a load balancer spreads
them over the processes) and takes the replies. The bots run as in production
(``runcoach run``), each with ``SEND_RATE=--send-rate`` (default 1000/s, so the pacer,
which holds one process at ~29 replies/s in production, does not hide what the processes and
the database can do). After a 3 s warm-up, ``--seconds`` s are
measured. Prints, for each process count N:

* ``figure: webhook_updates_per_second_pN``: updates answered per second;
* ``figure: webhook_p99_ms_pN``: the 99th percentile of a runner's wait, from sending the
  command to the reply reaching the double;

* ``figure: webhook_bot_cpu_ms_per_update_pN``: CPU time the bot processes spent per update
  (PostgreSQL's and the double's not counted): with every core busy, updates/s cannot pass
  cores / this;

and ``figure: webhook_scaling_4_vs_1`` (updates/s with 4 processes over 1). Exits 1 when a
runner got a wrong or no answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot_api_double import BotApiDouble  # noqa: E402
from storage import Database  # noqa: E402
from storage.db import normalize_url  # noqa: E402
from tests.storm import TOKEN, runner_row  # noqa: E402
from tests.webhooks import Processes  # noqa: E402

COMMANDS = ("/today", "/help", "/plan")
FIRST_USER = 880_000


def figure(name: str, value: float, unit: str) -> None:
    print(f"figure: {name} = {value:.6g} {unit}", flush=True)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_once(
    url: str, processes: int, args: argparse.Namespace, workdir: Path
) -> tuple[float, float, float, int]:
    schema = f"bw_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    database_url = f"{normalize_url(url)}{sep}search_path={schema}"
    db = Database(database_url)
    problems = 0
    try:
        await db.migrate()
        now = datetime.now(UTC)
        users = [FIRST_USER + i for i in range(args.runners)]
        async with db.session() as session:
            session.add_all(runner_row(uid, now) for uid in users)
        async with BotApiDouble() as double:
            bots = Processes(double, TOKEN, database_url, workdir, processes)
            bots.env["SEND_RATE"] = str(args.send_rate)
            try:
                await bots.start()
                for _ in range(600):
                    if double.bot(TOKEN).webhook_url:
                        break
                    await asyncio.sleep(0.1)
                double.route_webhook(TOKEN, bots.urls)
                loop = asyncio.get_running_loop()
                start = loop.time() + 3.0
                end = start + args.seconds
                waits: list[float] = []
                answered = 0

                async def runner(uid: int) -> None:
                    nonlocal answered, problems
                    rng = random.Random(uid)
                    await asyncio.sleep(rng.uniform(0, args.think))
                    n = 0
                    while loop.time() < end:
                        mark = double.mark(uid)
                        sent_at = time.perf_counter()
                        double.send_text(TOKEN, uid, COMMANDS[n % len(COMMANDS)])
                        try:
                            replies = await double.wait_for(uid, 1, since=mark, timeout=60)
                        except Exception:
                            problems += 1
                            return
                        took = time.perf_counter() - sent_at
                        if not replies[0].text:
                            problems += 1
                        if start <= loop.time() <= end:
                            waits.append(took)
                            answered += 1
                        n += 1
                        await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))

                pids = [process.pid for process in bots.processes]
                cpu: list[float] = []

                async def sample() -> None:
                    await asyncio.sleep(max(0.0, start - loop.time()))
                    cpu.append(cpu_seconds(pids))
                    await asyncio.sleep(max(0.0, end - loop.time()))
                    cpu.append(cpu_seconds(pids))

                await asyncio.gather(sample(), *(runner(uid) for uid in users))
            finally:
                codes = await bots.stop()
            if any(code != 0 for code in codes):
                note(f"exit codes {codes}")
                problems += 1
        rate = answered / args.seconds
        cpu_ms = (cpu[1] - cpu[0]) * 1000 / answered if answered else float("nan")
        return rate, percentile(waits, 0.99) * 1000, cpu_ms, problems
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--database",
        default=os.environ.get("RUNCOACH_TEST_DATABASE_URL")
        or os.environ.get("RUNCOACH_PG_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    p.add_argument("--runners", type=int, default=200)
    # long enough for a steady figure: a few thousand updates even on a busy machine
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--think", type=float, default=1.0)
    p.add_argument("--processes", default="1,2,4")
    p.add_argument(
        "--send-rate",
        type=float,
        default=1000.0,
        help="SEND_RATE of each process (default 1000: the pacer out of the way, so the "
        "figures show what the processes and the database do; 29 as in production caps "
        "one process at ~29 replies/s)",
    )
    args = p.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    note(
        f"{os.cpu_count()} CPU(s); {args.runners} runners, think {args.think} s, "
        f"SEND_RATE {args.send_rate}"
    )
    rates: dict[int, float] = {}
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            rate, p99, cpu_ms, bad = await run_once(args.database, n, args, Path(tmp))
            rates[n] = rate
            problems += bad
            figure(f"webhook_updates_per_second_p{n}", rate, "updates/s")
            figure(f"webhook_p99_ms_p{n}", p99, "ms")
            figure(f"webhook_bot_cpu_ms_per_update_p{n}", cpu_ms, "ms")
    if 1 in rates and 4 in rates and rates[1] > 0:
        figure("webhook_scaling_4_vs_1", rates[4] / rates[1], "x")
    if problems:
        note(f"{problems} runner(s) got a wrong or no answer")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
