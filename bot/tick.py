"""What a scheduler tick is made of, whatever it sends (bot/scheduler.py): its counters, the
pipeline that runs pages of work on a few workers, and the process's heartbeat (a killed
process's claimed prompts are taken over within seconds, not after the lease)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.delivery import TICKET, InFlight, Result
from conversations.context import Out
from storage import careteam, delivery, schedule

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]
BEAT_SECONDS = 1.0  # well under delivery.STALE: a live process is never taken for dead
HEARTBEAT_JOB = "runcoach-heartbeat"
ONCE = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}  # APScheduler


@dataclass
class TickStats:
    scheduled: int = 0  # runners scheduled for the first time
    looked_at: int = 0  # due runners examined
    parked: int = 0  # runners no longer scheduled (new, blocked)
    claimed: int = 0  # messages claimed (one per runner and day)
    sent: int = 0
    dropped: int = 0  # after the cut-off, or nothing to say
    blocked: int = 0
    failed: int = 0
    uncertain: int = 0
    retry_later: int = 0
    reclaimed: int = 0
    errors: int = 0
    pruned: bool = False
    find_seconds: float = 0.0  # time spent in the due query
    seconds: float = 0.0

    def add(self, result: Result) -> None:
        if result is Result.SENT:
            self.sent += 1
        elif result is Result.BLOCKED:
            self.blocked += 1
        elif result is Result.UNCERTAIN:
            self.uncertain += 1
        elif result is Result.RETRY_LATER:
            self.retry_later += 1
        else:
            self.failed += 1


@dataclass
class Job:
    """One claimed message, a prompt (its kinds' rows settle together) or a care-team
    message (an alert or a Monday summary for one member): the rows it settles, whose chat
    it goes to and what to send."""

    what: delivery.Deliveries  # schedule.PROMPTS or careteam.CARE
    ids: list[int]
    runner_id: int  # the chat's runner (a care-team member for care messages)
    chat_id: int
    outs: list[Out]
    attempts: int = 0  # fences before this one


async def pipeline(
    pages: AsyncIterator[list[Work]],
    *,
    concurrency: int,
    batch: int,
    running: Callable[[], bool],
    window: InFlight | None = None,
) -> None:
    """Run the work of every page on ``concurrency`` workers; the next page is read while
    the last one is still being sent (the queue holds at most one page of ``batch``: flat
    memory). With a ``window``, each item gets a ticket in page order: its send takes its
    turn in that order (bot/delivery.InFlight).

    A task group: if one worker dies (cancellation, a fatal error) the others stop with
    it, as in a dying process; a message they had claimed is retried after its lease."""
    queue: asyncio.Queue[Work | None] = asyncio.Queue(maxsize=batch)

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            if not running():
                continue
            ticket = window.ticket() if window is not None else None
            token = TICKET.set(ticket)
            try:
                await item()
            except Exception:  # e.g. the database went away while recording a send
                log.exception("scheduler: a delivery could not be completed")
            finally:
                TICKET.reset(token)
                if window is not None and ticket is not None:
                    window.skip(ticket)  # no send came of it: the next one's turn

    async with asyncio.TaskGroup() as group:
        workers = [group.create_task(worker()) for _ in range(concurrency)]
        try:
            async for page in pages:
                for item in page:
                    await queue.put(item)
        except Exception:  # the next page could not be read: finish what is in hand
            log.exception("scheduler: could not read who is due; the next tick retries")
        for _ in workers:
            await queue.put(None)


class Heartbeat:
    """Beats for this process (``process_beats``) every ``BEAT_SECONDS``; when a dead
    process (no beat for ``delivery.STALE``) left claimed prompts or care messages, starts
    a tick at once, whose first step takes them over. The beat never waits for a tick."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self._tick: asyncio.Task[Any] | None = None

    async def beat(self) -> bool:
        """One beat; True when a takeover was started."""
        now = self.scheduler.now()
        async with self.scheduler.services.db.session() as session:
            await delivery.beat(session, now)  # committed at once: a short write transaction
        async with self.scheduler.services.db.session() as session:
            prompts = await delivery.orphaned(session, schedule.PROMPTS, now)
            care = await delivery.orphaned(session, careteam.CARE, now)
        if not (prompts or care) or (self._tick is not None and not self._tick.done()):
            return False
        self._tick = asyncio.create_task(self._takeover(prompts, care), name="takeover")
        return True

    async def _takeover(self, prompts: bool, care: bool) -> TickStats:
        """Prompts: taken over and sent beside a tick that may be running (a long fan-out
        holds the tick's turn for minutes; the fence keeps each row to one sender). Care
        messages: the next tick, at once."""
        stats = TickStats()
        if prompts:
            await self.scheduler.reclaim(stats)
        if care:
            stats = await self.scheduler.tick()
        return stats


async def _beat_job(context: Any) -> None:
    heart: Heartbeat = context.application.bot_data["heartbeat"]
    try:
        await heart.beat()
    except Exception as exc:  # the database may be away; the next beat tries again
        log.warning("heartbeat failed: %s", type(exc).__name__)


def heartbeat(application: Any, scheduler: Any) -> Heartbeat:
    """Register the heartbeat on the application's JobQueue, beside the tick."""
    heart = application.bot_data["heartbeat"] = Heartbeat(scheduler)
    for old in application.job_queue.get_jobs_by_name(HEARTBEAT_JOB):
        old.schedule_removal()
    application.job_queue.run_repeating(
        _beat_job, interval=BEAT_SECONDS, first=0.0, name=HEARTBEAT_JOB, job_kwargs=ONCE
    )
    return heart
