"""The Mini App over HTTP (aiohttp, in the bot's own event loop and server).

* ``GET <path>``: the page (static/index.html), its script and style: the only assets, all
  from this package; Telegram's own ``telegram-web-app.js`` is the one script from elsewhere.
* ``GET <path>api/dashboard``, ``GET <path>api/runner/<id>?weeks=N``: JSON for the member.
* ``POST <path>api/runner/<id>/act``: an act (``miniapp/acts.py``).

Every API request carries Telegram's ``initData`` (``Authorization: tma <initData>``),
checked by ``miniapp/auth.py`` before anything is read; then only runners linked to that
member, read in the request's own transaction (a revoked link shows nothing at once). Every
response says ``Cache-Control: no-store`` and a strict Content-Security-Policy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from conversations.context import Ctx, Out, Services
from conversations.dispatch import queue_others, queue_replies
from conversations.sender import Sender
from locales import pick_language, translator
from miniapp import acts, pages
from miniapp.auth import Opener, unsafe_language, validate
from storage import runners
from storage.models import OutboxRow

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://telegram.org",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors https://web.telegram.org https://*.telegram.org",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
BODY_LIMIT = 16 * 1024


@web.middleware
async def secure_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # a 404 of this app says the same
        exc.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    return response


def mount_path(url: str) -> str:
    """The path the Mini App is served at, from its public URL (``/app/`` by default)."""
    path = urlsplit(url).path if url else ""
    path = path or "/app/"
    return path if path.endswith("/") else path + "/"


@dataclass
class MiniApp:
    services: Services
    bot_token: str
    sender: Sender | None
    bot_id: Callable[[], int]
    path: str = "/app/"

    def add_routes(self, app: web.Application) -> None:
        p = self.path
        app.middlewares.append(secure_headers)
        app.router.add_get(p, self.index)
        app.router.add_get(p + "{asset:app\\.(?:js|css)}", self.asset)
        app.router.add_get(p + "api/dashboard", self.dashboard)
        app.router.add_get(p + "api/runner/{rid:\\d{1,12}}", self.runner)
        app.router.add_post(p + "api/runner/{rid:\\d{1,12}}/act", self.act)

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            body=(STATIC / "index.html").read_bytes(), content_type="text/html", charset="utf-8"
        )

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["asset"]
        return web.Response(
            body=(STATIC / name).read_bytes(), content_type=ASSETS[name], charset="utf-8"
        )

    # ------------------------------------------------------------------ the API

    def _opener(self, request: web.Request) -> Opener | None:
        scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "tma":
            return None
        return validate(init_data.strip(), self.bot_token, self.services.clock())

    def _refused(self, request: web.Request) -> web.Response:
        _scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
        lang = pick_language(None, unsafe_language(init_data), self.services.default_language)
        text = translator(lang).gettext(pages.TEXTS["reopen"])
        return web.json_response({"error": text}, status=401)

    async def _as_member(
        self,
        request: web.Request,
        work: Callable[[Ctx], Awaitable[tuple[int, dict[str, Any]]]],
    ) -> web.Response:
        opener = self._opener(request)
        if opener is None:
            return self._refused(request)
        async with self.services.db.session() as session:
            member = await runners.get_runner(session, opener.user_id)
            if member is None:
                return self._refused(request)
            if opener.language and member.telegram_language != opener.language:
                member.telegram_language = opener.language
            ctx = Ctx(self.services, session, member, now=self.services.clock())
            status, body = await work(ctx)
            queued = self._queue(ctx, body.pop("_to_chat", False))
            await session.flush()  # the rows get their ids
            flushes = [(chat, {row.id: out for row, out in rows}) for chat, rows in queued]
        await self._deliver(flushes)
        return web.json_response(body, status=status)

    def _queue(self, ctx: Ctx, to_chat: bool) -> list[tuple[int, list[tuple[OutboxRow, Out]]]]:
        """Write the messages this act sends (the runner's; the member's own only for the
        report) to the outbox in the request's transaction."""
        owner = self.sender.owner if self.sender is not None else None
        bot_id, chat = self.bot_id(), ctx.runner.chat_id
        queued = (
            [(chat, queue_replies(ctx, bot_id, chat, ctx.runner.id, ctx.out, owner), ctx.out)]
            if to_chat
            else []
        )
        queued += queue_others(ctx, bot_id, owner)
        return [(c, list(zip(rows, outs, strict=True))) for c, rows, outs in queued]

    async def _deliver(self, flushes: list[tuple[int, dict[int, Out]]]) -> None:
        if self.sender is None:
            return
        for chat, held in flushes:
            self.sender.hold(held)
            try:
                await self.sender.flush(chat)
            except Exception as exc:  # committed: the outbox sweep sends it later
                log.info("a Mini App reply waits in the outbox: %s", type(exc).__name__)

    async def dashboard(self, request: web.Request) -> web.Response:
        async def work(ctx: Ctx) -> tuple[int, dict[str, Any]]:
            return 200, await pages.dashboard(ctx)

        return await self._as_member(request, work)

    async def runner(self, request: web.Request) -> web.Response:
        rid = int(request.match_info["rid"])
        raw = request.query.get("weeks", "4")
        weeks = int(raw) if raw.isdigit() and int(raw) in pages.WINDOWS else 4

        async def work(ctx: Ctx) -> tuple[int, dict[str, Any]]:
            page = await pages.runner_page(ctx, rid, weeks)
            if page is None:
                return 404, {"error": pages.plain(" ".join(o.text for o in ctx.out))}
            return 200, page

        return await self._as_member(request, work)

    async def act(self, request: web.Request) -> web.Response:
        rid = int(request.match_info["rid"])
        try:
            raw = await request.content.read(BODY_LIMIT + 1)
            body = json.loads(raw) if len(raw) <= BODY_LIMIT else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "bad request"}, status=400)

        async def work(ctx: Ctx) -> tuple[int, dict[str, Any]]:
            done = await acts.act(ctx, rid, body)
            said = "\n".join(pages.plain(o.text) for o in ctx.out if o.text)
            if done is None:  # not a runner this member follows
                return 404, {"error": said}
            return 200, {"done": done, "message": said, "_to_chat": body.get("op") == "pdf"}

        return await self._as_member(request, work)
