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
    # a runner's menu holds the few commands of every day; /help lists them all
    assert set(ru) >= {"checkin", "today", "plan", "help"} and "delete" not in ru
    assert len(ru) <= 8
    en = {c["command"]: c["description"] for c in double.commands(TOKEN, language_code="en")}
    assert ru["checkin"] != en["checkin"]


async def test_description_and_short_description_are_published_in_every_language(double, db):
    """An empty chat says what the bot is, in the user's language (setMyDescription), and so
    does the bot's profile (setMyShortDescription)."""
    from conversations.basics import DESCRIPTION, SHORT_DESCRIPTION
    from locales import SUPPORTED, translator
    from tests.conftest import TOKEN

    async with running_bot(double, db):
        pass
    assert double.description(TOKEN) == translator("en").gettext(DESCRIPTION)  # the default
    for lang in SUPPORTED:
        tr = translator(lang)
        description = double.description(TOKEN, language_code=lang)
        short = double.short_description(TOKEN, language_code=lang)
        assert description == tr.gettext(DESCRIPTION) and "/start" in description
        assert short == tr.gettext(SHORT_DESCRIPTION)
        assert 0 < len(description) <= 512 and 0 < len(short) <= 120
    assert double.description(TOKEN, "de") != double.description(TOKEN, "en")


async def test_start_answers_in_russian_for_a_russian_telegram(double, db):
    from locales import translator

    ru = translator("ru")
    async with running_bot(double, db):
        chat = Chat(double, 1005, language="ru")
        [reply] = await chat.say("/start")
    screen = "First, a quick safety check. Please answer honestly."
    assert ru.gettext(screen) in reply.text
    assert ru.gettext(screen) != screen


async def test_blocking_and_unblocking_are_remembered(double, db):
    from tests.conftest import TOKEN

    async with running_bot(double, db):
        chat = Chat(double, 1006)
        await chat.say("/help")
        double.member_change(TOKEN, 1006, "kicked")
        await double.wait_idle(TOKEN)
        await _wait_for_blocked(db, 1006, True)
        double.member_change(TOKEN, 1006, "member")
        await double.wait_idle(TOKEN)
        await _wait_for_blocked(db, 1006, False)


async def _wait_for_blocked(db, user_id, expected):
    import asyncio

    for _ in range(100):
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
            ).scalar_one()
        if runner.blocked is expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"blocked never became {expected}")


async def test_an_error_gets_a_kind_reply_not_a_traceback(double, db, monkeypatch):
    from conversations import actions

    async def broken(ctx):
        raise RuntimeError("database exploded")

    monkeypatch.setitem(actions.COMMAND_ACTIONS, "help", broken)  # open before onboarding
    async with running_bot(double, db):
        chat = Chat(double, 1007)
        [reply] = await chat.say("/help")
    assert "something went wrong on my side" in reply.text
    assert "Traceback" not in reply.text and "exploded" not in reply.text


async def test_the_token_never_reaches_a_log_line(double, db, caplog):
    import logging

    from tests.conftest import TOKEN

    caplog.set_level(logging.DEBUG)
    async with running_bot(double, db):
        chat = Chat(double, 1008)
        await chat.say("/help")
        await chat.say("/language")
        # an HTTP library that logs each request's URL (httpx does, at INFO), token and all
        logging.getLogger("aiohttp.client").info(
            "HTTP Request: POST %s/bot%s/getUpdates", double.base_url.split("/bot")[0], TOKEN
        )
    assert "getUpdates" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
