"""Faults the tests inject: the next calls of a method fail (:meth:`FaultsMixin.fail_next`,
``DROP``/``HANG`` break the connection, ``LATE`` takes effect and then answers too late), the
next call waits until the test lets it go (:meth:`FaultsMixin.hold_next`), a chat that
blocked the bot gets 403, sends above a rate get 429, a revoked token gets 401."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bot_api_double.errors import DEFAULT_DESCRIPTIONS, ApiError, Drop
from bot_api_double.model import BotState, Injection, Params
from bot_api_double.state import DoubleState

DROP = 0  # fail_next(status=DROP): close the connection without answering
HANG = -1  # fail_next(status=HANG): answer nothing for ``hang_seconds``, then close it
# fail_next(status=LATE): the call takes effect (the message is sent or edited), then its
# answer takes ``hang_seconds`` and the connection closes: the bot cannot know it worked
LATE = -2

_CHAT_SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendChatAction",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
    }
)


@dataclass
class Gate:
    """The next call of ``method`` (to ``chat_id`` if given) waits at the gate: ``reached``
    is set when it arrives, and it goes on (carried out as usual) after ``release()``."""

    method: str
    chat_id: int | None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


class FaultsMixin(DoubleState):
    """Injecting faults, and checking each request against them."""

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        count: int = 1,
        retry_after: int | None = None,
        chat_id: int | None = None,
        description: str | None = None,
        token: str | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` (to ``chat_id`` if given) fail with
        ``status`` (``DROP``: the connection is closed with no answer). 429 gets
        ``parameters.retry_after`` (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._injections.append(
            Injection(method, status, count, retry_after, chat_id, description, token)
        )

    def hold_next(self, method: str, *, chat_id: int | None = None) -> Gate:
        """The next call of ``method`` (to ``chat_id`` if given) waits until the test
        releases the gate: a request deterministically on its way while something else
        happens."""
        gate = Gate(method, chat_id)
        self._gates.append(gate)
        return gate

    async def _pass_gate(self, method: str, params: Params) -> None:
        for gate in self._gates:
            if gate.method.lower() != method.lower():
                continue
            if gate.chat_id is not None and params.chat_id(required=False) != gate.chat_id:
                continue
            self._gates.remove(gate)
            gate.reached.set()
            await gate.released.wait()
            return

    def block_chat(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def enforce_rate(self, per_second: float | None, paid_per_second: float = 1000.0) -> None:
        """Sends above ``per_second`` in any 1-second window get 429 (None: off), as do
        sends above ``paid_per_second`` counting paid broadcasts (``allow_paid_broadcast``,
        which skip the free limit) and free sends together: Telegram's two limits."""
        self._rate = per_second
        self._paid_rate = paid_per_second if per_second is not None else None
        self._rate_window.clear()
        self._paid_window.clear()

    def revoke_token(self, token: str) -> None:
        """Every call with this token gets 401 from now on."""
        self._revoked.add(token)
        self._bots.pop(token, None)

    # ------------------------------------------------------------------ checks per request

    def _check_blocked(self, method: str, params: Params) -> None:
        """A send or edit to a chat that blocked the bot gets 403."""
        if method in _CHAT_SEND_METHODS:
            chat_id = params.chat_id(required=False)
            if chat_id is not None and chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_injection(self, state: BotState, method: str, params: Params) -> bool:
        """Raise the injected failure of this call; True for ``LATE`` (the call is carried
        out, its answer is not)."""
        for inj in self._injections:
            if inj.method.lower() != method.lower() or inj.remaining <= 0:
                continue
            if inj.token is not None and inj.token != state.token:
                continue
            if inj.chat_id is not None and params.chat_id(required=False) != inj.chat_id:
                continue
            inj.remaining -= 1
            if inj.remaining <= 0:
                self._injections.remove(inj)
            if inj.status == LATE:
                return True
            if inj.status in (DROP, HANG):
                raise Drop(hang=inj.status == HANG)
            description = inj.description
            if description is None:
                if inj.status == 429:
                    description = f"Too Many Requests: retry after {inj.retry_after}"
                else:
                    description = DEFAULT_DESCRIPTIONS.get(inj.status, f"Error {inj.status}")
            raise ApiError(inj.status, description, inj.retry_after)
        return False

    def _check_rate(self, params: Params) -> None:
        if self._rate is None:
            return
        now = time.monotonic()
        paid = params.flag("allow_paid_broadcast")
        checks = [(self._paid_window, self._paid_rate)]
        if not paid:
            checks.append((self._rate_window, self._rate))
        for window, rate in checks:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if rate is not None and len(window) >= rate:
                wait = 1.0 - (now - window[0])
                retry = max(1, int(wait + 0.999))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        for window, _ in checks:
            window.append(now)
        if paid:
            self.stats["paid_broadcasts"] += 1
