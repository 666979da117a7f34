"""The Bot API methods about messages: sending, editing and deleting them, answering
callback queries, the command menus and descriptions, chat actions and getChat."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bot_api_double.errors import ApiError
from bot_api_double.formatting import render, utf16_len
from bot_api_double.model import JSON, BotState, Params, SentMessage, scope_key
from bot_api_double.state import DoubleState

_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class MessagesMixin(DoubleState):
    """sendMessage, the edits, deleteMessage, answerCallbackQuery, the commands and
    descriptions, sendChatAction and getChat."""

    # ------------------------------------------------------------------ message helpers

    def _bot_message_json(self, state: BotState, chat_id: int, mid: int, extra: JSON) -> JSON:
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

    def _markup(self, params: Params) -> JSON | None:
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
                web_app = button.get("web_app")
                if web_app is not None and not _web_app_url(web_app):
                    # Telegram opens Mini Apps over HTTPS only (the double also lets a test
                    # serve one on the loopback over plain HTTP)
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return markup

    def _text_fields(
        self, params: Params, key: str, limit: int, required: bool
    ) -> tuple[str | None, JSON]:
        text = params.string(key)
        parse_mode = params.string("parse_mode")
        if text is None or text == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, {}
        plain = render(text, parse_mode)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        out: JSON = {key: plain}
        ent_key = "entities" if key == "text" else "caption_entities"
        entities = params.obj(ent_key)
        if entities:
            out[ent_key] = entities
        return text, out

    def _find_bot_message(self, state: BotState, chat_id: int, message_id: int | None) -> JSON:
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = state.messages.get(chat_id, {}).get(message_id)
        if message is None or not message.get("from", {}).get("is_bot"):
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # ------------------------------------------------------------------ sending and editing

    def _m_send_message(self, state: BotState, params: Params) -> JSON:
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
        state: BotState,
        params: Params,
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

    def _edit(self, state: BotState, params: Params, method: str) -> JSON:
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

    def _m_edit_message_text(self, state: BotState, params: Params) -> JSON:
        return self._edit(state, params, "editMessageText")

    def _m_edit_message_caption(self, state: BotState, params: Params) -> JSON:
        return self._edit(state, params, "editMessageCaption")

    def _m_edit_message_reply_markup(self, state: BotState, params: Params) -> JSON:
        return self._edit(state, params, "editMessageReplyMarkup")

    def _m_delete_message(self, state: BotState, params: Params) -> bool:
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

    # ------------------------------------------------------------------ callbacks, menus, chats

    def _m_answer_callback_query(self, state: BotState, params: Params) -> bool:
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

    def _m_set_my_commands(self, state: BotState, params: Params) -> bool:
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
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _m_get_my_commands(self, state: BotState, params: Params) -> list[JSON]:
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        return list(state.commands.get(key, []))

    def _m_delete_my_commands(self, state: BotState, params: Params) -> bool:
        key = (scope_key(params.obj("scope")), params.string("language_code") or "")
        state.commands.pop(key, None)
        return True

    def _m_send_chat_action(self, state: BotState, params: Params) -> bool:
        chat_id = params.chat_id()
        assert chat_id is not None
        action = params.string("action")
        if not action:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    def _m_get_chat(self, state: BotState, params: Params) -> JSON:
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

    def _m_set_my_description(self, state: BotState, params: Params) -> bool:
        text = params.string("description") or ""
        if len(text) > 512:
            raise ApiError(400, "Bad Request: BOT_DESCRIPTION_INVALID")
        state.descriptions[params.string("language_code") or ""] = text
        return True

    def _m_get_my_description(self, state: BotState, params: Params) -> JSON:
        return {"description": state.descriptions.get(params.string("language_code") or "", "")}

    def _m_set_my_short_description(self, state: BotState, params: Params) -> bool:
        text = params.string("short_description") or ""
        if len(text) > 120:
            raise ApiError(400, "Bad Request: BOT_ABOUT_INVALID")
        state.short_descriptions[params.string("language_code") or ""] = text
        return True

    def _m_get_my_short_description(self, state: BotState, params: Params) -> JSON:
        key = params.string("language_code") or ""
        return {"short_description": state.short_descriptions.get(key, "")}



def _web_app_url(web_app: object) -> bool:
    url = web_app.get("url") if isinstance(web_app, dict) else None
    return isinstance(url, str) and url.startswith(
        ("https://", "http://127.0.0.1:", "http://localhost:")
    )
