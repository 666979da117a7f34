"""Arbitrary input at every step — numbers, words, stale and forged buttons, commands — never
raises and never stores an invalid row.

The default run feeds about 1,500 inputs (40 fuzzed conversations of 30-40 inputs) in a few
seconds; ``RUNCOACH_FUZZ_FULL=1`` (or ``python bench/fuzz.py``) feeds at least 10,000.
Both use the same strategies, so the short run covers the same kinds of input."""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conversations import engine
from conversations.context import Ctx, Services
from conversations.handlers import build_handlers
from conversations.router import press, type_text
from storage import Database
from storage import runners as store
from storage.db import is_sqlite
from storage.models import CheckInRow, ConversationRow, MorningCheckRow, ReassessmentRow, Runner
from tests.conftest import TEST_DATABASE_URL, Clock, pg_database

build_handlers()  # registers every flow, command and button

COMMANDS = [
    "/start",
    "/checkin",
    "/reassess",
    "/today",
    "/plan",
    "/why",
    "/settings",
    "/cancel",
    "/pause",
    "/pause 3",
    "/pause x",
    "/pause 999",
    "/resume",
    "/help",
    "/language",
    "/nope",
    "/progress",
    "/history",
]
WORDS = [
    "7/10",
    " 7 ",
    "6,5",
    "7.5",
    "-1",
    "11",
    "yes",
    "no",
    "skip",
    "done",
    "none",
    "worse",
    "better",
    "same",
    "calf_strain",
    "left",
    "Europe/Berlin",
    "Tokyo",
    "UTC+3",
    "07:30",
    "25:99",
    "2026-01-01",
    "31.02.2026",
    "3000-01-01",
    "any",
    "0,2,4",
    "Mon Wed Fri",
    "🙂",
    "<b>x</b>",
    "",
    "week",
    "unknown",
    "   ",
]
VALID = "__valid__"
STALE = "__stale__"

one_input = st.one_of(
    st.just(VALID),
    st.just(VALID),
    st.just(VALID),
    st.just(STALE),
    st.sampled_from(COMMANDS),
    st.sampled_from(WORDS),
    st.integers(-3, 400).map(str),
    st.text(max_size=24),
    st.tuples(st.integers(-2, 80), st.text(max_size=8)).map(lambda t: f"s|{t[0]}|{t[1]}"),
    st.sampled_from(["a|lang|xx", "a|set|zone", "a|checkin|", "a|skipped|", "a|plan|", "junk"]),
)

users = itertools.count(900_000)
FULL = os.environ.get("RUNCOACH_FUZZ_FULL", "").lower() in ("1", "true", "yes")
# (conversations, minimum inputs fed): each conversation is 30-40 inputs.
EXAMPLES, MINIMUM = (300, 10_000) if FULL else (40, 1_200)
CHECKS = {
    CheckInRow: lambda r: (
        0 <= r.pain_during <= 10
        and 0 <= r.pain_after <= 10
        and 0 <= r.stiffness <= 10
        and 0 <= r.rpe <= 10
        and 1 <= r.mood <= 5
        and 0 <= r.minutes <= 300
        and r.swelling in ("none", "mild", "visible")
        and (r.sleep_hours is None or 0 <= r.sleep_hours <= 16)
    ),
    MorningCheckRow: lambda r: (
        r.pain in ("better", "same", "worse") and r.swelling in ("none", "mild", "visible")
    ),
    ReassessmentRow: lambda r: (
        0 <= r.hop_pain <= 10
        and 0 <= r.hops_left <= 10
        and (r.readiness is None or 0 <= r.readiness <= 60)
    ),
}


async def _valid_answer(ctx: Ctx) -> tuple[str, bool]:
    state = await engine.current(ctx)
    if state is None:
        return "/checkin", False
    _flow, step, answers, version = state
    options = step.options(ctx, answers) if callable(step.options) else step.options
    values = [o.value for row in options for o in row]
    if values:
        return engine.callback(version, values[len(answers) % len(values)]), True
    return "5", False


async def _feed(db: Database, clock: Clock, user_id: int, text: str) -> None:
    async with db.session() as session:
        runner = await store.get_or_create_runner(session, user_id, user_id, "en")
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        if text == VALID:
            text, is_button = await _valid_answer(ctx)
        elif text == STALE:
            text, is_button = engine.callback(0, "yes"), True
        else:
            is_button = text.startswith(("s|", "a|")) or text == "junk"
        if is_button:
            await press(ctx, text)
        else:
            await type_text(ctx, text)
        for out in ctx.out:
            assert out.text or out.photo or out.document


async def _validate(db: Database, user_id: int) -> None:
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        assert runner.status in ("new", "active", "paused", "referred")
        assert 0 <= runner.reminder_minute < 24 * 60
        for model, ok in CHECKS.items():
            rows = (
                await session.execute(select(model).where(model.runner_id == runner.id))
            ).scalars()
            for row in rows:
                assert ok(row), row.__dict__
        conversation = await session.get(ConversationRow, runner.id)
        if conversation is not None and conversation.name:
            flow = engine.FLOWS[conversation.name]
            assert flow.step(conversation.step) is not None


def test_arbitrary_inputs_never_crash_or_store_invalid_rows(tmp_path: Any) -> None:
    loop = asyncio.new_event_loop()
    fed = 0

    async def open_db() -> tuple[Database, Any]:
        if TEST_DATABASE_URL and not is_sqlite(TEST_DATABASE_URL):
            manager = pg_database(TEST_DATABASE_URL)
            return await manager.__aenter__(), manager
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/fuzz.sqlite3")
        await database.migrate()
        return database, None

    db, manager = loop.run_until_complete(open_db())
    clock = Clock()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(one_input, min_size=30, max_size=40))
    def run(inputs: list[str]) -> None:
        nonlocal fed
        user_id = next(users)
        for text in inputs:
            loop.run_until_complete(_feed(db, clock, user_id, text))
            fed += 1
        loop.run_until_complete(_validate(db, user_id))

    try:
        run()
    finally:
        if manager is not None:
            loop.run_until_complete(manager.__aexit__(None, None, None))
        else:
            loop.run_until_complete(db.dispose())
        loop.close()
    print(f"fuzz: {fed} inputs fed ({'full' if FULL else 'short'} run)")
    assert fed >= MINIMUM
