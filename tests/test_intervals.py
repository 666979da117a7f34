"""intervals.icu (issue 29), over both doubles: the real bot against the Bot API double and
the intervals.icu double, over real HTTP. The runner links their account through OAuth (the
redirect served by runcoach's own web server), a run synced from the watch opens a check-in
that asks only how it felt, a changed plan rewrites the calendar, an expired token is
refreshed, a 429 is waited out, and /disconnect and /delete leave no token behind."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import build_application, serving
from bot.settings import Settings
from conversations import Services, calendar
from conversations.context import Ctx
from intervals.config import IntervalsConfig
from intervals_double import IntervalsDouble
from intervals_double.server import CLIENT_ID, CLIENT_SECRET
from storage.models import (
    ActivityFileRow,
    CheckInRow,
    Runner,
    SyncedActivityRow,
    SyncEventRow,
    SyncLinkRow,
    SyncRevocationRow,
    SyncStateRow,
)
from storage.sync import Vault
from sync.job import SyncJob
from tests.conftest import TOKEN, Chat, answer_flow
from tests.test_watch import onboard_at
from tests.watch_files import START, fit_file, walk_run

FELT_FINE = {"pain_during": "0", "pain_after": "0", "rpe": "3"}
NOT_FEELINGS = ("How did today's session go?", "How many minutes", "Mood", "Anything else")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def icu() -> AsyncIterator[IntervalsDouble]:
    async with IntervalsDouble() as d:
        yield d


@asynccontextmanager
async def synced_bot(
    double: Any, icu: IntervalsDouble, db: Any, clock: Any, *, oauth: bool = True
) -> AsyncIterator[tuple[Any, SyncJob, IntervalsConfig]]:
    """The real application, polling the Bot API double, with its web server (the probes'
    port, as in polling mode with HEALTH_PORT) serving the OAuth redirect; and the poller."""
    port = _free_port()
    config = IntervalsConfig(
        sync_key=Fernet.generate_key(),
        client_id=CLIENT_ID if oauth else "",
        client_secret=CLIENT_SECRET if oauth else "",
        redirect_url=f"http://127.0.0.1:{port}/intervals/callback" if oauth else "",
        allow_api_key=not oauth,
        api_url=icu.base_url,
    )
    settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
    services = Services(db=db, intervals=config, clock=clock)
    app = build_application(settings, services=services, rate_limit=False)
    async with serving(app, poll_timeout=1, health=("127.0.0.1", port)):
        job = SyncJob(services, app.bot, app.bot_data["sender"], backoff=0.01)
        try:
            yield app, job, config
        finally:
            await job.close()


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def _rows(db: Any, model: Any) -> list[Any]:
    async with db.session() as session:
        return list((await session.execute(select(model))).scalars())


async def link_account(chat: Chat, icu: IntervalsDouble, db: Any) -> tuple[Any, str]:
    """/connect, then the runner's browser: the authorize page (the double's athlete approves)
    redirects to runcoach's callback. Returns the page's answer and the authorize link."""
    [offer] = await chat.say("/connect")
    match = re.search(r'href="([^"]+)"', offer.text or "")
    assert match, offer.text
    url = html.unescape(match.group(1))
    mark = chat.double.mark(chat.user_id)
    async with aiohttp.ClientSession() as browser, browser.get(url) as page:
        body = await page.text()
        assert page.status == 200, body
    [told] = await chat.replies(mark, 1)
    assert "is linked" in told.text
    return body, url


async def test_connect_stores_the_tokens_encrypted_and_the_state_once(double, db, clock, icu):
    athlete = icu.add_athlete("Ana Runner")
    chat = Chat(double, 8801)
    async with synced_bot(double, icu, db, clock) as (_app, _job, config):
        await onboard_at(chat, db)
        page, url = await link_account(chat, icu, db)
        assert "Your intervals.icu account is linked" in page
        assert "Ana Runner" in chat.last_text()
        [link] = await _rows(db, SyncLinkRow)
        access = next(iter(icu.tokens))
        assert link.athlete_id == athlete.id and link.method == "oauth"
        assert access not in link.access_token  # encrypted at rest …
        assert Vault(config.sync_key).open(link.access_token) == access  # … with the key
        assert await _rows(db, SyncStateRow) == []  # the state is spent
        # The same authorize link again (a replayed redirect): refused, nothing changes.
        async with aiohttp.ClientSession() as browser, browser.get(url) as again:
            assert again.status == 400
            assert "expired or was used" in await again.text()
        assert len(icu.tokens) == 1 and len(await _rows(db, SyncLinkRow)) == 1
        # A forged state is refused too.
        callback = config.redirect_url + "?code=x&state=forged"
        async with aiohttp.ClientSession() as browser, browser.get(callback) as forged:
            assert forged.status == 400
        [reply] = await chat.say("/connect")
        assert "is linked" in reply.text and "/disconnect" in reply.text


async def test_a_declined_authorization_links_nothing(double, db, clock, icu):
    icu.add_athlete("Ana")
    chat = Chat(double, 8813)
    async with synced_bot(double, icu, db, clock) as (_app, _job, config):
        await onboard_at(chat, db)
        await chat.say("/connect")
        icu.signed_in = None  # the runner declines on intervals.icu's page
        declined = config.redirect_url + "?error=access_denied"
        async with aiohttp.ClientSession() as browser, browser.get(declined) as page:
            assert page.status == 200 and "Nothing was linked" in await page.text()
        assert await _rows(db, SyncLinkRow) == [] and icu.tokens == {}


async def test_two_pollers_take_a_run_and_write_a_workout_once(double, db, clock, icu):
    import asyncio

    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8814)
    async with synced_bot(double, icu, db, clock) as (app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        icu.add_activity(athlete, START, fit_file(walk_run()))
        clock.advance(hours=3)
        other = SyncJob(job.services, app.bot, app.bot_data["sender"], backoff=0.01)
        try:
            first, second = await asyncio.gather(job.tick(), other.tick())
        finally:
            await other.close()
        assert first.taken + second.taken == 1
        assert len(await _rows(db, ActivityFileRow)) == 1
        posts = [e for e in icu.log if e[0] == "POST" and e[1].endswith("/events")]
        assert len(posts) == len(athlete.events) == len(await _rows(db, SyncEventRow)) > 0


async def test_a_synced_run_asks_only_how_it_felt_and_arrives_once(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8802)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        await job.tick()  # nothing yet; the calendar is written
        clock.advance(hours=3)
        icu.add_activity(athlete, START, fit_file(walk_run()))
        icu.add_activity(athlete, START, None, kind="Ride")  # not a run: left alone
        mark = double.mark(8802)
        stats = await job.tick()
        assert stats.taken == 1
        summary, question = await chat.replies(mark, 2)
        assert "New from intervals.icu" in summary.text
        assert "35 min, 4.8 km, 24 min running" in summary.text
        assert "Check-in · question 1" in question.text
        assert "Worst pain in the injured area" in question.text
        replies = await answer_flow(chat, db, FELT_FINE)  # three taps, and it is saved
        assert "check-in is saved" in replies[-1].text
        for text in (m.shown_text or "" for m in double.sent(8802)[mark:]):
            assert not any(q in text for q in NOT_FEELINGS), text
        [c] = await _rows(db, CheckInRow)
        assert (c.minutes, c.running_minutes, c.pain_during, c.rpe) == (35, 24, 0, 3)
        [f] = await _rows(db, ActivityFileRow)
        assert f.checkin_id == c.id
        # Polled again (and by a second poller): the run is not taken twice.
        again = await job.tick()
        assert again.taken == 0
        assert len(await _rows(db, ActivityFileRow)) == 1
        assert [r.status for r in await _rows(db, SyncedActivityRow)] == ["taken"]


async def test_a_run_intervals_may_not_pass_on_gets_one_line(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8803)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        icu.add_activity(athlete, START, None, source="STRAVA")
        mark = double.mark(8803)
        await job.tick()
        [line] = await chat.replies(mark, 1)
        assert "from Strava" in line.text and "/watch" in line.text
        await job.tick()
        assert len([m for m in double.sent(8803)[mark:] if not m.edited]) == 1
        assert await _rows(db, ActivityFileRow) == []


def _events(athlete: Any) -> dict[str, tuple[str, str]]:
    return {
        e["start_date_local"][:10]: (e["name"], e["description"])
        for e in athlete.events.values()
    }


async def _wanted(db: Any, user_id: int, clock: Any) -> dict[str, str]:
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        return {d.isoformat(): e["description"] for d, e in (await calendar.workouts(ctx)).items()}


async def test_the_plan_goes_to_the_calendar_and_a_changed_plan_rewrites_it(
    double, db, clock, icu
):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8804)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        await job.tick()
        before = _events(athlete)
        assert before, "the week's sessions are on the calendar"
        name, description = next(iter(before.values()))
        assert name.startswith("runcoach · ")
        assert "Pain rule" in description and "Warmup" in description
        assert re.search(r"Main set \d+x\n- Run 4m\n- Walk 1m", description), description
        assert {d: desc for d, (_n, desc) in before.items()} == await _wanted(db, 8804, clock)
        await job.tick()  # nothing changed: nothing rewritten
        assert icu.log.count(("POST", f"/api/v1/athlete/{athlete.id}/events", 200)) == len(before)
        # A check-in that hurt: the plan steps back, and the calendar follows.
        await chat.say("/checkin")
        await answer_flow(chat, db, {
            "outcome": "done", "pain_during": "6", "pain_after": "5", "sharp_or_limp": "no",
            "stiffness": "4", "swelling": "none", "rpe": "6", "mood": "skip", "note": "skip",
        })
        [link] = await _rows(db, SyncLinkRow)
        assert link.calendar_due  # the decision marked it, in the check-in's transaction
        stats = await job.tick()
        after = _events(athlete)
        assert after != before and stats.written + stats.removed > 0
        assert {d: desc for d, (_n, desc) in after.items()} == await _wanted(db, 8804, clock)
        assert len(await _rows(db, SyncEventRow)) == len(after)
        # A pause takes every session off the watch; /resume puts them back.
        await chat.say("/pause 7")
        await job.tick()
        assert athlete.events == {} and await _rows(db, SyncEventRow) == []
        await chat.say("/resume")
        await job.tick()
        assert athlete.events and _events(athlete).keys() == (await _wanted(db, 8804, clock)).keys()


async def test_an_expired_token_is_refreshed_and_stored(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8805)
    async with synced_bot(double, icu, db, clock) as (_app, job, config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        [old] = list(icu.tokens)
        icu.expire_tokens()
        icu.add_activity(athlete, START, fit_file(walk_run()))
        mark = double.mark(8805)
        stats = await job.tick()
        assert stats.taken == 1 and job.client.refreshes == 1
        assert icu.answered(401) == 1  # once, then the refreshed token
        await chat.replies(mark, 2)
        [new] = list(icu.tokens)
        assert new != old
        [link] = await _rows(db, SyncLinkRow)
        assert Vault(config.sync_key).open(link.access_token) == new


async def test_a_429_is_waited_out(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8806)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        icu.add_activity(athlete, START, fit_file(walk_run()))
        icu.fail_next(3, 429, retry_after=0.01)
        stats = await job.tick()
        assert icu.answered(429) == 3 and job.client.waited_429 == 3
        assert stats.taken == 1 and stats.errors == 0
        assert len(await _rows(db, ActivityFileRow)) == 1


async def test_a_rate_limit_that_lasts_waits_for_the_next_poll(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8807)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        icu.add_activity(athlete, START, fit_file(walk_run()))
        icu.fail_next(50, 429, retry_after=0.001)
        stats = await job.tick()
        assert stats.taken == 0 and stats.errors == 1
        [link] = await _rows(db, SyncLinkRow)
        assert link.next_poll_at > clock() + timedelta(minutes=5)  # backed off
        icu._faults.clear()
        clock.advance(minutes=10)
        assert (await job.tick()).taken == 1


async def _no_token_left(db: Any, icu: IntervalsDouble, job: SyncJob) -> None:
    stats = await job.tick()
    assert stats.revoked == 1
    assert await _rows(db, SyncLinkRow) == []
    assert await _rows(db, SyncRevocationRow) == []
    assert await _rows(db, SyncStateRow) == []
    assert icu.tokens == {} and len(icu.revoked) == 1


async def test_disconnect_leaves_no_token_and_clears_the_calendar(double, db, clock, icu):
    athlete = icu.add_athlete("Ana")
    chat = Chat(double, 8808)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        await job.tick()
        assert athlete.events
        [reply] = await chat.say("/disconnect")
        assert "unlinked" in reply.text
        assert await _rows(db, SyncLinkRow) == []
        await _no_token_left(db, icu, job)
        assert athlete.events == {}  # the sessions from today on are gone from the watch
        [again] = await chat.say("/disconnect")
        assert "No intervals.icu account is linked" in again.text


async def test_delete_leaves_no_token(double, db, clock, icu):
    icu.add_athlete("Ana")
    chat = Chat(double, 8809)
    async with synced_bot(double, icu, db, clock) as (_app, job, _config):
        await onboard_at(chat, db)
        await link_account(chat, icu, db)
        await chat.say("/delete")
        await chat.press("Yes, delete everything")
        await _no_token_left(db, icu, job)
        assert await _rows(db, SyncedActivityRow) == []


async def test_settings_offers_the_link_as_a_button(double, db, clock, icu):
    icu.add_athlete("Ana")
    chat = Chat(double, 8810)
    async with synced_bot(double, icu, db, clock):
        await onboard_at(chat, db)
        await chat.say("/settings")
        [offer] = await chat.press("Link intervals.icu")
        assert "Open intervals.icu to allow it" in offer.text
        assert len(await _rows(db, SyncStateRow)) == 1


async def test_a_personal_api_key_is_checked_on_the_first_sync(double, db, clock, icu):
    athlete = icu.add_athlete("Ana Key")
    chat = Chat(double, 8811)
    async with synced_bot(double, icu, db, clock, oauth=False) as (_app, job, _config):
        await onboard_at(chat, db)
        [question] = await chat.say("/connect")
        assert "API key" in question.text
        [bad] = await chat.say("only-one-word")
        assert "athlete ID" in bad.text and await _rows(db, SyncLinkRow) == []
        [saved] = await chat.say(f"{athlete.id} {athlete.api_key}")
        assert "Saved" in saved.text
        [link] = await _rows(db, SyncLinkRow)
        assert athlete.api_key not in link.access_token
        await job.tick()
        [link] = await _rows(db, SyncLinkRow)
        assert link.athlete_name == "Ana Key"
        # The runner changes the key on intervals.icu: told once, unlinked, no key kept.
        athlete.api_key = "changed-key-0001"
        mark = double.mark(8811)
        clock.advance(minutes=5)
        await job.tick()
        [told] = await chat.replies(mark, 1)
        assert "did not accept my access" in told.text
        assert await _rows(db, SyncLinkRow) == []
        await job.tick()
        assert await _rows(db, SyncRevocationRow) == []


async def test_without_configuration_connect_says_it_is_not_offered(double, db, clock):
    from tests.conftest import running_bot

    chat = Chat(double, 8812)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        [reply] = await chat.say("/connect")
        assert "not offered" in reply.text


async def test_the_webhook_server_serves_the_redirect_too(db):
    from bot.webhook import WebhookServer

    config = IntervalsConfig(
        sync_key=Fernet.generate_key(), client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        redirect_url="https://coach.example/intervals/callback",
    )
    settings = Settings(token=TOKEN, database_url=db.url)
    app = build_application(settings, services=Services(db=db, intervals=config),
                            rate_limit=False)
    server = WebhookServer(app, db, url="https://coach.example/hook", secret="s" * 20)
    paths = {route.resource.canonical for route in server.web_app().router.routes()
             if route.resource is not None}
    assert {"/intervals/callback", "/hook", "/healthz"} <= paths
