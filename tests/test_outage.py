"""Real outages, not patched sessions: PostgreSQL cut off behind a TCP proxy (every open
connection drops, new ones are refused) and SQLite locked by another process. The runner's
answer given during the outage is stored once, after it, against the question they saw;
nobody is told to try again. bench/faults.py runs the 20-second version."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import taps
from storage import Database
from storage.db import IDLE_PING_SECONDS, normalize_url
from storage.models import CheckInRow
from tests.conftest import (
    PG_URL,
    TEST_DATABASE_URL,
    TOKEN,
    Chat,
    _missing_postgres,
    _pg_reachable,
    choose,
    onboard,
    running_bot,
)
from tests.dbproxy import CuttableProxy
from tests.test_faults import drained, leftovers


def _press_without_waiting(chat: Chat, value: str) -> None:
    """Press the button for ``value`` on the newest message with buttons (as conftest.choose
    does) without waiting for a reply: during an outage none comes."""
    for message in reversed(chat.double.sent(chat.user_id)):
        for row in message.buttons():
            for _label, data in row:
                if data and data.startswith("s|") and data.split("|", 2)[2] == value:
                    chat.double.press(chat.token, chat.user_id, message.message_id, data)
                    return
        if message.buttons():
            break
    raise AssertionError(f"no button for {value!r}")


async def _step_after(db: Database, chat: Chat, step: str, timeout: float) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        now = await taps._step(chat, db)
        if now != step:
            return now
        await asyncio.sleep(0.1)
    raise AssertionError(f"still at {step!r} after {timeout} s")


async def _answer_during_outage(double, db, chat: Chat, start, end, outage_s: float) -> None:
    """Onboard, open a check-in, answer "done"; then the database goes away (``start``), the
    runner answers the pain question (2/10) and waits ``outage_s``; then it comes back."""
    await onboard(chat, tests="no")
    await chat.say("/checkin")
    await choose(chat, "done")
    assert await taps._step(chat, db) == "pain_during"  # on screen now
    for _ in range(200):  # its message recorded as sent
        if not (await leftovers(db))[0]:
            break
        await asyncio.sleep(0.05)
    seen = [(m.message_id, m.text) for m in double.sent(chat.user_id)]
    await start()
    _press_without_waiting(chat, "2")
    await asyncio.sleep(outage_s)
    assert double.pending_updates(TOKEN) >= 1  # not confirmed to Telegram
    # the runner was told nothing: no message, no edit
    assert [(m.message_id, m.text) for m in double.sent(chat.user_id)] == seen
    await end()
    assert await _step_after(db, chat, "pain_during", timeout=30) == "pain_after"
    await double.wait_idle(TOKEN, timeout=10)
    await taps.drive(chat, db, {**taps.A_LITTLE_PAIN, "pain_during": "2"}, 0)
    async with db.session() as session:
        [row] = (await session.execute(select(CheckInRow))).scalars().all()
    assert row.pain_during == 2  # the answer given during the outage, stored once
    texts = [m.text or "" for m in double.sent(chat.user_id)]
    assert not any("try again" in t.lower() or "went wrong" in t.lower() for t in texts)
    assert await drained(db) == (0, 0)


async def _postgresql_behind_a_proxy() -> tuple[str, CuttableProxy, str]:
    """(the suite's PostgreSQL URL, a proxy in front of it, the URL through the proxy)."""
    url = TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgresql") else PG_URL
    problem = await _pg_reachable(url)
    if problem:
        _missing_postgres(problem)
    target = make_url(normalize_url(url))
    proxy = await CuttableProxy(target.host or "127.0.0.1", target.port or 5432).start()
    proxied = target.set(host="127.0.0.1", port=proxy.port)
    return url, proxy, proxied.render_as_string(hide_password=False)


async def test_postgresql_cut_off_mid_checkin_loses_nothing(double, clock) -> None:
    url, proxy, proxied = await _postgresql_behind_a_proxy()
    schema = f"o_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(proxied, schema=schema)
    try:
        await db.migrate()
        async with running_bot(double, db, clock=clock):

            async def start() -> None:
                proxy.cut()

            async def end() -> None:
                proxy.restore()

            await _answer_during_outage(double, db, Chat(double, 8401), start, end, 3.0)
    finally:
        await db.dispose()
        await proxy.close()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def test_sqlite_locked_by_another_process_mid_checkin_loses_nothing(
    double, clock, tmp_path: Path
) -> None:
    path = tmp_path / "locked.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    holder: dict[str, sqlite3.Connection] = {}
    try:
        async with running_bot(double, db, clock=clock):

            async def start() -> None:
                # another program takes the write lock and keeps it for longer than the
                # bot's 10 s busy timeout: its writes fail with "database is locked"
                conn = sqlite3.connect(path, timeout=1, isolation_level=None)
                conn.execute("BEGIN EXCLUSIVE")
                holder["conn"] = conn

            async def end() -> None:
                holder.pop("conn").rollback()

            await _answer_during_outage(double, db, Chat(double, 8402), start, end, 11.0)
    finally:
        if "conn" in holder:
            holder.pop("conn").close()
        await db.dispose()


async def test_a_connection_left_broken_while_idle_is_replaced_before_use() -> None:
    """PostgreSQL went away and came back while the bot was idle (a restart at night): its
    pooled connections are dead. The next update must not fail on one of them: a connection
    idle for a while is pinged first and replaced (busy connections are not pinged)."""
    _url, proxy, proxied = await _postgresql_behind_a_proxy()
    db = Database(proxied)
    try:
        async with db.session() as session:  # a pooled connection, then idle
            assert await session.scalar(text("SELECT 1")) == 1
        proxy.cut()  # the restart: every open connection drops
        proxy.restore()
        await asyncio.sleep(IDLE_PING_SECONDS * 1.5)  # at least this idle (longer is fine)
        async with db.session() as session:
            assert await session.scalar(text("SELECT 2")) == 2
    finally:
        await db.dispose()
        await proxy.close()
