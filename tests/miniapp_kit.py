"""What the Mini App's browser tests and the screenshots script share: the real bot serving
the Mini App on a loopback port (polling mode, the health port) against the Bot API double,
initData signed as Telegram signs it, a runner's weeks of records, and the system's
Chromium driven by Playwright (Debian's ``chromium`` package; no browser download).

In the browser, Telegram's own script (telegram-web-app.js) is answered by a small stand-in
that gives the page the member's initData and a theme, as Telegram's clients do; every other
request off the bot's server is refused and recorded (the page may load nothing else).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.app import build_application, serving
from bot.settings import Settings
from bot_api_double import BotApiDouble
from conversations import Services
from miniapp.auth import sign
from storage import Database
from storage.models import CheckInRow, DecisionRow, MorningCheckRow, ReassessmentRow, Runner
from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
    "destructive_text_color": "#ec3942",
    "accent_text_color": "#6ab2f2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def init_data(
    token: str,
    user_id: int,
    *,
    signed_at: datetime,
    language: str = "en",
    first_name: str = "Pia",
) -> str:
    """initData as Telegram's client hands it to the page: signed with the bot's token."""
    fields = {
        "auth_date": str(int(signed_at.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user_id, "first_name": first_name, "language_code": language},
            separators=(",", ":"),
        ),
    }
    fields["hash"] = sign(fields, token)
    return urlencode(fields)


@asynccontextmanager
async def serving_miniapp(
    double: BotApiDouble, db: Database, token: str, clock: Any
) -> AsyncIterator[tuple[str, Any]]:
    """The real bot, long polling the double, with the Mini App on a loopback port; yields
    the Mini App's URL and the application."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/app/"
    settings = Settings(token=token, api_url=double.base_url, database_url=db.url)
    services = Services(db=db, clock=clock, miniapp_url=url)
    app = build_application(settings, services=services, rate_limit=False)
    async with serving(app, poll_timeout=1, health=("127.0.0.1", port)):
        yield url, app


async def seed(db: Database, user_id: int, today: date, days: int = 40) -> None:
    """Weeks of a runner's records before ``today``: check-ins every other day with pain
    rising and easing, the mornings after, a decision for each, and two weekly tests."""
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        rid = runner.id
        for back in range(days, 0, -2):
            day = today - timedelta(days=back)
            pain = (0, 1, 2, 4, 2, 1, 3)[back % 7]
            skipped = back % 11 == 0
            session.add(
                CheckInRow(
                    runner_id=rid,
                    day=day,
                    outcome="skipped" if skipped else "done",
                    minutes=0 if skipped else 20 + back % 3 * 5,
                    pain_during=pain,
                    pain_after=max(0, pain - 1),
                    sharp_or_limp=False,
                    stiffness=0,
                    swelling="none",
                    rpe=4,
                    mood=4,
                    sleep_hours=7.0,
                    level=runner.level,
                    running_minutes=0 if skipped else 8,
                )
            )
            session.add(
                MorningCheckRow(
                    runner_id=rid,
                    day=day + timedelta(days=1),
                    run_day=day,
                    pain="worse" if pain >= 4 else "same",
                    stiffness="same",
                    swelling="none",
                    night_pain=False,
                )
            )
            up = pain <= 2
            session.add(
                DecisionRow(
                    runner_id=rid,
                    day=day,
                    action="progress" if up else "step_back",
                    level=runner.level,
                    stage=1,
                    session_date=day + timedelta(days=1),
                    check_again="checkin",
                    check_again_date=day + timedelta(days=1),
                    reasons=[
                        {"code": "green_sessions", "values": {"count": 2}}
                        if up
                        else {
                            "code": "pain_during_over_ceiling",
                            "values": {"pain": pain, "ceiling": 3},
                        }
                    ],
                )
            )
        for back, passed in ((14, False), (7, True)):
            session.add(
                ReassessmentRow(
                    runner_id=rid,
                    day=today - timedelta(days=back),
                    gates=[
                        {"code": "heel_raises", "passed": passed},
                        {"code": "hops_pain_free", "passed": True},
                        {"code": "knee_to_wall", "passed": False, "tested": 0},
                    ],
                )
            )


# ------------------------------------------------------------------ the browser


def chromium_or_skip() -> str:
    """The system's Chromium. In CI (CI=true) a missing one fails the test: never skipped."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if IN_CI:
        pytest.fail(
            f"{CHROMIUM} is missing: the Mini App's browser tests need Debian's chromium "
            "(apt-get install -y chromium; .ci/run installs it)."
        )
    pytest.skip("no system Chromium (apt-get install -y chromium)")


@dataclass
class Browser:
    browser: Any
    outside: list[str] = field(default_factory=list)  # requests refused (off the server)
    console: list[str] = field(default_factory=list)  # console errors (CSP violations...)

    async def open(
        self,
        url: str,
        init: str,
        *,
        theme: dict[str, str] | None = None,
        width: int = 390,
        height: int = 844,
    ) -> Any:
        """A phone-sized page at ``url`` opened as Telegram opens a Mini App."""
        context = await self.browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=2
        )
        page = await context.new_page()
        stand_in = telegram_stand_in(init, theme or {})
        origin = url.split("/app/")[0]

        async def route(r: Any) -> None:
            target = r.request.url
            if target == TELEGRAM_SCRIPT:
                await r.fulfill(status=200, content_type="text/javascript", body=stand_in)
            elif target.startswith(origin):
                await r.continue_()
            else:
                self.outside.append(target)
                await r.abort()

        await page.route("**/*", route)
        page.on(
            "console",
            lambda m: self.console.append(m.text) if m.type == "error" else None,
        )
        await page.goto(url)
        return page


def telegram_stand_in(init: str, theme: dict[str, str]) -> str:
    """What Telegram's script gives a page: ``Telegram.WebApp`` with the initData, and the
    theme as ``--tg-theme-*`` CSS variables."""
    variables = "".join(
        "document.documentElement.style.setProperty("
        f"{json.dumps('--tg-theme-' + k.replace('_', '-'))}, {json.dumps(v)});"
        for k, v in theme.items()
    )
    return (
        "window.Telegram = {WebApp: {initData: " + json.dumps(init) + ", themeParams: "
        + json.dumps(theme)
        + ", ready() {}, expand() {}, BackButton: {show() {}, hide() {}, onClick() {}},"
        " HapticFeedback: {notificationOccurred() {}}}};" + variables
    )


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield Browser(browser)
        finally:
            await browser.close()


def now_of(clock: Any) -> datetime:
    return clock() if callable(clock) else datetime.fromtimestamp(time.time())
