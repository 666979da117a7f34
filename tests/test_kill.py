"""Kill -9 a real ``runcoach run`` process several times in a check-in storm: no answer lost,
no reply lost, nothing stored twice, no typed answer dropped in silence (half the answers are
typed, and the edit carrying a question is sometimes slower than the bot waits). SQLite
with one process; PostgreSQL with two."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import normalize_url
from tests.conftest import PG_URL, TEST_DATABASE_URL, _missing_postgres, _pg_reachable
from tests.storm import checkin_storm


def _check(result) -> None:
    assert result.kills >= 3
    assert result.problems == []
    assert result.finished == result.runners
    assert result.updates_lost == 0 and result.replies_lost == 0
    assert result.typed > 0 and result.typed_answers_dropped == 0  # typed answers too
    assert result.questions_unseen == 0  # every question shown, edited in place or new
    assert result.answers_duplicated == 0 and result.wrong_values == 0
    assert result.left_in_outbox == 0 and result.left_received == 0


@pytest.mark.storm
async def test_sigkill_during_a_checkin_storm_loses_nothing_on_sqlite(tmp_path: Path) -> None:
    result = await checkin_storm(
        f"sqlite+aiosqlite:///{tmp_path}/storm.sqlite3",
        tmp_path,
        runners=12,
        kills=3,
        kill_every=(0.4, 0.9),
        slow_edits=1,
    )
    _check(result)


@pytest.mark.storm
async def test_sigkill_one_of_two_processes_loses_nothing_on_postgresql(tmp_path: Path) -> None:
    url = TEST_DATABASE_URL or PG_URL
    problem = await _pg_reachable(url)
    if problem:
        _missing_postgres(problem)
    schema = f"k_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        result = await checkin_storm(
            f"{normalize_url(url)}{sep}search_path={schema}",
            tmp_path,
            runners=12,
            kills=3,
            processes=2,
            kill_every=(0.4, 0.9),
            slow_edits=1,
        )
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
    _check(result)

