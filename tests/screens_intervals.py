"""The intervals.icu screens for tests/test_screens_languages.py (issue 29): /connect without
the link offered, with OAuth, and with a personal key (its question, a wrong answer, the
saved key), /settings with its button, /disconnect linked and not, what the poller says (a
synced run, a Strava run, a refused account, linked), the redirect's pages and the workouts
written to the calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet

from conversations import calendar, connect, watch
from conversations.context import Ctx
from intervals.config import IntervalsConfig
from sync import web

KEY = Fernet.generate_key()
OAUTH = IntervalsConfig(
    sync_key=KEY,
    client_id="c",
    client_secret="s",
    redirect_url="https://coach.example/intervals/callback",
)
PERSONAL_KEY = IntervalsConfig(sync_key=KEY, allow_api_key=True)


async def intervals_screens(r: Any, start: Any) -> None:
    from activities import reader
    from tests.watch_files import fit_file, walk_run

    await r.say("/connect", "connect: not offered")
    r.intervals = OAUTH
    await r.say("/connect", "connect: the authorize link")
    await r.say("/settings", "settings: the link button")
    r.intervals = PERSONAL_KEY
    await r.say("/connect", "connect: a personal key")
    await r.walk("common")
    await r.say("/connect", "connect: linked already")
    await r.act("sync: linked", lambda ctx: connect.connected(ctx, "Ana"))

    async def pages(ctx: Ctx) -> None:
        for text in (web.LINKED, web.EXPIRED, web.FAILED, web.DECLINED):
            ctx.say(ctx._(text))

    await r.act("sync: the redirect's pages", pages)

    async def workouts(ctx: Ctx) -> None:
        for event in (await calendar.workouts(ctx)).values():
            ctx.say(event["name"] + "\n" + event["description"])

    await r.act("sync: the calendar", workouts)
    await r.act("sync: from Strava", lambda ctx: _strava(ctx))
    run = reader.read(fit_file(walk_run(), start - timedelta(hours=1)), "")
    synced = watch.Upload(activity=replace(run), sha256="i" * 64, synced=True)
    await r.act("sync: a run", lambda ctx: connect.synced(ctx, synced))
    await r.walk("common")
    await r.act("sync: refused", lambda ctx: _refused(ctx))
    await r.say("/disconnect", "disconnect: not linked")
    r.intervals = None


async def _strava(ctx: Ctx) -> None:
    connect.not_passed_on(ctx, ctx.today)


async def _refused(ctx: Ctx) -> None:
    connect.refused(ctx)
