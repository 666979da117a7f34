"""Real recordings as runners send them, over the Bot API double (issue 25, issue 23 item 4):
a real 44-minute, 9 km run on a walking-only day of an Achilles tendinopathy gets its own
reply and alerts the care team; a real file damaged after 5 minutes is counted whole from its
own summary; a real 57-second run is told it is too short; and how to get a file is one tap
away, from /help and from a refused file's reply."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.scheduler import Scheduler
from storage.models import ActivityFileRow, CheckInRow, DecisionRow, Runner
from tests.conftest import Chat, answer_flow, running_bot
from tests.corpus import CORPUS_DIR
from tests.test_careteam import Person, join, labels
from tests.test_watch import FEELINGS, onboard_at, send_file

WALK30 = 7  # stage 1: a 30-minute brisk walk, no running
EASY60 = 22  # stage 4: an easy 60-minute run


def real(name: str) -> bytes:
    return (CORPUS_DIR / name).read_bytes()


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def test_a_real_run_on_a_walking_day_is_told_held_and_alerted(double, db, clock):
    """activity-small-fenix2-run.fit: 47 minutes, 44 of them running, 9 km, on 15 Aug 2015,
    sent that evening by an Achilles runner whose plan that day was a 30-minute walk."""
    clock.now = datetime(2015, 8, 15, 17, 0, tzinfo=UTC)
    runner = Person(double, 7801, "Ann Runner")
    physio = Person(double, 7802, "Dr Pia")
    async with running_bot(double, db, clock=clock) as app:
        await onboard_at(runner, db, WALK30, injury="achilles_tendinopathy")
        await join(double, runner, physio, zone="Europe/Berlin")
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        await scheduler.tick()
        mark_physio = double.mark(physio.user_id)
        upload, question = await send_file(
            runner, real("activity-small-fenix2-run.fit"), "Run.fit", count=2
        )
        said = upload.text or ""
        assert "47 min, 9 km, 44 min running" in said
        assert "This was well over your plan" in said
        assert "Planned for that day: Brisk walk, 30 min, no running." in said
        assert "Your watch measured 44 min of running in 47 min (9 km)" in said
        assert "Why it matters" in said and "the next morning" in said
        assert "What now: keep tomorrow easy" in said
        assert "I have let your care team know." in said
        assert "Worst pain in the injured area" in (question.text or "")

        result = (await answer_flow(runner, db, FEELINGS))[-1].text or ""
        assert "This was well over your plan" in result
        assert "It counts as your watch measured it" not in result
        async with db.session() as session:
            [c] = (await session.execute(select(CheckInRow))).scalars().all()
            decision = (
                await session.execute(select(DecisionRow).order_by(DecisionRow.id.desc()))
            ).scalars().first()
        assert (c.outcome, c.minutes, c.running_minutes) == ("over", 47, 44)
        assert decision is not None and decision.action == "repeat"
        assert "session_over_plan" in {r.get("code") for r in decision.reasons}

        await scheduler.tick()
        [alert] = await double.wait_for(physio.user_id, 1, since=mark_physio)
        text = alert.text or ""
        assert "Well over the plan: Ann Runner" in text
        assert "Ann Runner's watch measured 44 min of running in a 47-minute session (9 km)" in (
            text
        )
        assert "The plan for that day: Brisk walk, no running." in text
        assert "Open Ann Runner" in labels(alert)
        for _ in range(2):
            await scheduler.tick()
        assert len(double.sent(physio.user_id)) == mark_physio + 1  # once

        # the next morning, at the runner's reminder time: the morning-after check comes
        clock.advance(hours=14, minutes=45)  # 07:45 in Berlin
        mark_runner = double.mark(runner.user_id)
        await scheduler.tick()
        morning = await double.wait_for(runner.user_id, 1, since=mark_runner)
        assert any("All good: no worse, no swelling, no night pain" in labels(m)
                   for m in morning), [m.text for m in morning]


async def test_a_real_file_damaged_after_5_minutes_counts_the_whole_run(double, db, clock):
    """strava-android-app-201.10-b1218918.fit: a byte is lost after 5 minutes of records;
    the summary Strava wrote at the start says 59 minutes and 11.3 km."""
    clock.now = datetime(2021, 9, 27, 17, 0, tzinfo=UTC)
    chat = Chat(double, 7803)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db, EASY60)
        upload, _question = await send_file(
            chat, real("strava-android-app-201.10-b1218918.fit"), "Evening_Run.fit", count=2
        )
        said = upload.text or ""
        assert "59 min, 11.3 km, 59 min running" in said
        assert "damaged after its first 5 min" in said
        assert "that is what I counted" in said
        assert "export" not in said.lower()  # no dead-end advice
        assert "well over" not in said  # 59 minutes on a 60-minute plan


async def test_a_real_57_second_run_is_too_short_not_empty(double, db, clock):
    chat = Chat(double, 7804)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        [reply] = await send_file(chat, real("garmin-fenix-5-run.fit"), "Run.fit")
        assert "less than a minute of movement, too short to count" in (reply.text or "")
        assert "no timed movement" not in (reply.text or "")


async def test_how_to_get_a_file_from_help_and_from_a_refused_file(double, db, clock):
    chat = Chat(double, 7805)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db)
        [help_text] = await chat.say("/help")
        assert "/watch — Send a run from your watch or phone" in (help_text.text or "")
        [guide] = await chat.say("/watch")
        apps = ["Garmin Connect", "Strava", "COROS", "Polar Flow", "Suunto", "Apple Health"]
        assert labels(guide) == apps
        assert "Which app holds your run?" in (guide.text or "")
        [strava] = await chat.press("Strava")
        assert strava.message_id == guide.message_id  # the same message, edited
        assert "Export Original" in (strava.text or "") and "Strava" in (strava.text or "")
        assert "Strava" not in labels(strava) and "Apple Health" in labels(strava)
        [apple] = await chat.press("Apple Health")
        assert "HealthFit" in (apple.text or "")

        [refused] = await send_file(chat, b"%PDF-1.7 my plan", "plan.pdf")
        assert "none of these" in (refused.text or "")
        assert labels(refused) == ["How to send a file from your app"]
        [opened] = await chat.press("How to send a file from your app")
        assert labels(opened) == apps


async def test_the_guide_and_the_overrun_reply_in_german(double, db, clock):
    chat = Chat(double, 7806, language="de")
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db, 8)  # run 1 / walk 4: 6 minutes of running
        [guide] = await chat.say("/watch")
        assert "Welche App" in (guide.text or "")
        [garmin] = await chat.press("Garmin Connect")
        assert "Export Original" in (garmin.text or "") and "Datei" in (garmin.text or "")
        from tests.watch_files import continuous, fit_file

        upload, _ = await send_file(chat, fit_file(continuous(30)), "lauf.fit", count=2)
        said = upload.text or ""
        assert "deutlich über deinem Plan" in said
        assert "Geplant" in said and "Warum das wichtig ist" in said


async def test_a_real_file_with_no_date_asks_the_day_and_counts_it(double, db, clock):
    """compressed-speed-distance.fit: a Forerunner 70 whose clock was never set (every time
    counts from power-on). The runner says it was today; it becomes today's run, which was
    planned as a 60-minute easy run."""
    chat = Chat(double, 7807)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db, EASY60)
        summary, question = await send_file(
            chat, real("compressed-speed-distance.fit"), "Run.fit", count=2
        )
        assert "Your recording: 65 min, 10.2 km, 57 min running" in (summary.text or "")
        assert "Which day was it?" in (question.text or "")
        assert labels(question) == ["Today", "Yesterday", "2 days ago"]
        replies = await chat.press("Today", count=2)
        said = "\n".join(r.text or "" for r in replies)
        today = clock.now.astimezone(ZoneInfo("Europe/Berlin")).date()
        assert "Your run of Mar 2, 2026: 65 min, 10.2 km, 57 min running" in said
        assert "well over" not in said
        assert "Worst pain in the injured area" in said
        async with db.session() as session:
            [f] = (await session.execute(select(ActivityFileRow))).scalars().all()
        assert f.day == today and f.running_s > 56 * 60
        await chat.say("/cancel")
        again = await send_file(chat, real("compressed-speed-distance.fit"), "Run.fit", count=2)
        assert "Which day was it?" in (again[-1].text or "")  # the file says no more than before
        [told] = await chat.press("Today")
        assert "You have sent this recording before" in (told.text or "")


async def test_a_real_heart_rate_only_run_counts_as_the_watch_names_it(double, db, clock):
    """antfs-dump.63.fit: 57 minutes of heart rate, labelled running, no distance or speed."""
    chat = Chat(double, 7808)
    async with running_bot(double, db, clock=clock):
        await onboard_at(chat, db, EASY60)
        await send_file(chat, real("antfs-dump.63.fit"), "Run.fit", count=2)
        replies = await chat.press("Today", count=2)
        said = "\n".join(r.text or "" for r in replies)
        assert "57 min, 57 min running, heart rate 162" in said
        assert "heart rate only), so I counted it as your watch names it" in said
