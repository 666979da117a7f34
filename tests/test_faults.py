"""Faults between runcoach, Telegram and the database: nothing the runner sent or was told is
lost, and no answer is stored against a question the runner has not seen."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot_api_double import DROP
from storage.models import ConversationRow, OutboxRow, ReceivedUpdateRow, Runner
from tests.conftest import TOKEN, Chat, choose, onboard, running_bot


async def conversation(db: Any, user_id: int) -> ConversationRow:
    async with db.session() as session:
        runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == user_id))
        assert runner is not None
        row = await session.get(ConversationRow, runner.id)
        assert row is not None
        return row


async def leftovers(db: Any) -> tuple[int, int]:
    async with db.session() as session:
        outbox = len((await session.execute(select(OutboxRow.id))).all())
        received = len((await session.execute(select(ReceivedUpdateRow.update_id))).all())
    return outbox, received


async def drained(db: Any, timeout: float = 20.0) -> tuple[int, int]:
    """The leftovers once the last replies are recorded as sent (a reply reaches the chat a
    moment before its row is recorded: wait for that event, not a fixed time)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = await leftovers(db)
        if left == (0, 0) or loop.time() > deadline:
            return left
        await asyncio.sleep(0.05)


async def wait_calls(double: Any, method: str, count: int, timeout: float = 15.0) -> None:
    """Until the bot has called ``method`` ``count`` times (an event, not a fixed wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while sum(1 for m, _ in double.calls if m == method) < count:
        assert loop.time() < deadline, f"{method} was not called {count} times"
        await asyncio.sleep(0.02)


async def question_after_failures(double: Any, db: Any, user_id: int, status: int) -> None:
    chat = Chat(double, user_id)
    async with running_bot(double, db):
        [welcome] = await chat.say("/start")
        assert "Getting started · 1/" in (welcome.text or "")  # the welcome and safety screen
        # the next question (the welcome edited in place) fails twice on its way (502 or a
        # dropped connection)
        double.fail_next("editMessageText", status=status, count=2, chat_id=user_id)
        [question] = await choose(chat, "yes", count=1)
        assert "·" in (question.text or "") and question.message_id == welcome.message_id
        await asyncio.sleep(0.2)  # the sender records it right after Telegram took it
        row = await conversation(db, user_id)
        assert row.question_message_id == question.message_id
        # shown once: the retry did not double it
        texts = [m.shown_text for m in double.sent(user_id)]
        assert texts.count(question.text) == 1
        await asyncio.sleep(0.1)
    assert await drained(db) == (0, 0)


async def test_a_reply_answered_with_502_is_sent_again(double, db):
    await question_after_failures(double, db, 8101, 502)


async def test_a_reply_whose_connection_drops_is_sent_again(double, db):
    await question_after_failures(double, db, 8102, DROP)


async def test_text_typed_at_a_question_whose_send_was_tried_is_answered(double, db):

    """The pain_after-for-pain_during mix-up, seen from the other side (issue 24): the edit
    carrying the next question was tried and failed (Telegram may have applied it, a 502
    does not say). A text typed now is never dropped in silence: it is read as the answer
    to that question (here not a valid one: the reason and the question come back), and
    nothing else is stored."""
    chat = Chat(double, 8103)
    async with running_bot(double, db):
        await chat.say("/start")
        before = await conversation(db, 8103)
        # the next question is the welcome edited in place: that edit fails for a while
        double.fail_next("editMessageText", status=502, count=3, chat_id=8103)
        mark = double.mark(8103)
        [welcome] = double.sent(8103)
        label = "None of these: let's start"
        data = welcome.button_data(label) if label in str(welcome.buttons()) else None
        assert data is not None
        double.press(TOKEN, 8103, welcome.message_id, data)
        await wait_calls(double, "editMessageText", 1)  # the consent is stored; tried
        row = await conversation(db, 8103)
        assert row.version == before.version + 1
        step = row.step
        double.send_text(TOKEN, 8103, "no")  # typed at a question whose send was tried
        replies = await chat.replies(mark, 2, timeout=15)
        assert "Please pick one of the buttons." in (replies[-1].text or "")
        row = await conversation(db, 8103)
        assert row.step == step and step not in row.answers  # "no" answers nothing here
    assert await drained(db) == (0, 0)


async def test_the_database_away_leaves_updates_unconfirmed_then_handles_them(double, db):
    chat = Chat(double, 8104)
    outage = {"on": False}
    real = db.sessions

    def sessions() -> Any:
        if outage["on"]:
            raise OperationalError("connect", {}, ConnectionRefusedError("database away"))
        return real()

    async with running_bot(double, db):
        await chat.say("/start")
        outage["on"] = True
        db.sessions = sessions
        try:
            mark = double.mark(8104)
            count = len(double.sent(8104))
            double.send_text(TOKEN, 8104, "/help")
            double.send_text(TOKEN, 8104, "/today")
            await asyncio.sleep(1.5)
            assert double.pending_updates(TOKEN) >= 2  # not confirmed to Telegram
            assert len(double.sent(8104)) == count  # and nobody was told "try again"
        finally:
            outage["on"] = False
            db.sessions = real
        replies = await double.wait_for(8104, 2, since=mark, timeout=20)
        assert "Here is what I can do" in (replies[0].text or "")
        await double.wait_idle(TOKEN, timeout=10)
        await asyncio.sleep(0.3)
        texts = [m.text for m in double.sent(8104)[count:]]
        # each update handled once: /help's text and /today's answer appear once each
        assert sum("Here is what I can do" in (t or "") for t in texts) == 1
        assert sum("haven't set up your plan" in (t or "") for t in texts) == 1
    assert await drained(db) == (0, 0)


async def test_replies_left_unsent_by_a_crash_go_out_on_start(double, db):
    """A reply written with its answer but never sent (the process died) goes out when the
    bot starts again."""
    chat = Chat(double, 8105)
    async with running_bot(double, db):
        await chat.say("/start")
    async with db.session() as session:
        runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == 8105))
        assert runner is not None
        session.add(
            OutboxRow(
                runner_id=runner.id,
                bot_id=int(TOKEN.split(":")[0]),
                chat_id=8105,
                method="send",
                payload={"text": "left behind", "keyboard": None},
                status="pending",
                attempts=0,
            )
        )
    mark = double.mark(8105)
    async with running_bot(double, db):
        [reply] = await double.wait_for(8105, 1, since=mark, timeout=10)
        assert reply.text == "left behind"
        await asyncio.sleep(0.2)
    assert await drained(db) == (0, 0)


# ---------------------------------------------------------------- 429s and the fence


def _limited_bot(double: Any, limiter: Any) -> Any:
    from telegram.ext import ExtBot

    return ExtBot(TOKEN, base_url=double.base_url, rate_limiter=limiter)


async def test_a_429_for_one_chat_does_not_hold_up_another_chat(double):
    """Order, not timing: the other chat's message is delivered while the rate-limited chat
    still waits out its retry_after (bench/faults.py measures the latency)."""
    from bot.delivery import PacedRateLimiter

    limiter = PacedRateLimiter(rate=29)
    bot = _limited_bot(double, limiter)
    async with bot:
        double.fail_next("sendMessage", status=429, retry_after=5, chat_id=8201)
        slow = asyncio.create_task(bot.send_message(8201, "to the rate-limited chat"))
        for _ in range(100):  # chat 8201 has met its 429 and is paused for 5 s
            if double.stats.get("too_many_requests", 0):
                break
            await asyncio.sleep(0.05)
        await bot.send_message(8202, "to another chat")
        assert not slow.done()  # the other chat did not wait behind the pause
        assert double.sent(8201) == []
        await slow
    assert [m.text for m in double.sent(8201)] == ["to the rate-limited chat"]
    assert [m.text for m in double.sent(8202)] == ["to another chat"]


def test_429s_from_many_chats_pause_everybody_and_long_waits_are_capped(caplog):
    import time

    from bot.delivery import MAX_RETRY_AFTER, PacedRateLimiter

    limiter = PacedRateLimiter(rate=29, global_after=3)
    assert limiter.on_429(1, 2.0) == 2.0
    assert limiter.chat_paused_for(1) > 1.5 and limiter.chat_paused_for(2) == 0
    assert limiter.pacer._next <= time.monotonic()  # one chat: nobody else waits
    limiter.on_429(2, 2.0)
    limiter.on_429(3, 2.0)  # a third chat within the window: the bot's own limit
    assert limiter.pacer._next > time.monotonic() + 1.5
    with caplog.at_level("WARNING"):
        assert limiter.on_429(4, 600.0) == MAX_RETRY_AFTER
    assert "600" in caplog.text


async def test_the_fence_is_taken_after_the_pacing_slot_right_before_the_write():
    """A scheduled delivery becomes ``sending`` only when its request is written, so
    requests waiting for their slot (or out a 429 pause) are still ``pending`` at a kill."""
    import time

    from bot.delivery import BEFORE_WRITE, Fence, PacedRateLimiter

    limiter = PacedRateLimiter(rate=10)
    events: list[tuple[str, int, float]] = []

    async def one(i: int) -> None:
        async def take() -> bool:
            events.append(("take", i, time.monotonic()))
            return True

        async def write() -> bool:
            events.append(("write", i, time.monotonic()))
            return True

        token = BEFORE_WRITE.set(Fence(take))
        try:
            await limiter.process_request(write, (), {}, "sendMessage", {"chat_id": i}, None)
        finally:
            BEFORE_WRITE.reset(token)

    await asyncio.gather(*(one(i) for i in range(6)))
    # each fence is held only from its slot to its write (at most about one interval, the
    # spacing checked again after the fence), never while waiting in the queue
    taken = {i: at for kind, i, at in events if kind == "take"}
    written = {i: at for kind, i, at in events if kind == "write"}
    assert set(taken) == set(written) == set(range(6))
    assert all(0 <= written[i] - taken[i] < 0.15 for i in range(6)), (taken, written)
    takes = [at for kind, _, at in events if kind == "take"]
    assert takes[-1] - takes[0] >= 0.4  # spaced by the pacer (10/s), not all up front


# ---------------------------------------------------------------- scheduled prompts


async def test_a_scheduled_morning_check_never_discards_a_conversation_in_progress(
    double, db, clock
):
    """The morning check falls due in the middle of /reassess: the reassessment's answers
    stay; the prompt offers a button that starts the morning check afterwards."""
    from conversations import sender
    from conversations.context import Ctx, Services
    from conversations.engine import SCHEDULED
    from conversations.morning import begin as start_morning_check
    from tests.test_conversations import _checkin

    chat = Chat(double, 8301)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await _checkin(chat)
        clock.advance(days=1)
        await chat.say("/reassess")
        before = await conversation(db, 8301)
        assert before.name == "reassess"
        await choose(chat, _first_option(chat))
        during = await conversation(db, 8301)
        assert during.answers  # an answer given
    async with db.session() as session:
        runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == 8301))
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        ctx.extra[SCHEDULED] = True
        await start_morning_check(ctx)
    after = await conversation(db, 8301)
    assert (after.name, after.step, after.answers, after.version) == (
        during.name,
        during.step,
        during.answers,
        during.version,
    )
    [offer] = ctx.out
    assert "Morning check" in offer.text and offer.keyboard
    async with running_bot(double, db, clock=clock) as app:
        await sender.deliver(app.bot, 8301, ctx.out)
        [morning] = await chat.press("Start it now")
    assert "Good morning" in (morning.text or "")
    assert (await conversation(db, 8301)).name == "morning"


def _first_option(chat: Chat) -> str:
    for row in chat.double.sent(chat.user_id)[-1].buttons():
        for _label, data in row:
            if data and data.startswith("s|"):
                return data.split("|", 2)[2]
    return "20"


# ---------------------------------------------------------------- bad input


async def test_odd_numbers_and_forged_buttons_raise_nothing(double, db, clock):
    from conversations.engine import parse_number

    assert parse_number("9" * 400) is None
    assert parse_number("1e999") is None
    chat = Chat(double, 8401)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await chat.say("/checkin")
        await choose(chat, "done")
        [again] = await chat.say("9" * 400)  # minutes: 400 digits
        assert "·" in (again.text or "")
        [again] = await chat.say("²")
        assert "·" in (again.text or "")
        question = double.sent(8401)[-1]
        [again] = await chat.press_data(question.message_id, "s|²|30")  # forged: stale
        assert "closed" in (again.text or "")
        [again] = await chat.say("/pause ²")
        assert "number of days" in (again.text or "")
        row = await conversation(db, 8401)
        assert "minutes" not in row.answers


async def test_a_forged_delete_confirmation_deletes_nothing(double, db, clock):
    chat = Chat(double, 8402)
    async with running_bot(double, db, clock=clock):
        await chat.say("/start")
        # a "yes" the runner was never shown: a fresh stamp, no server-side token
        stamp = int(clock().timestamp())
        message = double.sent(8402)[-1]
        for forged in (f"a|delete|yes.{stamp}", f"a|delete|yes.{stamp}.0123456789abcdef"):
            [reply] = await chat.press_data(message.message_id, forged)
            assert "closed" in (reply.text or "")
        await chat.say("/delete")
        [done] = await chat.press("Yes, delete everything")
        assert "all your data is deleted" in (done.text or "")
    async with db.session() as session:
        assert (await session.scalar(select(Runner).where(Runner.telegram_user_id == 8402))) is None


# ---------------------------------------------------------------- privacy on disk and in logs


async def test_sqlite_files_are_private_and_a_delete_leaves_nothing_readable(
    double, tmp_path, clock
):
    import os
    import stat

    from storage import Database
    from tests.test_progress import NOTE, seed_runner

    path = tmp_path / "private.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA secure_delete")).scalar() == 1
        await seed_runner(db, 8501)
        for suffix in ("", "-wal", "-shm"):
            if (tmp_path / f"private.sqlite3{suffix}").exists():
                mode = stat.S_IMODE(os.stat(tmp_path / f"private.sqlite3{suffix}").st_mode)
                assert mode == 0o600, (suffix, oct(mode))
        needle = NOTE.encode()
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("private.sqlite3*"))
        assert needle in on_disk  # the note is there before the deletion
        chat = Chat(double, 8501)
        async with running_bot(double, db, clock=clock):
            await chat.say("/delete")
            await chat.press("Yes, delete everything")
            await asyncio.sleep(0.3)
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("private.sqlite3*"))
        assert needle not in on_disk
    finally:
        await db.dispose()


async def test_what_runners_write_stays_out_of_the_logs_even_at_debug(double, db, caplog):
    import logging

    secret = "my-calf-secret-7421"
    chat = Chat(double, 8502)
    with caplog.at_level(logging.DEBUG):
        async with running_bot(double, db):
            await chat.say("/start")
            await chat.say(secret)
            await asyncio.sleep(0.2)
    assert caplog.records  # PTB and httpx did log at DEBUG
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()


# ---------------------------------------------------------------- fairness and edits


async def test_one_chat_flooding_does_not_delay_another_chat(double, db):
    flood, other = Chat(double, 8601), Chat(double, 8602)
    async with running_bot(double, db):
        await flood.say("/help")
        await other.say("/help")
        mark = double.mark(8601)
        for _ in range(300):
            double.send_text(TOKEN, 8601, "/help")
        await asyncio.sleep(0.3)  # the flood is being handled
        await other.say("/help")
        backlog = 300 - (len(double.sent(8601)) - mark)
        await double.wait_for(8601, 300, since=mark, timeout=120)
    # order, not timing: the other chat was answered while the flood was still being
    # worked through, so it did not queue behind it
    assert backlog > 50, backlog


async def test_an_edit_in_the_outbox_edits_the_message_and_records_its_id(double, db):
    """Conversations will edit one message in place: an edit is an outbox row like a send."""
    from conversations.sender import Sender
    from storage import outbox as box
    from storage.models import utcnow

    chat = Chat(double, 8603)
    async with running_bot(double, db) as app:
        [question] = await chat.say("/start")
        row = await conversation(db, 8603)
        async with db.session() as session:
            added = box.add_reply(
                session,
                runner_id=row.runner_id,
                bot_id=app.bot.id,
                chat_id=8603,
                method="edit_text",
                payload={
                    "text": "edited in place",
                    "keyboard": [[("OK", "s|1|ok")]],
                    "message_id": question.message_id,
                },
                question_version=row.version,
            )
            await session.flush()
            added.created_at = utcnow()
        sender: Sender = app.bot_data["sender"]
        assert await sender.flush(8603)
        edited = double.message(8603, question.message_id)
        assert edited.text == "edited in place"
        assert (await conversation(db, 8603)).question_message_id == question.message_id
    assert await drained(db) == (0, 0)


async def test_a_picture_that_cannot_be_rendered_or_was_lost_is_replaced_by_a_note(double, db):
    from conversations.context import Out
    from conversations.sender import LOST_ATTACHMENT, Sender
    from storage import outbox as box

    chat = Chat(double, 8604)

    def broken() -> bytes:
        raise RuntimeError("the chart library fell over")

    async with running_bot(double, db) as app:
        await chat.say("/start")
        row = await conversation(db, 8604)
        async with db.session() as session:
            rows = [
                box.add_reply(
                    session,
                    runner_id=row.runner_id,
                    bot_id=app.bot.id,
                    chat_id=8604,
                    method="photo",
                    payload={"text": "", "keyboard": None, LOST_ATTACHMENT: f"ask again {i}"},
                )
                for i in range(2)
            ]
            await session.flush()
        sender: Sender = app.bot_data["sender"]
        sender.hold({rows[0].id: Out(text="", photo=broken)})  # rows[1]: its process died
        assert await sender.flush(8604)
        assert [m.text for m in double.sent(8604)[-2:]] == ["ask again 0", "ask again 1"]
    assert await drained(db) == (0, 0)


async def test_a_reply_that_times_out_is_sent_again_once(double, db):
    """Telegram keeps the reply's request waiting past the read timeout (and never takes
    it): the sender tries again and the question arrives once."""
    from bot_api_double import HANG

    chat = Chat(double, 8605)
    double.hang_seconds = 1.5
    async with running_bot(double, db) as app:
        app.bot_data["sender"].read_timeout = 0.5
        await chat.say("/start")
        double.fail_next("editMessageText", status=HANG, count=1, chat_id=8605)
        [question] = await choose(chat, "yes")  # the welcome edited into the next question
        assert "·" in (question.text or "")
        await asyncio.sleep(1.5)  # the hung request is over; nothing more arrives
        texts = [m.shown_text for m in double.sent(8605)]
        assert texts.count(question.text) == 1
        calls = [
            c
            for m, c in double.calls
            if m == "editMessageText" and str(c.get("chat_id")) == "8605"
        ]
        edits = [m for m in double.sent(8605) if m.method == "editMessageText"]
        assert len(calls) == len(edits) + 1  # one request hung and timed out, then again
    assert await drained(db) == (0, 0)


async def test_stopping_in_a_flood_sends_no_reply_twice(double, db):
    """Issue 24, item 4: the process is told to stop while one chat has a queue of /help
    and every Bot API call is slow. It finishes the update in hand (its reply sent and
    recorded) and leaves the rest stored for the next start: no request is cut off midway
    (a reply Telegram took, unrecorded, would be sent again), each /help answered once."""
    double.delay = 0.3
    chat = Chat(double, 8190)
    asked = 40
    async with running_bot(double, db):
        await chat.say("/help")
        for _ in range(asked - 1):
            double.send_text(TOKEN, 8190, "/help")
        await double.wait_for(8190, 2, since=0)  # the queue is being worked through
    stopped_with = sum("Here is what I can do" in (m.text or "") for m in double.sent(8190))
    assert stopped_with < asked  # stopped in the middle of the flood
    async with running_bot(double, db):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while sum("Here is what I can do" in (m.text or "") for m in double.sent(8190)) < asked:
            assert loop.time() < deadline, "some /help never answered"
            await asyncio.sleep(0.1)
        await double.wait_idle(TOKEN, timeout=30)
        assert await drained(db) == (0, 0)
    answers = sum("Here is what I can do" in (m.text or "") for m in double.sent(8190))
    assert answers == asked


async def test_a_reply_committed_while_a_retry_holds_the_chat_goes_out_once(double, db):
    """A reply waits for its retry (Telegram answered 502). While the retry's request is on
    its way, the runner asks for /help again: the retry's flush of the chat takes the new
    answer along, so the update's own flush must not send it a second time."""
    chat = Chat(double, 8606)
    help_text = "Here is what I can do"

    def answers() -> int:
        return sum(help_text in (m.text or "") for m in double.sent(8606))

    async with running_bot(double, db):
        await chat.say("/help")
        sends = sum(1 for m, c in double.calls if m == "sendMessage")
        double.fail_next("sendMessage", status=502, chat_id=8606)
        double.send_text(TOKEN, 8606, "/help")
        await wait_calls(double, "sendMessage", sends + 1)  # refused: a retry is due
        gate = double.hold_next("sendMessage", chat_id=8606)
        await asyncio.wait_for(gate.reached.wait(), 15)  # the retry is on its way
        double.send_text(TOKEN, 8606, "/help")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while (await leftovers(db))[0] < 2:  # the third answer is committed, waiting
            assert loop.time() < deadline, "the third /help was not handled"
            await asyncio.sleep(0.02)
        gate.release()
        while answers() < 3:
            assert loop.time() < deadline, "an answer to /help never came"
            await asyncio.sleep(0.02)
        await double.wait_idle(TOKEN, timeout=15)
        assert await drained(db) == (0, 0)
    assert answers() == 3  # each /help answered once
