"""The loopback Bot API double, exercised by a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # until the shared conftest puts the repo on sys.path
    sys.path.insert(0, _ROOT)

from bot_api_double import BotApiDouble  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = "123456:TEST"
USER = 4242


@pytest.fixture
async def double() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as d:
        yield d


def build_app(d: BotApiDouble, token: str = TOKEN) -> Application:
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(d.base_url)
        .base_file_url(d.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def running(
    app: Application, handlers: Sequence[BaseHandler] = (), *, initialize: bool = True
) -> AsyncIterator[Application]:
    """initialize → start → start_polling, and the reverse on exit (short poll timeout)."""
    for handler in handlers:
        app.add_handler(handler)
    if initialize:
        await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        if initialize:
            await app.shutdown()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def test_urls_and_get_me(double: BotApiDouble) -> None:
    assert double.base_url.startswith("http://127.0.0.1:")
    assert double.base_url.endswith("/bot")
    async with Bot(TOKEN, base_url=double.base_url, base_file_url=double.base_file_url) as bot:
        me = await bot.get_me()
        assert me.id == 123456
        assert me.username == "runcoach123456_bot"
        assert me.is_bot
        # token never appears in the base url the double exposes
        assert "TEST" not in double.base_url


async def test_unauthorized_token_and_unknown_method(double: BotApiDouble) -> None:
    import aiohttp
    from telegram.error import InvalidToken

    with pytest.raises(InvalidToken):
        async with Bot("not-a-token", base_url=double.base_url):
            pass
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{double.base_url}{TOKEN}/fooBar") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with session.get(f"{double.base_url}{TOKEN}/getme") as resp:  # case-insensitive
            assert (await resp.json())["result"]["id"] == 123456
        # JSON bodies work too
        async with session.post(
            f"{double.base_url}{TOKEN}/sendMessage", json={"chat_id": USER, "text": "hi"}
        ) as resp:
            assert (await resp.json())["ok"] is True
    assert [m.text for m in double.sent(USER)] == ["hi"]


async def test_echo_and_command(double: BotApiDouble) -> None:
    seen_args: list[list[str]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen_args.append(list(context.args or []))
        assert update.effective_message is not None
        await update.effective_message.reply_text("<b>Welcome</b> &amp; hello", parse_mode="HTML")

    handlers: list[BaseHandler] = [
        CommandHandler("start", start),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
    ]
    async with running(build_app(double), handlers):
        n = double.mark(USER)
        mid = double.send_text(TOKEN, USER, "hello there")
        msgs = await double.wait_for(USER, since=n)
        assert [m.text for m in msgs] == ["echo: hello there"]
        assert msgs[0].message_id == mid + 1  # ids shared between user and bot messages
        assert msgs[0].method == "sendMessage"

        double.send_text(TOKEN, USER, "/start@runcoach123456_bot 5k")
        (welcome,) = await double.wait_for(USER)
        assert welcome.text == "<b>Welcome</b> &amp; hello"
        assert welcome.parse_mode == "HTML"
        assert welcome.plain_text == "Welcome & hello"
        assert seen_args == [["5k"]]
        await double.wait_idle(TOKEN)


async def test_callback_press_answer_and_edit(double: BotApiDouble) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Easy run", callback_data="run:easy")],
                [InlineKeyboardButton("Rest", callback_data="rest")],
            ]
        )
        await update.effective_message.reply_text("Pick one", reply_markup=keyboard)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message)
        assert isinstance(query.message.reply_markup, InlineKeyboardMarkup)
        await query.answer("Noted")
        await query.edit_message_text(f"You picked {query.data}")

    handlers: list[BaseHandler] = [
        CommandHandler("menu", menu),
        CallbackQueryHandler(on_press),
    ]
    async with running(build_app(double), handlers):
        double.send_text(TOKEN, USER, "/menu")
        (menu_msg,) = await double.wait_for(USER)
        assert menu_msg.buttons() == [[("Easy run", "run:easy")], [("Rest", "rest")]]
        assert menu_msg.button_data("Easy") == "run:easy"

        qid = double.press(TOKEN, USER, menu_msg.message_id, "run:easy")
        (edit,) = await double.wait_for(USER)
        assert edit.edited and edit.method == "editMessageText"
        assert edit.message_id == menu_msg.message_id
        assert edit.text == "You picked run:easy"
        # original updated in place; editMessageText without reply_markup drops the keyboard
        current = double.message(USER, menu_msg.message_id)
        assert current.text == "You picked run:easy"
        assert current.reply_markup is None
        assert double.callback_answers[-1]["callback_query_id"] == qid
        assert double.callback_answers[-1]["text"] == "Noted"


async def test_the_screen_shows_each_message_as_edited_and_entries_keep_what_they_showed(
    double: BotApiDouble,
) -> None:
    async with Bot(TOKEN, base_url=double.base_url) as bot:
        first = await bot.send_message(USER, "question 1")
        second = await bot.send_message(USER, "below")
        await bot.edit_message_text("question 2", chat_id=USER, message_id=first.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):  # sent again
            await bot.edit_message_text("question 2", chat_id=USER, message_id=first.message_id)
        await bot.delete_message(USER, second.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("gone", chat_id=USER, message_id=second.message_id)
    assert [m.text for m in double.screen(USER)] == ["question 2"]
    entries = double.sent(USER)
    assert [m.shown_text for m in entries] == ["question 1", "below", "question 2"]
    assert [m.text for m in entries] == ["question 2", "below", "question 2"]


async def test_edit_not_modified_and_markup_validation(double: BotApiDouble) -> None:
    async with Bot(TOKEN, base_url=double.base_url) as bot:
        msg = await bot.send_message(USER, "same")
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("same", chat_id=USER, message_id=msg.message_id)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
        with pytest.raises(BadRequest, match="reserved"):
            await bot.send_message(USER, "Run 5k.", parse_mode="MarkdownV2")
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(
                USER,
                "k",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("b", callback_data="x" * 65)]]
                ),
            )
        edited = await bot.edit_message_reply_markup(
            chat_id=USER,
            message_id=msg.message_id,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
        )
        assert not isinstance(edited, bool)
        assert edited.reply_markup is not None
        assert double.message(USER, msg.message_id).buttons() == [[("ok", "ok")]]
        assert [m.edited for m in double.sent(USER)] == [False, True]


async def test_uploads_arrive(double: BotApiDouble) -> None:
    png = b"\x89PNG\r\n\x1a\nfake-png-bytes"
    pdf = b"%PDF-1.4 fake"
    async with Bot(TOKEN, base_url=double.base_url, base_file_url=double.base_file_url) as bot:
        photo_msg = await bot.send_photo(
            USER, InputFile(png, filename="plan.png"), caption="<i>Week 1</i>", parse_mode="HTML"
        )
        assert photo_msg.photo and photo_msg.caption == "Week 1"
        doc_msg = await bot.send_document(USER, InputFile(pdf, filename="report.pdf"))
        assert doc_msg.document is not None
        assert doc_msg.document.file_name == "report.pdf"
        # files the bot uploaded can be downloaded back via getFile + file url
        tg_file = await bot.get_file(doc_msg.document.file_id)
        assert bytes(await tg_file.download_as_bytearray()) == pdf
        await bot.send_chat_action(USER, "typing")

    photo, doc = double.sent(USER)
    assert photo.method == "sendPhoto" and photo.photo == png and photo.filename == "plan.png"
    assert photo.text == "<i>Week 1</i>"
    assert doc.method == "sendDocument" and doc.document == pdf
    assert doc.filename == "report.pdf" and doc.mime_type == "application/pdf"
    assert double.chat_actions == [(USER, "typing")]


async def test_error_injection(double: BotApiDouble) -> None:
    async with Bot(TOKEN, base_url=double.base_url) as bot:
        double.fail_next("sendMessage", status=429, retry_after=7)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(USER, "hi")
        assert "Retry in 7 seconds" in str(info.value)  # retry_after, without the deprecation

        double.fail_next("sendMessage", status=403, chat_id=USER)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(USER, "hi")
        await bot.send_message(USER + 1, "other chat unaffected")
        await bot.send_message(USER, "ok again")

        double.fail_next("sendMessage", status=502, count=2)
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_message(USER, "hi")

        double.block_chat(USER)
        with pytest.raises(Forbidden):
            await bot.send_message(USER, "hi")
        double.unblock_chat(USER)
        await bot.send_message(USER, "unblocked")

    assert [m.text for m in double.sent(USER)] == ["ok again", "unblocked"]
    assert double.stats["too_many_requests"] == 1
    assert double.stats["sendMessage"] == 8


async def test_slow_answers(double: BotApiDouble) -> None:
    double.delay = 0.3
    async with Bot(TOKEN, base_url=double.base_url) as bot:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await bot.send_message(USER, "slow")
        assert loop.time() - t0 >= 0.3


async def test_enforce_rate(double: BotApiDouble) -> None:
    double.enforce_rate(5)
    async with Bot(TOKEN, base_url=double.base_url) as bot:
        results = await asyncio.gather(
            *(bot.send_message(USER, f"burst {i}") for i in range(12)), return_exceptions=True
        )
    limited = [r for r in results if isinstance(r, RetryAfter)]
    assert len(limited) == 7
    assert double.stats["too_many_requests"] == 7
    assert double.stats["sent"] == 5
    assert len(double.sent(USER)) == 5
    double.enforce_rate(None)


async def test_restart_loses_no_update(double: BotApiDouble) -> None:
    app = build_app(double)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    try:
        async with running(app, initialize=False):
            double.send_text(TOKEN, USER, "one")
            await double.wait_for(USER)
        # app is down: these are queued by "Telegram"
        double.send_text(TOKEN, USER, "two")
        double.send_text(TOKEN, USER, "three")
        await asyncio.sleep(0.2)
        assert double.pending_updates(TOKEN) == 2
        async with running(app, initialize=False):
            msgs = await double.wait_for(USER, 2)
            double.send_text(TOKEN, USER, "four")
            msgs += await double.wait_for(USER)
            await double.wait_idle(TOKEN)
    finally:
        await app.shutdown()
    texts = [m.text for m in double.sent(USER)]
    assert texts == ["echo: one", "echo: two", "echo: three", "echo: four"]


async def test_member_change_and_commands(double: BotApiDouble) -> None:
    statuses: list[str] = []

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        statuses.append(update.my_chat_member.new_chat_member.status)

    async with running(build_app(double), [ChatMemberHandler(on_member)]) as app:
        double.member_change(TOKEN, USER, "kicked")
        await double.wait_idle(TOKEN)
        with pytest.raises(Forbidden):
            await app.bot.send_message(USER, "are you there?")
        double.member_change(TOKEN, USER, "member")
        await double.wait_idle(TOKEN)
        await app.bot.send_message(USER, "welcome back")

        await app.bot.set_my_commands([("start", "Start"), ("plan", "Your plan")])
        await app.bot.set_my_commands([("start", "Starten")], language_code="de")
        await app.bot.set_my_description("Coach", language_code="en")
        assert [c.command for c in await app.bot.get_my_commands()] == ["start", "plan"]
        with pytest.raises(BadRequest):
            await app.bot.set_my_commands([("Bad-Command", "x")])
        for _ in range(20):
            if len(statuses) == 2:
                break
            await asyncio.sleep(0.05)
    assert statuses == ["kicked", "member"]
    assert double.commands(TOKEN) == [
        {"command": "start", "description": "Start"},
        {"command": "plan", "description": "Your plan"},
    ]
    assert double.commands(TOKEN, "de") == [{"command": "start", "description": "Starten"}]
    assert double.description(TOKEN, "en") == "Coach"


async def test_other_messages_and_edits_reach_handlers(double: BotApiDouble) -> None:
    kinds: list[str] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        assert msg is not None
        if update.edited_message is not None:
            kinds.append(f"edited:{msg.text}")
        elif msg.sticker:
            kinds.append("sticker")
        elif msg.photo:
            kinds.append("photo")
        elif msg.voice:
            kinds.append("voice")
            voice = await msg.voice.get_file()
            kinds.append(bytes(await voice.download_as_bytearray()).decode())
        else:
            kinds.append(f"text:{msg.text}")

    async with running(build_app(double), [MessageHandler(filters.ALL, record)]):
        mid = double.send_text(TOKEN, USER, "10k")
        double.send_text(TOKEN, USER, "12k", edited_of=mid)
        double.send_sticker(TOKEN, USER)
        double.send_photo_msg(TOKEN, USER)
        double.send_voice(TOKEN, USER, b"voice-bytes")
        await double.wait_idle(TOKEN)
        for _ in range(40):
            if len(kinds) == 6:
                break
            await asyncio.sleep(0.05)
    assert kinds == ["text:10k", "edited:12k", "sticker", "photo", "voice", "voice-bytes"]


async def test_two_bots_are_separate(double: BotApiDouble) -> None:
    other = "987654:OTHER"
    async with running(build_app(double), [MessageHandler(filters.TEXT, echo)]):
        double.send_text(other, USER, "for the other bot")
        double.send_text(TOKEN, USER, "for us")
        (msg,) = await double.wait_for(USER)
        assert msg.text == "echo: for us"
        assert double.pending_updates(other) == 1


def test_ids_do_not_repeat_across_runs() -> None:
    """A bot that keeps its database between runs (the playground) dedupes updates by message
    and callback ids: a new double must not hand out the ids of an earlier one."""
    import time

    first = BotApiDouble()
    time.sleep(0.25)
    second = BotApiDouble()
    assert second.first_id > first.first_id + 1
    assert second.first_id < 2**31  # message ids fit in 32 bits, as Telegram's do
    mid = second.send_text(TOKEN, USER, "hi")
    assert mid == second.first_id
    assert BotApiDouble(first_id=1).send_text(TOKEN, USER, "hi") == 1
