"""Importing a run from the watch (issue 17), over the Bot API double: the runner sends a
real .fit/.gpx/.tcx document, the bot downloads it (getFile + the file URL), fills the
check-in with the measured minutes and asks only how it felt; the same file twice changes
nothing; a bad file gets a clear reply and stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.models import ActivityFileRow, CheckInRow, ConversationRow, Runner
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot
from tests.watch_files import (
    START,
    WRITERS,
    Part,
    continuous,
    cycling,
    fit_file,
    gpx_file,
    tcx_file,
    total_km,
    walk_run,
)

FEELINGS = {
    "pain_during": "1", "pain_after": "0", "sharp_or_limp": "no", "stiffness": "1",
    "swelling": "none", "rpe": "4", "mood": "4", "sleep": "7", "note": "skip",
}
MINUTES_QUESTIONS = ("How did today's session go?", "How many minutes")


RUN4_WALK1 = 11  # walk 5 + (run 4 / walk 1) x6: the session tests.watch_files.walk_run records


async def onboard_at(chat: Chat, db: Any, level: int = RUN4_WALK1, **answers: str) -> None:
    """Onboard, then stand at the level whose session the default recording matches (35
    minutes, 24 of them running), so that it is the day's plan, not a run well over it."""
    await onboard(chat, **answers)
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == chat.user_id))
        ).scalar_one()
        runner.level = level


async def send_file(
    chat: Chat, data: bytes, filename: str | None, *, count: int = 1, **kwargs: Any
) -> list[Any]:
    mark = chat.double.mark(chat.user_id)
    chat.double.send_document_msg(
        chat.token, chat.user_id, data, filename, language_code=chat.language, **kwargs
    )
    return await chat.replies(mark, count, timeout=20)


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def _stored(db: Any) -> tuple[list[CheckInRow], list[ActivityFileRow]]:
    async with db.session() as session:
        checkins = list((await session.execute(select(CheckInRow))).scalars())
        files = list((await session.execute(select(ActivityFileRow))).scalars())
    return checkins, files


async def _conversation(db: Any, user_id: int) -> tuple[str, str, dict[str, Any]]:
    runner = await _runner(db, user_id)
    async with db.session() as session:
        row = await session.get(ConversationRow, runner.id)
        return (row.name, row.step, dict(row.answers)) if row else ("", "", {})


@pytest.mark.parametrize("fmt", ["fit", "gpx", "tcx"])
async def test_an_uploaded_run_fills_the_checkin_and_only_feelings_are_asked(
    double, db, clock, fmt
):
    chat = Chat(double, 7701)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        clock.advance(hours=3)  # 10:00 in Berlin; the run started at 07:00
        data = WRITERS[fmt](walk_run())
        mark = double.mark(7701)
        replies = await send_file(chat, data, f"Morning_Run.{fmt}", count=2)
        summary, question = replies[0].text, replies[1].text
        assert "35 min, 4.8 km, 24 min running, cadence 164, heart rate 137" in summary
        assert "cadence cues now start from your own cadence, 164 steps" in summary
        assert "Worst pain in the injured area" in question
        assert "Check-in · question 1" in question  # the minutes are not counted as questions
        name, step, answers = await _conversation(db, 7701)
        assert (name, step) == ("checkin", "pain_during")
        assert answers["minutes"] == 35 and answers["running_minutes"] == 24
        asked = [m.text for m in await answer_flow(chat, db, FEELINGS)]
        assert "check-in is saved" in asked[-1]
        assert "It counts as your watch measured it: 35 min, 24 min of them running." in (
            asked[-1]
        )
        for text in (m.shown_text or "" for m in double.sent(7701)[mark:]):
            assert not any(q in text for q in MINUTES_QUESTIONS), text
        checkins, files = await _stored(db)
        [c] = checkins
        assert (c.minutes, c.running_minutes, c.measured_minutes) == (35, 24, 35)
        assert c.cadence_spm == 164 and c.avg_hr == 137
        assert abs(c.distance_m - total_km(walk_run()) * 1000) < 15
        assert c.day == START.date() and c.pain_during == 1 and c.rpe == 4
        [f] = files
        assert f.checkin_id == c.id and f.format == fmt
        assert (await _runner(db, 7701)).cadence_spm == 164

        # The same file again: said so, nothing changes.
        [again] = await send_file(chat, data, f"copy.{fmt}")
        assert "You have sent this recording before" in again.text
        assert "Nothing changed." in again.text
        assert _same(await _stored(db), c, f)
        assert (await _conversation(db, 7701))[0] == ""


def _same(stored: tuple[list[CheckInRow], list[ActivityFileRow]], c: Any, f: Any) -> bool:
    [c2], [f2] = stored
    return (c2.id, c2.minutes, c2.running_minutes, c2.measured_minutes) == (
        c.id, c.minutes, c.running_minutes, c.measured_minutes
    ) and (f2.id, f2.checkin_id) == (f.id, f.checkin_id)


async def test_the_same_file_twice_before_answering_changes_nothing(double, db, clock):
    chat = Chat(double, 7702)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        data = fit_file(continuous(25))
        await send_file(chat, data, "run.fit", count=2)
        before = await _conversation(db, 7702)
        [again] = await send_file(chat, data, "run.fit")
        assert "You have sent this recording before" in again.text
        assert await _conversation(db, 7702) == before
        checkins, files = await _stored(db)
        assert checkins == [] and len(files) == 1 and files[0].checkin_id is None


async def test_a_file_for_a_day_already_checked_in_adds_its_minutes(double, db, clock):
    chat = Chat(double, 7703)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await chat.say("/checkin")
        await answer_flow(chat, db, {"outcome": "shorter", "minutes": "20", **FEELINGS})
        [typed] = (await _stored(db))[0]
        assert typed.minutes == 20 and typed.measured_minutes is None
        [reply] = await send_file(chat, gpx_file(continuous(20)), "activity.gpx")
        assert "Added to your check-in of" in reply.text
        assert "it now counts 20 min, 20 min of them running" in reply.text
        [c], [f] = await _stored(db)
        assert c.id == typed.id and (c.minutes, c.running_minutes) == (20, 20)
        assert c.measured_minutes == 20 and c.cadence_spm == 166 and f.checkin_id == c.id
        assert (c.pain_during, c.rpe) == (typed.pain_during, typed.rpe)  # as answered
        # A second recording of the same day (a run split in two) adds to it.
        later = START + timedelta(minutes=40)
        [reply] = await send_file(chat, tcx_file(continuous(10), start=later), "b.tcx")
        assert "it now counts 30 min, 30 min of them running" in reply.text
        [c], files = await _stored(db)
        assert c.minutes == 30 and c.outcome == "shorter" and len(files) == 2
        # A third takes the day's running to 40 minutes on a 24-minute plan: well over it.
        later = START + timedelta(minutes=60)
        [reply] = await send_file(chat, fit_file(continuous(10), start=later), "c.fit")
        assert "This was well over your plan" in reply.text
        assert "Your watch measured 40 min of running in 40 min" in reply.text
        [c], files = await _stored(db)
        assert (c.outcome, c.minutes, c.running_minutes) == ("over", 40, 40)


async def test_typed_minutes_give_way_to_what_the_watch_measured(double, db, clock):
    """The file opened the check-in; the runner starts /checkin over and types 10 minutes:
    the session still counts for the 35 (24 running) the watch measured."""
    chat = Chat(double, 7715)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await send_file(chat, fit_file(walk_run()), "run.fit", count=2)
        await chat.say("/checkin")
        replies = await answer_flow(chat, db, {"outcome": "shorter", "minutes": "10", **FEELINGS})
        assert "It counts as your watch measured it: 35 min, 24 min of them running." in (
            replies[-1].text
        )
        [c], [f] = await _stored(db)
        assert (c.outcome, c.minutes, c.running_minutes) == ("shorter", 35, 24)
        assert f.checkin_id == c.id


async def test_a_cancelled_measured_checkin_resumes_with_its_minutes(double, db, clock):
    chat = Chat(double, 7716)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await send_file(chat, tcx_file(continuous(30)), "run.tcx", count=2)
        await chat.say("/cancel")
        [resumed] = await chat.say("/checkin")
        assert "Picking up where you left off" in resumed.text
        assert "Worst pain in the injured area" in resumed.text
        await answer_flow(chat, db, FEELINGS)
        [c], [f] = await _stored(db)
        assert (c.minutes, c.running_minutes, c.measured_minutes) == (30, 30, 30)
        assert f.checkin_id == c.id


async def test_a_file_sent_mid_checkin_keeps_the_answers_given(double, db, clock):
    chat = Chat(double, 7704)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await chat.say("/checkin")
        await choose(chat, "shorter")
        await choose(chat, "15")
        await choose(chat, "2")  # pain during
        replies = await send_file(chat, tcx_file(walk_run()), "run.tcx", count=2)
        assert "And the pain right now" in replies[-1].text
        _, step, answers = await _conversation(db, 7704)
        assert step == "pain_after" and answers["pain_during"] == 2
        assert answers["minutes"] == 35


def _no_change(before: Any, after: Any) -> None:
    assert [(c.id, c.minutes) for c in after[0]] == [(c.id, c.minutes) for c in before[0]]
    assert [f.id for f in after[1]] == [f.id for f in before[1]]


BAD = [
    ("corrupt", lambda: fit_file(continuous(20))[:60], "run.fit", "damaged before its first"),
    ("empty", lambda: b"", "run.gpx", "This file is empty"),
    ("route", lambda: gpx_file(continuous(20)).replace(b"<time>", b"<desc>").replace(
        b"</time>", b"</desc>"), "route.gpx", "no times in it"),
    ("short", lambda: fit_file([Part(40, 2.8, 166, 130)]), "short.fit", "less than a minute"),
    ("cycling", lambda: fit_file(cycling(), sport="cycling"), "ride.fit", "not a run or a walk"),
    ("unnamed ride", lambda: gpx_file(cycling(), kind=None), "ride.gpx", "not a run or a walk"),
    ("pdf", lambda: b"%PDF-1.7", "plan.pdf", "none of these"),
    ("text", lambda: b"just some words", "notes", "none of these"),
    ("old", lambda: fit_file(continuous(20), start=START - timedelta(days=5)), "old.fit",
     "I can add runs from today and the last 2 days only"),
    ("future", lambda: tcx_file(continuous(20), start=START + timedelta(days=3)), "f.tcx",
     "which is still to come"),
]


@pytest.mark.parametrize(("label", "make", "filename", "said"), BAD, ids=[b[0] for b in BAD])
async def test_a_bad_file_gets_a_clear_reply_and_stores_nothing(
    double, db, clock, label, make, filename, said
):
    chat = Chat(double, 7705)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        cadence = (await _runner(db, 7705)).cadence_spm
        before = await _stored(db)
        conversation = await _conversation(db, 7705)
        [reply] = await send_file(chat, make(), filename)
        assert said in reply.text
        assert "saved" in reply.text or "still to come" in reply.text
        _no_change(before, await _stored(db))
        assert await _conversation(db, 7705) == conversation
        assert (await _runner(db, 7705)).cadence_spm == cadence


async def test_too_large_is_refused_before_downloading(double, db, clock):
    chat = Chat(double, 7706)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        [reply] = await send_file(
            chat, fit_file(continuous(10)), "big.fit", file_size=21 * 1024 * 1024
        )
        assert "larger than 20 MB" in reply.text
        assert not [c for c, _ in double.calls if c == "getFile"]
        assert await _stored(db) == ([], [])


async def test_telegram_refusing_a_big_file_is_too_large(double, db, clock):
    """The message reports no size; Telegram's getFile says the file is too big."""
    chat = Chat(double, 7707)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        data = b"<" + b" " * (20 * 1024 * 1024 + 1)
        [reply] = await send_file(chat, data, "huge.gpx", file_size=0)
        assert "larger than 20 MB" in reply.text
        assert await _stored(db) == ([], [])


async def test_a_download_that_fails_asks_to_send_again_and_stores_nothing(double, db, clock):
    chat = Chat(double, 7713)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        double.fail_next("getFile", status=500)
        [reply] = await send_file(chat, fit_file(continuous(20)), "run.fit")
        assert "could not download the file from Telegram" in reply.text
        assert await _stored(db) == ([], [])
        replies = await send_file(chat, fit_file(continuous(20)), "run.fit", count=2)
        assert "20 min" in replies[0].text  # sent again, it goes through


async def test_a_gzipped_export_is_read(double, db, clock):
    import gzip

    chat = Chat(double, 7714)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        data = gzip.compress(gpx_file(walk_run()))
        replies = await send_file(chat, data, "Morning_Run.gpx.gz", count=2)
        assert "35 min, 4.8 km, 24 min running, cadence 164" in replies[0].text


async def test_a_file_mid_question_is_refused_and_the_question_asked_again(double, db, clock):
    chat = Chat(double, 7708)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await chat.say("/checkin")
        said, asked = await send_file(chat, b"", "run.fit", count=2)
        assert "This file is empty" in (said.text or "")  # a message of its own
        assert "How did today's session go?" in (asked.text or "")  # then the question again


async def test_a_newcomer_is_pointed_to_start(double, db, clock):
    chat = Chat(double, 7709)
    async with running_bot(double, db, clock=clock):
        [reply] = await send_file(chat, fit_file(continuous(20)), "run.fit")
        assert "Send /start to begin" in reply.text
        assert await _stored(db) == ([], [])


async def test_the_summary_in_the_runners_language(double, db, clock):
    chat = Chat(double, 7710, language="de")
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        replies = await send_file(chat, gpx_file(walk_run()), "lauf.gpx", count=2)
        assert "4,8 km" in replies[0].text  # German decimal comma, through Babel


async def test_the_measured_cadence_replaces_the_generic_cue(double, db, clock):
    """Once a file measured the runner's cadence, a run day's cue is +5-10 % on it."""
    from tests.test_clinical_checkin import _planned_run_day

    chat = Chat(double, 7711)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await send_file(chat, fit_file(walk_run()), "run.fit", count=2)
        assert (await _runner(db, 7711)).cadence_spm == 164
        await _planned_run_day(db, clock, 7711)
        await chat.say("/cancel")
        [today] = await chat.say("/today")
    assert "Aim for 172-180 steps a minute, a little quicker than your usual 164" in today.text
    assert "about 170-180 steps a minute" not in today.text


async def test_migration_0008_down_and_up_keeps_every_checkin(db):
    """Downgrading 0008 drops the recordings and the measured columns, keeps the check-ins
    (on SQLite too); upgrading again brings the table and the columns back."""
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config
    from storage.runners import get_or_create_runner

    async with db.session() as session:
        runner = await get_or_create_runner(session, 7790, 7790, "en")
        session.add(
            CheckInRow(
                runner_id=runner.id, day=START.date(), outcome="done", minutes=30,
                pain_during=0, pain_after=0, sharp_or_limp=False, stiffness=0,
                swelling="none", rpe=3, mood=3, level=8, running_minutes=20,
                measured_minutes=30, distance_m=4800.0, cadence_spm=164, avg_hr=140,
            )
        )
        session.add(
            ActivityFileRow(
                runner_id=runner.id, sha256="d" * 64, format="fit", day=START.date(),
                started_at=START, elapsed_s=1800, moving_s=1790, running_s=1200,
                distance_m=4800.0,
            )
        )

    def run(conn: Any, step: Any, revision: str) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        step(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.downgrade, "0007")
        rows = (await conn.execute(text("select minutes, running_minutes from checkins"))).all()
        assert rows == [(30, 20)]
    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.upgrade, "head")
    checkins, files = await _stored(db)
    assert [(c.minutes, c.measured_minutes) for c in checkins] == [(30, None)]
    assert files == []
    async with db.session() as session:  # the unique key is back: one file once per runner
        runner = await get_or_create_runner(session, 7790, 7790, "en")
        for _ in range(2):
            session.add(
                ActivityFileRow(
                    runner_id=runner.id, sha256="e" * 64, format="gpx", day=START.date(),
                    started_at=START, elapsed_s=60, moving_s=60, running_s=0, distance_m=90.0,
                )
            )
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_delete_removes_the_recordings(double, db, clock):
    chat = Chat(double, 7712)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        await send_file(chat, fit_file(walk_run()), "run.fit", count=2)
        assert len((await _stored(db))[1]) == 1
        await chat.say("/delete")
        await chat.press("Yes, delete everything")
    assert await _stored(db) == ([], [])


async def test_a_file_sent_during_a_reassessment_keeps_it_and_waits_for_the_checkin(
    double, db, clock
):
    chat = Chat(double, 7711)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        clock.advance(hours=3)
        await chat.say("/reassess")
        before = await _conversation(db, 7711)
        assert before[0] == "reassess"
        reply, asked = await send_file(chat, fit_file(walk_run()), "run.fit", count=2)
        assert "35 min, 4.8 km" in (reply.text or "")
        assert "finish these questions first" in (reply.text or "")
        assert "Weekly reassessment" in (asked.text or "")  # the open question again
        assert await _conversation(db, 7711) == before  # the reassessment stays as it was
        checkins, files = await _stored(db)
        assert checkins == [] and len(files) == 1 and files[0].checkin_id is None
        await chat.say("/cancel")
        await chat.say("/checkin")
        await answer_flow(chat, db, {"outcome": "done", **FEELINGS})
    [row], [recording] = await _stored(db)
    assert row.minutes == 35 and recording.checkin_id == row.id  # counted as measured


async def test_a_walk_uploaded_on_a_run_day_is_a_shorter_session_not_a_green_one(
    double, db, clock
):
    """Done as planned only when the watch measured the planned running too: a 35-minute
    walk on a walk/run day fills the check-in as "did less", so it cannot move the plan up."""
    from progression import first_level_of_stage
    from tests.watch_files import Part

    chat = Chat(double, 7712)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        async with db.session() as session:  # at the walk/run stage (as progression would be)
            query = select(Runner).where(Runner.telegram_user_id == 7712)
            runner = (await session.execute(query)).scalar_one()
            runner.level = first_level_of_stage(2)
        clock.advance(hours=3)
        [today] = await chat.say("/today")
        assert "Run " in (today.text or "")  # a session with running planned
        walk = [Part(35 * 60, 1.5, 112, 105)]
        await send_file(chat, fit_file(walk), "walk.fit", count=2)
        _, _, answers = await _conversation(db, 7712)
        assert answers["outcome"] == "shorter" and answers["running_minutes"] == 0
        await answer_flow(chat, db, FEELINGS)
    [row], _ = await _stored(db)
    assert row.outcome == "shorter" and row.minutes == 35 and (row.running_minutes or 0) == 0
