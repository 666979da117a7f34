"""Polling on PostgreSQL with many chats at once: an update holds two connections (its
chat's lock and its transaction), so a process handles only as many at once as leave the
pool room for both. With 64 at once the pool (5 + 10) ran dry: every update held a lock's
connection and waited for a transaction's, until SQLAlchemy's 30 s pool timeout."""

from __future__ import annotations

import asyncio

from tests.conftest import PG_URL, TEST_DATABASE_URL, Chat, pg_database, running_bot


async def test_eighty_chats_at_once_are_answered_without_starving_the_pool(double) -> None:
    async with pg_database(TEST_DATABASE_URL or PG_URL) as db, running_bot(double, db):
        chats = [Chat(double, 9_100 + i) for i in range(80)]
        # well under the pool's 30 s timeout: a starved pool answers nobody before it
        replies = await asyncio.gather(*(chat.say("/start", timeout=20.0) for chat in chats))
    assert len(replies) == 80 and all(reply.text for [reply] in replies)
