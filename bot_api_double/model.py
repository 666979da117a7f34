"""What the double keeps and speaks in: the messages the bot sent (:class:`SentMessage`),
each bot's state (:class:`BotState`), queued updates, uploads, and request parameters."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot_api_double.errors import ApiError
from bot_api_double.formatting import render

JSON = dict[str, Any]

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
# Update types delivered when the bot never set allowed_updates (Telegram's default).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


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
            return render(self.text, self.parse_mode)
        except ApiError:
            return self.text

    @property
    def mime(self) -> str | None:
        return self.mime_type

    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Keyboard rows as ``(text, callback_data)``; url and web_app buttons give the url,
        reply keyboards give ``None``."""
        markup = self.reply_markup or {}
        rows: list[list[tuple[str, str | None]]] = []
        for row in markup.get("inline_keyboard") or []:
            rows.append(
                [
                    (
                        b.get("text", ""),
                        b.get("callback_data", b.get("url", (b.get("web_app") or {}).get("url"))),
                    )
                    for b in row
                ]
            )
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
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Update:
    update_id: int
    kind: str
    payload: JSON

    def to_json(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class Injection:
    method: str
    status: int
    remaining: int
    retry_after: int | None
    chat_id: int | None
    description: str | None
    token: str | None


@dataclass
class BotState:
    bot_id: int
    token: str
    updates: deque[Update] = field(default_factory=deque)
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


class Params:
    """Request parameters from a form (values are strings, non-strings JSON-encoded) or a
    JSON body (values already typed)."""

    def __init__(self, values: Mapping[str, Any], files: dict[str, Upload]) -> None:
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

    def file(self, key: str) -> tuple[Upload | None, str | None]:
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


def scope_key(scope: Any) -> str:
    """The key setMyCommands stores a command list under (no scope: the default one)."""
    if not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)
