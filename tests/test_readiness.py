"""Readiness and start-up failures (issue 24, item 7): /readyz says 503 while the process
stops (polling mode too) and while the database cannot be written (SQLite held by another
writer); a taken port is one line, not a traceback."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.app import build_application, serving
from bot.settings import Settings
from conversations import Services
from storage import Database
from tests.conftest import TOKEN
from tests.test_cli import _one_line_without_the_token, _run_until_exit
from tests.webhooks import free_port, get


async def test_readyz_is_503_while_sqlite_cannot_be_written(double, tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/ready.sqlite3")
    await db.migrate()
    port = free_port()
    settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
    app = build_application(settings, services=Services(db=db), rate_limit=False)
    try:
        async with serving(app, poll_timeout=1, health=("127.0.0.1", port)):
            ready = f"http://127.0.0.1:{port}/readyz"
            assert (await get(ready))[0] == 200
            other = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")  # another process writes, and holds on
            try:
                status, body = await get(ready)
                assert status == 503 and "cannot be written" in body
            finally:
                other.rollback()
                other.close()
            assert (await get(ready))[0] == 200
    finally:
        await db.dispose()


async def test_readyz_is_503_from_the_first_moment_of_a_stop_in_polling_mode(
    double, db
) -> None:
    port = free_port()
    settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
    app = build_application(settings, services=Services(db=db), rate_limit=False)
    ready = f"http://127.0.0.1:{port}/readyz"
    release = asyncio.Event()
    entered = asyncio.Event()
    asked = asyncio.Event()
    statuses: list[int] = []

    async def serve() -> None:
        async with serving(app, poll_timeout=1, health=("127.0.0.1", port)) as poller:
            real_stop = poller.stop

            async def slow_stop(grace: float = 5.0) -> None:  # the updates in hand finish
                statuses.append((await get(ready))[0])
                asked.set()
                await release.wait()
                await real_stop(grace)

            poller.stop = slow_stop  # type: ignore[method-assign]
            entered.set()
            await asyncio.Event().wait()  # serving, until the stop

    task = asyncio.create_task(serve())
    await entered.wait()
    assert (await get(ready))[0] == 200
    task.cancel()  # as SIGTERM ends the wait in run_until_signalled
    await asyncio.wait_for(asked.wait(), 30)
    release.set()
    await asyncio.gather(task, return_exceptions=True)
    assert statuses == [503]


async def test_a_taken_port_is_one_line(double, tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        status, output = await _run_until_exit(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": double.base_url,
                "DATABASE_URL": f"sqlite:///{tmp_path}/run.sqlite3",
                "HEALTH_PORT": str(port),
                "LISTEN_HOST": "127.0.0.1",
            },
            tmp_path,
        )
    finally:
        taken.close()
    line = _one_line_without_the_token(output)
    assert status == 6
    assert f"cannot listen on 127.0.0.1:{port}" in line and "HEALTH_PORT" in line
