"""What the double holds across bots and chats (every message the bot sent, files, blocked
chats, fault injections, ...) and the helpers every part of it shares: a bot's state by
token, the queue of updates, and waking whoever waits for a change."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter, deque
from typing import Any

from aiohttp import web

from bot_api_double.model import (
    DEFAULT_EXCLUDED_UPDATES,
    JSON,
    TOKEN_RE,
    BotState,
    Injection,
    SentMessage,
    Update,
    Upload,
)

# 2026-01-01T00:00:00Z: the clock-based first id counts tenths of a second from here.
_ID_EPOCH_NS = 1_767_225_600 * 1_000_000_000


class DoubleState:
    """The double's state; :class:`~bot_api_double.server.BotApiDouble` adds the Bot API
    methods and the user-side control API on top (see the package docstring)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, first_id: int | None = None
    ) -> None:
        """``first_id``: where message ids (per chat) and callback query ids start. By default
        it comes from the clock (tenths of a second since 2026), so ids do not repeat across
        runs, as on Telegram: a bot that keeps its database between runs (the playground)
        must not take a new run's messages for ones it already handled. Ids stay within 32
        bits, as Telegram's message ids do, until about 2032."""
        if first_id is None:
            first_id = max(1, (time.time_ns() - _ID_EPOCH_NS) // 100_000_000)
        self.first_id = first_id
        self.host = host
        self.port = port
        self.base_url = ""
        self.base_file_url = ""
        self.delay: float = 0.0
        self.hang_seconds: float = 2.0  # how long a HANG injection keeps a request waiting
        self.stats: Counter[str] = Counter()  # "sent", "too_many_requests", method names
        self.calls: list[tuple[str, JSON]] = []  # (method, params) for every authorized call
        self.callback_answers: list[JSON] = []
        # webhook mode: every POST of an update (id, body), and the statuses it got back
        self.webhook_deliveries: list[tuple[int, JSON]] = []
        self.webhook_statuses: list[tuple[int, tuple[int, ...]]] = []
        self.webhook_posts: list[tuple[int, str, int]] = []  # (update id, url, status)
        self.webhook_latencies: list[float] = []  # seconds from POST to the answer
        self.webhook_duplicates = False
        self._client: Any = None  # the aiohttp session webhook deliveries use
        self.webhook_retry_seconds = 0.2
        self.webhook_timeout = 30.0
        self.chat_actions: list[tuple[int, str]] = []
        self._bots: dict[str, BotState] = {}
        self._revoked: set[str] = set()
        self._sent: dict[int, list[SentMessage]] = {}
        self._cursor: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._injections: list[Injection] = []
        self._gates: list[Any] = []  # faults.Gate: calls held until the test lets them go
        self._rate: float | None = None
        self._rate_window: deque[float] = deque()
        self._paid_rate: float | None = None  # paid broadcasts (allow_paid_broadcast)
        self._paid_window: deque[float] = deque()
        self._files: dict[str, Upload] = {}
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(first_id)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._closing = False

    # ------------------------------------------------------------------ bots

    def bot(self, token: str) -> BotState:
        state = self._bots.get(token)
        if state is None:
            match = TOKEN_RE.match(token)
            if match is None or token in self._revoked:
                raise ValueError("invalid bot token")
            state = BotState(bot_id=int(match.group(1)), token=token)
            self._bots[token] = state
        return state

    def bot_username(self, token: str) -> str:
        return self.bot(token).username

    # ------------------------------------------------------------------ internals: queueing

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._set_changed()
        else:  # control API called from another thread (e.g. a playground input thread)
            loop.call_soon_threadsafe(self._set_changed)

    def _set_changed(self) -> None:
        if self._changed is not None:
            self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def _queue(self, state: BotState, kind: str, payload: JSON) -> None:
        state.updates.append(Update(state.next_update_id, kind, payload))
        state.next_update_id += 1
        self._notify()

    def _next_message_id(self, state: BotState, chat_id: int) -> int:
        mid = state.next_message_id.get(chat_id, self.first_id)
        state.next_message_id[chat_id] = mid + 1
        return mid

    def _user_json(self, user_id: int, first_name: str, language_code: str) -> JSON:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def _chat_json(
        self, chat_id: int, user_id: int | None = None, first_name: str = "Runner"
    ) -> JSON:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": first_name}
        kind = "group" if chat_id > -(10**12) else "supergroup"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    # ------------------------------------------------------------------ files and records

    def _store_file(self, upload: Upload) -> str:
        file_id = f"F{next(self._file_seq):06d}"
        self._files[file_id] = upload
        return file_id

    def _record(self, msg: SentMessage) -> None:
        self._sent.setdefault(msg.chat_id, []).append(msg)
        self._notify()

    def _current(self, chat_id: int, message_id: int, bot_id: int | None) -> SentMessage:
        for msg in self._sent.get(chat_id, []):
            if msg.message_id != message_id or msg.edited:
                continue
            if bot_id is None or msg.bot_id == bot_id:
                return msg
        raise KeyError(f"bot message {message_id} not found in chat {chat_id}")

    def _filter_allowed(self, state: BotState) -> None:
        """Drop queued updates of kinds the bot did not ask for (allowed_updates)."""
        allowed = state.allowed_updates
        if allowed:
            keep = [u for u in state.updates if u.kind in allowed]
        else:
            keep = [u for u in state.updates if u.kind not in DEFAULT_EXCLUDED_UPDATES]
        if len(keep) != len(state.updates):
            state.updates = deque(keep)
