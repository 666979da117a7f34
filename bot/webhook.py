"""Webhook mode: Telegram POSTs each update to runcoach; 200 only once it is committed.

PTB's documented pattern for a custom webhook server (its ``customwebhookbot`` examples): the
``Application`` runs without an ``Updater``, a web server in the same event loop receives the
update and hands it to the application. runcoach serves it with aiohttp (already a dependency,
and the Bot API double's server), through ``AppRunner``/``TCPSite`` in the running loop: no
second server framework and no server that owns the loop or the signals (uvicorn does both).
docs/operations.md says more.

A request:

1. The ``X-Telegram-Bot-Api-Secret-Token`` header is compared (constant time) with
   ``WEBHOOK_SECRET`` before anything else: missing or wrong is 403, nothing read or stored.
2. The update takes its chat's turn: an asyncio lock in this process, then
   :meth:`storage.Database.chat_lock` (a PostgreSQL advisory lock) across processes. It is held
   while the update is handled and its replies are sent, so two processes never handle one
   chat's updates at once and replies leave in the order of the updates.
3. ``Application.process_update`` runs the handler; ``dispatch.run`` commits the answer and its
   replies (the inbox skips an update handled before), then sends the replies.
4. 200 only after that. A passing database error answers 503: the update is not confirmed
   and Telegram delivers it again later. Another error rolled the transaction back and the
   runner was asked to send the message again: 200, so Telegram does not repeat it forever.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.health import Probes
from bot.polling import ALLOWED_UPDATES, OUTCOME, Outcome, chat_key, is_transient
from conversations.sender import Sender
from storage import Database
from storage import outbox as box
from storage.db import PG_UPDATES_AT_ONCE
from sync import web as sync_web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Updates handled at once in one process (storage.db.PG_UPDATES_AT_ONCE: each holds up to
# two database connections, its lock's and its transaction's)
CONCURRENCY = PG_UPDATES_AT_ONCE
# How long an update keeps its chat's turn while its replies are retried (then 200 anyway).
REPLY_WAIT = 5.0


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


class WebhookServer:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        *,
        url: str,
        secret: str,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.app = application
        self.db = db
        self.url = url
        self.path = webhook_path(url)
        self.secret = secret.encode()
        self.probes = Probes(db)
        self.port = 0  # the port it listens on, once started
        self.reply_wait = REPLY_WAIT
        self._slots = asyncio.Semaphore(concurrency)
        self._chat_locks: dict[int | None, asyncio.Lock] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def stopping(self) -> bool:
        return self.probes.stopping.is_set()

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        self.probes.add_routes(app)
        app.router.add_post(self.path, self.receive)
        sync_web.add_routes(app, self.app)  # the intervals.icu OAuth redirect
        return app

    async def set_webhook(self) -> None:
        """Point Telegram at this URL. Every process sets the same URL and secret, so one
        process starting does not disturb the others."""
        await self.app.bot.set_webhook(
            self.url,
            secret_token=self.secret.decode(),
            allowed_updates=ALLOWED_UPDATES,
            max_connections=40,
        )

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not given or not hmac.compare_digest(given, self.secret):
            metrics.count_update("unknown", "rejected")
            return web.Response(status=403, text="forbidden\n")
        if self.stopping:
            return web.Response(status=503, text="stopping\n", headers={"Retry-After": "1"})
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot)
        except Exception:
            return web.Response(status=400, text="not an update\n")
        if update is None:
            return web.Response(status=400, text="not an update\n")
        async with self._tracked():
            retry = await self.handle(update)
        if retry:
            return web.Response(status=503, text="try again\n", headers={"Retry-After": "1"})
        return web.Response(text="ok\n")

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    def _chat_lock(self, key: int | None) -> asyncio.Lock:
        return self._chat_locks.setdefault(key, asyncio.Lock())

    async def handle(self, update: Update) -> bool:
        """Handle one update in its chat's turn; True when it must be delivered again."""
        key = chat_key(update)
        kind = metrics.kind_of(update)
        lock = self._chat_lock(key)
        outcome = Outcome()
        started = time.perf_counter()
        try:
            async with lock, self._slots:
                started = time.perf_counter()
                async with self.db.chat_lock(self.app.bot.id, key or 0):
                    token = OUTCOME.set(outcome)
                    try:
                        await self.app.process_update(update)
                    finally:
                        OUTCOME.reset(token)
                    if key is not None and not outcome.retry:
                        try:
                            await self._replies_out(key)
                        except Exception as exc:  # committed already: answer 200 anyway
                            log.info("could not check a chat's replies: %s", type(exc).__name__)
        except Exception as exc:
            outcome.retry = is_transient(exc)
            outcome.failed = not outcome.retry
            if outcome.failed:
                log.error("update %s could not be handled", update.update_id, exc_info=exc)
        finally:
            if not lock.locked() and not lock._waiters:
                self._chat_locks.pop(key, None)
        if outcome.retry:
            log.warning("update %s waits for the database; Telegram sends it again",
                        update.update_id)
            metrics.count_update(kind, "retry")
            return True
        seconds = time.perf_counter() - started
        metrics.count_update(kind, "failed" if outcome.failed else "handled", seconds)
        return False

    async def _replies_out(self, chat_id: int) -> None:
        """Keep the chat's turn until its replies have left the outbox (a reply Telegram
        did not take at once is retried with back-off), at most ``reply_wait`` s. Telegram
        sends a chat's next update only after this one's 200, and whichever process gets it
        would send its replies at once: waiting here keeps them behind these."""
        sender = self.app.bot_data.get("sender")
        if not isinstance(sender, Sender) or not sender.holds(chat_id):
            return  # every reply went out before process_update returned
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_wait
        delay = 0.05
        while True:
            async with self.db.session() as session:
                if not await box.pending_for_chat(session, self.app.bot.id, chat_id):
                    return
            if loop.time() + delay > deadline:
                log.info("replies to a chat still wait; its next update may overtake them")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def drain(self, timeout: float) -> bool:
        """Stop taking updates (503, /readyz fails) and wait for those in flight."""
        self.probes.stopping.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            log.warning("%d update(s) still in flight at the stop", self._in_flight)
            return False
