"""Webhook mode: setWebhook, deleteWebhook and getWebhookInfo, and Telegram's side of it,
POSTing queued updates to the bot (to several processes in turn if routed so), delivering
again what got no 2xx, and redelivering on request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any

from bot_api_double.errors import ApiError
from bot_api_double.model import JSON, BotState, Params, Update
from bot_api_double.state import DoubleState

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhooksMixin(DoubleState):
    """The webhook methods, webhook delivery and its control API."""

    def _m_delete_webhook(self, state: BotState, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        state.webhook_url = ""
        state.webhook_secret = None
        self._notify()
        return True

    def _m_set_webhook(self, state: BotState, params: Params) -> bool:
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

    def _m_get_webhook_info(self, state: BotState, params: Params) -> JSON:
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
                state.updates.appendleft(Update(update_id, kind, payload[kind]))
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
    def _update_chat(update: Update) -> int | None:
        payload = update.payload
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if chat is not None:
            return int(chat["id"])
        sender = payload.get("from")
        return int(sender["id"]) if sender else None

    async def _deliver_forever(self, state: BotState) -> None:
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

    def _next_target(self, state: BotState) -> str:
        if not state.webhook_targets:
            return state.webhook_url
        url = state.webhook_targets[state.webhook_next_target % len(state.webhook_targets)]
        state.webhook_next_target += 1
        return url

    async def _deliver_one(self, state: BotState, update: Update) -> None:
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

    async def _stop_webhooks(self) -> None:
        """End every bot's delivery and close the session deliveries use."""
        tasks = [b.webhook_task for b in self._bots.values() if b.webhook_task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None
