"""The scheduler: due at each runner's local time across daylight saving, exactly once,
through restarts, two processes, blocks, pauses and downtime."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import Pacer, delivered_for_sure_not
from bot.scheduler import JOB_NAME, Scheduler
from bot_api_double import BotApiDouble
from conversations import Ctx, Services
from conversations.prompts import DAILY, MORNING, NUDGE, WEEKLY, WELCOME_BACK
from storage import Database
from storage import schedule as store
from storage.models import CheckInRow, DeliveryRow, InboxRow, MorningCheckRow, Runner
from tests.conftest import TOKEN, Clock, running_bot

# A week of zones: two with DST in the north (changing on different Sundays), one in the
# south, two half-hour zones and two without DST at all.
ZONES = [
    ("Europe/Berlin", 8 * 60),
    ("Europe/Berlin", 2 * 60 + 30),  # 02:30 does not exist on 29 March, happens twice 25 Oct
    ("America/New_York", 7 * 60 + 30),
    ("America/New_York", 2 * 60 + 30),  # missing on 8 March
    ("America/New_York", 1 * 60 + 30),  # twice on 1 November
    ("Asia/Tokyo", 6 * 60),
    ("Asia/Kolkata", 21 * 60 + 30),  # after the 21:00 cut-off, on time all the same
    ("Australia/Sydney", 7 * 60),
    ("America/St_Johns", 12 * 60),
    ("UTC", 0),
]


def runner_row(user_id: int, zone: str, minute: int, **fields: Any) -> Runner:
    values: dict[str, Any] = {
        "telegram_user_id": user_id,
        "chat_id": user_id,
        "language": "en",
        "time_zone": zone,
        "reminder_minute": minute,
        "reassess_weekday": 6,
        "status": "active",
        "blocked": False,
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
        "consent_at": datetime(2026, 1, 1, tzinfo=UTC),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return Runner(**values)


async def add_runners(db: Database, rows: list[Runner], now: datetime | None = None) -> list[int]:
    async with db.session() as session:
        session.add_all(rows)
        await session.flush()
        if now is not None:
            for row in rows:
                await store.reschedule(session, row, now)
        return [row.id for row in rows]


async def deliveries(db: Database, runner_id: int | None = None) -> list[DeliveryRow]:
    async with db.session() as session:
        query = select(DeliveryRow).order_by(DeliveryRow.runner_id, DeliveryRow.local_date)
        if runner_id is not None:
            query = query.where(DeliveryRow.runner_id == runner_id)
        return list((await session.execute(query)).scalars())


async def statuses(db: Database, ids: list[int], kind: str | None = DAILY) -> list[str]:
    """Delivery statuses of the runners (of one kind: a message may settle several rows)."""
    out: list[str] = []
    for rid in ids:
        out += [d.status for d in await deliveries(db, rid) if kind is None or d.kind == kind]
    return out


async def runner(db: Database, runner_id: int) -> Runner:
    async with db.session() as session:
        row = await session.get(Runner, runner_id)
        assert row is not None
        return row


@asynccontextmanager
async def bot_with_scheduler(
    double: BotApiDouble, db: Database, clock: Clock, **options: Any
) -> AsyncIterator[tuple[Any, Scheduler]]:
    """The real Application with the scheduler installed; ticks are driven by the test."""
    async with running_bot(double, db, clock=clock, with_scheduler=True) as app:
        scheduler: Scheduler = app.bot_data["scheduler"]
        scheduler.pacer = Pacer(None)  # no pacing in tests: a handful of messages per tick
        scheduler.backoff = 0.01
        for name, value in options.items():
            setattr(scheduler, name, value)
        yield app, scheduler


def sent_count(double: BotApiDouble, chat_id: int) -> int:
    return len([m for m in double.sent(chat_id) if not m.edited])


# ------------------------------------------------------------------------- local time


def test_local_reminder_follows_daylight_saving() -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    lr = store.local_reminder
    assert lr(berlin, date(2026, 3, 28), 8 * 60) == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)
    assert lr(berlin, date(2026, 3, 29), 8 * 60) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # 02:30 does not exist on the spring-forward night: due when the clock jumps to 03:00
    assert lr(berlin, date(2026, 3, 29), 150) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # 02:30 happens twice on the fall-back night: the first one
    assert lr(berlin, date(2026, 10, 25), 150) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert lr(new_york, date(2026, 3, 8), 150) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert lr(new_york, date(2026, 11, 1), 90) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert lr(new_york, date(2026, 11, 2), 90) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def test_first_due() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
    early = runner_row(1, "Europe/Berlin", 8 * 60)
    late = runner_row(2, "Europe/Berlin", 12 * 60)
    assert store.first_due(early, now) == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert store.first_due(early, now, owed_today=True) == now
    assert store.first_due(late, now) == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert store.first_due(runner_row(3, "UTC", 0, status="new"), now) is None
    # referred: one question a week, at the reminder time on the reassessment weekday (Sunday)
    referred = runner_row(4, "UTC", 0, status="referred")
    assert referred.reassess_weekday == 6
    assert store.first_due(referred, now) == datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
    assert store.first_due(runner_row(5, "UTC", 0, blocked=True), now) is None
    paused = runner_row(6, "Asia/Tokyo", 7 * 60, status="paused", paused_until=date(2026, 3, 9))
    assert store.first_due(paused, now) == datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
    assert store.first_due(runner_row(7, "Nowhere/Atlantis", 60), now) == datetime(
        2026, 3, 3, 1, 0, tzinfo=UTC
    )


async def test_reschedule_keeps_an_owed_prompt(db: Database) -> None:
    now = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    (rid,) = await add_runners(db, [runner_row(1, "Europe/Berlin", 8 * 60)], now)
    assert (await runner(db, rid)).next_due_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    async with db.session() as session:
        row = await session.get(Runner, rid)
        assert row is not None
        row.reminder_minute = 7 * 60  # moved earlier than now: today's prompt is still owed
        await store.reschedule(session, row, now)
        assert row.next_due_at == now
        await store.claim(session, rid, [DAILY], date(2026, 3, 2), now)
        row.reminder_minute = 6 * 60  # today's went out: tomorrow's
        await store.reschedule(session, row, now)
        assert row.next_due_at == datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
        row.status = "paused"
        row.paused_until = date(2026, 3, 5)
        await store.reschedule(session, row, now)
        assert row.next_due_at == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
        row.status = "referred"  # only the weekly "has a clinician seen you?" (Sunday)
        await store.reschedule(session, row, now)
        assert row.next_due_at == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


# ------------------------------------------------------------------------- the tick, end to end

WINDOWS = {
    # first local day fully simulated, last one, in each zone
    "us-spring": (date(2026, 3, 7), date(2026, 3, 9)),
    "eu-spring": (date(2026, 3, 28), date(2026, 3, 30)),
    "eu-autumn": (date(2026, 10, 24), date(2026, 10, 26)),
    "us-autumn": (date(2026, 10, 31), date(2026, 11, 2)),
}
STEP = timedelta(minutes=30)


def expected_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The first instant on the 30-minute grid at which the local clock on ``day`` shows
    the reminder time or later: worked out by walking the clock, not by the code under test."""
    wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
    t = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    while True:
        local = t.astimezone(zone)
        if local.date() == day and local.replace(tzinfo=None) >= wall:
            return t
        t += STEP


@pytest.mark.parametrize("window", list(WINDOWS))
async def test_prompted_once_a_day_at_local_time_across_dst(
    double: BotApiDouble, db: Database, window: str
) -> None:
    first, last = WINDOWS[window]
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    # local day ``last`` ends by 06:00 UTC the next day in every zone used (UTC-5 at most)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    end += timedelta(hours=6)
    clock = Clock(start)
    rows = [runner_row(1000 + i, zone, minute) for i, (zone, minute) in enumerate(ZONES)]
    ids = await add_runners(db, rows, start)
    chats = {rid: 1000 + i for i, rid in enumerate(ids)}
    seen: dict[int, list[datetime]] = {rid: [] for rid in ids}
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        while clock.now < end:
            await scheduler.tick()
            for rid, chat in chats.items():
                while len(seen[rid]) < sent_count(double, chat):
                    seen[rid].append(clock.now)
            clock.advance(seconds=STEP.total_seconds())
    for i, rid in enumerate(ids):
        zone_name, minute = ZONES[i]
        zone = ZoneInfo(zone_name)
        by_day: dict[date, list[datetime]] = {}
        for t in seen[rid]:
            by_day.setdefault(t.astimezone(zone).date(), []).append(t)
        day = first
        while day <= last:
            assert by_day.get(day) == [expected_instant(zone, day, minute)], (
                zone_name,
                minute,
                day,
                by_day.get(day),
            )
            day += timedelta(days=1)
        assert all(len(v) == 1 for v in by_day.values()), (zone_name, by_day)
        rows_of = await deliveries(db, rid)
        daily = [d for d in rows_of if d.kind == DAILY]
        assert len({d.local_date for d in daily}) == len(daily)
        assert all(d.status == "sent" and d.message_id for d in daily)
    texts = [m.text or "" for m in double.sent(1000)]
    assert texts and all("Today" in t for t in texts[:1])


async def test_install_registers_the_tick_and_the_heartbeat(
    double: BotApiDouble, db: Database
) -> None:
    from bot.tick import BEAT_SECONDS, HEARTBEAT_JOB

    async with running_bot(double, db, with_scheduler=True) as app:
        jobs = {j.name: j for j in app.job_queue.jobs()}
        assert sorted(jobs) == sorted([JOB_NAME, HEARTBEAT_JOB])
        beat = jobs[HEARTBEAT_JOB].job
        assert beat.trigger.interval == timedelta(seconds=BEAT_SECONDS) and beat.max_instances == 1
        job = jobs[JOB_NAME].job
        assert job.trigger.interval == timedelta(seconds=app.bot_data["settings"].tick_seconds)
        assert job.max_instances == 1 and job.coalesce
    async with running_bot(double, db, with_scheduler=False) as app:
        assert not app.job_queue.jobs()


async def test_unscheduled_active_runner_is_picked_up(double: BotApiDouble, db: Database) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    (rid,) = await add_runners(db, [runner_row(7, "Europe/Berlin", 8 * 60)])  # NULL next_due
    (new,) = await add_runners(db, [runner_row(8, "Europe/Berlin", 8 * 60, status="new")])
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        stats = await scheduler.tick()
        assert stats.scheduled == 1
        assert (await runner(db, rid)).next_due_at == datetime(2026, 3, 2, 7, tzinfo=UTC)
        assert (await runner(db, new)).next_due_at is None
        clock.advance(hours=1)
        await scheduler.tick()
        await scheduler.tick()
    assert sent_count(double, 7) == 1
    assert sent_count(double, 8) == 0


async def test_downtime_catches_up_before_cutoff_and_drops_after(
    double: BotApiDouble, db: Database
) -> None:
    start = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    clock = Clock(start)
    rows = [
        runner_row(11, "Europe/Berlin", 8 * 60),  # due 07:00 UTC, catch-up at 19:30 local
        runner_row(12, "Asia/Tokyo", 9 * 60),  # due 00:00 UTC
        runner_row(13, "Asia/Kolkata", 9 * 60),  # due 03:30 UTC
    ]
    ids = await add_runners(db, rows, start - timedelta(hours=16))
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        clock.now = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # the bot was down all day
        # Berlin 19:30 (before 21:00), Tokyo 03:30 next day, Kolkata 00:00 next day
        await scheduler.tick()
        assert sent_count(double, 11) == 1  # caught up: still before the cut-off
        assert sent_count(double, 12) == 0 and sent_count(double, 13) == 0
        for rid in ids[1:]:  # their 2 March was missed: recorded, not flooded
            missed = {(d.local_date, d.status) for d in await deliveries(db, rid)}
            assert missed == {(date(2026, 3, 2), "dropped")}
        # a second downtime, past the cut-off in Berlin
        clock.now = datetime(2026, 3, 3, 20, 30, tzinfo=UTC)  # 21:30 in Berlin
        await scheduler.tick()
        assert sent_count(double, 11) == 1
        berlin = {(d.local_date, d.status) for d in await deliveries(db, ids[0])}
        assert (date(2026, 3, 3), "dropped") in berlin
        assert (date(2026, 3, 2), "sent") in berlin
        # and the next morning is back to normal
        clock.now = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
        await scheduler.tick()
        assert sent_count(double, 11) == 2


async def test_blocked_and_paused_runners_get_nothing_and_pause_ends_with_welcome_back(
    double: BotApiDouble, db: Database
) -> None:
    start = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    clock = Clock(start)
    rows = [
        runner_row(21, "Europe/Berlin", 8 * 60, blocked=True),
        runner_row(22, "Europe/Berlin", 8 * 60, status="paused", paused_until=date(2026, 3, 4)),
        runner_row(23, "Europe/Berlin", 8 * 60, status="referred"),
        runner_row(24, "Europe/Berlin", 8 * 60, status="new"),
        runner_row(25, "Europe/Berlin", 8 * 60),
    ]
    ids = await add_runners(db, rows, start)
    async with db.session() as session:  # runner 25 becomes blocked after being scheduled
        await session.execute(text("UPDATE runners SET blocked = true WHERE chat_id = 25"))
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        for _ in range(3 * 24):
            await scheduler.tick()
            clock.advance(hours=1)
    for chat in (21, 23, 24, 25):
        assert sent_count(double, chat) == 0
    paused = [m.text or "" for m in double.sent(22)]
    assert len(paused) == 1, paused  # 4 March only
    assert "Welcome back" in paused[0]
    resumed = await runner(db, ids[1])
    assert resumed.status == "active" and resumed.paused_until is None
    kinds = {(d.local_date, d.kind) for d in await deliveries(db, ids[1])}
    assert kinds == {(date(2026, 3, 4), DAILY), (date(2026, 3, 4), WELCOME_BACK)}
    assert (await runner(db, ids[4])).next_due_at is None  # parked, not scanned every tick


async def test_forbidden_marks_the_runner_blocked(double: BotApiDouble, db: Database) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    ids = await add_runners(
        db, [runner_row(31, "UTC", 7 * 60), runner_row(32, "UTC", 7 * 60)], clock.now
    )
    double.block_chat(31)
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        clock.advance(hours=1)
        stats = await scheduler.tick()
        assert stats.blocked == 1 and stats.sent == 1
        clock.advance(days=1)
        await scheduler.tick()
    blocked = await runner(db, ids[0])
    assert blocked.blocked and blocked.next_due_at is None
    assert set(await statuses(db, ids[:1], None)) == {"blocked"}
    assert sent_count(double, 32) == 2


async def test_transient_errors_are_retried_without_doubling(
    double: BotApiDouble, db: Database
) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    ids = await add_runners(
        db, [runner_row(41, "UTC", 7 * 60), runner_row(42, "UTC", 7 * 60)], clock.now
    )
    double.fail_next("sendMessage", status=502, count=2, chat_id=41)
    double.fail_next("sendMessage", status=429, retry_after=1, chat_id=42)
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        clock.advance(hours=1)
        stats = await scheduler.tick()
        await scheduler.tick()
    assert stats.sent == 2
    assert sent_count(double, 41) == 1 and sent_count(double, 42) == 1
    assert set(await statuses(db, ids, None)) == {"sent"}
    assert double.stats["too_many_requests"] == 1


async def test_a_long_outage_is_retried_after_the_lease(double: BotApiDouble, db: Database) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    (rid,) = await add_runners(db, [runner_row(43, "UTC", 7 * 60)], clock.now)
    double.fail_next("sendMessage", status=500, count=5, chat_id=43)
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        clock.advance(hours=1)
        stats = await scheduler.tick()
        assert stats.retry_later == 1 and sent_count(double, 43) == 0
        assert await statuses(db, [rid]) == ["pending"]
        clock.advance(minutes=1)
        await scheduler.tick()  # the lease has not run out: nothing yet
        assert sent_count(double, 43) == 0
        clock.advance(minutes=2)
        stats = await scheduler.tick()
        assert stats.reclaimed == 1 and stats.sent == 1
    assert sent_count(double, 43) == 1
    assert await statuses(db, [rid]) == ["sent"]


def test_what_counts_as_not_delivered() -> None:
    def caused(exc: Exception, cause: BaseException) -> Exception:
        exc.__cause__ = cause
        return exc

    request = httpx.Request("POST", "http://x")
    assert delivered_for_sure_not(RetryAfter(3))
    assert delivered_for_sure_not(NetworkError("Bad Gateway"))
    assert delivered_for_sure_not(
        caused(NetworkError("x"), httpx.ConnectError("no", request=request))
    )
    assert delivered_for_sure_not(caused(TimedOut(), httpx.ConnectTimeout("x", request=request)))
    assert delivered_for_sure_not(caused(TimedOut(), httpx.PoolTimeout("x", request=request)))
    assert not delivered_for_sure_not(caused(TimedOut(), httpx.ReadTimeout("x", request=request)))
    assert not delivered_for_sure_not(
        caused(NetworkError("x"), httpx.RemoteProtocolError("x", request=request))
    )
    assert not delivered_for_sure_not(Forbidden("blocked"))
    assert not delivered_for_sure_not(BadRequest("chat not found"))


async def crash_when(scheduler: Scheduler, condition: Any) -> None:
    """Run one tick and kill it (cancel, as a dying process would stop) where ``condition``
    says so; ``condition(job)`` runs before each send and returns "before", "after" or None."""
    real_send = scheduler._send
    tick: asyncio.Task[Any] | None = None

    async def send(job: Any, stats: Any) -> None:
        assert tick is not None
        when = condition(job)
        if when == "before":  # claimed, composed and committed; never sent
            tick.cancel()
            await asyncio.sleep(1)
        await real_send(job, stats)

    scheduler._send = send  # type: ignore[method-assign]
    tick = asyncio.create_task(scheduler.tick())
    with pytest.raises(asyncio.CancelledError):
        await tick


async def test_restart_in_the_middle_of_a_fan_out(double: BotApiDouble, db: Database) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    chats = list(range(500, 520))
    ids = await add_runners(db, [runner_row(c, "UTC", 7 * 60) for c in chats], clock.now)
    clock.advance(hours=1)
    jobs = 0

    def eighth(job: Any) -> str | None:
        nonlocal jobs
        jobs += 1
        return "before" if jobs == 8 else None

    async with bot_with_scheduler(double, db, clock, concurrency=1) as (_app, scheduler):
        await crash_when(scheduler, eighth)
    assert sum(sent_count(double, c) for c in chats) == 7
    after_crash = await statuses(db, ids)
    assert after_crash.count("sent") == 7 and after_crash.count("pending") == 1
    # a new process starts on the same database a minute later ...
    clock.advance(minutes=1)
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        stats = await scheduler.tick()
        assert stats.sent == 12 and stats.reclaimed == 0  # the dead claim is still leased
        clock.advance(minutes=2)
        stats = await scheduler.tick()
        assert stats.reclaimed == 1 and stats.sent == 1
        clock.advance(minutes=10)
        await scheduler.tick()
    assert [sent_count(double, c) for c in chats] == [1] * len(chats)
    assert set(await statuses(db, ids, None)) == {"sent"}


async def test_crash_during_the_send_is_never_resent(double: BotApiDouble, db: Database) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    (rid,) = await add_runners(db, [runner_row(600, "UTC", 7 * 60)], clock.now)
    clock.advance(hours=1)
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        real = app.bot.send_message
        tick: asyncio.Task[Any] | None = None

        async def sent_then_died(*args: Any, **kwargs: Any) -> Any:
            await real(*args, **kwargs)
            assert tick is not None
            tick.cancel()  # Telegram has the message; the process dies before recording it
            await asyncio.sleep(1)

        scheduler.bot = type("B", (), {"send_message": staticmethod(sent_then_died)})()
        tick = asyncio.create_task(scheduler.tick())
        with pytest.raises(asyncio.CancelledError):
            await tick
    assert set(await statuses(db, [rid], None)) == {"sending"}
    clock.advance(minutes=30)
    async with bot_with_scheduler(double, db, clock) as (_app, scheduler):
        await scheduler.tick()
    assert sent_count(double, 600) == 1
    assert set(await statuses(db, [rid], None)) == {"uncertain"}


# ------------------------------------------------------------------------- which kinds


async def test_due_kinds(db: Database) -> None:
    """Morning check after a run, weekly reassessment day, a nudge after three quiet days
    (at most one every three days): composed together into the one message of the day."""
    composed: list[tuple[int, date, list[str]]] = []

    async def compose(ctx: Ctx, kinds: list[str]) -> None:
        composed.append((ctx.runner.chat_id, ctx.today, sorted(kinds)))
        ctx.say("hi")

    class Sink:
        def __init__(self) -> None:
            self.n = 0

        async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
            self.n += 1
            return type("M", (), {"message_id": self.n})()

    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # a Monday
    ran = runner_row(51, "UTC", 7 * 60, reassess_weekday=2)
    quiet = runner_row(52, "UTC", 7 * 60, created_at=datetime(2026, 2, 27, tzinfo=UTC))
    quiet.consent_at = None
    ids = await add_runners(db, [ran, quiet], clock.now)
    async with db.session() as session:
        for day, outcome in ((date(2026, 3, 1), "done"), (date(2026, 3, 2), "skipped")):
            session.add(
                CheckInRow(
                    runner_id=ids[0],
                    day=day,
                    outcome=outcome,
                    minutes=20,
                    pain_during=1,
                    pain_after=1,
                    sharp_or_limp=False,
                    stiffness=0,
                    swelling="none",
                    rpe=4,
                    mood=4,
                    level=1,
                )
            )
    services = Services(db=db, clock=clock)
    scheduler = Scheduler(Sink(), services, rate=None, compose=compose)
    for _ in range(7):
        clock.advance(hours=1)
        await scheduler.tick()
        clock.advance(hours=23)
    mine = {(chat, day): kinds for chat, day, kinds in composed}
    assert mine[(51, date(2026, 3, 2))] == sorted([DAILY, MORNING])
    assert mine[(51, date(2026, 3, 3))] == [DAILY]  # the run day was 2 March: skipped
    assert mine[(51, date(2026, 3, 4))] == sorted([DAILY, WEEKLY])  # Wednesday
    assert mine[(51, date(2026, 3, 5))] == [DAILY, NUDGE]  # last check-in 2 March
    assert mine[(51, date(2026, 3, 6))] == [DAILY]
    assert mine[(51, date(2026, 3, 8))] == [DAILY, NUDGE]
    assert mine[(52, date(2026, 3, 2))] == [DAILY, NUDGE]  # onboarded 27 Feb, never checked in
    assert mine[(52, date(2026, 3, 3))] == [DAILY]
    assert mine[(52, date(2026, 3, 5))] == [DAILY, NUDGE]
    assert len(composed) == 14  # one message a day each

    # a morning check already answered: no second one
    async with db.session() as session:
        session.add(
            CheckInRow(
                runner_id=ids[0],
                day=date(2026, 3, 8),
                outcome="shorter",
                minutes=10,
                pain_during=1,
                pain_after=1,
                sharp_or_limp=False,
                stiffness=0,
                swelling="none",
                rpe=4,
                mood=4,
                level=1,
            )
        )
        session.add(
            MorningCheckRow(
                runner_id=ids[0],
                day=date(2026, 3, 9),
                run_day=date(2026, 3, 8),
                pain="same",
                stiffness="same",
                swelling="none",
            )
        )
    clock.advance(hours=1)
    await scheduler.tick()
    assert composed[-2:][0][2] == [DAILY] or composed[-1][2] == [DAILY]


async def test_inbox_is_pruned_about_hourly(db: Database) -> None:
    clock = Clock(datetime(2026, 3, 20, 6, 0, tzinfo=UTC))
    (rid,) = await add_runners(db, [runner_row(61, "UTC", 7 * 60)], clock.now)
    async with db.session() as session:
        session.add(InboxRow(runner_id=rid, key="old", created_at=clock.now - timedelta(days=8)))
        session.add(InboxRow(runner_id=rid, key="new", created_at=clock.now - timedelta(days=6)))
    scheduler = Scheduler(object(), Services(db=db, clock=clock), rate=None)
    assert (await scheduler.tick()).pruned
    async with db.session() as session:
        keys = (await session.execute(select(InboxRow.key))).scalars().all()
    assert keys == ["new"]
    clock.advance(minutes=30)
    assert not (await scheduler.tick()).pruned
    clock.advance(minutes=31)
    assert (await scheduler.tick()).pruned


# ------------------------------------------------------------------------- two processes


async def test_two_schedulers_against_one_postgres(double: BotApiDouble, pg_db: Database) -> None:
    """Two processes tick at the same moment over the same runners: one prompt each."""
    start = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    clock = Clock(start)
    chats = list(range(700, 780))
    rows = []
    for c in chats:  # ten zones, all due between 06:00 and 06:45 UTC
        zone = ZoneInfo(ZONES[c % len(ZONES)][0])
        local = (start + timedelta(hours=1, minutes=15 * (c % 4))).astimezone(zone)
        rows.append(runner_row(c, zone.key, local.hour * 60 + local.minute))
    ids = await add_runners(pg_db, rows, clock.now)
    async with pg_db.session() as session:
        schema = (await session.execute(text("select current_schema()"))).scalar_one()
    other_db = Database(pg_db.url, schema=schema)
    bots = [Bot(TOKEN, base_url=double.base_url), Bot(TOKEN, base_url=double.base_url)]
    schedulers = [
        Scheduler(bots[0], Services(db=pg_db, clock=clock), rate=None, concurrency=8),
        Scheduler(bots[1], Services(db=other_db, clock=clock), rate=None, concurrency=8),
    ]
    try:
        for bot in bots:
            await bot.initialize()
        for day in range(2):  # two mornings, every 5 minutes, both processes at once
            clock.now = start + timedelta(days=day, minutes=45)
            for _ in range(14):
                both = await asyncio.gather(*(s.tick() for s in schedulers))
                assert sum(s.errors for s in both) == 0
                clock.advance(minutes=5)
    finally:
        for bot in bots:
            await bot.shutdown()
        await other_db.dispose()
    per_day: dict[int, set[date]] = {rid: set() for rid in ids}
    for rid in ids:
        for d in await deliveries(pg_db, rid):
            if d.kind == DAILY:
                assert d.status == "sent" and d.local_date not in per_day[rid]
                per_day[rid].add(d.local_date)
    for chat, rid in zip(chats, ids, strict=True):
        assert sent_count(double, chat) == len(per_day[rid]) == 2  # one each morning


# ------------------------------------------------------------------------- the rate limiter


async def test_paced_rate_limiter_stays_under_30_per_second_and_honours_429(
    double: BotApiDouble,
) -> None:
    """45 messages at once through the recommended limiter: no 429 from a double enforcing
    30/s, evenly spaced; a 429 answer is waited out and the message sent once."""
    from telegram.ext import ExtBot

    from bot.delivery import PacedRateLimiter

    double.enforce_rate(30)
    bot = ExtBot(TOKEN, base_url=double.base_url, rate_limiter=PacedRateLimiter())
    await bot.initialize()
    try:
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(bot.send_message(800 + i, "hi") for i in range(45)))
        elapsed = asyncio.get_running_loop().time() - started
        assert double.stats["too_many_requests"] == 0
        assert 44 / 29 - 0.1 <= elapsed < 3.0
        double.enforce_rate(None)
        double.fail_next("sendMessage", status=429, retry_after=1, chat_id=900)
        await bot.send_message(900, "once")
        assert sent_count(double, 900) == 1 and double.stats["too_many_requests"] == 1
    finally:
        await bot.shutdown()
    scheduler = Scheduler(bot, Services(db=None, clock=Clock()))  # type: ignore[arg-type]
    assert scheduler.pacer.rate is None  # the bot paces: the scheduler does not pace twice


async def test_what_runcoachs_own_http_layer_says_about_delivery() -> None:
    """bot/http.py (aiohttp under PTB): a refused connection proves nothing went out; a
    server that took the request and then went quiet or hung up may have carried it out."""
    from bot.http import AiohttpRequest

    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nobody listens there now

    async def quiet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)  # takes the request, never answers
        await asyncio.Event().wait()

    async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.close()

    request = AiohttpRequest(read_timeout=0.5, connect_timeout=2.0)
    await request.initialize()
    servers = [await asyncio.start_server(h, "127.0.0.1", 0) for h in (quiet, hangs_up)]
    try:
        urls = [f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}/bot1:x/sendMessage"
                for s in servers]
        outcomes = []
        for url in (f"http://127.0.0.1:{port}/bot1:x/sendMessage", *urls):
            with pytest.raises(NetworkError) as raised:
                await request.do_request(url, "POST")
            outcomes.append(delivered_for_sure_not(raised.value))
        assert outcomes == [True, False, False]
    finally:
        await request.shutdown()
        for server in servers:
            server.close()


async def test_fences_and_records_asked_for_together_share_a_transaction(db: Database) -> None:
    """The steps of sends under way at once (fences, records) are committed together: a
    step asked for while another transaction holds SQLite's writer joins the next one. A
    step that fails there fails alone: the others still commit."""
    scheduler = Scheduler(object(), Services(db=db, clock=Clock()), rate=None)
    sessions: list[int] = []

    async def step(value: int, session: Any) -> int:
        sessions.append(id(session))
        if value == 3:
            raise ValueError("this delivery's step is bad")
        await session.execute(text("SELECT 1"))
        return value * 10

    def ask(value: int) -> asyncio.Task[Any]:
        return asyncio.create_task(scheduler._together(partial(step, value)))

    async with db.session():  # another writer holds SQLite while they are asked for
        waiting = [ask(1)]
        for _ in range(5):  # the first one's transaction is under way, waiting for SQLite
            await asyncio.sleep(0)
        waiting += [ask(2), ask(4)]
        await asyncio.sleep(0)
    assert [await task for task in waiting] == [10, 20, 40]
    # SQLite: one transaction for the three; PostgreSQL does not make the first one wait
    assert len(set(sessions)) == (1 if db.is_sqlite else 2)

    sessions.clear()
    results = await asyncio.gather(
        *(scheduler._together(partial(step, v)) for v in (1, 3, 4)),
        return_exceptions=True,
    )
    assert results[0] == 10 and results[2] == 40
    assert isinstance(results[1], ValueError)


async def test_a_runner_whose_prompt_fails_to_compose_does_not_hold_back_the_others(
    db: Database,
) -> None:
    """Claims asked for together commit together (SQLite); one runner's failure is tried
    again alone and postponed, and every other runner due at that minute gets the prompt."""
    sent: list[int] = []
    broken = {73}

    async def compose(ctx: Ctx, kinds: list[str]) -> None:
        if ctx.runner.chat_id in broken:
            raise RuntimeError("this runner's prompt cannot be composed")
        ctx.say("Time to run")

    class Sink:
        async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            sent.append(chat_id)
            return type("M", (), {"message_id": len(sent)})()

    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    chats = list(range(70, 78))
    ids = await add_runners(db, [runner_row(c, "UTC", 7 * 60) for c in chats], clock.now)
    scheduler = Scheduler(Sink(), Services(db=db, clock=clock), rate=None, compose=compose)
    clock.advance(hours=1, minutes=1)
    stats = await scheduler.tick()
    assert sorted(sent) == [c for c in chats if c not in broken]
    assert stats.errors == 1
    failed = ids[chats.index(73)]
    assert (await runner(db, failed)).next_due_at == clock.now + timedelta(minutes=5)
    broken.clear()
    clock.advance(minutes=6)
    await scheduler.tick()
    assert sorted(sent) == chats  # tried again a few minutes later: everyone once
