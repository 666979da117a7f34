"""One living message: a conversation's questions edit one message in place (the answered
ones summarized above the next), a typed answer brings a new message and the old one loses
its buttons, and edits are safe to send again or to send to a message that is gone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench import taps
from conversations.sender import Sender
from storage import outbox as box
from storage.models import ConversationRow, OutboxRow, Runner, utcnow
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot, settle


async def conversation(db: Any, user_id: int) -> ConversationRow:
    async with db.session() as session:
        runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == user_id))
        assert runner is not None
        row = await session.get(ConversationRow, runner.id)
        assert row is not None
        return row


def question_buttons(message: Any) -> list[str]:
    return [d for row in message.buttons() for _, d in row if d and d.startswith("s|")]


async def test_a_checkin_by_buttons_is_one_message_edited_in_place(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8301)
        await onboard(chat, tests="no")
        mark = len(double.sent(8301))
        [first] = await chat.say("/checkin")
        assert "Check-in · question 1" in first.text
        [reply] = await choose(chat, "done")
        # the same message now shows the answer as one line, and the next question below
        assert reply.edited and reply.message_id == first.message_id
        assert "✓ How did today's session go? <b>Done as planned</b>" in reply.text
        assert "Check-in · question 2" in reply.text and "Worst pain" in reply.text
        await answer_flow(chat, db, taps.SYMPTOM_FREE)
    new_messages = [m for m in double.sent(8301)[mark:] if not m.edited]
    assert len(new_messages) == 1  # the question message became the result
    living = double.message(8301, first.message_id)
    assert "check-in is saved" in living.text
    assert living.text.count("✓") == 6  # one line for each of the 6 answers
    assert "<b>Done as planned</b>" in living.text and "Check-in · " not in living.text
    assert question_buttons(living) == []  # no question is left to answer


async def test_a_typed_answer_brings_a_new_message_and_the_old_one_loses_its_buttons(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8302)
        await onboard(chat, tests="no")
        [living] = await chat.say("/checkin")
        await choose(chat, "shorter")  # "Did less": the minutes, in place
        assert question_buttons(double.message(8302, living.message_id))
        [reply] = await chat.say("35")  # typed below the living message
        assert reply.message_id != living.message_id and not reply.edited
        assert "<b>35</b>" in reply.text and "Worst pain" in reply.text
        assert "Did less" not in reply.text  # the summaries begin again in the new message
        await settle(0.3)
        assert question_buttons(double.message(8302, living.message_id)) == []
        # bad typed input: a friendly reply, nothing stored, one question with buttons left
        before = await conversation(db, 8302)
        [bad] = await chat.say("eleven")
        assert "whole number from 0 to 10" in bad.text and "Worst pain" in bad.text
        await settle(0.3)
        after = await conversation(db, 8302)
        assert after.answers == before.answers and after.step == before.step == "pain_during"
        keyed = [m.message_id for m in double.screen(8302) if question_buttons(m)]
        assert keyed == [bad.message_id]
        assert after.question_message_id == bad.message_id
        # a button on the new message edits it in place again
        [edited] = await choose(chat, "2")
        assert edited.message_id == bad.message_id and "pain right now" in edited.text


async def test_the_morning_prompt_is_the_living_message(double, db, clock):
    async with running_bot(double, db, clock=clock) as app:
        chat = Chat(double, 8303)
        await onboard(chat, tests="no")
        await taps.checkin(chat, db, taps.SYMPTOM_FREE)
        clock.advance(days=1)
        run = await taps.morning(chat, db, clock, app, taps.MORNING_ALL_WELL)
    assert run.messages == 1  # the prompt asked, and became the answer
    [prompt] = [m for m in double.screen(8303) if "Morning check" in (m.text or "")]
    assert "handled the session well" in prompt.text and "✓" in prompt.text


async def _edit_row(db: Any, app: Any, chat_id: int, message_id: int, text: str) -> None:
    row = await conversation(db, chat_id)
    async with db.session() as session:
        added = box.add_reply(
            session,
            runner_id=row.runner_id,
            bot_id=app.bot.id,
            chat_id=chat_id,
            method="edit_text",
            payload={"text": text, "keyboard": [[("OK", "s|1|ok")]], "message_id": message_id},
            question_version=row.version,
        )
        await session.flush()
        added.created_at = utcnow()


async def test_an_edit_sent_twice_changes_nothing_and_one_to_a_lost_message_is_sent_new(
    double, db
):
    chat = Chat(double, 8304)
    async with running_bot(double, db) as app:
        [question] = await chat.say("/start")
        sender: Sender = app.bot_data["sender"]
        # the same edit twice, as after a kill between sending and recording it
        await _edit_row(db, app, 8304, question.message_id, "edited in place")
        await _edit_row(db, app, 8304, question.message_id, "edited in place")
        mark = len(double.sent(8304))
        assert await sender.flush(8304)  # "message is not modified" counts as sent
        assert [m.method for m in double.sent(8304)[mark:]] == ["editMessageText"]
        assert double.message(8304, question.message_id).text == "edited in place"
        # the message is gone (deleted, or too old to edit): the edit goes as a new message
        await app.bot.delete_message(8304, question.message_id)
        await _edit_row(db, app, 8304, question.message_id, "asked again")
        assert await sender.flush(8304)
        newest = double.screen(8304)[-1]
        assert newest.text == "asked again" and newest.message_id != question.message_id
        assert (await conversation(db, 8304)).question_message_id == newest.message_id
        async with db.session() as session:
            assert (await session.execute(select(OutboxRow.id))).all() == []


async def test_a_question_answered_since_is_never_sent_again(double, db):
    """A process died after sending a question (an edit, or a new message), before
    recording it; the runner answered it since. Sending the edit again would take the
    living message back a question; sending the message again would double it."""
    chat = Chat(double, 8305)
    async with running_bot(double, db) as app:
        [question] = await chat.say("/start")
        await choose(chat, "yes")  # the conversation moves on: version + 1
        now = await conversation(db, 8305)
        async with db.session() as session:
            for method, payload in (
                ("edit_text", {"text": "an older question", "message_id": question.message_id}),
                ("send", {"text": "an older question as a new message"}),
            ):
                box.add_reply(
                    session,
                    runner_id=now.runner_id,
                    bot_id=app.bot.id,
                    chat_id=8305,
                    method=method,
                    payload=payload,
                    question_version=now.version - 1,
                    owner="dead-process",
                    lease=timedelta(seconds=-1),  # its claim ran out
                )
        shown = double.message(8305, question.message_id).text
        before = len(double.sent(8305))
        sender: Sender = app.bot_data["sender"]
        await sender.sweep()
        await asyncio.sleep(0.1)
        assert double.message(8305, question.message_id).text == shown
        assert len(double.sent(8305)) == before  # neither sent: the runner answered it
        async with db.session() as session:
            assert (await session.execute(select(OutboxRow.id))).all() == []
