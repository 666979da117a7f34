"""A killed process's claimed prompts are taken over within seconds (issue 24, item 6): each
process beats (``process_beats``) every second; a pending delivery whose process stopped
beating for 5 s is taken over by the next tick, or at once by the heartbeat of a live process,
instead of waiting for the 2-minute lease. A live process's claims are never taken."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.tick import HEARTBEAT_JOB, Heartbeat
from bot_api_double import BotApiDouble
from storage import Database
from storage.delivery import STALE
from storage.models import ProcessBeatRow
from tests.conftest import Clock
from tests.test_scheduler import (
    add_runners,
    bot_with_scheduler,
    crash_when,
    runner_row,
    sent_count,
    statuses,
)


def quiet(app: Any) -> None:
    """The test beats by hand: the process's own heartbeat job stops (no tick of its own
    races the test's)."""
    for job in app.job_queue.get_jobs_by_name(HEARTBEAT_JOB):
        job.schedule_removal()


async def killed_in_a_fan_out(double: BotApiDouble, db: Database, clock: Clock) -> list[int]:
    """Process A claims runners' prompts one after another and dies before sending the 4th
    (claimed, composed, committed, never sent)."""
    chats = list(range(710, 716))
    ids = await add_runners(db, [runner_row(c, "UTC", 7 * 60) for c in chats], clock.now)
    clock.advance(hours=1)
    jobs = 0

    def fourth(job: Any) -> str | None:
        nonlocal jobs
        jobs += 1
        return "before" if jobs == 4 else None

    db.owner = "process-a"
    async with bot_with_scheduler(double, db, clock, concurrency=1) as (_app, scheduler):
        await crash_when(scheduler, fourth)
    assert sum(sent_count(double, c) for c in chats) == 3
    db.owner = "process-b"  # the next process on the same database
    return ids


async def test_a_killed_processs_claimed_prompt_goes_out_seconds_later(
    double: BotApiDouble, db: Database
) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    ids = await killed_in_a_fan_out(double, db, clock)
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        quiet(app)
        clock.advance(seconds=STALE.total_seconds() + 2)  # A's last beat is 7 s old
        stats = await scheduler.tick()
        assert stats.reclaimed == 1  # not after 2 minutes: A stopped beating
    assert set(await statuses(db, ids, None)) == {"sent"}
    assert [sent_count(double, c) for c in range(710, 716)] == [1] * 6


async def test_a_live_processs_claims_are_not_taken_over(
    double: BotApiDouble, db: Database
) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    ids = await killed_in_a_fan_out(double, db, clock)
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        quiet(app)
        clock.advance(seconds=STALE.total_seconds() + 2)
        async with db.session() as session:  # A is alive after all (it beats, a slow send)
            session.add(ProcessBeatRow(owner="process-a", beat_at=clock() - timedelta(seconds=1)))
        stats = await scheduler.tick()
        assert stats.reclaimed == 0 and (await statuses(db, ids)).count("pending") == 1
        clock.advance(seconds=STALE.total_seconds() + 1)  # and now it stopped beating
        stats = await scheduler.tick()
        assert stats.reclaimed == 1
    assert set(await statuses(db, ids, None)) == {"sent"}


async def test_the_heartbeat_takes_over_without_waiting_for_the_tick(
    double: BotApiDouble, db: Database
) -> None:
    clock = Clock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    ids = await killed_in_a_fan_out(double, db, clock)
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        assert isinstance(app.bot_data["heartbeat"], Heartbeat)
        quiet(app)
        assert not await Heartbeat(scheduler).beat()  # claimed just now: nothing to take
        clock.advance(seconds=STALE.total_seconds() + 2)
        takeover = Heartbeat(scheduler)
        assert await takeover.beat()  # A is dead: the takeover starts at once
        assert takeover._tick is not None
        async with scheduler._lock:  # a long fan-out tick is running meanwhile
            stats = await asyncio.wait_for(takeover._tick, 30)
        assert stats.reclaimed == 1
    assert set(await statuses(db, ids, None)) == {"sent"}
