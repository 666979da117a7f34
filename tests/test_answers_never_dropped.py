"""An answer is never dropped in silence (issue 24, items 1 and 8).

Every Bot API call answers late here (the double's ``delay``), as on a busy machine: replies
are still on their way while the runner reads and acts. A typed answer to a question whose
send was attempted is taken (the runner may well have seen it); a text that came before its
question was even tried is answered at once with that question; the newest question's
buttons always work; no question stays shown twice with live buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot import metrics
from bot_api_double import LATE
from storage.models import OutboxRow, Runner
from tests.conftest import TOKEN, Chat, running_bot
from tests.storm import runner_row
from tests.test_faults import conversation, drained, wait_calls

SLOW = 0.15  # seconds every Bot API call takes (getUpdates aside)


async def seed(db: Any, uid: int) -> None:
    async with db.session() as session:
        session.add(runner_row(uid, datetime.now(UTC)))


def data_of(message: Any, value: str) -> str:
    for row in message.buttons():
        for _label, data in row:
            if data and data.startswith("s|") and data.split("|", 2)[2] == value:
                return data
    raise AssertionError(f"no button for {value!r} on {message.text!r}")


def live_question_messages(double: Any, uid: int, header: str) -> list[Any]:
    """Messages on the runner's screen that show ``header`` and still have buttons."""
    return [
        m
        for m in double.screen(uid)
        if header in (m.text or "") and any(d for row in m.buttons() for _l, d in row)
    ]


def shown(double: Any, uid: int, header: str) -> int:
    """How many times a question was put on the runner's screen (buttons taken off a
    message do not show it again)."""
    return sum(
        header in (m.shown_text or "")
        for m in double.sent(uid)
        if m.method != "editMessageReplyMarkup"
    )


async def at_minutes(double: Any, db: Any, uid: int) -> Any:
    """A running check-in at its second question (the minutes), a button pressed."""
    await seed(db, uid)
    chat = Chat(double, uid)
    [first] = await chat.say("/checkin")
    [minutes] = await chat.press_data(first.message_id, data_of(first, "shorter"))
    assert "question 2" in (minutes.text or "")
    return chat, minutes


async def test_an_answer_typed_while_its_questions_edit_awaits_its_answer_is_taken(double, db):
    """The edit carrying the next question reached Telegram, but its HTTP answer never came
    (slower than the read timeout): the runner saw the question and types the answer."""
    double.delay = SLOW
    double.hang_seconds = 2.5
    uid = 24_101
    async with running_bot(double, db) as app:
        app.bot_data["sender"].read_timeout = 1.0
        chat, minutes = await at_minutes(double, db, uid)
        double.fail_next("editMessageText", status=LATE, chat_id=uid)
        mark = double.mark(uid)
        double.press(TOKEN, uid, minutes.message_id, data_of(minutes, "30"))
        [pain] = await double.wait_for(uid, 1, since=mark, timeout=10)
        assert "question 3" in (pain.text or "")  # on the runner's screen, answer pending
        replies = await chat.say("2", timeout=15)  # typed while the edit's answer is awaited
        assert "question 4" in (replies[-1].text or "")
        row = await conversation(db, uid)
        assert row.answers["pain_during"] == 2 and row.step == "pain_after"
        # the late edit is not shown again: question 3 appeared once
        assert shown(double, uid, "question 3") == 1
    assert await drained(db) == (0, 0)


async def test_text_that_came_before_its_question_was_sent_is_answered_at_once(double, db):
    """The next question waits behind a reply Telegram has not taken yet (never tried):
    a text typed meanwhile cannot answer it. The runner is told so at once, with the
    question; nothing is stored, the question is shown once and counted in /metrics."""
    double.delay = SLOW
    uid = 24_102
    before = metrics.ANSWERS_NOT_TAKEN._value.get()
    async with running_bot(double, db):
        chat, _minutes = await at_minutes(double, db, uid)
        # a typed answer takes the buttons off the minutes question, then asks question 3
        # as a new message; taking the buttons off fails three times first
        double.fail_next("editMessageReplyMarkup", status=502, count=3, chat_id=uid)
        calls = sum(1 for m, _ in double.calls if m == "editMessageReplyMarkup")
        mark = double.mark(uid)
        double.send_text(TOKEN, uid, "30")
        await wait_calls(double, "editMessageReplyMarkup", calls + 1)  # it failed once
        double.send_text(TOKEN, uid, "2")  # the runner, impatient: question 3 never came
        [told] = await chat.replies(mark, 1, timeout=20)
        text = told.text or ""
        assert "haven't taken that as an answer" in text and "question 3" in text
        row = await conversation(db, uid)
        assert row.answers["minutes"] == 30 and "pain_during" not in row.answers
        assert row.step == "pain_during"
        # the untried question gave way to the one that says why: shown once, live there
        await drained(db)
        assert shown(double, uid, "question 3") == 1
        live = live_question_messages(double, uid, "question 3")
        assert [m.message_id for m in live] == [told.message_id]
        # the answer to it now is taken
        [after] = await chat.press_data(live[0].message_id, data_of(live[0], "2"))
        assert "question 4" in (after.text or "")
    assert metrics.ANSWERS_NOT_TAKEN._value.get() == before + 1
    assert await drained(db) == (0, 0)


async def test_the_newest_questions_buttons_work_while_earlier_replies_are_sent(double, db):
    """/today in the middle of a check-in asks the open question again as a new message;
    pressing its buttons (and typing the next answer right after) works even while the
    replies before it are still on their way."""
    double.delay = SLOW
    uid = 24_103
    async with running_bot(double, db):
        chat, _minutes = await at_minutes(double, db, uid)
        replies = await chat.say("/today", count=2)
        newest = replies[-1]
        assert "question 2" in (newest.text or "")
        mark = double.mark(uid)
        double.press(TOKEN, uid, newest.message_id, data_of(newest, "30"))
        double.send_text(TOKEN, uid, "2")  # typed at once, the edit may still be on its way
        shown = await chat.replies(mark, 2, timeout=20)
        assert "question 3" in (shown[0].text or "")
        assert "question 4" in (shown[-1].text or "")
        assert "closed" not in " ".join(m.text or "" for m in shown)
        row = await conversation(db, uid)
        assert row.answers["minutes"] == 30 and row.answers["pain_during"] == 2
        await drained(db)
        assert len(live_question_messages(double, uid, "question")) == 1


async def test_a_question_sent_twice_keeps_live_buttons_on_one_copy_only(double, db):
    """Telegram took the next question but the answer was lost: it is sent again (two
    messages). Once the runner answers on one copy, the other has no buttons left, and a
    copy pressed after the conversation ended loses its buttons too."""
    double.delay = SLOW
    double.hang_seconds = 2.0
    uid = 24_104
    async with running_bot(double, db) as app:
        app.bot_data["sender"].read_timeout = 1.0
        chat, _minutes = await at_minutes(double, db, uid)
        double.fail_next("sendMessage", status=LATE, chat_id=uid)
        mark = double.mark(uid)
        double.send_text(TOKEN, uid, "30")  # question 3 comes as a new message, twice
        copies = await chat.replies(mark, 2, timeout=20)
        assert all("question 3" in (m.text or "") for m in copies)
        await drained(db)
        first, second = copies
        old_screen = data_of(second, "2")  # what the other copy offered
        [q4] = await chat.press_data(first.message_id, data_of(first, "2"))
        assert "question 4" in (q4.text or "")
        await drained(db)
        live = live_question_messages(double, uid, "question")
        assert [m.message_id for m in live] == [first.message_id]
        # the other copy (pressed anyway, from an old screen) says the question has closed
        # and keeps no buttons
        mark = double.mark(uid)
        double.press(TOKEN, uid, second.message_id, old_screen)
        await chat.replies(mark, 1, timeout=15)
        await drained(db)
        live = live_question_messages(double, uid, "question")
        assert len(live) == 1 and live[0].message_id not in (first.message_id, second.message_id)
        async with db.session() as session:
            runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == uid))
            assert runner is not None
            waiting = await session.scalar(select(func.count()).select_from(OutboxRow))
        assert waiting == 0
