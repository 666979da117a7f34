"""A loopback Telegram Bot API double.

Runs an aiohttp server on 127.0.0.1 that speaks enough of the Bot API for a real
python-telegram-bot ``Application`` to poll it, reply, edit, upload and answer callback
queries. Tests (and the terminal playground) drive the *user* side through the Python
control API (:meth:`BotApiDouble.send_text`, :meth:`BotApiDouble.press`, ...) and read the
*bot* side back with :meth:`BotApiDouble.sent` / :meth:`BotApiDouble.wait_for`.

Usage::

    async with BotApiDouble() as d:
        app = (
            ApplicationBuilder()
            .token("123456:TEST")
            .base_url(d.base_url)
            .base_file_url(d.base_file_url)
            .build()
        )
        ...
        n = d.mark(42)
        d.send_text("123456:TEST", 42, "/start")
        msgs = await d.wait_for(42, since=n)

Notes on wire formats (python-telegram-bot 22, ``HTTPXRequest``):

* PTB joins ``base_url + token`` (no separator) and then ``/<method>``, so
  ``base_url`` must end in ``/bot``.
* Requests are ``POST`` with ``application/x-www-form-urlencoded`` bodies, or
  ``multipart/form-data`` when a file is uploaded. String values are sent raw, everything
  else (ints, bools, lists, dicts) as JSON text. JSON bodies and ``GET`` query strings are
  accepted as well (other clients use them).

The double never logs request paths (they contain the bot token): aiohttp's access log is
disabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["BotApiDouble", "SentMessage"]

_LOGGER = logging.getLogger(__name__)

JSON = dict[str, Any]

_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})
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
# Update types delivered when the bot never set allowed_updates (Telegram's default).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024


class ApiError(Exception):
    """Raised inside method handlers; becomes an ``{"ok": false}`` reply."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class SentMessage:
    """One outgoing bot action in a chat (a send, or an edit when ``edited`` is true)."""

    message_id: int
    chat_id: int
    method: str
    text: str | None = None  # text or caption, exactly as the bot sent it (markup included)
    reply_markup: JSON | None = None
    parse_mode: str | None = None
    entities: list[JSON] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_ref: str | None = None  # file_id / URL when the bot sent an existing file
    date: float = field(default_factory=time.time)
    edited: bool = False
    deleted: bool = False
    bot_id: int = 0
    params: JSON = field(default_factory=dict, repr=False)

    @property
    def shown_text(self) -> str | None:
        """The text this entry showed when it happened: a send's text as sent (``text``
        follows the message's later edits), an edit's own text."""
        if self.edited:
            return self.text
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    @property
    def plain_text(self) -> str | None:
        """The text as the user would see it (HTML/MarkdownV2 markup removed)."""
        if self.text is None:
            return None
        try:
            return _render(self.text, self.parse_mode)
        except ApiError:
            return self.text

    @property
    def mime(self) -> str | None:
        return self.mime_type

    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Keyboard rows as ``(text, callback_data)``; url buttons give the url, reply
        keyboards give ``None``."""
        markup = self.reply_markup or {}
        rows: list[list[tuple[str, str | None]]] = []
        for row in markup.get("inline_keyboard") or []:
            rows.append([(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row])
        for row in markup.get("keyboard") or []:
            rows.append([(b if isinstance(b, str) else b.get("text", ""), None) for b in row])
        return rows

    def button_data(self, label: str) -> str:
        """callback_data of the (first) button whose text equals / contains ``label``."""
        flat = [b for row in self.buttons() for b in row]
        for text, data in flat:
            if text == label and data is not None:
                return data
        for text, data in flat:
            if label in text and data is not None:
                return data
        raise KeyError(f"no button {label!r} in {[t for t, _ in flat]}")


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


DROP = 0  # fail_next(status=DROP): close the connection without answering
HANG = -1  # fail_next(status=HANG): answer nothing for ``hang_seconds``, then close it


class _Drop(Exception):
    def __init__(self, hang: bool = False) -> None:
        super().__init__()
        self.hang = hang


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: JSON

    def to_json(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class _Injection:
    method: str
    status: int
    remaining: int
    retry_after: int | None
    chat_id: int | None
    description: str | None
    token: str | None


@dataclass
class _BotState:
    bot_id: int
    token: str
    updates: deque[_Update] = field(default_factory=deque)
    next_update_id: int = 1
    poll_generation: int = 0
    allowed_updates: list[str] | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    callback_queries: dict[str, JSON] = field(default_factory=dict)
    # (chat_id) -> message_id -> message json, for every message in the chat (user + bot)
    messages: dict[int, dict[int, JSON]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)
    # webhook (setWebhook): where updates are POSTed instead of waiting for getUpdates
    webhook_url: str = ""
    webhook_secret: str | None = None
    webhook_max_connections: int = 40
    webhook_targets: list[str] = field(default_factory=list)  # a "load balancer" (tests)
    webhook_next_target: int = 0
    webhook_in_flight: set[int] = field(default_factory=set)  # update ids being delivered
    webhook_last_error: str | None = None
    webhook_task: asyncio.Task[None] | None = None

    @property
    def username(self) -> str:
        return f"runcoach{self.bot_id}_bot"

    def user_json(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "RunCoach",
            "username": self.username,
        }


class _Params:
    """Request parameters from a form (values are strings, non-strings JSON-encoded) or a
    JSON body (values already typed)."""

    def __init__(self, values: Mapping[str, Any], files: dict[str, _Upload]) -> None:
        self.values = dict(values)
        self.files = files

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def string(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def integer(self, key: str) -> int | None:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {key} specified") from None

    def number(self, key: str) -> float | None:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {key} specified") from None

    def flag(self, key: str) -> bool:
        value = self.values.get(key)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, key: str) -> Any:
        value = self.values.get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        return value

    def chat_id(self, required: bool = True) -> int | None:
        value = self.values.get("chat_id")
        if value is None or value == "":
            if required:
                raise ApiError(400, "Bad Request: chat_id is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def file(self, key: str) -> tuple[_Upload | None, str | None]:
        """An uploaded file for ``key`` (direct part or attach://name) or a file_id/URL."""
        if key in self.files:
            return self.files[key], None
        value = self.string(key)
        if value is None:
            return None, None
        if value.startswith("attach://"):
            upload = self.files.get(value[len("attach://") :])
            if upload is None:
                raise ApiError(400, f"Bad Request: file for {key} not found in request")
            return upload, None
        return None, value

    def loggable(self) -> JSON:
        out: JSON = {}
        for key in self.values:
            if key in ("reply_markup", "entities", "caption_entities", "commands", "scope"):
                out[key] = self.obj(key)
            else:
                out[key] = self.values[key]
        for key, up in self.files.items():
            out[key] = f"<upload {up.filename!r} {len(up.data)} bytes>"
        return out


# ---------------------------------------------------------------------------------------
# formatting (parse_mode) validation, roughly as strict as Telegram
# ---------------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _render(text: str, parse_mode: str | None) -> str:
    """Return the visible text, raising ApiError(400) for markup Telegram would reject."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_md2(text)
    return text


def _entity_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _render_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        out.append(chunk)
        if lt < 0:
            break
        match = _HTML_TAG_RE.match(text, lt)
        offset = len(text[:lt].encode())
        if match is None:
            raise _entity_error(f"Unexpected character '<' at byte offset {offset}")
        closing, tag, _attrs = match.group(1), match.group(2).lower(), match.group(3)
        if tag not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise _entity_error(f'Unsupported {kind} tag "{tag}" at byte offset {offset}')
        if closing:
            if not stack or stack[-1] != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{tag}>"'
                    if stack
                    else f"Unexpected end tag at byte offset {offset}"
                )
            stack.pop()
        else:
            stack.append(tag)
        pos = match.end()
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out))


def _render_md2(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        offset = len(text[:i].encode())
        if c == "\\":
            if i + 1 >= n:
                raise _entity_error(f"Unexpected end of text after '\\' at byte offset {offset}")
            out.append(text[i + 1])
            i += 2
            line_start = False
            continue
        top = stack[-1] if stack else None
        if top in ("```", "`"):
            if text.startswith(top, i):
                stack.pop()
                i += len(top)
            else:
                out.append(c)
                i += 1
            continue
        if text.startswith("```", i):
            stack.append("```")
            i += 3
            nl = text.find("\n", i)  # optional language tag
            if nl >= 0 and re.fullmatch(r"[A-Za-z0-9_+-]*", text[i:nl]):
                i = nl + 1
            continue
        token = None
        for cand in ("||", "__", "*", "_", "~", "`"):
            if text.startswith(cand, i):
                token = cand
                break
        if token is not None:
            if top == token:
                stack.pop()
            elif token in stack:
                raise _entity_error(f"Can't find end of {token} entity at byte offset {offset}")
            else:
                stack.append(token)
            i += len(token)
            line_start = False
            continue
        if c == "!" and i + 1 < n and text[i + 1] == "[":
            i += 1
            continue
        if c == "[":
            stack.append("[")
            i += 1
            continue
        if c == "]" and top == "[":
            stack.pop()
            if i + 1 < n and text[i + 1] == "(":
                j = i + 2
                while j < n and text[j] != ")":
                    j += 2 if text[j] == "\\" else 1
                if j >= n:
                    raise _entity_error(f"Can't find end of a URL at byte offset {offset}")
                i = j + 1
            else:
                i += 1
            continue
        if c == ">" and line_start:
            i += 1
            continue
        if c in _MD2_RESERVED:
            raise _entity_error(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(c)
        line_start = c == "\n"
        i += 1
    if stack:
        raise _entity_error(f"Can't find end of {stack[-1]} entity")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# the double
# ---------------------------------------------------------------------------------------

Handler = Callable[[_BotState, _Params], Any]


# 2026-01-01T00:00:00Z: the clock-based first id counts tenths of a second from here.
_ID_EPOCH_NS = 1_767_225_600 * 1_000_000_000


class BotApiDouble:
    """Loopback fake of the Telegram Bot API (see module docstring)."""

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
        self._bots: dict[str, _BotState] = {}
        self._revoked: set[str] = set()
        self._sent: dict[int, list[SentMessage]] = {}
        self._cursor: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._injections: list[_Injection] = []
        self._rate: float | None = None
        self._rate_window: deque[float] = deque()
        self._files: dict[str, _Upload] = {}
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(first_id)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._closing = False
        self._handlers: dict[str, Handler] = {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "deleteWebhook": self._m_delete_webhook,
            "setWebhook": self._m_set_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "close": self._m_true,
            "logOut": self._m_true,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "answerCallbackQuery": self._m_answer_callback_query,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "sendPhoto": self._m_send_photo,
            "sendDocument": self._m_send_document,
            "sendChatAction": self._m_send_chat_action,
            "getChat": self._m_get_chat,
            "getFile": self._m_get_file,
            "setMyDescription": self._m_set_my_description,
            "getMyDescription": self._m_get_my_description,
            "setMyShortDescription": self._m_set_my_short_description,
            "getMyShortDescription": self._m_get_my_short_description,
            "setChatMenuButton": self._m_true,
            "setMyName": self._m_true,
        }
        self._method_names = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # access_log=None: request paths carry the bot token and must never be logged.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.port = port
        self.base_url = f"http://{self.host}:{port}/bot"
        self.base_file_url = f"http://{self.host}:{port}/file/bot"

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        tasks = [b.webhook_task for b in self._bots.values() if b.webhook_task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiDouble:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ bots

    def bot(self, token: str) -> _BotState:
        state = self._bots.get(token)
        if state is None:
            match = _TOKEN_RE.match(token)
            if match is None or token in self._revoked:
                raise ValueError("invalid bot token")
            state = _BotState(bot_id=int(match.group(1)), token=token)
            self._bots[token] = state
        return state

    def bot_username(self, token: str) -> str:
        return self.bot(token).username

    def revoke_token(self, token: str) -> None:
        """Every call with this token gets 401 from now on."""
        self._revoked.add(token)
        self._bots.pop(token, None)

    # ------------------------------------------------------------------ control: user side

    def send_text(
        self,
        token: str,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
        edited_of: int | None = None,
    ) -> int:
        """Queue a text message from ``user_id``; returns its message_id.

        ``edited_of=<message_id>`` queues an ``edited_message`` for that (user) message."""
        state = self.bot(token)
        cid = user_id if chat_id is None else chat_id
        extra: JSON = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            extra["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}
            ]
        if edited_of is not None:
            original = state.messages.get(cid, {}).get(edited_of)
            if original is None or original.get("from", {}).get("is_bot"):
                raise KeyError(f"no user message {edited_of} in chat {cid}")
            original.pop("entities", None)
            original.update(extra)
            original["edit_date"] = int(time.time())
            self._queue(state, "edited_message", dict(original))
            return edited_of
        return self._user_message(state, user_id, cid, extra, language_code, first_name)

    def send_sticker(
        self,
        token: str,
        user_id: int,
        emoji: str = "👍",
        *,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
    ) -> int:
        state = self.bot(token)
        file_id = self._store_file(_Upload("sticker.webp", "image/webp", b"RIFF....WEBP"))
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        cid = user_id if chat_id is None else chat_id
        return self._user_message(
            state, user_id, cid, {"sticker": sticker}, language_code, first_name
        )

    def send_photo_msg(
        self,
        token: str,
        user_id: int,
        data: bytes = b"\xff\xd8\xff\xe0fakejpeg",
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
    ) -> int:
        state = self.bot(token)
        file_id = self._store_file(_Upload("photo.jpg", "image/jpeg", data))
        extra: JSON = {
            "photo": [
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": 640,
                    "height": 480,
                    "file_size": len(data),
                }
            ]
        }
        if caption is not None:
            extra["caption"] = caption
        cid = user_id if chat_id is None else chat_id
        return self._user_message(state, user_id, cid, extra, language_code, first_name)

    def send_document_msg(
        self,
        token: str,
        user_id: int,
        data: bytes,
        filename: str | None = "run.fit",
        *,
        mime_type: str | None = None,
        file_size: int | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
    ) -> int:
        """Queue a document message (the bot can fetch it with getFile and the file URL).
        ``file_size`` overrides the size the message reports (Telegram's is the real one)."""
        state = self.bot(token)
        file_id = self._store_file(_Upload(filename, mime_type, data))
        document: JSON = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data) if file_size is None else file_size,
        }
        if filename is not None:
            document["file_name"] = filename
        if mime_type is not None:
            document["mime_type"] = mime_type
        extra: JSON = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        cid = user_id if chat_id is None else chat_id
        return self._user_message(state, user_id, cid, extra, language_code, first_name)

    def send_voice(
        self,
        token: str,
        user_id: int,
        data: bytes = b"OggS\x00fakevoice",
        *,
        duration: int = 3,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
    ) -> int:
        state = self.bot(token)
        file_id = self._store_file(_Upload("voice.ogg", "audio/ogg", data))
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        cid = user_id if chat_id is None else chat_id
        return self._user_message(state, user_id, cid, {"voice": voice}, language_code, first_name)

    def press(
        self,
        token: str,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        language_code: str = "en",
        first_name: str = "Runner",
    ) -> str:
        """Queue a callback_query for a button under the bot's message; returns the query id.

        ``data`` is sent as-is (it does not have to match a button, like a stale client)."""
        state = self.bot(token)
        cid = user_id if chat_id is None else chat_id
        message = state.messages.get(cid, {}).get(message_id)
        if message is None or not message.get("from", {}).get("is_bot"):
            raise KeyError(f"bot message {message_id} not found in chat {cid}")
        query_id = f"{state.bot_id}{next(self._callback_seq):010d}"
        query = {
            "id": query_id,
            "from": self._user_json(user_id, first_name, language_code),
            "message": json.loads(json.dumps(message)),
            "chat_instance": f"ci{cid}",
            "data": data,
        }
        state.callback_queries[query_id] = {"answered": False, "user_id": user_id}
        self._queue(state, "callback_query", query)
        return query_id

    def member_change(self, token: str, user_id: int, status: str) -> None:
        """Queue a my_chat_member update: ``"kicked"`` (user blocked the bot, later sends get
        403) or ``"member"`` (user unblocked / restarted it)."""
        if status not in ("kicked", "member"):
            raise ValueError("status must be 'kicked' or 'member'")
        state = self.bot(token)
        old = "member" if status == "kicked" else "kicked"

        def member(st: str) -> JSON:
            body: JSON = {"status": st, "user": state.user_json()}
            if st == "kicked":
                body["until_date"] = 0
            return body

        payload = {
            "chat": self._chat_json(user_id, user_id),
            "from": self._user_json(user_id, "Runner", "en"),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(status),
        }
        if status == "kicked":
            self._blocked.add(user_id)
        else:
            self._blocked.discard(user_id)
        self._queue(state, "my_chat_member", payload)

    # ------------------------------------------------------------------ control: bot side

    def sent(self, chat_id: int, token: str | None = None) -> list[SentMessage]:
        """Everything the bot(s) sent/edited in ``chat_id``, oldest first."""
        items = list(self._sent.get(chat_id, []))
        if token is not None:
            bot_id = self.bot(token).bot_id
            items = [m for m in items if m.bot_id == bot_id]
        return items

    def last(self, chat_id: int) -> SentMessage:
        items = self._sent.get(chat_id)
        if not items:
            raise LookupError(f"nothing sent to chat {chat_id}")
        return items[-1]

    def screen(self, chat_id: int, token: str | None = None) -> list[SentMessage]:
        """What the user sees: each bot message once, as it is now (edits applied), oldest
        first; deleted ones left out. ``sent`` lists every send and edit instead."""
        return [m for m in self.sent(chat_id, token) if not m.edited and not m.deleted]

    def message(self, chat_id: int, message_id: int, token: str | None = None) -> SentMessage:
        """Current state of a bot message (edits applied, ``deleted`` set if deleted)."""
        bot_id = None if token is None else self.bot(token).bot_id
        return self._current(chat_id, message_id, bot_id)

    def _current(self, chat_id: int, message_id: int, bot_id: int | None) -> SentMessage:
        for msg in self._sent.get(chat_id, []):
            if msg.message_id != message_id or msg.edited:
                continue
            if bot_id is None or msg.bot_id == bot_id:
                return msg
        raise KeyError(f"bot message {message_id} not found in chat {chat_id}")

    def mark(self, chat_id: int) -> int:
        """Index to pass to ``wait_for(since=...)``; also moves the default cursor."""
        n = len(self._sent.get(chat_id, []))
        self._cursor[chat_id] = n
        return n

    async def wait_for(
        self,
        chat_id: int,
        count: int = 1,
        *,
        timeout: float = 10.0,
        since: int | None = None,
    ) -> list[SentMessage]:
        """Wait for at least ``count`` outgoing entries (sends *and* edits) after index
        ``since`` and return all of them.

        Without ``since`` the per-chat cursor is used: it starts at 0 and is advanced by
        :meth:`mark` and by every successful ``wait_for``, so consecutive calls return
        consecutive messages and nothing that arrives early is missed."""
        start = self._cursor.get(chat_id, 0) if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            items = self._sent.get(chat_id, [])
            if len(items) - start >= count:
                self._cursor[chat_id] = len(items)
                return list(items[start:])
            remaining = deadline - loop.time()
            if remaining <= 0:
                got = [(m.method, m.text) for m in items[start:]]
                raise TimeoutError(
                    f"chat {chat_id}: wanted {count} new message(s) after #{start}, got {got}"
                )
            await self._wait_change(remaining)

    async def wait_idle(self, token: str, timeout: float = 10.0) -> None:
        """Wait until every queued update of this bot was fetched and confirmed."""
        state = self.bot(token)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while state.updates:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(state.updates)} update(s) still unconfirmed")
            await self._wait_change(remaining)

    def pending_updates(self, token: str) -> int:
        return len(self.bot(token).updates)

    def commands(
        self, token: str, language_code: str | None = None, scope: JSON | None = None
    ) -> list[JSON]:
        """Commands set via setMyCommands for (scope, language_code); default scope/"" lang."""
        key = (_scope_key(scope), language_code or "")
        return list(self.bot(token).commands.get(key, []))

    def description(self, token: str, language_code: str | None = None) -> str:
        return self.bot(token).descriptions.get(language_code or "", "")

    def short_description(self, token: str, language_code: str | None = None) -> str:
        return self.bot(token).short_descriptions.get(language_code or "", "")

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

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
            _Injection(method, status, count, retry_after, chat_id, description, token)
        )

    def block_chat(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def enforce_rate(self, per_second: float | None) -> None:
        """Sends above ``per_second`` in any 1-second window get 429 (None: off)."""
        self._rate = per_second
        self._rate_window.clear()

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

    def _queue(self, state: _BotState, kind: str, payload: JSON) -> None:
        state.updates.append(_Update(state.next_update_id, kind, payload))
        state.next_update_id += 1
        self._notify()

    def _next_message_id(self, state: _BotState, chat_id: int) -> int:
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

    def _user_message(
        self,
        state: _BotState,
        user_id: int,
        chat_id: int,
        extra: JSON,
        language_code: str,
        first_name: str,
    ) -> int:
        mid = self._next_message_id(state, chat_id)
        message: JSON = {
            "message_id": mid,
            "from": self._user_json(user_id, first_name, language_code),
            "chat": self._chat_json(chat_id, user_id, first_name),
            "date": int(time.time()),
            **extra,
        }
        state.messages.setdefault(chat_id, {})[mid] = message
        self._queue(state, "message", json.loads(json.dumps(message)))
        return mid

    def _store_file(self, upload: _Upload) -> str:
        file_id = f"F{next(self._file_seq):06d}"
        self._files[file_id] = upload
        return file_id

    def _record(self, msg: SentMessage) -> None:
        self._sent.setdefault(msg.chat_id, []).append(msg)
        self._notify()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if _TOKEN_RE.match(token) is None or token in self._revoked:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].split(".", 1)[0]
        upload = self._files.get(file_id)
        if upload is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=upload.data, content_type=upload.content_type or "application/octet-stream"
        )

    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: invalid JSON body") from None
                if isinstance(body, dict):
                    values.update(body)
            elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = _Upload(value.filename, value.content_type, value.file.read())
                    elif isinstance(value, bytes | bytearray):
                        values[key] = bytes(value).decode()
                    else:
                        values[key] = value
        return _Params(values, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if _TOKEN_RE.match(token) is None or token in self._revoked:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        state = self.bot(token)
        method = self._method_names.get(request.match_info["method"].lower())
        if method is None:
            self.stats["unknown_method"] += 1
            body = ApiError(404, "Not Found: method not found").payload()
            return web.json_response(body, status=404)
        try:
            params = await self._read_params(request)
            self.stats[method] += 1
            self.calls.append((method, params.loggable()))
            if method != "getUpdates" and self.delay > 0:
                await asyncio.sleep(self.delay)
            self._check_injection(state, method, params)
            if method in _CHAT_SEND_METHODS:
                chat_id = params.chat_id(required=False)
                if chat_id is not None and chat_id in self._blocked:
                    raise ApiError(403, "Forbidden: bot was blocked by the user")
            if method in SEND_METHODS:
                self._check_rate()
            result = self._handlers[method](state, params)
            if asyncio.iscoroutine(result):
                result = await result
        except _Drop as drop:
            # the connection breaks before any answer (``fail_next(..., status=DROP)``), or
            # after hanging long enough for the client to time out (``HANG``)
            if drop.hang:
                await asyncio.sleep(self.hang_seconds)
            self.stats["dropped"] += 1
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        except ApiError as err:
            if err.status == 429:
                self.stats["too_many_requests"] += 1
            self.stats["errors"] += 1
            return web.json_response(err.payload(), status=err.status)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the double: answer 500, never log the token
            self.stats["errors"] += 1
            _LOGGER.error("double: %s failed: %s: %s", method, type(exc).__name__, exc)
            body = ApiError(500, f"Internal Server Error: {type(exc).__name__}").payload()
            return web.json_response(body, status=500)
        if method in SEND_METHODS:
            self.stats["sent"] += 1
        return web.json_response({"ok": True, "result": result})

    def _check_injection(self, state: _BotState, method: str, params: _Params) -> None:
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
            if inj.status in (DROP, HANG):
                raise _Drop(hang=inj.status == HANG)
            description = inj.description
            if description is None:
                if inj.status == 429:
                    description = f"Too Many Requests: retry after {inj.retry_after}"
                else:
                    description = _DEFAULT_DESCRIPTIONS.get(inj.status, f"Error {inj.status}")
            raise ApiError(inj.status, description, inj.retry_after)

    def _check_rate(self) -> None:
        if self._rate is None:
            return
        now = time.monotonic()
        window = self._rate_window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self._rate:
            wait = 1.0 - (now - window[0])
            retry = max(1, int(wait + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        window.append(now)

    # ------------------------------------------------------------------ message helpers

    def _bot_message_json(self, state: _BotState, chat_id: int, mid: int, extra: JSON) -> JSON:
        chat = state.messages.get(chat_id, {})
        first_name = "Runner"
        for m in chat.values():
            if not m.get("from", {}).get("is_bot"):
                first_name = m["from"].get("first_name", first_name)
                break
        return {
            "message_id": mid,
            "from": state.user_json(),
            "chat": self._chat_json(chat_id, first_name=first_name),
            "date": int(time.time()),
            **extra,
        }

    def _markup(self, params: _Params) -> JSON | None:
        markup = params.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: inline keyboard button text is empty")
        return markup

    def _text_fields(
        self, params: _Params, key: str, limit: int, required: bool
    ) -> tuple[str | None, JSON]:
        text = params.string(key)
        parse_mode = params.string("parse_mode")
        if text is None or text == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, {}
        plain = _render(text, parse_mode)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(plain) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        out: JSON = {key: plain}
        ent_key = "entities" if key == "text" else "caption_entities"
        entities = params.obj(ent_key)
        if entities:
            out[ent_key] = entities
        return text, out

    def _find_bot_message(self, state: _BotState, chat_id: int, message_id: int | None) -> JSON:
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = state.messages.get(chat_id, {}).get(message_id)
        if message is None or not message.get("from", {}).get("is_bot"):
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # ------------------------------------------------------------------ methods

    def _m_true(self, state: _BotState, params: _Params) -> bool:
        return True

    def _m_get_me(self, state: _BotState, params: _Params) -> JSON:
        return {
            **state.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, state: _BotState, params: _Params) -> list[JSON]:
        if state.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = params.obj("allowed_updates")
        if allowed is not None:
            state.allowed_updates = list(allowed)
        state.poll_generation += 1
        generation = state.poll_generation
        if offset is not None:
            if offset < 0:
                while len(state.updates) > -offset:
                    state.updates.popleft()
            else:
                while state.updates and state.updates[0].update_id < offset:
                    state.updates.popleft()
            self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if state.poll_generation != generation:
                raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            self._filter_allowed(state)
            if state.updates or self._closing:
                return [u.to_json() for u in itertools.islice(state.updates, limit)]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    def _filter_allowed(self, state: _BotState) -> None:
        allowed = state.allowed_updates
        if allowed:
            keep = [u for u in state.updates if u.kind in allowed]
        else:
            keep = [u for u in state.updates if u.kind not in _DEFAULT_EXCLUDED_UPDATES]
        if len(keep) != len(state.updates):
            state.updates = deque(keep)

    def _m_delete_webhook(self, state: _BotState, params: _Params) -> bool:
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        state.webhook_url = ""
        state.webhook_secret = None
        self._notify()
        return True

    def _m_set_webhook(self, state: _BotState, params: _Params) -> bool:
        url = params.string("url") or ""
        if not url:
            return self._m_delete_webhook(state, params)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.string("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        allowed = params.obj("allowed_updates")
        if allowed is not None:
            state.allowed_updates = list(allowed)
        state.webhook_url = url
        state.webhook_secret = secret
        state.webhook_max_connections = params.integer("max_connections") or 40
        state.poll_generation += 1  # a long poll in progress ends with 409
        if state.webhook_task is None or state.webhook_task.done():
            state.webhook_task = asyncio.create_task(
                self._deliver_forever(state), name=f"double-webhook-{state.bot_id}"
            )
        self._notify()
        return True

    def _m_get_webhook_info(self, state: _BotState, params: _Params) -> JSON:
        info: JSON = {
            "url": state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates),
            "max_connections": state.webhook_max_connections,
        }
        if state.allowed_updates is not None:
            info["allowed_updates"] = state.allowed_updates
        if state.webhook_last_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = state.webhook_last_error
        return info

    # ------------------------------------------------------------------ webhook delivery

    def route_webhook(self, token: str, urls: list[str]) -> None:
        """Spread this bot's webhook deliveries over ``urls`` in turn, as a load balancer in
        front of several processes does (the URL given to setWebhook is then not used)."""
        self.bot(token).webhook_targets = list(urls)
        self._notify()

    def webhook_secret(self, token: str) -> str | None:
        return self.bot(token).webhook_secret

    def redeliver(self, token: str, update_id: int) -> None:
        """Deliver an update already delivered once more (Telegram does when it did not get
        a 2xx in time): the same update id and payload."""
        for delivered_id, payload in self.webhook_deliveries:
            if delivered_id == update_id:
                state = self.bot(token)
                kind = next(k for k in payload if k != "update_id")
                state.updates.appendleft(_Update(update_id, kind, payload[kind]))
                self._notify()
                return
        raise KeyError(f"update {update_id} was never delivered")

    async def post_webhook(
        self, url: str, update: JSON, *, secret: str | None
    ) -> tuple[int, str]:
        """POST one update to a webhook as Telegram does; returns (status, body)."""
        import aiohttp

        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[_SECRET_HEADER] = secret
        async with (
            aiohttp.ClientSession() as client,
            client.post(url, data=json.dumps(update), headers=headers) as response,
        ):
            return response.status, await response.text()

    @staticmethod
    def _update_chat(update: _Update) -> int | None:
        payload = update.payload
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if chat is not None:
            return int(chat["id"])
        sender = payload.get("from")
        return int(sender["id"]) if sender else None

    async def _deliver_forever(self, state: _BotState) -> None:
        """Telegram's side of a webhook: POST queued updates with the secret header; a
        chat's next update only after its previous one got a 2xx (other chats in parallel,
        up to ``max_connections``); anything else is delivered again after
        ``webhook_retry_seconds``. ``webhook_duplicates``: each update is POSTed twice at
        once, to two targets (a re-delivery overlapping the first delivery)."""
        busy: set[int | None] = set()
        running: set[asyncio.Task[None]] = set()
        while not self._closing and state.webhook_url:
            self._filter_allowed(state)
            for update in list(state.updates):
                if len(running) >= state.webhook_max_connections:
                    break
                if update.update_id in state.webhook_in_flight:
                    busy.add(self._update_chat(update))
                    continue
                chat = self._update_chat(update)
                if chat in busy:
                    continue
                busy.add(chat)
                state.webhook_in_flight.add(update.update_id)
                task = asyncio.create_task(self._deliver_one(state, update))
                running.add(task)
                task.add_done_callback(running.discard)
            busy.clear()
            await self._wait_change(0.5)
        for task in list(running):
            task.cancel()

    def _webhook_client(self) -> Any:
        import aiohttp

        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                connector=aiohttp.TCPConnector(limit=0),
            )
        return self._client

    def _next_target(self, state: _BotState) -> str:
        if not state.webhook_targets:
            return state.webhook_url
        url = state.webhook_targets[state.webhook_next_target % len(state.webhook_targets)]
        state.webhook_next_target += 1
        return url

    async def _deliver_one(self, state: _BotState, update: _Update) -> None:
        import aiohttp

        body = update.to_json()
        copies = 2 if self.webhook_duplicates else 1
        try:
            while not self._closing and state.webhook_url:
                urls = [self._next_target(state) for _ in range(copies)]
                self.webhook_deliveries.append((update.update_id, body))
                headers = {"Content-Type": "application/json"}
                if state.webhook_secret is not None:
                    headers[_SECRET_HEADER] = state.webhook_secret

                async def post(url: str, headers: dict[str, str] = headers) -> int:
                    started = time.perf_counter()
                    try:
                        async with self._webhook_client().post(
                            url, data=json.dumps(body), headers=headers
                        ) as resp:
                            await resp.read()
                            status = resp.status
                    except (aiohttp.ClientError, TimeoutError, OSError):
                        status = 0
                    self.webhook_posts.append((update.update_id, url, status))
                    self.webhook_latencies.append(time.perf_counter() - started)
                    return status

                statuses = await asyncio.gather(*(post(url) for url in urls))
                self.webhook_statuses.append((update.update_id, tuple(statuses)))
                if any(200 <= status < 300 for status in statuses):
                    state.webhook_last_error = None
                    with contextlib.suppress(ValueError):
                        state.updates.remove(update)
                    return
                state.webhook_last_error = f"Wrong response from the webhook: {statuses[0]}"
                await asyncio.sleep(self.webhook_retry_seconds)
        finally:
            state.webhook_in_flight.discard(update.update_id)
            self._notify()

    def _m_send_message(self, state: _BotState, params: _Params) -> JSON:
        chat_id = params.chat_id()
        assert chat_id is not None
        text, fields = self._text_fields(params, "text", 4096, required=True)
        markup = self._markup(params)
        return self._post(
            state, params, chat_id, fields, markup,
            method="sendMessage", text=text, entities=params.obj("entities"),
        )  # fmt: skip

    def _post(
        self,
        state: _BotState,
        params: _Params,
        chat_id: int,
        fields: JSON,
        markup: JSON | None,
        **sent: Any,
    ) -> JSON:
        """Store a new bot message (``fields`` on top of the common ones) in the chat, record
        it as sent (``sent``: the :class:`SentMessage` fields of this kind); its JSON."""
        mid = self._next_message_id(state, chat_id)
        message = self._bot_message_json(state, chat_id, mid, fields)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        state.messages.setdefault(chat_id, {})[mid] = message
        self._record(
            SentMessage(
                message_id=mid,
                chat_id=chat_id,
                reply_markup=markup,
                parse_mode=params.string("parse_mode"),
                bot_id=state.bot_id,
                params=params.loggable(),
                **sent,
            )
        )
        return message

    def _send_media(self, state: _BotState, params: _Params, kind: str) -> JSON:
        chat_id = params.chat_id()
        assert chat_id is not None
        upload, ref = params.file(kind)
        if upload is None and not ref:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption, fields = self._text_fields(params, "caption", 1024, required=False)
        markup = self._markup(params)
        if upload is not None:
            file_id = self._store_file(upload)
            size = len(upload.data)
        else:
            assert ref is not None
            file_id = ref if ref in self._files else self._store_file(_Upload(None, None, b""))
            size = len(self._files[file_id].data)
        if kind == "photo":
            fields["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": 800,
                    "height": 600,
                    "file_size": size,
                }
            ]
        else:
            doc: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size}
            if upload is not None and upload.filename:
                doc["file_name"] = upload.filename
            if upload is not None and upload.content_type:
                doc["mime_type"] = upload.content_type
            fields["document"] = doc
        return self._post(
            state,
            params,
            chat_id,
            fields,
            markup,
            method="sendPhoto" if kind == "photo" else "sendDocument",
            text=caption,
            entities=params.obj("caption_entities"),
            photo=upload.data if upload is not None and kind == "photo" else None,
            document=upload.data if upload is not None and kind == "document" else None,
            filename=upload.filename if upload is not None else None,
            mime_type=upload.content_type if upload is not None else None,
            file_ref=ref,
        )

    def _m_send_photo(self, state: _BotState, params: _Params) -> JSON:
        return self._send_media(state, params, "photo")

    def _m_send_document(self, state: _BotState, params: _Params) -> JSON:
        return self._send_media(state, params, "document")

    def _edit(self, state: _BotState, params: _Params, method: str) -> JSON:
        if params.string("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the double")
        chat_id = params.chat_id()
        assert chat_id is not None
        message = self._find_bot_message(state, chat_id, params.integer("message_id"))
        current = self._current(chat_id, message["message_id"], state.bot_id)
        markup = self._markup(params)
        new_markup = markup if markup and "inline_keyboard" in markup else None
        new_text, new_parse, new_entities = current.text, current.parse_mode, current.entities
        fields: JSON = {}
        if method == "editMessageText":
            if "text" not in message:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            new_text, fields = self._text_fields(params, "text", 4096, required=True)
            new_parse, new_entities = params.string("parse_mode"), params.obj("entities")
        elif method == "editMessageCaption":
            if "photo" not in message and "document" not in message:
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            new_text, fields = self._text_fields(params, "caption", 1024, required=False)
            new_parse, new_entities = params.string("parse_mode"), params.obj("caption_entities")
        same_text = all(message.get(k) == v for k, v in fields.items()) and (
            method == "editMessageReplyMarkup"
            or (method == "editMessageCaption" and bool(fields) == ("caption" in message))
            or method == "editMessageText"
        )
        if same_text and message.get("reply_markup") == new_markup:
            raise ApiError(400, _NOT_MODIFIED)
        if method == "editMessageText":
            message.pop("entities", None)
        elif method == "editMessageCaption":
            message.pop("caption", None)
            message.pop("caption_entities", None)
        message.update(fields)
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        message["edit_date"] = int(time.time())
        current.text, current.parse_mode, current.entities = new_text, new_parse, new_entities
        current.reply_markup = new_markup
        self._record(
            SentMessage(
                message_id=current.message_id,
                chat_id=chat_id,
                method=method,
                text=new_text,
                reply_markup=new_markup,
                parse_mode=new_parse,
                entities=new_entities,
                photo=current.photo,
                document=current.document,
                filename=current.filename,
                mime_type=current.mime_type,
                file_ref=current.file_ref,
                edited=True,
                bot_id=state.bot_id,
                params=params.loggable(),
            )
        )
        return json.loads(json.dumps(message))

    def _m_edit_message_text(self, state: _BotState, params: _Params) -> JSON:
        return self._edit(state, params, "editMessageText")

    def _m_edit_message_caption(self, state: _BotState, params: _Params) -> JSON:
        return self._edit(state, params, "editMessageCaption")

    def _m_edit_message_reply_markup(self, state: _BotState, params: _Params) -> JSON:
        return self._edit(state, params, "editMessageReplyMarkup")

    def _m_delete_message(self, state: _BotState, params: _Params) -> bool:
        chat_id = params.chat_id()
        assert chat_id is not None
        mid = params.integer("message_id")
        chat = state.messages.get(chat_id, {})
        if mid is None or mid not in chat:
            raise ApiError(400, "Bad Request: message to delete not found")
        del chat[mid]
        for msg in self._sent.get(chat_id, []):
            if msg.message_id == mid and msg.bot_id == state.bot_id:
                msg.deleted = True
        self._notify()
        return True

    def _m_answer_callback_query(self, state: _BotState, params: _Params) -> bool:
        query_id = params.string("callback_query_id")
        query = state.callback_queries.get(query_id or "")
        if query is None or query["answered"]:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        query["answered"] = True
        text = params.string("text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "user_id": query["user_id"],
                "text": text,
                "show_alert": params.flag("show_alert"),
                "url": params.string("url"),
            }
        )
        self._notify()
        return True

    def _m_set_my_commands(self, state: _BotState, params: _Params) -> bool:
        commands = params.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 items")
        for cmd in commands:
            if not isinstance(cmd, dict) or not _BOT_COMMAND_NAME_RE.match(
                str(cmd.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.obj("scope")), params.string("language_code") or "")
        state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _m_get_my_commands(self, state: _BotState, params: _Params) -> list[JSON]:
        key = (_scope_key(params.obj("scope")), params.string("language_code") or "")
        return list(state.commands.get(key, []))

    def _m_delete_my_commands(self, state: _BotState, params: _Params) -> bool:
        key = (_scope_key(params.obj("scope")), params.string("language_code") or "")
        state.commands.pop(key, None)
        return True

    def _m_send_chat_action(self, state: _BotState, params: _Params) -> bool:
        chat_id = params.chat_id()
        assert chat_id is not None
        action = params.string("action")
        if not action:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    def _m_get_chat(self, state: _BotState, params: _Params) -> JSON:
        chat_id = params.chat_id()
        assert chat_id is not None
        return {
            **self._chat_json(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _m_get_file(self, state: _BotState, params: _Params) -> JSON:
        file_id = params.string("file_id") or ""
        upload = self._files.get(file_id)
        if upload is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(upload.data) > BOT_DOWNLOAD_LIMIT:  # as Telegram: bots fetch up to 20 MB
            raise ApiError(400, "Bad Request: file is too big")
        ext = ""
        if upload.filename and "." in upload.filename:
            ext = "." + upload.filename.rsplit(".", 1)[1]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(upload.data),
            "file_path": f"files/{file_id}{ext}",
        }

    def _m_set_my_description(self, state: _BotState, params: _Params) -> bool:
        text = params.string("description") or ""
        if len(text) > 512:
            raise ApiError(400, "Bad Request: BOT_DESCRIPTION_INVALID")
        state.descriptions[params.string("language_code") or ""] = text
        return True

    def _m_get_my_description(self, state: _BotState, params: _Params) -> JSON:
        return {"description": state.descriptions.get(params.string("language_code") or "", "")}

    def _m_set_my_short_description(self, state: _BotState, params: _Params) -> bool:
        text = params.string("short_description") or ""
        if len(text) > 120:
            raise ApiError(400, "Bad Request: BOT_ABOUT_INVALID")
        state.short_descriptions[params.string("language_code") or ""] = text
        return True

    def _m_get_my_short_description(self, state: _BotState, params: _Params) -> JSON:
        key = params.string("language_code") or ""
        return {"short_description": state.short_descriptions.get(key, "")}


def _scope_key(scope: Any) -> str:
    if not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)
