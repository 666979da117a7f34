"""What the scheduler's messages say, and that their buttons lead where they promise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conversations import prompts, sender
from conversations.context import Ctx, Services
from storage.models import CheckInRow, Runner
from tests.conftest import Chat, choose, onboard, running_bot


async def _compose(db: Any, clock: Any, user_id: int, kinds: list[str]) -> list[Any]:
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        await prompts.compose(ctx, kinds)
    return ctx.out


async def test_daily_prompt_shows_today_and_its_buttons_work(double, db, clock):
    chat = Chat(double, 6001)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(chat)
        outs = await _compose(db, clock, 6001, [prompts.DAILY])
        assert len(outs) == 1 and "Today" in outs[0].text
        await sender.deliver(app.bot, 6001, outs)
        [question] = await chat.press("Check in")
        assert "How did today's session go?" in question.text
        await chat.say("/cancel")
        [plan] = await chat.press("Show plan")
        assert "Your next 7 days" in plan.text
        [saved] = await chat.press("Skipped today")  # one tap: no mood or sleep asked
        assert "check-in is saved" in saved.text
    async with db.session() as session:
        row = (await session.execute(select(CheckInRow))).scalar_one()
    assert row.outcome == "skipped" and row.minutes == 0


async def test_reassessment_day_adds_a_button_that_starts_it(double, db, clock):
    chat = Chat(double, 6002)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(chat)
        outs = await _compose(db, clock, 6002, [prompts.DAILY, prompts.WEEKLY])
        assert len(outs) == 1 and "weekly reassessment" in outs[0].text
        await sender.deliver(app.bot, 6002, outs)
        [question] = await chat.press("Start reassessment")
    assert "safety check" in question.text  # every reassessment re-screens the red flags
    assert "None of these" in [label for row in question.buttons() for label, _ in row]


async def test_nudge_and_welcome_back_come_in_one_message(double, db, clock):
    chat = Chat(double, 6003)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
    outs = await _compose(db, clock, 6003, [prompts.DAILY, prompts.NUDGE, prompts.WELCOME_BACK])
    assert len(outs) == 1
    assert "Welcome back" in outs[0].text and "haven't heard from you" in outs[0].text


async def test_morning_kind_opens_the_morning_check(double, db, clock):
    chat = Chat(double, 6004)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(chat)
        await chat.say("/checkin")
        for value in ("shorter", "30", "2", "1", "no", "1", "none", "4", "4", "7", "skip"):
            await choose(chat, value)
        clock.advance(days=1)
        outs = await _compose(db, clock, 6004, [prompts.DAILY, prompts.MORNING, prompts.WEEKLY])
        # one message at 07:00: the weekly reminder is said above the morning's question
        assert len(outs) == 1
        assert "weekly reassessment" in outs[0].text and "Good morning" in outs[0].text
        assert [label for row in outs[0].keyboard or [] for label, _ in row][:4] == [
            "All good: no worse, no swelling, no night pain",
            "Better",
            "Same as usual",
            "Worse",
        ]
        await sender.deliver(app.bot, 6004, outs)
        [result] = await chat.press("All good: no worse, no swelling, no night pain")
        # the reassessment's button comes with the morning's result, not a second message
        assert "Start reassessment" in [label for row in result.buttons() for label, _ in row]
