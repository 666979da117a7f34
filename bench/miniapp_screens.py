"""The care team's Mini App as a physiotherapist sees it on a phone: the real bot, the Bot API
double and the system's Chromium (as in tests/test_miniapp.py) with two runners who invited
the same physio (one with six weeks of records, one referred after a red flag). Saves
docs/miniapp-dashboard.png and docs/miniapp-runner.png (docs/care-team.md shows them), and
prints what the pages cost:

    figure: miniapp_dashboard_api = … ms     (the dashboard's JSON for two runners; median of 5)
    figure: miniapp_dashboard_ready = … ms   (a new browser tab opens it → runners listed; median)
    figure: miniapp_runner_ready = … ms      (a tap → the chart drawn; median of 5)
    figure: miniapp_assets = … bytes         (the page, its script and its style)

Run: ``.venv/bin/python bench/miniapp_screens.py`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot_api_double import BotApiDouble  # noqa: E402
from miniapp.server import STATIC  # noqa: E402
from storage import Database  # noqa: E402
from tests.conftest import TOKEN, Clock, onboard  # noqa: E402
from tests.miniapp_kit import chromium, init_data, seed, serving_miniapp  # noqa: E402
from tests.test_careteam import PHYSIO, RUNNER, Person, invite_link, join  # noqa: E402

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECOND_RUNNER = 8105
ROUNDS = 5
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff4",
    "destructive_text_color": "#e53935",
    "accent_text_color": "#2481cc",
}


def asset_bytes() -> int:
    return sum(os.path.getsize(STATIC / name) for name in ("index.html", "app.js", "app.css"))


async def main() -> None:
    logging.disable(logging.WARNING)
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/miniapp.sqlite3")
        clock = Clock(NOW)
        async with (
            BotApiDouble() as double,
            serving_miniapp(double, db, TOKEN, clock) as (url, _app),
            chromium() as browser,
        ):
            ann = Person(double, RUNNER, "Ann Runner")
            ben = Person(double, SECOND_RUNNER, "Ben Okafor")
            physio = Person(double, PHYSIO, "Dr Pia")
            await onboard(ann)
            await join(double, ann, physio, zone="Europe/Berlin")
            await seed(db, RUNNER, NOW.date(), days=42)
            await onboard(ben, rf_bony_tenderness="yes")
            token = await invite_link(ben)
            [screen] = await physio.say(f"/start {token}")
            await physio.press_data(screen.message_id, screen.buttons()[0][0][1])
            init = init_data(TOKEN, PHYSIO, signed_at=clock())

            api_ms = []
            async with aiohttp.ClientSession() as http:
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    async with http.get(
                        url + "api/dashboard", headers={"Authorization": f"tma {init}"}
                    ) as response:
                        assert response.status == 200
                        await response.read()
                    api_ms.append((time.perf_counter() - started) * 1000)
            dashboard_ms, runner_ms = [], []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                page = await browser.open(url, init, theme=LIGHT)
                await page.locator("button.runner").first.wait_for()
                dashboard_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await page.locator("button.runner").first.click()
                await page.locator("#chart circle").first.wait_for()
                runner_ms.append((time.perf_counter() - started) * 1000)
                await page.context.close()

            page = await browser.open(url, init, theme=LIGHT, height=700)
            await page.locator("button.runner").nth(1).wait_for()
            await page.screenshot(path=str(docs / "miniapp-dashboard.png"))
            await page.locator("button.runner").first.click()
            await page.locator("#chart circle").first.wait_for()
            await page.locator("#chart rect.hit").nth(9).click()
            await page.set_viewport_size({"width": 390, "height": 1200})
            await page.screenshot(path=str(docs / "miniapp-runner.png"))
            assert not browser.outside, browser.outside
        await db.dispose()
    assets = asset_bytes()
    print(f"figure: miniapp_dashboard_api = {statistics.median(api_ms):.0f} ms")
    print(f"figure: miniapp_dashboard_ready = {statistics.median(dashboard_ms):.0f} ms")
    print(f"figure: miniapp_runner_ready = {statistics.median(runner_ms):.0f} ms")
    print(f"figure: miniapp_assets = {assets} bytes")
    print("saved docs/miniapp-dashboard.png and docs/miniapp-runner.png")


if __name__ == "__main__":
    asyncio.run(main())
