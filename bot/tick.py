"""What a scheduler tick is made of, whatever it sends (bot/scheduler.py): its counters and
the pipeline that runs pages of work on a few workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.delivery import TICKET, InFlight, Result

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


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
