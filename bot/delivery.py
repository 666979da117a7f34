"""Sending scheduled messages: paced, retried when that is safe, never doubled.

Telegram allows about 30 messages per second overall. PTB's ``AIORateLimiter`` honours 429
answers, but its leaky bucket lets ``overall_max_rate`` messages through at once from idle
(so ~2x the rate in the first second of a fan-out), and after a 429 it releases everything
that queued up during the pause at once, which earns the next 429. :class:`Pacer` spaces
sends evenly instead (one every ``1/rate`` seconds, never more than ``rate`` in any second),
and :class:`PacedRateLimiter` puts it under every request of the bot. With the
``AIORateLimiter`` still in place, the scheduler paces its own sends with a Pacer.

Errors, and what they mean for "exactly once":

* ``Forbidden`` — the runner blocked the bot: stop, mark them blocked.
* ``RetryAfter`` (429) — not delivered; wait ``retry_after`` and send again.
* an HTTP answer from Telegram with a 5xx status, or a connection that was never made
  (connect error, connect/pool timeout) — not delivered; retry with exponential back-off.
* a timeout or broken connection *after* the request went out — Telegram may have
  delivered it. Sending again could double the message, so it is recorded as uncertain and
  not retried.
* ``BadRequest`` and other answers — permanent for this message: failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram._utils.types import JSONDict
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter

from bot import metrics
from bot.http import NOT_SENT
from conversations.context import Out
from conversations.sender import markup

log = logging.getLogger(__name__)

# Somewhat under Telegram's ~30/s, so jitter between us and Telegram never makes 31.
DEFAULT_RATE = 29.0
# errors raised before the request reached the server: safe to send again (httpx's, for a
# bot on PTB's default request; aiohttp's, for runcoach's own, bot/http.py)
_NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    *NOT_SENT,
)


class Pacer:
    """Send slots for every sender of the process. The promise, kept on the moments requests
    are really released (:meth:`stamp`), whatever the event loop or the CPU did meanwhile:
    no two requests closer than ``GAP`` x ``1/rate``, and never more than ``rate * per`` in
    any ``per`` seconds. Slots follow a grid ``1/rate`` apart (a slightly late wake-up does
    not slow the rate down), but a process that was late by more than a fraction of an
    interval (starved of CPU, a long garbage collection) does not catch up: the grid moves
    on from now, so a stall is never followed by a burst. ``rate`` None: no waiting at all.

    Waiting is FIFO (``asyncio.Lock``): requests go in the order they asked for a slot."""

    GAP = 0.75  # the closest two releases may be, in intervals (the grid's slack)
    FENCED = 2  # deliveries fenced (marked sending) and not yet released, at most

    def __init__(
        self,
        rate: float | None = DEFAULT_RATE,
        per: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()  # who waits for the next slot
        self._stamp_lock = asyncio.Lock()  # who is released next
        self._fenced = asyncio.Semaphore(self.FENCED)
        self._next = 0.0  # the next slot on the grid, or the end of a 429 pause
        self._paused = 0.0  # the end of a 429 pause
        self.interval = 1.0 / rate if rate else 0.0
        self._released: deque[float] = deque(maxlen=max(1, int((rate or 1) * per)))

    def _bound(self) -> float:
        """The earliest moment the next request may be released, by the releases so far."""
        released = self._released
        bound = self._paused
        if released:
            bound = max(bound, released[-1] + self.GAP * self.interval)
            if len(released) == released.maxlen:
                bound = max(bound, released[0] + self.per)
        return bound

    async def _until(self, slot: Callable[[], float]) -> float:
        """Sleep until ``slot()`` (read again after every sleep, since others may have been
        released meanwhile); the moment it was reached."""
        while True:
            now = self._clock()
            left = slot() - now
            if left <= 0:
                return now
            await self._sleep(left)

    async def wait(self, *, stamp: bool = True) -> None:
        """Wait for the next slot. ``stamp=False``: the caller has more to do before its
        request is written, and calls :meth:`stamp` right before writing it."""
        if not self.rate:
            return
        async with self._lock:
            slot = max(self._next, self._bound())
            now = await self._until(lambda: max(slot, self._bound()))
            # the grid: one interval on; late by more than the slack, one interval from now
            slack = (1.0 - self.GAP) * self.interval
            self._next = max(slot, now - slack) + self.interval
        if stamp:
            await self.stamp()

    async def stamp(self, before: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Release a request about to be written, after ``wait(stamp=False)`` and some work:
        the work may have taken long, so the promise is checked again against the moments
        requests were really released, one request at a time.

        ``before`` (the scheduler's fence: a short transaction marking the delivery as
        being sent) runs first, and at most :attr:`FENCED` deliveries at a time may be
        fenced and not yet released: a kill finds at most that many marked ``sending`` and
        never written. (Fences that all commit at once, after SQLite's one writer was busy,
        would otherwise queue here for their turns and all be lost.) Two let one fence's
        transaction overlap the previous delivery's wait, so the rate does not suffer.
        False when ``before`` said no: nothing is released."""
        if before is not None:
            async with self._fenced:
                if not await before():
                    return False
                await self._release()
            return True
        await self._release()
        return True

    async def _release(self) -> None:
        if not self.rate:
            return
        async with self._stamp_lock:
            await self._until(self._bound)
            self._released.append(self._clock())

    def pause(self, seconds: float) -> None:
        """Telegram asked us to wait (429): nobody in this process sends before then."""
        until = self._clock() + seconds
        self._paused = max(self._paused, until)
        self._next = max(self._next, until)


class Turn:
    """A delivery's turn in :class:`InFlight`: when its request was released."""

    at: float | None = None

    def released(self) -> None:
        if self.at is None:
            self.at = time.monotonic()


class InFlight:
    """How many scheduled deliveries may be past their turn at once (waiting for their slot,
    fenced, on the wire, or being recorded): enough to keep the promised rate busy — the
    rate times the observed time from a request's release to its recorded answer, plus one
    waiting for its slot (Little's law) — and no more, so a kill finds only the few requests
    truly on the wire fenced. Deliveries take their turn in the order they were handed out
    (tickets, :data:`TICKET`): the page order of the due query, oldest due first."""

    def __init__(
        self, rate: float | None, *, most: int = 64, latency: float = 0.05, weight: float = 0.2
    ) -> None:
        self.rate = rate
        self.most = most
        self.latency = latency  # seconds, a moving average
        self.weight = weight
        self.inside = 0
        self.peak = 0  # the most ever inside at once
        self.widest = 0  # the widest the window ever was
        self._issued = 0
        self._turn = 0  # the next ticket to go in
        self._skipped: set[int] = set()
        self._changed = asyncio.Event()

    @property
    def limit(self) -> int:
        if not self.rate:
            return self.most
        return max(1, min(self.most, math.ceil(self.rate * self.latency) + 1))

    def ticket(self) -> int:
        self._issued += 1
        return self._issued - 1

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _may_enter(self, ticket: int | None) -> bool:
        return (ticket is None or ticket == self._turn) and self.inside < self.limit

    async def enter(self, ticket: int | None = None) -> None:
        while True:
            changed = self._changed
            if self._may_enter(ticket):
                break
            await changed.wait()
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        self.widest = max(self.widest, self.limit)
        if ticket is not None:
            self._turn += 1
            self._advance()
        self._signal()

    def leave(self, latency: float | None = None) -> None:
        self.inside -= 1
        if latency is not None and latency >= 0:
            self.latency += self.weight * (latency - self.latency)
        self._signal()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[Turn]:
        """Inside the window for the current task's ticket (:data:`TICKET`); the latency
        counts from ``Turn.released`` (called when the request's slot came) to the end."""
        await self.enter(TICKET.get())
        turn = Turn()
        try:
            yield turn
        finally:
            self.leave(time.monotonic() - turn.at if turn.at is not None else None)

    def skip(self, ticket: int) -> None:
        """The ticket's work ended without a send (nothing due, an error): the next goes."""
        if ticket >= self._turn:
            self._skipped.add(ticket)
            self._advance()
            self._signal()

    def _advance(self) -> None:
        while self._turn in self._skipped:
            self._skipped.discard(self._turn)
            self._turn += 1


# The ticket of the delivery this task works on (bot/tick.py hands them out in page order).
TICKET: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "runcoach_ticket", default=None
)


class FenceLost(Exception):
    """The delivery was taken over by another process before its request went out."""


class Fence:
    """The right to send a scheduled delivery (its rows ``pending → sending``), taken as
    late as possible: after the request's pacing slot, right before it is written. So a
    kill loses at most the requests actually on the wire, not the ones waiting their turn.
    ``release`` gives it back (``sending → pending``) when Telegram refused the request
    with a 429, which proves it was not delivered."""

    def __init__(
        self,
        take: Callable[[], Awaitable[bool]],
        release: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._take = take
        self._release = release
        self.held = False

    async def take(self) -> bool:
        if self.held:
            return True
        self.held = await self._take()
        return self.held

    async def release(self) -> None:
        if self.held and self._release is not None:
            await self._release()
            self.held = False


# The fence of the request being made in this task, if any: PacedRateLimiter takes it right
# after the pacing slot.
BEFORE_WRITE: contextvars.ContextVar[Fence | None] = contextvars.ContextVar(
    "runcoach_before_write", default=None
)

# Longest wait a 429 can impose here; Telegram's longer retry_after values are logged, and
# the message is tried again after this (and met with another 429 if Telegram still insists).
MAX_RETRY_AFTER = 30.0


class PacedRateLimiter(BaseRateLimiter[int]):
    """A PTB rate limiter built on :class:`Pacer`: every request to a chat waits for its
    evenly spaced slot (no burst from idle, unlike ``AIORateLimiter``'s leaky bucket).

    A 429 pauses only the chat it was for (``retry_after``, capped at ``MAX_RETRY_AFTER``
    and logged when longer), and the request is tried again (at most ``max_retries``
    times); other chats go on. When ``global_after`` different chats get a 429 within
    ``global_window`` seconds, the limit is the bot's, and every send pauses. A request
    with a :class:`Fence` (a scheduled delivery) takes it after its slot and is not retried
    here: the scheduler decides."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        max_retries: int = 3,
        *,
        paid_rate: float | None = None,
        global_after: int = 3,
        global_window: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pacer = Pacer(rate)
        # paid broadcasts (``allow_paid_broadcast``): paced apart, up to ``paid_rate``
        self.paid = Pacer(paid_rate) if paid_rate else None
        self.max_retries = max_retries
        self.global_after = global_after
        self.global_window = global_window
        self._clock = clock
        self._chat_until: dict[Any, float] = {}
        self._recent: deque[tuple[float, Any]] = deque()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def chat_paused_for(self, chat_id: Any) -> float:
        until = self._chat_until.get(chat_id)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            self._chat_until.pop(chat_id, None)
            return 0.0
        return left

    def on_429(self, chat_id: Any, seconds: float) -> float:
        """Record a 429: pause the chat (or everybody, when many chats got one); the wait."""
        metrics.count_429("limiter")
        if seconds > MAX_RETRY_AFTER:
            log.warning(
                "Telegram asked to wait %.0f s (429); waiting %.0f s instead",
                seconds,
                MAX_RETRY_AFTER,
            )
            seconds = MAX_RETRY_AFTER
        now = self._clock()
        self._recent.append((now, chat_id))
        while self._recent and self._recent[0][0] < now - self.global_window:
            self._recent.popleft()
        chats = {chat for _, chat in self._recent}
        if chat_id is None or len(chats) >= self.global_after:
            log.info("Telegram asked to wait %.1f s (429); every send waits", seconds)
            self.pacer.pause(seconds)
            if self.paid is not None:
                self.paid.pause(seconds)
        else:
            log.info("Telegram asked to wait %.1f s (429) for one chat; it waits", seconds)
            self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), now + seconds)
        return seconds

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        paced = chat_id is not None  # what Telegram counts: messages to chats
        pacer = self.pacer
        if self.paid is not None and data.get("allow_paid_broadcast"):
            pacer = self.paid
        fence = BEFORE_WRITE.get()
        attempt = 0
        while True:
            if paced:
                left = self.chat_paused_for(chat_id)
                if left > 0:
                    await asyncio.sleep(left)
                await pacer.wait(stamp=fence is None)
            if fence is not None:
                taken = await pacer.stamp(fence.take) if paced else await fence.take()
                if not taken:
                    raise FenceLost()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = self.on_429(chat_id, retry_after_seconds(exc) + 0.1)
                if fence is not None or attempt >= retries:
                    raise
                attempt += 1
                if not paced:
                    await asyncio.sleep(seconds)


class Result(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # Forbidden: the runner blocked the bot
    RETRY_LATER = "retry_later"  # definitely not delivered; try again after the lease
    UNCERTAIN = "uncertain"  # may have been delivered; never sent again
    FAILED = "failed"  # Telegram refused this message


@dataclass
class Sent:
    result: Result
    message_ids: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def message_id(self) -> int | None:
        return self.message_ids[0] if self.message_ids else None


def delivered_for_sure_not(exc: BaseException) -> bool:
    """True when ``exc`` proves the request was not carried out by Telegram."""
    if isinstance(exc, RetryAfter):
        return True
    if isinstance(exc, BadRequest):  # a NetworkError subclass in PTB, but an answer
        return False
    if isinstance(exc, NetworkError):  # TimedOut is a NetworkError too
        cause = exc.__cause__
        if cause is None or isinstance(cause, TelegramError):
            # PTB raised it for an HTTP answer (5xx, 502 Bad Gateway): Telegram refused it.
            return not isinstance(exc, TimedOut)
        return isinstance(cause, _NOT_SENT)
    return False


def retry_after_seconds(exc: RetryAfter) -> float:
    wait = getattr(exc, "_retry_after", None)  # the public attribute warns in PTB 22
    if wait is None:
        wait = exc.retry_after
    return float(wait if isinstance(wait, int | float) else wait.total_seconds())


async def send_one(bot: Any, chat_id: int, out: Out, *, paid: bool = False) -> int:
    """One message; ``paid``: a paid broadcast (``allow_paid_broadcast``, billed per message
    by Telegram, up to 1000 messages per second)."""
    extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
    if out.photo is not None:
        msg = await bot.send_photo(
            chat_id,
            photo=out.photo,
            caption=out.text or None,
            reply_markup=markup(out.keyboard),
            **extra,
        )
    elif out.document is not None:
        msg = await bot.send_document(
            chat_id,
            document=out.document,
            filename=out.filename,
            caption=out.text or None,
            **extra,
        )
    else:
        msg = await bot.send_message(chat_id, out.text, reply_markup=markup(out.keyboard), **extra)
    return int(msg.message_id)


async def send_outs(
    bot: Any,
    chat_id: int,
    outs: list[Out],
    *,
    pacer: Pacer | None = None,
    tries: int = 5,
    backoff: float = 1.0,
    max_retry_after: float = 120.0,
    before_send: Callable[[], Awaitable[bool]] | None = None,
    release: Callable[[], Awaitable[None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    paid: bool = False,
) -> Sent:
    """Send ``outs`` in order to one chat. Transient failures are retried (``tries`` times per
    message, back-off doubling from ``backoff`` seconds); 429 waits as long as Telegram says.

    ``before_send`` (the scheduler's fence) runs once, right before the first request is
    written: after ``pacer``'s wait, or after the bot's :class:`PacedRateLimiter` slot;
    returning False cancels the send. ``release`` undoes it when a 429 proved that nothing
    went out (taken again before the next try)."""
    ids: list[int] = []
    fence = Fence(before_send, release) if before_send is not None else None
    in_limiter = isinstance(getattr(bot, "rate_limiter", None), PacedRateLimiter)
    for out in outs:
        failures = 0
        delay = backoff
        while True:
            fencing = fence is not None and not in_limiter and not fence.held
            if pacer is not None:  # last thing before the request: keeps the spacing even
                await pacer.wait(stamp=not fencing)
            if fencing:
                assert fence is not None
                taken = await pacer.stamp(fence.take) if pacer is not None else await fence.take()
                if not taken:
                    return Sent(Result.FAILED, ids, "fence lost")
            token = BEFORE_WRITE.set(fence)
            try:
                ids.append(await send_one(bot, chat_id, out, paid=paid))
                break
            except FenceLost:
                return Sent(Result.FAILED, ids, "fence lost")
            except Forbidden as exc:
                log.info("chat %s blocked the bot; stopping sends", chat_id)
                return Sent(Result.BLOCKED, ids, str(exc))
            except RetryAfter as exc:
                seconds = min(retry_after_seconds(exc), MAX_RETRY_AFTER)
                failures += 1
                if failures >= tries or retry_after_seconds(exc) > max_retry_after:
                    return Sent(_not_sent(ids), ids, f"429 retry_after={seconds}")
                if fence is not None and not ids:
                    await fence.release()  # not delivered: a kill now loses nothing
                log.info("Telegram asked to wait %.1f s (429); waiting", seconds)
                if in_limiter:
                    pass  # the limiter paused this chat (or everybody) already
                elif pacer is not None:
                    pacer.pause(seconds + 0.1)
                else:
                    await sleep(seconds + 0.1)
            except (InvalidToken, ChatMigrated):
                raise
            except (BadRequest, TelegramError) as exc:
                if isinstance(exc, BadRequest) or not delivered_for_sure_not(exc):
                    if isinstance(exc, BadRequest):
                        log.warning("chat %s: Telegram refused a message: %s", chat_id, exc)
                        return Sent(Result.FAILED, ids, str(exc))
                    log.warning(
                        "chat %s: %s after the request went out; not resending", chat_id, exc
                    )
                    return Sent(Result.UNCERTAIN, ids, str(exc))
                failures += 1
                if failures >= tries:
                    log.warning("chat %s: giving up for now after %s: %s", chat_id, failures, exc)
                    return Sent(_not_sent(ids), ids, str(exc))
                log.info("chat %s: transient %s; retrying in %.1f s", chat_id, exc, delay)
                await sleep(delay)
                delay *= 2
            finally:
                BEFORE_WRITE.reset(token)
    return Sent(Result.SENT, ids)


def _not_sent(ids: list[int]) -> Result:
    # Nothing went out: the whole delivery can be tried again later. When part of it went
    # out, trying again would repeat that part, so it counts as failed.
    return Result.RETRY_LATER if not ids else Result.FAILED
