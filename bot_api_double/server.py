"""The server: :class:`BotApiDouble` puts the parts together, serves the Bot API over
aiohttp (start/stop, reading parameters, dispatching a request to its method, the error
answers) and answers getMe and getUpdates."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot_api_double.client import ClientMixin
from bot_api_double.errors import DEFAULT_DESCRIPTIONS, ApiError, Drop
from bot_api_double.faults import FaultsMixin
from bot_api_double.files import FilesMixin
from bot_api_double.messages import MessagesMixin
from bot_api_double.model import JSON, TOKEN_RE, BotState, Params, Upload
from bot_api_double.webhooks import WebhooksMixin

_LOGGER = logging.getLogger(__name__)

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})

Handler = Callable[[BotState, Params], Any]


class BotApiDouble(ClientMixin, FilesMixin, MessagesMixin, WebhooksMixin, FaultsMixin):
    """Loopback fake of the Telegram Bot API (see the package docstring)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, first_id: int | None = None
    ) -> None:
        """``first_id``: where message ids (per chat) and callback query ids start. By default
        it comes from the clock (tenths of a second since 2026), so ids do not repeat across
        runs, as on Telegram: a bot that keeps its database between runs (the playground)
        must not take a new run's messages for ones it already handled. Ids stay within 32
        bits, as Telegram's message ids do, until about 2032."""
        super().__init__(host, port, first_id)
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
        await self._stop_webhooks()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiDouble:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _read_params(self, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
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
                        files[key] = Upload(value.filename, value.content_type, value.file.read())
                    elif isinstance(value, bytes | bytearray):
                        values[key] = bytes(value).decode()
                    else:
                        values[key] = value
        return Params(values, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if TOKEN_RE.match(token) is None or token in self._revoked:
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
            if self._gates:
                await self._pass_gate(method, params)
            late = self._check_injection(state, method, params)
            self._check_blocked(method, params)
            if method in SEND_METHODS:
                self._check_rate(params)
            result = self._handlers[method](state, params)
            if asyncio.iscoroutine(result):
                result = await result
            if late:  # carried out; the answer never arrives in time (``LATE``)
                raise Drop(hang=True)
        except Drop as drop:
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

    # ------------------------------------------------------------------ methods

    def _m_true(self, state: BotState, params: Params) -> bool:
        return True

    def _m_get_me(self, state: BotState, params: Params) -> JSON:
        return {
            **state.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, state: BotState, params: Params) -> list[JSON]:
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
                raise ApiError(409, DEFAULT_DESCRIPTIONS[409])
            self._filter_allowed(state)
            if state.updates or self._closing:
                return [u.to_json() for u in itertools.islice(state.updates, limit)]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)
