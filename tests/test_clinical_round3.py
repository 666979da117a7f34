"""What the runner (and their physio) reads after the third clinical review (issue 23):
a long gap, the nudge, the 48-hour look again, night pain in a morning check, and a review
while the physio holds the plan. Driven through the real bot over the Bot API double."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.scheduler import Scheduler
from conversations import prompts, sender
from conversations.context import Ctx, Services
from progression import first_level_of_stage
from storage.models import CheckInRow, Runner
from tests.conftest import Chat, Clock, answer_flow, choose, onboard, running_bot
from tests.test_careteam import PHYSIO, RUNNER, Person, join, runner_row

BONE_WORDS = "See a doctor before any further running or hopping"
L20 = first_level_of_stage(4) + 5  # 50 minutes easy


async def _compose(db: Any, clock: Any, user_id: int, kinds: list[str]) -> list[Any]:
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        await prompts.compose(ctx, kinds)
    return ctx.out


def _labels(message: Any) -> list[str]:
    return [label for row in message.buttons() for label, _ in row]


async def _ran_at_l20(db: Any, user_id: int, day: date) -> None:
    """The runner is at 50 minutes easy and ran it on ``day``."""
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        runner.level, runner.level_since = L20, day - timedelta(days=3)
        session.add(CheckInRow(
            runner_id=runner.id, day=day, outcome="done", minutes=55, pain_during=0,
            pain_after=0, sharp_or_limp=False, stiffness=0, swelling="none", rpe=3, mood=4,
            level=L20, running_minutes=50,
        ))


async def _checkin_run(chat: Chat, db: Any) -> list[Any]:
    await chat.say("/checkin")
    return await answer_flow(chat, db, {
        "outcome": "done", "pain_during": "0", "pain_after": "0", "rpe": "3", "mood": "4",
        "sleep": "7", "note": "skip",
    })


# ---------------------------------------------------------------- item 1 and 8: a long gap
async def test_after_43_days_today_names_the_gap_and_offers_the_reassessment(
    double, db, clock: Clock
):
    chat = Chat(double, 9301)
    async with running_bot(double, db, clock=clock):
        await onboard(chat, injury="achilles_tendinopathy")
        await _ran_at_l20(db, 9301, clock().date())
        clock.advance(days=44)
        [today] = await chat.say("/today")
    text = today.text or ""
    assert "It has been 43 days since your last run, so we go back to the start of the " \
           "walk/run intervals and a reassessment." in text
    assert "send /reassess" in text
    assert "Start reassessment" in _labels(today)
    # the day of a step back is no session; the walk/run entry is the next session
    assert "No session today" in text
    assert "Next session: Friday, Apr 17: Walk/run intervals, 35 minutes" in text
    assert (await runner_row(db, 9301)).level == first_level_of_stage(2)
    async with running_bot(double, db, clock=clock):
        [plan] = await chat.say("/plan")
    assert "Walk/run intervals · 35 minutes · 6 minutes running" in (plan.text or "")
    assert "50 minutes running" not in (plan.text or "")


async def test_the_nudge_says_how_long_it_has_been(double, db, clock: Clock):
    chat = Chat(double, 9302)
    async with running_bot(double, db, clock=clock):
        await onboard(chat, injury="achilles_tendinopathy")
        await _ran_at_l20(db, 9302, clock().date())
    clock.advance(days=44)
    [out] = await _compose(db, clock, 9302, [prompts.DAILY, prompts.NUDGE])
    assert "Your last check-in was 44 days ago." in out.text
    assert "a few days" not in out.text
    assert "since your last run, so we go back to the start" in out.text


async def test_no_nudge_on_the_next_planned_run_after_a_check_in(db, clock: Clock) -> None:
    """Runs on Mondays and Thursdays: three quiet days after Monday's check-in are the plan,
    not silence. A nudge comes once Thursday's run has passed without a check-in."""
    composed: list[tuple[date, list[str]]] = []

    async def compose(ctx: Ctx, kinds: list[str]) -> None:
        composed.append((ctx.today, sorted(kinds)))
        ctx.say("hi")

    class Sink:
        async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
            return type("M", (), {"message_id": 1})()

    clock.now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, before the reminder
    async with db.session() as session:
        runner = Runner(
            telegram_user_id=9303, chat_id=9303, language="en", time_zone="UTC",
            reminder_minute=7 * 60, reassess_weekday=6, status="active", injury="calf_strain",
            side="left", injury_date=date(2026, 1, 10), rest_pain=0, walk_pain=0,
            runs_per_week_before=2, minutes_per_week_before=60, run_days_per_week=2,
            preferred_days="0,3", level=first_level_of_stage(2) + 1,
            level_since=date(2026, 2, 20), consent_at=datetime(2026, 1, 1, tzinfo=UTC),
            next_due_at=datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
        )
        session.add(runner)
        await session.flush()
        session.add(CheckInRow(
            runner_id=runner.id, day=date(2026, 3, 2), outcome="done", minutes=35,
            pain_during=0, pain_after=0, sharp_or_limp=False, stiffness=0, swelling="none",
            rpe=3, mood=4, level=first_level_of_stage(2) + 1, running_minutes=12,
        ))
    scheduler = Scheduler(Sink(), Services(db=db, clock=clock), rate=None, compose=compose)
    for _ in range(6):
        clock.advance(hours=1)
        await scheduler.tick()
        clock.advance(hours=23)
    kinds = dict(composed)
    assert prompts.NUDGE not in kinds[date(2026, 3, 5)]  # Thursday: the planned run
    assert prompts.NUDGE in kinds[date(2026, 3, 6)]  # Friday: Thursday's run went unlogged


# ---------------------------------------------------------------- item 8: the look again
async def test_a_worse_morning_is_half_a_step_back_and_asked_again_48_hours_on(
    double, db, clock: Clock
):
    chat = Chat(double, 9304)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(chat, injury="achilles_tendinopathy")
        await _checkin_run(chat, db)
        clock.advance(days=1)
        outs = await _compose(db, clock, 9304, [prompts.DAILY, prompts.MORNING])
        await sender.deliver(app.bot, 9304, outs)
        for value in ("worse", "same", "none"):
            await choose(chat, value)
        [reply] = await choose(chat, "no")
        text = reply.text or ""
        assert "You woke up worse than before the session, so we take half a step back." in text
        assert "drop one level" not in text
        assert ("Before any step up, I'll look again at how it has settled: "
                "tomorrow (Wednesday, Mar 4).") in text
        clock.advance(days=1)  # 48 hours after the session: the morning check comes again
        outs = await _compose(db, clock, 9304, [prompts.DAILY])
        assert "Good morning" in outs[-1].text
        await sender.deliver(app.bot, 9304, outs)
        for value in ("worse", "same", "none"):
            await choose(chat, value)
        [reply] = await choose(chat, "no")
        assert "Two days after the session it still has not settled, so we drop one level." \
            in (reply.text or "")


# ---------------------------------------------------------------- item 5: night pain
async def test_night_pain_in_a_morning_check_refers_like_the_weekly_re_screen(
    double, db, clock: Clock
):
    morning_chat, screen_chat = Chat(double, 9305), Chat(double, 9306)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(morning_chat, injury="achilles_tendinopathy")  # not shin pain
        await onboard(screen_chat, injury="achilles_tendinopathy")
        await _checkin_run(morning_chat, db)
        clock.advance(days=1)
        outs = await _compose(db, clock, 9305, [prompts.DAILY, prompts.MORNING])
        await sender.deliver(app.bot, 9305, outs)
        for value in ("same", "same", "none"):
            await choose(morning_chat, value)
        [by_morning] = await choose(morning_chat, "yes")  # pain woke me at night
        await screen_chat.say("/reassess")
        [by_screen] = await choose(screen_chat, "night_pain")
    for reply in (by_morning, by_screen):
        assert BONE_WORDS in (reply.text or "")
        assert "A clinician examined me and cleared me" in _labels(reply)
    assert (await runner_row(db, 9305)).status == "referred"
    assert (await runner_row(db, 9306)).status == "referred"


# ---------------------------------------------------------------- item 6: the physio holds
async def test_while_the_physio_holds_the_plan_the_physio_is_asked_to_review(
    double, db, clock: Clock
):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner, injury="achilles_tendinopathy")
        await join(double, runner, physio, zone="Europe/Berlin")
        await physio.say("/patients")
        await physio.press(f"Open {runner.name}")
        await physio.press("Hold the plan")
        await physio.say("Let's see how the tendon takes it")
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        await scheduler.tick()
        replies: list[Any] = []
        for _ in range(3):  # three step backs for sharp pain within 28 days
            clock.advance(days=3)
            await runner.say("/checkin")
            replies = await answer_flow(runner, db, {
                "outcome": "done", "pain_during": "6", "pain_after": "2",
                "sharp_or_limp": "yes", "stiffness": "0", "swelling": "none", "rpe": "3",
                "mood": "4", "sleep": "7", "note": "skip",
            })
        said = replies[-1].text or ""
        assert "review your injury" not in said and "doctor" not in said
        assert "Your care team follows your plan, so I've let them know" in said
        mark = double.mark(PHYSIO)
        await scheduler.tick()
        alerts = await double.wait_for(PHYSIO, 2, since=mark)  # the step back, the review
    texts = " ".join(a.text or "" for a in alerts)
    assert "Please review: Ann Runner" in texts
    assert "Ann Runner had to step back 3 times in 28 days." in texts
    assert "rather than sending them to another clinician" in texts
