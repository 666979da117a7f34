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
        # a second process of the same deployment: its own owner and connections, the
        # same schema (the turn's lock is keyed by it)
        second = Database(first.url, schema=first.lock_scope)
        try:
            await two_pollers(double, first, second)
        finally:
            await second.dispose()


async def test_deployments_in_two_schemas_of_one_database_each_poll():
    """PostgreSQL's advisory locks span the database: two bots kept in two schemas of it
    (or two test workers) must each get their own turn, not wait for the other's."""
    from storage.db import Turn
    from tests.conftest import PG_URL

    url = TEST_DATABASE_URL or PG_URL
    async with pg_database(url) as one, pg_database(url) as other:
        first, second = Turn(one, "poll-1"), Turn(other, "poll-1")
        try:
            assert await first.take()
            assert await second.take()  # another deployment's turn of the same name
            same = Turn(Database(one.url, schema=one.lock_scope), "poll-1")
            try:
                assert not await same.take()  # the same deployment's second process waits
            finally:
                await same.db.dispose()
        finally:
            await first.release()
            await second.release()
