"""The care team's Mini App (issue 27) in a real browser: the system's Chromium, driven by
Playwright, opens the URL of the web_app button the physiotherapist got in /patients, as
Telegram opens it (with the member's signed initData and theme). The bot runs for real,
long polling the Bot API double, and serves the Mini App on its health port.

Never skipped in CI (CI=true): a missing Chromium fails with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.scheduler import Scheduler
from locales import translator
from miniapp.pages import TEXTS
from storage.models import CareLinkRow, Runner
from tests.conftest import TOKEN, Clock, onboard
from tests.miniapp_kit import DARK, chromium, init_data, seed, serving_miniapp
from tests.test_careteam import (
    PHYSIO,
    RUNNER,
    STRANGER,
    Person,
    checkin,
    invite_link,
    join,
    texts,
)

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def dashboard_url(message: Any) -> str:
    for row in message.buttons():
        for label, target in row:
            if label == "Open the dashboard":
                return str(target)
    raise AssertionError(f"no dashboard button in {message.buttons()}")


async def physio_with_runner(double: Any, db: Any, clock: Clock) -> tuple[Person, Person]:
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    await onboard(runner)
    await join(double, runner, physio, zone="Europe/Berlin")
    await seed(db, RUNNER, NOW.date())
    return runner, physio


async def link_row(db: Any) -> CareLinkRow:
    async with db.session() as session:
        return (await session.execute(select(CareLinkRow))).scalar_one()


async def test_the_dashboard_and_a_runners_page_render_with_their_data(double, db):
    clock = Clock(NOW)
    async with serving_miniapp(double, db, TOKEN, clock) as (url, _app), chromium() as browser:
        _runner, physio = await physio_with_runner(double, db, clock)
        [listing] = await physio.say("/patients")
        opened = dashboard_url(listing)
        assert opened == url  # the button opens this server's Mini App
        init = init_data(TOKEN, PHYSIO, signed_at=clock())
        page = await browser.open(opened, init, theme=DARK)

        card = page.locator("button.runner")
        await card.wait_for()
        assert await card.count() == 1
        glance = await card.inner_text()
        assert "Ann Runner" in glance and "Active" in glance and "Stage " in glance
        assert "Last check-in: Mar 18" in glance and "Adherence" in glance
        assert await page.locator("button.runner svg.spark polyline").count() == 1
        # Telegram's theme colours, not the page's own
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"

        await card.click()
        await page.locator("#chart").wait_for()
        assert "Ann Runner" in await page.locator("#glance").inner_text()
        # four weeks by default: a check-in every other day (13), one of them skipped
        assert await page.locator("#chart rect.hit").count() == 13
        assert await page.locator("#chart circle.dot-during").count() == 12
        await page.locator("#chart rect.hit").first.click()
        day = await page.locator("#day").inner_text()
        assert "Pain during" in day and "Morning after" in day and "/10" in day
        await page.locator("button[data-weeks='2']").click()
        await page.locator("button[data-weeks='2'][aria-pressed='true']").wait_for()
        assert await page.locator("#chart rect.hit").count() == 6
        await page.locator("button[data-weeks='0']").click()
        await page.locator("button[data-weeks='0'][aria-pressed='true']").wait_for()
        assert await page.locator("#chart rect.hit").count() == 20  # everything recorded

        timeline = await page.locator("#timeline").inner_text()
        assert "Stepped back" in timeline and "Moved up" in timeline
        assert "What Ann Runner was told:" in timeline and "above" in timeline
        tests = await page.locator("#reassessments").inner_text()
        assert "passed: " in tests and "not passed: " in tests and "not tested: " in tests
        assert await page.locator("#actions #hold").count() == 1

        # a phone's width: nothing wider than the screen
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert overflow
        assert browser.outside == []  # nothing loaded from anywhere else
        assert not [m for m in browser.console if "Content Security Policy" in m]
        assert texts(double, RUNNER)  # the runner's chat saw nothing from merely looking
        assert "Ann Runner" not in " ".join(texts(double, STRANGER))


async def test_an_act_from_the_page_reaches_the_runners_chat_and_a_stale_page_changes_nothing(
    double, db
):
    clock = Clock(NOW)
    async with serving_miniapp(double, db, TOKEN, clock) as (url, _app), chromium() as browser:
        _runner, physio = await physio_with_runner(double, db, clock)
        init = init_data(TOKEN, PHYSIO, signed_at=clock())
        [_alert_card] = await physio.say("/patients")
        rid = (await link_row(db)).runner_id
        page = await browser.open(f"{url}?runner={rid}", init)
        await page.locator("#hold").wait_for()

        mark = double.mark(RUNNER)
        await page.fill("#hold-reason", "Let us look at your calf on Tuesday first.")
        await page.click("#hold")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia has put your plan on hold: Let us look at your calf on Tuesday" in (
            told.text or ""
        )
        await page.locator("#message:has-text('Held.')").wait_for()
        await page.locator("#resume").wait_for()  # the page shows the new state
        assert (await link_row(db)).hold_since is not None

        # a cap above the runner's stage: nothing changes today, and both sides read that
        mark = double.mark(RUNNER)
        await page.select_option("#cap-stage", "4")
        await page.click("#cap")
        [capped] = await double.wait_for(RUNNER, 1, since=mark)
        assert "nothing changes today" in (capped.text or "")
        assert "/today" not in (capped.text or "")
        await page.locator("#message:has-text('nothing changes today')").wait_for()

        # a second page, opened before the plan changes again, is stale after
        old = await browser.open(f"{url}?runner={rid}", init)
        await old.locator("#resume").wait_for()
        await page.click("#resume")
        await page.locator("#hold").wait_for()
        mark = double.mark(RUNNER)
        await old.select_option("#cap-stage", "0")
        await old.click("#cap")
        await old.locator("#message:has-text('changed nothing')").wait_for()
        assert (await link_row(db)).stage_cap == 4
        await old.locator("#hold").wait_for()  # and it shows how things stand now

        # a note reaches the runner with a button to answer it
        await page.fill("#note-text", "Great work this week.")
        await page.click("#note")
        [note] = await double.wait_for(RUNNER, 1, since=mark)
        assert "A note from Dr Pia: Great work this week." in (note.text or "")
        assert [label for row in note.buttons() for label, _ in row] == ["Reply to Dr Pia"]
        assert len(double.sent(RUNNER)[mark:]) == 1  # the note only: the stale cap sent nothing

        # the latest report reaches the member's own chat
        mark = double.mark(PHYSIO)
        await page.click("#pdf")
        [report] = await double.wait_for(PHYSIO, 1, since=mark)
        assert report.method == "sendDocument" and "Ann Runner's report" in (report.text or "")
        assert browser.outside == []


async def test_forged_expired_or_another_members_init_data_gets_nothing(double, db):
    clock = Clock(NOW)
    async with serving_miniapp(double, db, TOKEN, clock) as (url, _app), chromium() as browser:
        runner, _physio = await physio_with_runner(double, db, clock)
        stranger = Person(double, STRANGER, "Sam Stranger")
        await stranger.say("/start")
        rid = (await link_row(db)).runner_id
        good = init_data(TOKEN, PHYSIO, signed_at=clock())
        forged = good.replace("Pia", "Eve")  # the user changed, the hash kept
        other_bot = init_data("654321:ANOTHERtoken0123456789abcdefgh", PHYSIO, signed_at=clock())
        expired = init_data(TOKEN, PHYSIO, signed_at=clock() - timedelta(hours=2))
        someone_else = init_data(TOKEN, STRANGER, signed_at=clock())

        for init in (forged, other_bot, expired, "", someone_else):
            page = await browser.open(f"{url}?runner={rid}", init)
            await page.locator("#error").wait_for()
            shown = await page.inner_text("body")
            assert "Ann Runner" not in shown and "Stage" not in shown
            await page.context.close()

        async with aiohttp.ClientSession() as http:

            async def call(init: str, path: str, body: dict[str, Any] | None = None) -> Any:
                headers = {"Authorization": f"tma {init}"}
                if body is None:
                    async with http.get(url + path, headers=headers) as r:
                        return r.status, r.headers, await r.text()
                async with http.post(url + path, headers=headers, json=body) as r:
                    return r.status, r.headers, await r.text()

            for init in (forged, other_bot, expired, ""):
                for path in ("api/dashboard", f"api/runner/{rid}"):
                    status, _, body = await call(init, path)
                    assert status == 401 and "Ann Runner" not in body
            # another member's genuine initData: none of this runner
            status, _, body = await call(someone_else, "api/dashboard")
            assert status == 401 or '"runners": []' in body
            status, _, body = await call(someone_else, f"api/runner/{rid}")
            assert status in (401, 404) and "Ann Runner" not in body
            mark = double.mark(RUNNER)
            status, _, body = await call(
                someone_else, f"api/runner/{rid}/act", {"op": "note", "text": "hi"}
            )
            assert status in (401, 404)
            status, headers, body = await call(good, "api/dashboard")
            assert status == 200 and "Ann Runner" in body
            german = init_data(TOKEN, PHYSIO, signed_at=clock(), language="de")
            status, _, body = await call(german, "api/dashboard")
            assert "Läuferinnen und Läufer, die Sie begleiten" in json.loads(body)["texts"]["title"]
            assert headers["Cache-Control"] == "no-store"
            assert "default-src 'none'" in headers["Content-Security-Policy"]

            # the runner removes the physio: the very next request shows nothing
            await runner.say("/careteam")
            link = await link_row(db)
            await runner.press_data(double.screen(RUNNER)[-1].message_id, f"a|ct|rmyes.{link.id}")
            status, _, body = await call(good, "api/dashboard")
            assert status == 200 and "Ann Runner" not in body
            status, _, body = await call(good, f"api/runner/{rid}")
            assert status == 404 and "Ann Runner" not in body
            status, _, _ = await call(good, f"api/runner/{rid}/act", {"op": "note", "text": "x"})
            assert status == 404
        assert not [m for m in texts(double, RUNNER, mark) if m == "hi" or "A note" in m]
        assert browser.outside == []


def test_every_word_of_the_pages_is_translated_and_members_are_addressed_formally():
    english = translator("en")
    for lang in ("ru", "es", "de"):
        tr = translator(lang)
        same = [m for m in TEXTS.values() if tr.gettext(m) == english.gettext(m)]
        assert same == [], (lang, same)
    assert "Sie" in translator("de").gettext(TEXTS["reopen"])
    assert "закройте" in translator("ru").gettext(TEXTS["reopen"])
    assert "Toque" in translator("es").gettext(TEXTS["chart_hint"])


async def test_an_alert_opens_the_runners_page(double, db):
    clock = Clock(NOW)
    async with serving_miniapp(double, db, TOKEN, clock) as (url, app), chromium() as browser:
        runner, _physio = await physio_with_runner(double, db, clock)
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        await scheduler.tick()
        mark = double.mark(PHYSIO)
        await checkin(runner, db, sharp=True)
        await scheduler.tick()
        [alert] = await double.wait_for(PHYSIO, 1, since=mark)
        assert "Step back: Ann Runner" in (alert.text or "")
        opened = {label: target for row in alert.buttons() for label, target in row}
        rid = (await link_row(db)).runner_id
        assert opened["Open in the dashboard"] == f"{url}?runner={rid}"
        assert "Open Ann Runner" in opened  # the chat's card as before
        page = await browser.open(opened["Open in the dashboard"], init_data(
            TOKEN, PHYSIO, signed_at=clock()
        ))
        await page.locator("#chart").wait_for()
        assert "Ann Runner" in await page.locator("#glance").inner_text()
        assert "Stepped back" in await page.locator("#timeline").inner_text()


async def test_a_referred_runner_is_cleared_from_the_page_through_the_referrals_own_path(
    double, db
):
    clock = Clock(NOW)
    async with serving_miniapp(double, db, TOKEN, clock) as (url, _app), chromium() as browser:
        runner = Person(double, RUNNER, "Ann Runner")
        physio = Person(double, PHYSIO, "Dr Pia")
        await onboard(runner, rf_bony_tenderness="yes")
        token = await invite_link(runner)
        [screen] = await physio.say(f"/start {token}")
        await physio.press_data(screen.message_id, screen.buttons()[0][0][1])
        rid = (await link_row(db)).runner_id
        init = init_data(TOKEN, PHYSIO, signed_at=clock())
        page = await browser.open(f"{url}?runner={rid}", init)
        glance = page.locator("#glance")
        await glance.wait_for()
        assert "Pinpoint bone tenderness" in await glance.inner_text()
        assert "referred to a clinician" in await glance.inner_text()
        mark = double.mark(RUNNER)
        await page.select_option("#clear-stage", "1")
        await page.click("#clear")
        told = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia examined you and cleared you to restart at stage 1" in (told[0].text or "")
        await page.locator("#message:has-text('restarts at stage 1')").wait_for()
        assert await page.locator("#clear").count() == 0  # nothing left to clear
        async with db.session() as session:
            row = await session.get(Runner, rid)
            assert row is not None and row.status != "referred"  # the referral is closed
