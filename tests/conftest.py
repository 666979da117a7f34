"""Shared fixtures: a database per test (SQLite, or PostgreSQL when asked), the Bot API double,
and a helper that runs the real Application against it over real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_application, serving
from bot.settings import Settings
from bot_api_double import BotApiDouble
from conversations import Services
from storage import Database
from storage.db import is_sqlite, normalize_url

TOKEN = "123456:TESTtokenDoNotLogThis0123456789abcdef"
TOKEN_B = "654321:SECONDtokenDoNotLogThis0123456789abcd"
# The suite's database: SQLite unless RUNCOACH_TEST_DATABASE_URL names a PostgreSQL server.
TEST_DATABASE_URL = os.environ.get("RUNCOACH_TEST_DATABASE_URL", "").strip()
# Tests that always need PostgreSQL (two processes on one database) use this one.
PG_URL = os.environ.get("RUNCOACH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# How long a test waits for the bot's answer at most: an upper bound for a loaded machine
# (the suite runs beside other work), never a window the answer must fit in.
WAIT = 30.0


def pytest_report_header(config: Any) -> str:
    backend = "PostgreSQL" if TEST_DATABASE_URL and not is_sqlite(TEST_DATABASE_URL) else "SQLite"
    return f"runcoach database backend: {backend}"


async def _pg_reachable(url: str) -> str | None:
    engine = create_async_engine(normalize_url(url))
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


def _missing_postgres(reason: str) -> None:
    message = f"PostgreSQL is not reachable ({reason})"
    if IN_CI:
        pytest.fail(message + "; under CI=true a PostgreSQL run may not be skipped")
    pytest.skip(message + "; start PostgreSQL or unset RUNCOACH_TEST_DATABASE_URL")


@asynccontextmanager
async def pg_database(url: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    problem = await _pg_reachable(url)
    if problem:
        _missing_postgres(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, schema=schema)
    try:
        await db.migrate()
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def db(tmp_path: Any) -> AsyncIterator[Database]:
    if TEST_DATABASE_URL and not is_sqlite(TEST_DATABASE_URL):
        async with pg_database(TEST_DATABASE_URL) as database:
            yield database
        return
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/runcoach.sqlite3")
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """Always PostgreSQL (tests of two processes on one database)."""
    async with pg_database(TEST_DATABASE_URL or PG_URL) as database:
        yield database


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as d:
        yield d


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@asynccontextmanager
async def running_bot(
    double: BotApiDouble,
    db: Database,
    *,
    token: str = TOKEN,
    clock: Callable[[], datetime] | None = None,
    default_language: str = "en",
    with_scheduler: bool = False,
) -> AsyncIterator[Any]:
    """Start the real Application with long polling against the double; stop it cleanly."""
    settings = Settings(
        token=token,
        api_url=double.base_url,
        database_url=db.url,
        default_language=default_language,
    )
    services = Services(db=db, default_language=default_language)
    if clock is not None:
        services.clock = clock
    app = build_application(
        settings, services=services, rate_limit=False, with_scheduler=with_scheduler
    )
    async with serving(app, poll_timeout=1):
        yield app


class Chat:
    """One runner talking to the bot through the double."""

    def __init__(
        self, double: BotApiDouble, user_id: int, *, token: str = TOKEN, language: str = "en"
    ) -> None:
        self.double = double
        self.user_id = user_id
        self.token = token
        self.language = language

    async def say(self, text: str, *, count: int = 1, timeout: float = WAIT) -> list[Any]:
        mark = self.double.mark(self.user_id)
        self.double.send_text(self.token, self.user_id, text, language_code=self.language)
        return await self.replies(mark, count, timeout)

    async def replies(self, mark: int, count: int, timeout: float = WAIT) -> list[Any]:
        """The bot's next ``count`` replies after ``mark``: new messages and text edits (a
        question edited in place). Buttons taken off an older message are not replies."""
        need = count
        while True:
            items = await self.double.wait_for(self.user_id, need, since=mark, timeout=timeout)
            shown = [m for m in items if m.method != "editMessageReplyMarkup"]
            if len(shown) >= count:
                return shown
            need = len(items) + count - len(shown)

    async def press(self, label: str, *, count: int = 1, timeout: float = WAIT) -> list[Any]:
        """Press the button labelled ``label`` on the newest message that has it."""
        for message in reversed(self.double.screen(self.user_id)):
            for row in message.buttons():
                for text_, data in row:
                    if text_ == label and data is not None:
                        return await self.press_data(
                            message.message_id, data, count=count, timeout=timeout
                        )
        raise AssertionError(f"no button {label!r} in the chat")

    async def press_data(
        self, message_id: int, data: str, *, count: int = 1, timeout: float = WAIT
    ) -> list[Any]:
        mark = self.double.mark(self.user_id)
        self.double.press(self.token, self.user_id, message_id, data, language_code=self.language)
        return await self.replies(mark, count, timeout)

    def last_text(self) -> str:
        """The newest message as the runner sees it now (a question edited in place
        included)."""
        return self.double.screen(self.user_id)[-1].text or ""


async def settle(seconds: float = 0.05) -> None:
    await asyncio.sleep(seconds)


async def choose(chat: Chat, value: str, *, count: int = 1) -> list[Any]:
    """Answer the current question: press the button whose value is ``value`` on the newest
    message with buttons, or type it when no such button exists."""
    for message in reversed(chat.double.screen(chat.user_id)):
        rows = message.buttons()
        if not rows:
            continue
        for row in rows:
            for _label, data in row:
                if data and data.startswith("s|") and data.split("|", 2)[2] == value:
                    return await chat.press_data(message.message_id, data, count=count)
        break
    return await chat.say(value, count=count)


ONBOARDING_ANSWERS: dict[str, str] = {
    "consent": "yes",  # the welcome and the safety screen: "none of these: let's start"
    "injury": "calf_strain",
    "side": "left",
    "injury_date": "6weeks",
    "rest_pain": "0",
    "walk_pain": "0",
    "running_before": "3 120",
    "tests": "yes",
    "days": "0,2,4",
    "reminder": "07:30",
    "time_zone": "Europe/Berlin",
    "goal": "skip",
    # the test results: their own short conversation after the goal
    "heel_left": "28",
    "heel_right": "30",
    "hops_left": "10",
    "hops_right": "10",
    "hop_pain": "0",
    "stiffness_min": "5",
    "walk_test": "0",
}
TEST_STEPS = ("heel_left", "heel_right", "hops_left", "hops_right", "hop_pain", "stiffness_min")


async def onboard(chat: Chat, **overrides: str) -> str:
    """Walk through onboarding (overrides change answers; ``rf_<sign>="yes"`` picks that sign
    on the safety screen); returns the final reply's text."""
    answers = {**ONBOARDING_ANSWERS}
    for key, value in overrides.items():
        if key.startswith("rf_"):
            if value == "yes":
                answers["consent"] = key[3:]
        else:
            answers[key] = value
    await chat.say("/start")
    replies: list[Any] = []
    for key in answers:
        last = chat.double.screen(chat.user_id)[-1]
        if "·" not in (last.text or ""):
            break  # the conversation ended early (a red flag, no consent): no question header
        if key in (*TEST_STEPS, "walk_test") and answers.get("tests") != "yes":
            continue
        replies = await choose(chat, answers[key])
    return replies[-1].text if replies else ""


async def answer_flow(chat: Chat, db: Database, answers: dict[str, str]) -> list[Any]:
    """Answer the chat's current conversation step by step, by step name (``answers``), until
    it ends; returns the last replies. A step not in ``answers`` fails the test."""
    from sqlalchemy import select

    from storage.models import ConversationRow, Runner

    replies: list[Any] = []
    for _ in range(60):
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == chat.user_id))
            ).scalar_one()
            row = await session.get(ConversationRow, runner.id)
            step = row.step if row is not None else ""
        if not step:
            return replies
        assert step in answers, f"unexpected question {step!r}"
        replies = await choose(chat, answers[step])
    raise AssertionError("the conversation did not end")
