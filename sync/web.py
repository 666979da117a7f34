"""The OAuth redirect, served by runcoach's own aiohttp server (the webhook server, or the
probes' port in polling mode: HEALTH_PORT).

``GET <INTERVALS_REDIRECT_URL's path>?code=…&state=…``: the state is spent (bound to one
runner, single-use, 15 minutes) in a transaction of its own, the code is exchanged with
intervals.icu outside any transaction, and the tokens are stored (encrypted) with the
runner's "linked" message in one transaction. The page says what happened in the runner's
language; it never shows a token.
"""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from conversations import connect
from conversations.context import Ctx, Services
from conversations.sender import Sender
from intervals.client import Client, Denied, Unavailable
from intervals.config import CALLBACK_PATH
from locales import N_, translator
from storage import sync as store
from storage.models import Runner
from sync.deliver import as_runner

log = logging.getLogger(__name__)

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>runcoach</title>
</head><body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<p>{text}</p></body></html>"""
LINKED = N_("Your intervals.icu account is linked. You can close this page and go back to "
            "Telegram.")
EXPIRED = N_("This link has expired or was used already. Please send /connect in Telegram "
             "for a new one.")
FAILED = N_("intervals.icu did not confirm the link just now. Please send /connect in "
            "Telegram and try again.")
DECLINED = N_("Nothing was linked. You can send /connect in Telegram whenever you like.")


def _page(text: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(text=html.escape(text)), status=status,
                        content_type="text/html")


class Callback:
    def __init__(self, services: Services, bot: Any, sender: Sender | None) -> None:
        assert services.intervals is not None
        self.services = services
        self.bot = bot
        self.sender = sender
        self.vault = store.Vault(services.intervals.sync_key)
        self.client = Client(services.intervals)

    async def _language(self, runner_id: int | None) -> str:
        if runner_id is None:
            return self.services.default_language
        async with self.services.db.session() as session:
            runner = await session.get(Runner, runner_id)
            if runner is None:
                return self.services.default_language
            ctx = Ctx(services=self.services, session=session, runner=runner,
                      now=self.services.clock())
            return ctx.lang

    async def handle(self, request: web.Request) -> web.Response:
        state = request.query.get("state", "")
        async with self.services.db.session() as session:
            runner_id = await store.spend_state(session, state, self.services.clock())
        tr = translator(await self._language(runner_id))
        code = request.query.get("code", "")
        if request.query.get("error") or not code:  # declined (intervals.icu sends no state)
            return _page(tr.gettext(DECLINED))
        if runner_id is None:
            return _page(tr.gettext(EXPIRED), 400)
        try:
            creds, name = await self.client.exchange(runner_id, code)
        except (Denied, Unavailable) as exc:
            log.info("intervals.icu: a code could not be exchanged (%s)", type(exc).__name__)
            return _page(tr.gettext(FAILED), 502)
        tokens = store.Tokens(creds.athlete_id, creds.method, creds.access_token,
                              creds.refresh_token, creds.expires_at)

        async def act(ctx: Ctx) -> None:
            await store.save_link(ctx.session, self.vault, ctx.runner.id, tokens, name, ctx.now)
            await connect.connected(ctx, name)

        if not await as_runner(self.services, self.bot, self.sender, runner_id, act):
            return _page(tr.gettext(EXPIRED), 400)
        return _page(tr.gettext(LINKED))

    async def close(self, _app: web.Application) -> None:
        await self.client.close()


def add_routes(app: web.Application, application: Any) -> None:
    """The redirect's route on ``app`` (nothing when OAuth is not configured)."""
    services: Services = application.bot_data["services"]
    config = services.intervals
    if config is None or not config.oauth:
        return
    sender = application.bot_data.get("sender")
    callback = Callback(services, application.bot, sender if isinstance(sender, Sender) else None)
    app.router.add_get(urlsplit(config.redirect_url).path or CALLBACK_PATH, callback.handle)
    app.on_cleanup.append(callback.close)
