"""Conversations end to end over the Bot API double: onboarding, check-in, morning check,
reassessment, prescriptions, settings, and how bad input is handled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import (
    CheckInRow,
    ConversationRow,
    DecisionRow,
    MorningCheckRow,
    ReassessmentRow,
    RedFlagRow,
    Runner,
)
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot

REASSESS_ANSWERS = {
    "screen": "none",
    "swelling": "none",
    "rest_pain": "0",
    "daily_pain": "0",
    "heel_left": "20",
    "heel_right": "30",
    "hops_left": "6",
    "hops_right": "10",
    "hop_pain": "3",
    "ktw_left": "skip",
    "stiffness_min": "15",
    "walk_pain": "0",
    **{f"ready_{i}": "7" for i in range(6)},
}


async def _runner(db, user_id):
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def _count(db, model, runner_id):
    async with db.session() as session:
        return await session.scalar(
            select(func.count()).select_from(model).where(model.runner_id == runner_id)
        )


async def _conversation(db, runner_id):
    async with db.session() as session:
        return await session.get(ConversationRow, runner_id)


async def test_onboarding_ends_with_a_stage_and_a_first_session(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2001)
        final = await onboard(chat)
    assert "your plan is ready" in final
    assert "stage" in final and "Next session" in final
    runner = await _runner(db, 2001)
    assert runner.status == "active"
    assert runner.injury == "calf_strain" and runner.side == "left"
    assert runner.time_zone == "Europe/Berlin" and runner.reminder_minute == 7 * 60 + 30
    assert runner.preferred_days == "0,2,4"
    assert await _count(db, DecisionRow, runner.id) == 1
    assert await _count(db, RedFlagRow, runner.id) == 1  # screened, clear
    assert await _count(db, ReassessmentRow, runner.id) == 1  # the readiness tests


async def test_a_red_flag_stops_the_plan_and_refers(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2002)
        final = await onboard(chat, rf_clot_signs="yes")
        assert "blood clot" in final and "A doctor needs to assess you today" in final
        assert "doctor or physiotherapist" not in final
        runner = await _runner(db, 2002)
        assert runner.status == "referred"
        assert await _count(db, DecisionRow, runner.id) == 0
        [reply] = await chat.say("/today")
        assert "stopped until a clinician" in reply.text
        # Only a clinician's clearance ends it: /start offers that, not the safety questions.
        [again] = await chat.say("/start")
        assert "stopped until a clinician" in again.text
        assert "breathlessness or chest pain" not in again.text
        labels = [label for row in again.buttons() for label, _ in row]
        assert "A clinician examined me and cleared me" in labels


async def test_chest_pain_gets_urgent_wording(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2003)
        final = await onboard(chat, rf_chest_or_breath="yes")
    assert "emergency" in final and "112" in final


async def test_no_consent_starts_nothing(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2004)
        final = await onboard(chat, consent="no")
    assert "Nothing has started" in final
    runner = await _runner(db, 2004)
    assert runner.status == "new"


async def _checkin(chat, **answers):
    values = {
        "outcome": "done",
        "minutes": "30",
        "pain_during": "2",
        "pain_after": "1",
        "sharp_or_limp": "no",
        "stiffness": "1",
        "swelling": "none",
        "rpe": "4",
        "mood": "4",
        "sleep": "7.5",
        "note": "felt fine",
    }
    values.update(answers)
    if values["outcome"] == "done":  # done as planned: the planned minutes, not asked
        values.pop("minutes")
    await chat.say("/checkin")
    replies = []
    for value in values.values():
        replies = await choose(chat, value)
    return replies[-1].text


async def test_checkin_is_stored_and_answered_with_the_next_session(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2010)
        await onboard(chat)
        final = await _checkin(chat)
    assert "check-in is saved" in final
    assert "Next session" in final
    runner = await _runner(db, 2010)
    async with db.session() as session:
        [row] = (await session.execute(select(CheckInRow))).scalars().all()
    assert (row.runner_id, row.minutes, row.pain_during, row.pain_after) == (runner.id, 30, 2, 1)
    assert row.sleep_hours == 7.5 and row.note == "felt fine" and row.mood == 4


async def test_sharp_pain_steps_back(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2011)
        await onboard(chat)
        before = (await _runner(db, 2011)).level
        final = await _checkin(chat, pain_during="7", pain_after="6", sharp_or_limp="yes")
    assert "Sharp pain or limping means stop" in final
    runner = await _runner(db, 2011)
    assert runner.level <= before


async def test_bad_numbers_and_words_are_reasked_and_store_nothing(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2012)
        await onboard(chat)
        await chat.say("/checkin")
        await choose(chat, "shorter")  # "Did less" asks the minutes
        await choose(chat, "30")
        runner = await _runner(db, 2012)
        before = await _conversation(db, runner.id)
        for bad in ("11", "seven", "-1", "2.5", "", "7/10/10"):
            if not bad:
                continue
            [reply] = await chat.say(bad)
            assert "whole number from 0 to 10" in reply.text
            assert "Worst pain" in reply.text  # the same question again
        after = await _conversation(db, runner.id)
        assert after.step == before.step == "pain_during"
        assert after.answers == before.answers
        # Accepted forms: "7/10" and " 3 ".
        [reply] = await chat.say(" 3/10 ")
        assert "pain right now" in reply.text
        assert (await _conversation(db, runner.id)).answers["pain_during"] == 3


async def test_a_stale_button_says_the_question_closed(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2013)
        await onboard(chat)
        await chat.say("/checkin")
        first = double.sent(2013)[-1]
        data = first.button_data("Skipped it")  # the first question's button, kept
        await choose(chat, "shorter")  # "Did less" asks the minutes, in the same message
        assert "How many minutes" in chat.last_text()
        [reply] = await chat.press_data(first.message_id, data)
    assert "That question has closed" in reply.text
    assert "How many minutes" in reply.text
    # the living message shows the current question again, in place: no new message
    assert reply.message_id == first.message_id and "How many minutes" in chat.last_text()
    runner = await _runner(db, 2013)
    assert _given((await _conversation(db, runner.id)).answers) == {"outcome": "shorter"}


async def test_cancel_keeps_answers_and_the_same_questions_resume(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2014)
        await onboard(chat)
        await chat.say("/checkin")
        await choose(chat, "shorter")  # "Did less" asks the minutes
        await choose(chat, "25")
        [reply] = await chat.say("/cancel")
        assert "kept" in reply.text
        [reply] = await chat.say("4")
        assert "not sure what you mean" in reply.text
        [reply] = await chat.say("/checkin")
        assert "Picking up where you left off" in reply.text and "Worst pain" in reply.text


async def test_commands_work_in_the_middle_of_a_checkin(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2015)
        await onboard(chat)
        await chat.say("/checkin")
        await choose(chat, "shorter")  # "Did less" asks the minutes
        replies = await chat.say("/plan", count=2)
        assert "next 7 days" in replies[0].text
        assert "How many minutes" in replies[1].text
        [reply] = await choose(chat, "30")
        assert "Worst pain" in reply.text


async def test_stickers_and_edits_are_never_recorded(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2016)
        await onboard(chat)
        await chat.say("/checkin")
        await choose(chat, "shorter")  # "Did less" asks the minutes
        mark = double.mark(2016)
        double.send_sticker(chat.token, 2016)
        [reply] = await chat.replies(mark, 1)
        assert "only read text" in reply.text and "How many minutes" in reply.text
        mark = double.mark(2016)
        message_id = double.send_text(chat.token, 2016, "30")
        await chat.replies(mark, 1)
        mark = double.mark(2016)
        double.send_text(chat.token, 2016, "45", edited_of=message_id)
        [reply] = await chat.replies(mark, 1)
        assert "edits are not recorded" in reply.text
        runner = await _runner(db, 2016)
        assert (await _conversation(db, runner.id)).answers["minutes"] == 30


async def test_morning_check_that_has_not_settled_takes_half_a_step_back(double, db, clock):
    from conversations import sender
    from conversations.context import Ctx, Services
    from conversations.morning import begin as start_morning_check

    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2017)
        await onboard(chat)
        await _checkin(chat)
    clock.advance(days=1)
    runner = await _runner(db, 2017)
    # The scheduler opens the morning check with the next day's prompt; do what it does.
    async with db.session() as session:
        r = await session.get(Runner, runner.id)
        ctx = Ctx(services=Services(db=db), session=session, runner=r, now=clock())
        await start_morning_check(ctx)
    assert "Good morning" in ctx.out[-1].text
    async with running_bot(double, db, clock=clock) as app:
        await sender.deliver(app.bot, 2017, ctx.out)
        await choose(chat, "worse")
        await choose(chat, "same")
        await choose(chat, "none")
        [reply] = await choose(chat, "no")
    assert "Thanks for telling me." in reply.text and "step back" in reply.text
    assert "adjust" not in reply.text  # the headline is the decision's, said once
    assert await _count(db, MorningCheckRow, runner.id) == 1
    async with db.session() as session:
        last = (
            (
                await session.execute(
                    select(DecisionRow)
                    .where(DecisionRow.runner_id == runner.id)
                    .order_by(DecisionRow.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert last.action in ("step_back", "repeat", "rest")
    assert last.check_again in ("48h", "24h")


async def test_weekly_reassessment_reports_gates_and_what_to_work_on(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2018)
        await onboard(chat)
        await chat.say("/reassess")
        replies = await answer_flow(chat, db, REASSESS_ANSWERS)
    text = replies[-1].text
    assert "Your results" in text
    assert "❌" in text and "What to work on" in text
    runner = await _runner(db, 2018)
    async with db.session() as session:
        rows = (
            (
                await session.execute(
                    select(ReassessmentRow).where(ReassessmentRow.runner_id == runner.id)
                )
            )
            .scalars()
            .all()
        )
    latest = rows[-1]
    # readiness is asked only before stage 5 (stage 4); the walk test only in the walking stage
    assert (latest.heel_raises_left, latest.heel_raises_right, latest.readiness) == (20, 30, None)
    assert latest.knee_to_wall_left_cm is None and latest.walk_pain == 0
    assert any(not g["passed"] for g in latest.gates)


async def test_today_plan_and_why(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2019)
        await onboard(chat)
        [today] = await chat.say("/today")
        [plan] = await chat.say("/plan")
        [why] = await chat.say("/why")
    assert "Today" in today.text and today.buttons()
    assert plan.text.count(":") >= 7
    assert "Why this session" in why.text and "stage" in why.text


async def test_settings_pause_and_resume(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2020)
        await onboard(chat)
        [menu] = await chat.say("/settings")
        assert "Time zone: Berlin" in menu.text
        await chat.press("Time zone")
        [bad] = await chat.say("Atlantis")
        assert "don't know that time zone" in bad.text
        [saved] = await chat.say("Tokyo")
        assert "Saved" in saved.text and "Time zone: Tokyo" in saved.text
        [bad] = await chat.say("/pause soon")
        assert "number of days" in bad.text
        assert (await _runner(db, 2020)).status == "active"
        [paused] = await chat.say("/pause 10")
        assert "10 days" in paused.text
        runner = await _runner(db, 2020)
        assert runner.status == "paused"
        assert runner.paused_until == clock().astimezone(
            __import__("zoneinfo").ZoneInfo("Asia/Tokyo")
        ).date() + timedelta(days=10)
        [today] = await chat.say("/today")
        assert "paused" in today.text
        [back] = await chat.say("/resume")
        assert "Welcome back" in back.text
        runner = await _runner(db, 2020)
        assert runner.status == "active"
        # the scheduler will not welcome them back a second time today
        from storage import schedule

        async with db.session() as session:
            day = await schedule.latest_delivery_day(session, runner.id, "welcome_back")
        assert day is not None


async def test_checkin_counts_at_the_level_planned_for_today(double, db, clock):
    """A check-in records the level of today's planned session; "done" on a day planned
    without running counts as cross-training, not as a ladder session."""
    from conversations.context import Ctx, Services
    from conversations.decisions import current
    from progression import plan_week

    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2021)
        await onboard(chat)
    runner = await _runner(db, 2021)
    async with db.session() as session:
        r = await session.get(Runner, runner.id)
        ctx = Ctx(services=Services(db=db), session=session, runner=r, now=clock())
        _, history = await current(ctx)
        planned = plan_week(history, ctx.today)[0].prescription
    async with running_bot(double, db, clock=clock):
        await _checkin(chat)
    async with db.session() as session:
        row = (await session.execute(select(CheckInRow))).scalar_one()
    assert row.level == planned.level
    expected = "cross" if planned.kind.value in ("cross", "rest") and planned.stage > 0 else "done"
    assert row.outcome == expected


async def test_a_burst_of_answers_is_handled_in_order(double, db, clock):
    """Updates of one chat run one at a time in arrival order, even when they come at once."""
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 2022)
        await onboard(chat)
        await chat.say("/checkin")
        mark = double.mark(2022)
        for value in ("shorter", "35", "2", "1", "no", "3"):
            double.send_text(chat.token, 2022, value)
        await chat.replies(mark, 6)  # the six answers' replies (buttons taken off aside)
    runner = await _runner(db, 2022)
    answers = _given((await _conversation(db, runner.id)).answers)
    assert answers == {
        "outcome": "shorter",
        "minutes": 35,
        "pain_during": 2,
        "pain_after": 1,
        "sharp_or_limp": False,
        "stiffness": 3,
    }


def _given(answers: dict[str, object]) -> dict[str, object]:
    """The runner's answers, without what the flow keeps for itself (keys starting with _,
    such as the day a check-in began)."""
    return {k: v for k, v in answers.items() if not k.startswith("_")}
