"""The test side of the double: acting as a user (:meth:`ClientMixin.send_text`,
:meth:`ClientMixin.press`, documents, photos, stickers, voice, blocking the bot) and reading
back what the bot did (:meth:`ClientMixin.sent`, ``screen``, ``last``, ``wait_for``,
``wait_idle``, the command menus and descriptions it set)."""

from __future__ import annotations

import asyncio
import json
import re
import time

from bot_api_double.formatting import utf16_len
from bot_api_double.model import JSON, BotState, SentMessage, Upload, scope_key
from bot_api_double.state import DoubleState

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")


class ClientMixin(DoubleState):
    """The control API the tests, benches and playground drive the double with."""

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
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
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
        file_id = self._store_file(Upload("sticker.webp", "image/webp", b"RIFF....WEBP"))
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
        file_id = self._store_file(Upload("photo.jpg", "image/jpeg", data))
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
        file_id = self._store_file(Upload(filename, mime_type, data))
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
        file_id = self._store_file(Upload("voice.ogg", "audio/ogg", data))
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

    def chats(self) -> list[int]:
        """The chats the bot(s) sent or edited something in, in the order they began."""
        return list(self._sent)

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
        key = (scope_key(scope), language_code or "")
        return list(self.bot(token).commands.get(key, []))

    def description(self, token: str, language_code: str | None = None) -> str:
        return self.bot(token).descriptions.get(language_code or "", "")

    def short_description(self, token: str, language_code: str | None = None) -> str:
        return self.bot(token).short_descriptions.get(language_code or "", "")

    # ------------------------------------------------------------------ internals

    def _user_message(
        self,
        state: BotState,
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

