"""Long polling that confirms an update to Telegram only once runcoach has stored it.

PTB's ``Updater`` confirms an update (the next ``getUpdates`` offset) as soon as it has
fetched it, before any handler ran; a crash or a database outage then lost it. Here:

1. ``getUpdates`` fetches a batch; the batch is written to ``received_updates`` in one
   transaction. Only then does the offset move past it (the next ``getUpdates`` confirms).
   If the database is down the offset stays: Telegram keeps the updates and sends them
   again, and fetching backs off.
2. Each update goes to its chat's queue. One worker per chat handles that chat's updates
   one at a time, in order; different chats run concurrently, at most ``concurrency`` at
   once. A chat waiting for its turn holds no slot, so a chat that floods the bot delays
   only itself.
3. An update whose transaction failed for a passing reason (the database unreachable, a
   lock timeout) is tried again with back-off, in place, so the chat's order holds; the
   runner is not told to "try again". When it is handled its ``received_updates`` row is
   deleted; the inbox (handled-update keys) makes handling it a second time (after a crash
   between the two) record nothing.
4. On start, stored updates not handled yet (a crash) are queued first. Rows older than
   ``adopt_after`` that no worker holds (another process died with them) are picked up too.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application

from bot import metrics
from conversations.dispatch import FORGOTTEN
from storage import Database
from storage import outbox as box
from storage.db import Turn
from storage.models import utcnow

log = logging.getLogger(__name__)

TURN_SECONDS = 1.0  # a standing-by process tries to take the polling turn this often
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


@dataclass
class Outcome:
    """What the error handler learned about the update being handled."""

    retry: bool = False
    failed: bool = False  # an error that retrying would not cure: the transaction rolled back


OUTCOME: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar(
    "runcoach_outcome", default=None
)


def is_transient(error: BaseException | None) -> bool:
    """An error that says nothing about the update: the database is away or busy."""
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # asyncpg/aiosqlite may raise these before SQLAlchemy wraps anything
    return isinstance(error, OSError | TimeoutError | ConnectionError)


def chat_key(update: Update) -> int | None:
    chat = update.effective_chat
    user = update.effective_user
    return chat.id if chat else (user.id if user else None)


class Poller:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        *,
        timeout: float = 10.0,
        concurrency: int | None = None,
        allowed_updates: list[str] | None = None,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        db_max_delay: float = 5.0,
        adopt_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self.app = application
        self.db = db
        self.timeout = timeout
        self.allowed_updates = allowed_updates or ALLOWED_UPDATES
        self.first_delay = first_delay
        self.max_delay = max_delay
        # A database away is retried at least every ``db_max_delay`` s: one query per chat
        # waiting, and the runner is answered within a few seconds of its return.
        self.db_max_delay = db_max_delay
        self.adopt_after = adopt_after
        # as many at once as the database gives connections for (Database.updates_at_once)
        self._slots = asyncio.Semaphore(concurrency or db.updates_at_once)
        self._offset: int | None = None
        self._queues: dict[int | None, deque[Update]] = {}
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._known: set[int] = set()  # queued or being handled
        self._done: list[int] = []  # handled, row not yet deleted
        self._done_event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # one process polls a bot at a time; the others stand by and take over within about
        # a second of its death (docs/operations.md), instead of 409s and 30 s back-offs
        self.turn: Turn | None = None
        self._standing_by = False
        self._running = False

    @property
    def bot_id(self) -> int:
        return int(self.app.bot.id)

    @property
    def busy(self) -> bool:
        """Updates fetched and not handled yet."""
        return bool(self._known)

    async def start(self) -> None:
        self._running = True
        await self._adopt(all_ages=True)
        self._tasks = [
            asyncio.create_task(self._fetch_forever(), name="poller-fetch"),
            asyncio.create_task(self._forget_forever(), name="poller-forget"),
            asyncio.create_task(self._adopt_forever(), name="poller-adopt"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop fetching; let the updates being handled finish (up to ``grace`` s)."""
        self._running = False
        fetch = self._tasks[0] if self._tasks else None
        if fetch is not None:
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(workers, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._forget_done()
        except Exception:  # the database is away: the rows stay, the inbox covers them
            log.warning("handled updates stay stored until the next start")
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)
        self._tasks = []
        if self.turn is not None:
            await self.turn.release()  # a standing-by process polls within a second

    # ------------------------------------------------------------------ fetching

    async def _my_turn(self) -> bool:
        """Whether this process polls now: it holds the bot's polling turn, or takes it."""
        if self.turn is None:
            self.turn = Turn(self.db, f"poll-{self.bot_id}")
        try:
            if self.turn.held:
                if await self.turn.still_held():
                    return True
                log.warning("the polling turn was lost (the database connection broke)")
                return False
            if not await self.turn.take():
                if not self._standing_by:
                    log.warning("another process polls this bot; standing by to take over")
                    self._standing_by = True
                return False
        except Exception as exc:  # the database is away: try again shortly
            log.warning("could not take the polling turn: %s", type(exc).__name__)
            return False
        if self._standing_by:
            log.warning("the polling process is gone; this one polls now")
            self._standing_by = False
            await self._adopt(all_ages=True)  # what it stored and never handled
        return True

    async def _fetch_forever(self) -> None:
        delay = self.first_delay
        while self._running:
            if not await self._my_turn():
                await asyncio.sleep(TURN_SECONDS)
                continue
            try:
                updates = await self.app.bot.get_updates(
                    offset=self._offset,
                    timeout=int(self.timeout),
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.timeout + 5,
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.critical("Telegram refused the token; polling stops")
                raise
            except Conflict:
                log.warning("another process is polling with this token; waiting")
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            except TelegramError as exc:
                log.warning("getUpdates failed: %s; trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            if not updates:
                delay = self.first_delay
                continue
            try:
                async with self.db.session() as session:
                    await box.record_received(
                        session,
                        self.bot_id,
                        [(u.update_id, chat_key(u), u.to_dict()) for u in updates],
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Not stored, so not confirmed: Telegram sends the same updates again.
                log.warning(
                    "could not store %d update(s) (%s); not confirmed, trying again in %.1f s",
                    len(updates),
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.db_max_delay)
                continue
            delay = self.first_delay
            self._offset = updates[-1].update_id + 1
            for update in updates:
                self._enqueue(update)

    # ------------------------------------------------------------------ handling

    def _enqueue(self, update: Update) -> None:
        if update.update_id in self._known:
            return
        self._known.add(update.update_id)
        key = chat_key(update)
        self._queues.setdefault(key, deque()).append(update)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"chat-{key}")

    async def _work(self, key: int | None) -> None:
        queue = self._queues[key]
        try:
            # stopping: the update in hand is finished (its replies sent and recorded), the
            # next ones stay stored for the next process
            while queue and self._running:
                update = queue[0]
                leftover = await self._handle(update)
                queue.popleft()
                if leftover:
                    self._done.append(update.update_id)
                    self._done_event.set()
                else:
                    self._known.discard(update.update_id)
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)
            elif self._running:  # cancelled with updates left: they stay stored
                for update in queue:
                    self._known.discard(update.update_id)
                self._queues.pop(key, None)

    async def _handle(self, update: Update) -> bool:
        """Handle one update; True when its stored row still has to be deleted."""
        delay = self.first_delay
        kind = metrics.kind_of(update)
        while True:
            outcome = Outcome()
            forgotten: list[int] = []
            async with self._slots:
                started = time.perf_counter()
                token = OUTCOME.set(outcome)
                token_f = FORGOTTEN.set(forgotten)
                try:
                    await self.app.process_update(update)
                except Exception as exc:  # process_update reports handler errors itself
                    outcome.retry = is_transient(exc)
                    outcome.failed = not outcome.retry
                    if not outcome.retry:
                        log.error("update %s could not be handled", update.update_id, exc_info=exc)
                finally:
                    OUTCOME.reset(token)
                    FORGOTTEN.reset(token_f)
            if not outcome.retry:
                seconds = time.perf_counter() - started
                metrics.count_update(kind, "failed" if outcome.failed else "handled", seconds)
                return outcome.failed or not forgotten
            metrics.count_update(kind, "retry")
            log.warning(
                "update %s waits for the database; trying again in %.1f s",
                update.update_id,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.db_max_delay)

    # ------------------------------------------------------------------ bookkeeping

    async def _forget_done(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            async with self.db.session() as session:
                await box.forget_received(session, self.bot_id, done)
        except Exception as exc:
            log.warning("could not clear %d handled update(s): %s", len(done), type(exc).__name__)
            self._done.extend(done)
            raise
        self._known.difference_update(done)

    async def _forget_forever(self) -> None:
        while True:
            await self._done_event.wait()
            self._done_event.clear()
            try:
                await self._forget_done()
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(self.first_delay)
                self._done_event.set()

    async def _adopt(self, *, all_ages: bool) -> None:
        """Queue stored updates nobody here holds: left by a crash, or by a process that died."""
        before = None if all_ages else utcnow() - self.adopt_after
        async with self.db.session() as session:
            stored = await box.unhandled(session, self.bot_id, before)
            if all_ages and self._offset is None:
                last = await box.last_received(session, self.bot_id)
                if last is not None:
                    self._offset = last + 1
        for update_id, payload in stored:
            if update_id in self._known:
                continue
            update = Update.de_json(payload, self.app.bot)
            if update is not None:
                self._enqueue(update)
        if stored:
            log.info("%d stored update(s) queued again", len(stored))

    async def _adopt_forever(self) -> None:
        while True:
            await asyncio.sleep(self.adopt_after.total_seconds() / 3)
            try:
                await self._adopt(all_ages=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("could not look for stored updates: %s", type(exc).__name__)
