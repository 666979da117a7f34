"""The foundation, end to end over the Bot API double: languages, restarts, one runner per user."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Runner
from tests.conftest import Chat, running_bot


async def test_help_lists_commands_and_says_coach_not_diagnosis(double, db):
    async with running_bot(double, db):
        chat = Chat(double, 1001)
        [reply] = await chat.say("/help")
    assert "/checkin" in reply.text and "/delete" in reply.text
    assert "not a clinician" in reply.text


async def test_unknown_command_and_non_text_get_friendly_replies(double, db):
    async with running_bot(double, db):
        chat = Chat(double, 1002)
        [reply] = await chat.say("/fly")
        assert "don't know that command" in reply.text
        mark = double.mark(1002)
        double.send_sticker(chat.token, 1002)
        [reply] = await double.wait_for(1002, 1, since=mark)
        assert "only read text" in reply.text


async def test_language_choice_survives_a_restart(double, db):
    chat = Chat(double, 1003)
    async with running_bot(double, db):
        await chat.say("/language")
        [reply] = await chat.press("Deutsch")
        assert "Deutsch" in reply.text
    async with running_bot(double, db):
        [reply] = await chat.say("/help")
    assert "Hier ist, was ich kann" in reply.text


async def test_start_twice_creates_one_runner(double, db):
    chat = Chat(double, 1004)
    async with running_bot(double, db):
        await chat.say("/start")
        await chat.say("/start")
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Runner).where(Runner.telegram_user_id == 1004)
        )
    assert count == 1


async def test_command_menu_is_published_in_every_language(double, db):
    async with running_bot(double, db):
        pass
    from tests.conftest import TOKEN

    ru = {c["command"]: c["description"] for c in double.commands(TOKEN, language_code="ru")}
    assert set(ru) >= {"checkin", "today", "delete"}
    en = {c["command"]: c["description"] for c in double.commands(TOKEN, language_code="en")}
    assert ru["checkin"] != en["checkin"]
