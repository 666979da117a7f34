"""Two polling processes on one bot (issue 24, item 2): one polls, the other stands by (no
409 Conflict between them, no 30 s back-off) and takes over within about a second when the
first dies, handling what it had stored and not handled."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import build_application, serving
from bot.settings import Settings
from conversations import Services
from storage import Database
from tests.conftest import TEST_DATABASE_URL, TOKEN, Chat, pg_database
from tests.storm import _until


async def until(done: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    await _until(done, loop.time() + timeout)  # type: ignore[arg-type]
    assert done()


def app_on(double: Any, url: str, db: Database) -> Any:
    settings = Settings(token=TOKEN, api_url=double.base_url, database_url=url)
    return build_application(settings, services=Services(db=db), rate_limit=False)


async def two_pollers(double: Any, first: Database, second: Database) -> None:
    a_app, b_app = app_on(double, first.url, first), app_on(double, second.url, second)
    chat = Chat(double, 24_501)
    async with serving(a_app, poll_timeout=1) as a:
        [reply] = await chat.say("/help")
        assert "Here is what I can do" in (reply.text or "")
        async with serving(b_app, poll_timeout=1) as b:
            await until(lambda: b._standing_by)  # B waits; A keeps polling
            [reply] = await chat.say("/help")
            assert "Here is what I can do" in (reply.text or "")
            assert double.stats.get("errors", 0) == 0  # no 409 between them
            # A dies: its fetching stops and its turn goes with the process
            a._running = False
            a._tasks[0].cancel()
            assert a.turn is not None
            await a.turn.release()
            [reply] = await chat.say("/help", timeout=10)  # B polls now
            assert "Here is what I can do" in (reply.text or "")
            assert not b._standing_by


async def test_a_second_poller_stands_by_and_takes_over_on_sqlite(double, tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/poll.sqlite3"
    first, second = Database(url), Database(url)
    await first.migrate()
    try:
        await two_pollers(double, first, second)
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_second_poller_stands_by_and_takes_over_on_postgresql(double):
    from tests.conftest import PG_URL

    async with pg_database(TEST_DATABASE_URL or PG_URL) as first:
        # a second process: its own owner, its own connections (the same schema's pool)
        second = Database(first.url)
        await second.dispose()
        second.engine, second.sessions = first.engine, first.sessions
        await two_pollers(double, first, second)
