"""The outbox's delivery: each chat's pending replies sent in order, recorded as sent, and
retried with back-off when Telegram did not take them (conversations/dispatch.py writes them
in the update's transaction). After a crash, unsent replies go out when the bot starts again;
a reply whose claim ran out (its process died) is taken over by whichever process sweeps.
Pictures and PDFs render here, after the commit, in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from conversations import uploads
from conversations.context import WEB_APP, Attachment, Out
from storage import Database
from storage import outbox as box
from storage.models import OutboxRow

log = logging.getLogger(__name__)
LOST_ATTACHMENT = "lost"  # payload key: the text sent instead of an attachment lost in a crash


def markup(rows: list[list[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[button(label, data) for label, data in row] for row in rows])


def button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(WEB_APP):
        return InlineKeyboardButton(label, web_app=WebAppInfo(data[len(WEB_APP):]))
    return InlineKeyboardButton(label, callback_data=data)


T = TypeVar("T")
R = TypeVar("R")


class Together(Generic[T, R]):
    """Work that concurrent callers ask for meanwhile, committed in one transaction: a
    caller waits for the commit that holds its items and gets ``work``'s result for the
    whole batch (or its exception)."""

    def __init__(
        self, db: Database, work: Callable[[Any, Sequence[T]], Awaitable[R]], name: str
    ) -> None:
        self._db, self._work, self._name = db, work, name
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[R]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, items: Sequence[T]) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._items.extend(items)
        self._waiters.append(done)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._batches(), name=self._name)
        return await done

    async def _batches(self) -> None:
        while self._items:
            waiters: list[asyncio.Future[R]] = []
            try:
                async with self._db.session() as session:
                    # taken once the transaction is ours (on SQLite, after the writers
                    # queued before it): what was asked for while it waited comes along
                    items, self._items = self._items, []
                    waiters, self._waiters = self._waiters, []
                    result = await self._work(session, items)
            except Exception as exc:
                if not waiters:  # the transaction did not begin: fail everyone waiting
                    self._items = []
                    waiters, self._waiters = self._waiters, []
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(result)

    async def finished(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


class Sender:
    """Delivers the outbox: each chat's pending replies in order, one chat at a time per
    process, retrying with back-off (doubling from ``first_delay`` up to ``max_delay``)
    what Telegram did not take, and dropping what Telegram refuses for good."""

    def __init__(
        self,
        db: Database,
        bot: Any,
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        sweep_seconds: float = 2.0,
        lease: timedelta = timedelta(seconds=10),
    ) -> None:
        self.db = db
        self.bot = bot
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.sweep_seconds = sweep_seconds
        self.lease = lease
        # seconds to wait for Telegram's answer to a reply (None: PTB's default, 5 s)
        self.read_timeout: float | None = None
        # this process's name on the rows it is sending; a row whose claim has run out
        # (its process died, or is stuck) is taken over by whoever sweeps first
        self.owner = uuid.uuid4().hex[:16]
        self._locks: dict[int, asyncio.Lock] = {}
        self._held: dict[int, Out] = {}  # outbox id -> the Out with its attachment
        # sent, not recorded yet: id -> (row, message id)
        self._unrecorded: dict[int, tuple[OutboxRow, int | None]] = {}
        self._retrying: dict[int, asyncio.Task[None]] = {}
        self._delay: dict[int, float] = {}
        self._dirty: set[int] = set()  # chats with older pending rows (read them back first)
        self._expected: dict[int, list[Expected]] = {}  # chat -> updates committing replies
        # records of sent replies, and (SQLite) the "tried" marks of questions: what
        # concurrent flushes ask for meanwhile is committed in one transaction
        self._records: Together[tuple[OutboxRow, int | None], None] = Together(
            db, box.mark_sent, "outbox-recorder"
        )
        self._tries: Together[int, set[int]] = Together(
            db, box.mark_tried_many, "outbox-tried"
        )
        self._sweeper: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Future[str]] = set()  # requests on the wire
        # called with each reply's outcome ("sent", "dropped", "blocked", "retry") and with
        # "429" for a 429; bot/metrics.py counts them (nothing here imports bot/)
        self.observe: Callable[[str], None] = lambda outcome: None

    @contextlib.contextmanager
    def expecting(self, chat_id: int) -> Iterator[Expected]:
        """Around an update whose transaction commits replies to ``chat_id``: if a flush of
        the chat claims pending rows meanwhile (a retry, a sweep), it may send the update's
        rows too, so ``flush(chat_id, rows, expected)`` reads them back instead of sending
        them as given."""
        expected = Expected(chat_id)
        waiting = self._expected.setdefault(chat_id, [])
        waiting.append(expected)
        try:
            yield expected
        finally:
            waiting.remove(expected)
            if not waiting:
                self._expected.pop(chat_id, None)

    def hold(self, outs: dict[int, Out]) -> None:
        """Keep the attachments (bytes or renderers) of just-queued rows in memory."""
        for row_id, out in outs.items():
            if out.photo is not None or out.document is not None:
                self._held[row_id] = out

    async def start(self) -> None:
        """Send whatever was left unsent (a crash, an outage), then keep sweeping."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="outbox-sweeper")

    async def stop(self) -> None:
        """Stop sweeping and retrying; then record as sent what reached Telegram and is not
        recorded yet (a flush cut short by the stop), so the next process does not send it
        again."""
        tasks = [t for t in (self._sweeper, *self._retrying.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._sweeper = None
        self._retrying.clear()
        if self._in_flight:  # requests a stop cut short finish first (their own timeout)
            await asyncio.wait(set(self._in_flight), timeout=10)
        await self._records.finished()
        try:
            await self._record_unrecorded()
        except Exception as exc:  # the database is away: those may be sent once more
            log.warning("sent replies could not be recorded: %s", type(exc).__name__)

    def holds(self, chat_id: int) -> bool:
        """Replies to this chat that this process could not send yet (retried later)."""
        return chat_id in self._dirty or chat_id in self._retrying

    async def finish(self, timeout: float) -> bool:
        """Before stopping: send, once and within ``timeout`` s, the replies this process
        still holds (chats waiting for a retry); True when none is left. What stays pending
        is sent by another process's sweep, or on the next start, when its claim ends."""
        chats = set(self._retrying) | self._dirty
        for task in self._retrying.values():
            task.cancel()
        self._retrying.clear()

        async def flush_all() -> bool:
            results = [await self.flush(chat_id) for chat_id in sorted(chats)]
            for task in self._retrying.values():  # a failed flush scheduled a retry
                task.cancel()
            self._retrying.clear()
            return all(results)

        try:
            return await asyncio.wait_for(flush_all(), timeout)
        except TimeoutError:
            return False

    async def sweep(self) -> None:
        """Flush every chat with pending replies that no live process holds (a crash left
        them, or an outage)."""
        async with self.db.session() as session:
            chats = await box.chats_with_pending(session, self.bot.id, self.owner)
        for chat_id in chats:
            if chat_id not in self._retrying and not self._lock(chat_id).locked():
                await self.flush(chat_id)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again later
                log.warning("outbox sweep failed: %s", type(exc).__name__)
            await asyncio.sleep(self.sweep_seconds)

    def _lock(self, chat_id: int) -> asyncio.Lock:
        return self._locks.setdefault(chat_id, asyncio.Lock())

    async def flush(
        self,
        chat_id: int,
        fresh: list[OutboxRow] | None = None,
        expected: Expected | None = None,
    ) -> bool:
        """Send the chat's pending replies in order; True when none is left. ``fresh``: the
        rows just committed (announced by ``expected``), sent without reading them back
        when nothing older is pending for the chat here and no other flush of the chat has
        claimed rows since. On failure the chat is retried later with back-off (and this
        returns False at once)."""
        lock = self._lock(chat_id)
        try:
            async with lock:
                taken = expected is not None and expected.claimed
                if fresh is not None and chat_id not in self._dirty and not taken:
                    done = await self._send_rows(fresh)
                else:
                    done = await self._flush_locked(chat_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database went away between sends
            log.warning("replies to a chat wait: %s", type(exc).__name__)
            done = False
        finally:
            if not lock.locked() and not lock._waiters:
                self._locks.pop(chat_id, None)
        if done:
            self._delay.pop(chat_id, None)
            self._dirty.discard(chat_id)
        else:
            self._dirty.add(chat_id)
            self._retry_later(chat_id)
        return done

    async def _flush_locked(self, chat_id: int) -> bool:
        while True:
            await self._record_unrecorded()
            for expected in self._expected.get(chat_id, ()):
                expected.claimed = True  # its rows may be among those claimed now
            async with self.db.session() as session:
                rows = await box.claim_pending(
                    session, self.bot.id, chat_id, self.owner, self.lease
                )
                rows = [row for row in rows if row.id not in self._unrecorded]
                outdated = set(await box.answered_questions(session, rows))
                for row_id in outdated:
                    await box.drop_reply(session, row_id)
            rows = [row for row in rows if row.id not in outdated]
            if not rows:
                return True
            if not await self._send_rows(rows):
                return False

    async def _send_rows(self, rows: list[OutboxRow]) -> bool:
        """Send rows in order, then record them as sent in one transaction; False when one
        could not be sent (it and the ones after it stay pending)."""
        done = True
        for row in rows:
            if _asks_a_question(row) and not self.db.is_sqlite:
                # Another process may be handling the runner's next answer (this flush may
                # come late, or the row was left by a dead process): the question goes out
                # with the conversation locked, or not at all once answered (the living
                # message never goes back a question; an answered one is not sent again).
                async with self.db.session() as session:
                    if not await box.still_asked(session, row):
                        await box.drop_reply(session, row.id)
                        continue
                    if not await self._tried(row):
                        continue
                    outcome = await self._send_whole(row)
                    if outcome == "sent":  # recorded as the lock is let go
                        await box.mark_sent(session, [self._unrecorded.pop(row.id)])
            elif _asks_a_question(row):
                if not await self._tried(row):
                    continue
                outcome = await self._send_whole(row)
            else:
                outcome = await self._send_whole(row)
            self.observe(outcome)
            if outcome == "retry":
                done = False
                break
            if outcome == "blocked":
                async with self.db.session() as session:
                    await box.drop_chat(session, self.bot.id, row.chat_id)
                self._unrecorded = {
                    k: v for k, v in self._unrecorded.items() if k not in {r.id for r in rows}
                }
                return True
        await self._record_unrecorded({row.id for row in rows})
        return done

    async def _send_whole(self, row: OutboxRow) -> str:
        """``_send``, never cut off midway: a flush cancelled by a stop leaves the request
        to finish, and a reply Telegram took is recorded before the process exits
        (``stop``), so no other process sends it again."""
        task = asyncio.ensure_future(self._send(row))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    async def _tried(self, row: OutboxRow) -> bool:
        """Record, committed before the request, that a question's send is attempted: from
        then on the runner may have seen it, and a typed text answers it
        (``engine.answer``). False when the row is gone: a typed text found it untried and
        asked the question again itself, so this copy is not sent."""
        if not self.db.is_sqlite:
            # PostgreSQL: the caller holds the conversation's row lock meanwhile; a batch
            # shared with other chats would make its commit wait on theirs
            async with self.db.session() as session:
                return row.id in await box.mark_tried_many(session, [row.id])
        return row.id in await self._tries([row.id])

    async def _record_unrecorded(self, only: set[int] | None = None) -> None:
        """Record sent rows (all, or those in ``only``). Records of concurrent flushes are
        committed together: one transaction for every chat that finished meanwhile."""
        ids = [i for i in self._unrecorded if only is None or i in only]
        if not ids:
            return
        await self._record([self._unrecorded[i] for i in ids])
        for row_id in ids:
            self._unrecorded.pop(row_id, None)

    async def _record(self, items: list[tuple[OutboxRow, int | None]]) -> None:
        await self._records(items)

    async def _send(self, row: OutboxRow) -> str:
        """One reply: "sent", "dropped", "blocked" or "retry". A sent reply is recorded by
        the caller (``_unrecorded`` until then)."""
        try:
            message_id = await self._request(row)
        except Forbidden:
            log.info("chat %s blocked the bot; its pending replies are dropped", row.chat_id)
            return "blocked"
        except BadRequest as exc:
            refused = str(exc).lower()
            if "not modified" in refused:  # an edit sent before (a crash, a double tap)
                message_id = row.payload.get("message_id")
            elif row.method == "edit_text" and any(w in refused for w in _GONE):
                return await self._send(_as_new_message(row))  # too old or deleted
            elif row.method == "edit_markup" and any(w in refused for w in _GONE):
                message_id = None  # nothing left to take the buttons off
            else:
                log.warning("Telegram refused reply %s (%s); dropped", row.id, exc.message)
                async with self.db.session() as session:
                    await box.drop_reply(session, row.id)
                self._held.pop(row.id, None)
                return "dropped"
        except RetryAfter as exc:
            log.info("reply %s: Telegram asked to wait (429)", row.id)
            self.observe("429")
            self._delay[row.chat_id] = max(self._delay.get(row.chat_id, 0.0), _seconds(exc))
            return "retry"
        except (TelegramError, OSError, TimeoutError) as exc:
            log.info("reply %s not delivered yet: %s", row.id, type(exc).__name__)
            return "retry"
        self._held.pop(row.id, None)
        self._unrecorded[row.id] = (row, message_id)
        return "sent"

    async def _request(self, row: OutboxRow) -> int | None:
        p = row.payload
        keyboard = markup(p.get("keyboard"))
        timeout: dict[str, Any] = {}
        if self.read_timeout is not None:
            timeout["read_timeout"] = self.read_timeout
        if row.method == "menu":  # this chat's command menu (a care-team member's)
            scope = BotCommandScopeChat(row.chat_id)
            if p.get("commands"):
                await self.bot.set_my_commands(
                    [BotCommand(name, text) for name, text in p["commands"]], scope=scope
                )
            else:
                await self.bot.delete_my_commands(scope=scope)
            return None
        if row.method == "send":
            sent = await self.bot.send_message(
                row.chat_id, p["text"], reply_markup=keyboard, **timeout
            )
            return int(sent.message_id)
        if row.method == "edit_text":
            result = await self.bot.edit_message_text(
                p["text"],
                chat_id=row.chat_id,
                message_id=p["message_id"],
                reply_markup=keyboard,
                **timeout,
            )
            return int(p["message_id"]) if result is True else int(result.message_id)
        if row.method == "edit_markup":
            result = await self.bot.edit_message_reply_markup(
                chat_id=row.chat_id, message_id=p["message_id"], reply_markup=keyboard, **timeout
            )
            return int(p["message_id"]) if result is True else int(result.message_id)
        held = self._held.get(row.id)
        attachment: Attachment | None = None
        if held is not None:
            attachment = held.photo if row.method == "photo" else held.document
        if attachment is None:  # the process that rendered it is gone
            lost = await self.bot.send_message(row.chat_id, p[LOST_ATTACHMENT], **timeout)
            return int(lost.message_id)
        if callable(attachment):
            try:
                action = uploads.PHOTO if row.method == "photo" else uploads.DOCUMENT
                attachment = await uploads.rendered(self.bot, row.chat_id, attachment, action)
            except Exception:  # a renderer that fails would fail again: say so instead
                log.exception("reply %s: the attachment could not be rendered", row.id)
                self._held.pop(row.id, None)
                lost = await self.bot.send_message(row.chat_id, p[LOST_ATTACHMENT], **timeout)
                return int(lost.message_id)
            if row.method == "photo":
                held.photo = attachment  # type: ignore[union-attr]
            else:
                held.document = attachment  # type: ignore[union-attr]
        if row.method == "photo":
            msg = await self.bot.send_photo(
                row.chat_id,
                photo=attachment,
                caption=p["text"] or None,
                reply_markup=keyboard,
                **timeout,
            )
        else:
            msg = await self.bot.send_document(
                row.chat_id,
                document=attachment,
                filename=p.get("filename"),
                caption=p["text"] or None,
                **timeout,
            )
        return int(msg.message_id)

    def _retry_later(self, chat_id: int) -> None:
        if chat_id in self._retrying:
            return
        delay = self._delay.get(chat_id) or self.first_delay
        self._delay[chat_id] = min(delay * 2, self.max_delay)

        async def again() -> None:
            await asyncio.sleep(delay)
            self._retrying.pop(chat_id, None)
            await self.flush(chat_id)

        self._retrying[chat_id] = asyncio.create_task(again(), name=f"outbox-retry-{chat_id}")


@dataclass(eq=False)
class Expected:
    """An update about to commit replies to ``chat_id`` (``Sender.expecting``); ``claimed``
    once a flush of the chat has claimed pending rows since."""

    chat_id: int
    claimed: bool = False


def _asks_a_question(row: OutboxRow) -> bool:
    return row.method in box.QUESTION_METHODS and row.question_version is not None and bool(
        row.runner_id
    )


# Telegram's 400s for an edit that cannot happen: the message is gone or too old
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def _as_new_message(row: OutboxRow) -> OutboxRow:
    """The same reply as a new message (an edit whose message cannot be edited)."""
    copy = OutboxRow(
        id=row.id,
        runner_id=row.runner_id,
        bot_id=row.bot_id,
        chat_id=row.chat_id,
        method="send",
        payload={k: v for k, v in row.payload.items() if k != "message_id"},
        question_version=row.question_version,
    )
    return copy


def _seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # the public attribute warns in PTB 22
    if value is None:
        value = exc.retry_after
    return float(value.total_seconds() if isinstance(value, timedelta) else value)


async def deliver(bot: Any, chat_id: int, outs: list[Out]) -> list[int]:
    """Send messages directly, in order, with no outbox (scheduled prompts, tests); returns
    their message ids."""
    ids: list[int] = []
    for out in outs:
        try:
            if callable(out.photo):
                out.photo = await uploads.rendered(bot, chat_id, out.photo, uploads.PHOTO)
            if callable(out.document):
                out.document = await uploads.rendered(bot, chat_id, out.document, uploads.DOCUMENT)
            if out.photo is not None:
                msg = await bot.send_photo(
                    chat_id,
                    photo=out.photo,
                    caption=out.text or None,
                    reply_markup=markup(out.keyboard),
                )
            elif out.document is not None:
                msg = await bot.send_document(
                    chat_id,
                    document=out.document,
                    filename=out.filename,
                    caption=out.text or None,
                )
            else:
                msg = await bot.send_message(chat_id, out.text, reply_markup=markup(out.keyboard))
        except Forbidden:
            log.info("chat %s blocked the bot; stopping sends", chat_id)
            return ids
        ids.append(msg.message_id)
    return ids
