"""Every conversation end to end in a language other than English."""

from __future__ import annotations

import pytest

from locales import translator
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot
from tests.test_conversations import REASSESS_ANSWERS, _checkin


@pytest.mark.parametrize("lang", ["ru", "de", "es"])
async def test_every_conversation_speaks_the_runners_language(double, db, clock, lang):
    tr = translator(lang)
    user = {"ru": 4001, "de": 4002, "es": 4003}[lang]
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, user, language=lang)
        final = await onboard(chat)
        assert tr.gettext("Thank you, your plan is ready.") in final

        [today] = await chat.say("/today")
        assert tr.day_month(clock().date()) in today.text
        assert tr.gettext("Check in") in [label for row in today.buttons() for label, _ in row]

        await chat.say("/checkin")
        await choose(chat, "shorter")
        await choose(chat, "30")
        [bad] = await chat.say("elf")
        assert tr.gettext("Please send a whole number from {lo} to {hi}.").format(lo=0, hi=10) in (
            bad.text
        )
        await chat.say("/cancel")
        final = await _checkin(chat)
        assert tr.gettext("Thanks, your check-in is saved.") in final

        await chat.say("/reassess")
        replies = await answer_flow(chat, db, REASSESS_ANSWERS)
        assert tr.gettext("Your results") in replies[-1].text

        [menu] = await chat.say("/settings")
        assert tr.gettext("Your settings") in menu.text
        [plan] = await chat.say("/plan")
        assert tr.gettext("Your next 7 days") in plan.text
        [why] = await chat.say("/why")
        assert tr.gettext("Why this session") in why.text
        [paused] = await chat.say("/pause 3")
        assert tr.date(clock().date().__class__.fromordinal(clock().date().toordinal() + 3)) in (
            paused.text
        )


async def test_morning_check_in_russian(double, db, clock):
    from sqlalchemy import select

    from conversations import sender
    from conversations.context import Ctx, Services
    from conversations.morning import begin as start_morning_check
    from storage.models import Runner

    tr = translator("ru")
    chat = Chat(double, 4010, language="ru")
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await _checkin(chat)
    clock.advance(days=1)
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == 4010))
        ).scalar_one()
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        await start_morning_check(ctx)
    async with running_bot(double, db, clock=clock) as app:
        await sender.deliver(app.bot, 4010, ctx.out)
        assert tr.gettext("Good morning! A quick check after yesterday's session.") in (
            double.sent(4010)[-1].text
        )
        await choose(chat, "same")
        await choose(chat, "same")
        await choose(chat, "none")
        [reply] = await choose(chat, "no")
    assert tr.gettext("Thanks. Your body handled the session well.") in reply.text
