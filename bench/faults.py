"""Faults with real ``runcoach run`` processes: what is lost or doubled when they are killed.

    python bench/faults.py [--database sqlite|postgresql://…] [--kills 10] [--fanout-kills 5]

1. **Check-in storm** (tests/storm.py): runners check in over the loopback double while the
   bot process is killed with SIGKILL ``--kills`` times (and started again each time).
   Prints ``updates_lost`` (an answer never stored), ``replies_lost`` (an answer stored whose
   next question never came), ``answers_duplicated`` (check-ins stored twice), and
   ``typed_answers_dropped`` (half the answers are typed — numbers, minutes, a note — and
   at each kill the next two question edits take effect but answer later than the bot
   waits; a typed answer followed by no reply at all), ``typed_answers_told_not_taken``
   (told at once that an answer came before its question, with the question), and
   ``replies_doubled`` (a question shown to the runner twice: a new message sent, then the
   process died before it recorded that; questions are mostly edits of one living message,
   and an edit sent again changes nothing, so only new messages can double) and
   ``questions_unseen`` (a question a finished runner never saw).
2. **Fan-out**: ``--prompts`` runners due at once; ``runcoach run`` sends their prompts at
   ~29/s to a double that answers 429 above 30/s, and is killed ``--fanout-kills`` times.
   Prints ``prompts_lost_max_per_kill`` (prompts that were on the wire at a kill: marked
   ``sending``, never received, never sent again), ``prompts_lost`` in all,
   ``prompts_duplicated`` (a runner who got the prompt twice) and
   ``prompt_delay_after_kill_max_s`` (from a kill to the arrival of a prompt the killed
   process had claimed but not sent: taken over once its heartbeat stops, not after a
   2-minute lease).
3. **429 for one chat**: one chat gets a 429 with retry_after=5 while another chat asks for
   /help; prints ``other_chat_extra_latency_during_429_ms`` (its reply latency minus the
   usual).
4. **The database away** (``--outage-seconds``, 20): ``--outage-runners`` runners are each at
   the pain question of a check-in when the database goes away: PostgreSQL cut off behind a
   TCP proxy (every connection drops, new ones are refused), or SQLite locked by another
   process (25 s: longer than the 10 s busy timeout). Each runner answers during the outage.
   Prints ``db_outage_answers_lost`` (an answer not stored, or stored as something else),
   ``db_outage_answers_duplicated``, ``db_outage_told_try_again`` (messages that asked a
   runner to repeat themselves) and ``db_outage_recovery_s`` (from the database's return to
   the last runner's next question).
5. **SIGTERM in a flood**: ``--flood`` (800) /help from 80 runners; once a quarter is
   answered, the (first) process gets SIGTERM and is started again. Prints
   ``sigterm_replies_doubled`` (a /help answered twice: a reply sent and not recorded before
   the exit) and ``sigterm_updates_unanswered``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot_api_double import BotApiDouble  # noqa: E402
from storage import Database  # noqa: E402
from storage.db import normalize_url  # noqa: E402
from storage.models import DeliveryRow, Runner  # noqa: E402
from tests.storm import TOKEN, Bots, checkin_storm, runner_row, sigterm_flood  # noqa: E402


def figure(name: str, value: float, unit: str) -> None:
    print(f"figure: {name} = {value:.6g} {unit}", flush=True)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


class Place:
    """A fresh database for one part: a SQLite file, or a PostgreSQL schema dropped after."""

    def __init__(self, database: str, workdir: Path, name: str) -> None:
        self.database = database
        self.workdir = workdir
        self.name = name
        self.schema: str | None = None

    async def __aenter__(self) -> str:
        if self.database == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir}/{self.name}.sqlite3"
        url = normalize_url(self.database)
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_async_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        await admin.dispose()
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}search_path={self.schema}"

    async def __aexit__(self, *exc: object) -> None:
        if self.schema is None:
            return
        admin = create_async_engine(normalize_url(self.database))
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        await admin.dispose()


# --------------------------------------------------------------------------- 1. check-ins


async def bench_storm(database: str, workdir: Path, runners: int, kills: int) -> None:
    async with Place(database, workdir, "storm") as url:
        result = await checkin_storm(
            url,
            workdir,
            runners=runners,
            kills=kills,
            processes=1 if database == "sqlite" else 2,
            kill_every=(1.0, 2.5),
            timeout=90.0,
            type_share=0.5,
            slow_edits=2,
        )
    for problem in result.problems:
        note(problem)
    figure("storm_kills", result.kills, "count")
    figure("storm_runners_finished", result.finished, "count")
    figure("updates_lost", result.updates_lost, "count")
    figure("replies_lost", result.replies_lost, "count")
    figure("answers_duplicated", result.answers_duplicated, "count")
    figure("typed_answers", result.typed, "count")
    figure("typed_answers_dropped", result.typed_answers_dropped, "count")
    figure("typed_answers_told_not_taken", result.told_not_taken, "count")
    figure("replies_doubled", result.replies_doubled, "count")
    figure("replies_doubled_by_edit", result.doubled_by_edit, "count")
    for double in result.doubles:
        note(double)
    figure("questions_unseen", result.questions_unseen, "count")
    figure("storm_wrong_values", result.wrong_values, "count")
    figure("storm_seconds", result.seconds, "s")


# --------------------------------------------------------------------------- 2. fan-out


async def seed_due(db: Database, count: int) -> list[int]:
    now = datetime.now(UTC)
    uids = [80_000 + i for i in range(count)]
    minute = max(0, now.hour * 60 + now.minute - 1)
    async with db.session() as session:
        session.add_all(
            runner_row(
                uid,
                now,
                time_zone="UTC",
                reminder_minute=minute,
                next_due_at=now - timedelta(seconds=30),
            )
            for uid in uids
        )
    return uids


async def sending_rows(db: Database) -> dict[int, int]:
    """Delivery id -> chat id for rows now ``sending``."""
    async with db.session() as session:
        rows = await session.execute(
            select(DeliveryRow.id, Runner.chat_id)
            .join(Runner, Runner.id == DeliveryRow.runner_id)
            .where(DeliveryRow.status == "sending")
        )
        return {int(i): int(c) for i, c in rows}


async def claimed_pending(db: Database) -> dict[int, int]:
    """Delivery id -> chat id for rows a process has claimed and not sent yet."""
    async with db.session() as session:
        rows = await session.execute(
            select(DeliveryRow.id, Runner.chat_id)
            .join(Runner, Runner.id == DeliveryRow.runner_id)
            .where(DeliveryRow.status == "pending", DeliveryRow.claimed_by.is_not(None))
        )
        return {int(i): int(c) for i, c in rows}


async def open_rows(db: Database) -> int:
    async with db.session() as session:
        value = await session.scalar(
            select(text("count(*)"))
            .select_from(DeliveryRow)
            .where(DeliveryRow.status.in_(["pending", "sending"]))
        )
        return int(value or 0)


async def bench_fanout(database: str, workdir: Path, prompts: int, kills: int) -> None:
    async with Place(database, workdir, "fanout") as url:
        db = Database(url)
        await db.migrate()
        uids = await seed_due(db, prompts)
        async with BotApiDouble() as double:
            double.enforce_rate(30)
            bots = Bots(double, url, workdir, 1)
            bots.env.update(TICK_SECONDS="2")
            started = time.monotonic()
            await bots.start(0)
            per_kill: list[int] = []
            seen_sending: set[int] = set()
            # per kill: when, and the chats whose prompt the killed process had claimed
            orphans: list[tuple[float, set[int]]] = []
            spacing = max(4.0, prompts / 29 / (kills + 1))
            try:
                await asyncio.sleep(6.0)  # start-up and the first tick
                for _ in range(kills):
                    await asyncio.sleep(spacing)
                    await bots.kill(0)
                    killed_at = time.time()
                    await asyncio.sleep(0.3)  # whatever was on the wire has arrived
                    orphans.append((killed_at, set((await claimed_pending(db)).values())))
                    stuck = await sending_rows(db)
                    fresh = {i: c for i, c in stuck.items() if i not in seen_sending}
                    seen_sending.update(fresh)
                    lost = sum(1 for c in fresh.values() if not double.sent(c))
                    per_kill.append(lost)
                    note(f"kill: {len(fresh)} delivery(ies) on the wire, {lost} not received")
                    await bots.start(0)
                # wait until every prompt is sent, or left ``sending`` by a killed process
                # (claims of a dead process are taken over once its heartbeat stops)
                deadline = time.monotonic() + 400
                while time.monotonic() < deadline:
                    received = sum(1 for uid in uids if double.sent(uid))
                    stuck = await sending_rows(db)
                    if received + sum(1 for c in stuck.values() if not double.sent(c)) >= len(
                        uids
                    ) and await open_rows(db) <= len(stuck):
                        break
                    await asyncio.sleep(1.0)
            finally:
                await bots.stop_all()
            elapsed = time.monotonic() - started
            counts = [len(double.sent(uid)) for uid in uids]
            async with db.session() as session:
                by_status = dict(
                    (
                        await session.execute(
                            select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
                        )
                    ).all()
                )
            note(f"deliveries by status at the end: {by_status}")
            delays = [
                min(m.date for m in double.sent(chat)) - killed_at
                for killed_at, chats in orphans
                for chat in chats
                if double.sent(chat)
            ]
            await db.dispose()
    figure("fanout_prompts", prompts, "count")
    figure("fanout_kills", len(per_kill), "count")
    figure("prompts_lost_max_per_kill", max(per_kill) if per_kill else 0, "count")
    figure("prompts_lost", sum(1 for n in counts if n == 0), "count")
    figure("prompts_duplicated", sum(max(0, n - 1) for n in counts), "count")
    figure("prompts_orphaned_by_kills", sum(len(c) for _, c in orphans), "count")
    figure("prompt_delay_after_kill_max_s", max(delays) if delays else 0.0, "s")
    figure("fanout_seconds_between_kills", spacing, "s")
    figure("fanout_429_answers", double.stats.get("too_many_requests", 0), "count")
    figure("fanout_with_kills_seconds", elapsed, "s")


# --------------------------------------------------------------------------- 4. an outage


async def bench_outage(database: str, workdir: Path, runners: int, seconds: float) -> None:
    import sqlite3

    from sqlalchemy.engine import make_url

    from bench import taps
    from bot.app import build_application, serving
    from bot.settings import Settings
    from conversations import Services
    from storage.models import CheckInRow
    from tests.conftest import Chat, Clock, choose, onboard
    from tests.dbproxy import CuttableProxy
    from tests.test_outage import _press_without_waiting, _step_after

    proxy: CuttableProxy | None = None
    async with Place(database, workdir, "outage") as url:
        if database != "sqlite":
            target = make_url(url)
            proxy = await CuttableProxy(target.host or "127.0.0.1", target.port or 5432).start()
            url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False
            )
        db = Database(url)
        await db.migrate()
        clock = Clock()
        holder: list[sqlite3.Connection] = []
        async with BotApiDouble() as double:
            settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
            services = Services(db=db)
            services.clock = clock
            app = build_application(settings, services=services, rate_limit=False)
            async with serving(app, poll_timeout=1):
                chats = [Chat(double, 93_000 + i) for i in range(runners)]
                for chat in chats:
                    await onboard(chat, tests="no")
                    await chat.say("/checkin")
                    await choose(chat, "done")
                await double.wait_idle(TOKEN, timeout=30)
                await asyncio.sleep(1.0)
                told_before = len([m for c in chats for m in double.sent(c.user_id)])
                if proxy is not None:
                    proxy.cut()
                else:
                    path = make_url(db.url).database or ""
                    lock = sqlite3.connect(path, timeout=1, isolation_level=None)
                    lock.execute("BEGIN EXCLUSIVE")
                    holder.append(lock)
                for chat in chats:
                    _press_without_waiting(chat, "2")
                await asyncio.sleep(seconds)
                if proxy is not None:
                    proxy.restore()
                else:
                    holder.pop().rollback()
                back = time.monotonic()
                for chat in chats:
                    await _step_after(db, chat, "pain_during", timeout=120)
                recovery = time.monotonic() - back
                for chat in chats:
                    await taps.drive(chat, db, {**taps.A_LITTLE_PAIN, "pain_during": "2"}, 0)
                texts = [m.text or "" for c in chats for m in double.sent(c.user_id)]
                told = texts[told_before:]
        async with db.session() as session:
            rows = (await session.execute(select(CheckInRow))).scalars().all()
            ids = {
                r.id: r.telegram_user_id
                for r in (await session.execute(select(Runner))).scalars()
            }
        await db.dispose()
        if proxy is not None:
            await proxy.close()
    stored: dict[int, list[int]] = {}
    for row in rows:
        stored.setdefault(ids[row.runner_id], []).append(row.pain_during)
    lost = sum(1 for c in chats if 2 not in stored.get(c.user_id, []))
    doubled = sum(max(0, len(v) - 1) for v in stored.values())
    again = sum(("try again" in t.lower() or "went wrong" in t.lower()) for t in told)
    note(
        f"outage: {'PostgreSQL cut off' if database != 'sqlite' else 'SQLite locked'} "
        f"for {seconds:.0f} s with {runners} runners answering"
    )
    figure("db_outage_seconds", seconds, "s")
    figure("db_outage_answers_lost", lost, "count")
    figure("db_outage_answers_duplicated", doubled, "count")
    figure("db_outage_told_try_again", again, "count")
    figure("db_outage_recovery_s", recovery, "s")


# --------------------------------------------------------------------------- 3. a 429


async def bench_429(workdir: Path) -> None:
    from bot.app import build_application, serving
    from bot.settings import Settings
    from conversations import Services

    db = Database(f"sqlite+aiosqlite:///{workdir}/limit.sqlite3")
    await db.migrate()
    async with BotApiDouble() as double:
        settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
        app = build_application(settings, services=Services(db=db), rate_limit=True)
        async with serving(app, poll_timeout=1):

            async def help_latency(uid: int) -> float:
                mark = double.mark(uid)
                started = time.monotonic()
                double.send_text(TOKEN, uid, "/help")
                await double.wait_for(uid, 1, since=mark, timeout=30)
                return time.monotonic() - started

            for uid in (91_001, 91_002):
                await help_latency(uid)  # first contact: runner rows made
            usual = [await help_latency(91_002) for _ in range(10)]
            double.fail_next("sendMessage", status=429, retry_after=5, chat_id=91_001)
            mark = double.mark(91_001)
            double.send_text(TOKEN, 91_001, "/help")
            await asyncio.sleep(0.3)  # chat 91001's reply has met its 429
            during = [await help_latency(91_002) for _ in range(10)]
            await double.wait_for(91_001, 1, since=mark, timeout=30)
    await db.dispose()
    extra = (statistics.median(during) - statistics.median(usual)) * 1000
    figure("other_chat_usual_latency_ms", statistics.median(usual) * 1000, "ms")
    figure("other_chat_extra_latency_during_429_ms", max(0.0, extra), "ms")


# --------------------------------------------------------------------------- 5. SIGTERM


async def bench_sigterm(database: str, workdir: Path, updates: int) -> None:
    async with Place(database, workdir, "sigterm") as url:
        result = await sigterm_flood(
            url, workdir, updates=updates, processes=1 if database == "sqlite" else 2
        )
    figure("sigterm_flood_updates", result.updates, "count")
    figure("sigterm_exit_code", -1 if result.exit_code is None else result.exit_code, "code")
    figure("sigterm_replies_doubled", result.doubled, "count")
    figure("sigterm_updates_unanswered", result.unanswered, "count")
    figure("sigterm_flood_seconds", result.seconds, "s")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="runcoach-faults-") as tmp:
        workdir = Path(tmp)
        if "storm" in args.parts:
            await bench_storm(args.database, workdir, args.runners, args.kills)
        if "fanout" in args.parts:
            await bench_fanout(args.database, workdir, args.prompts, args.fanout_kills)
        if "429" in args.parts:
            await bench_429(workdir)
        if "sigterm" in args.parts:
            await bench_sigterm(args.database, workdir, args.flood)
        if "outage" in args.parts:
            seconds = args.outage_seconds
            if seconds is None:
                seconds = 25.0 if args.database == "sqlite" else 20.0
            await bench_outage(args.database, workdir, args.outage_runners, seconds)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL")
    p.add_argument("--runners", type=int, default=40)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--prompts", type=int, default=2000)
    p.add_argument("--fanout-kills", type=int, default=5)
    p.add_argument("--outage-runners", type=int, default=10)
    p.add_argument(
        "--outage-seconds", type=float, default=None, help="20 (PostgreSQL), 25 (SQLite)"
    )
    p.add_argument("--flood", type=int, default=800, help="/help updates in the SIGTERM flood")
    p.add_argument("--parts", default="storm,fanout,429,sigterm,outage")
    args = p.parse_args()
    args.parts = set(args.parts.split(","))
    return args


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main(parse()))
