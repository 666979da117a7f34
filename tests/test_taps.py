"""Issue 12's tap limits, measured by driving the real bot through the double (bench/taps.py
drives the same conversations and prints the figures)."""

from __future__ import annotations

from sqlalchemy import select

from bench import taps
from storage.models import CheckInRow, MorningCheckRow
from tests.conftest import Chat, onboard, running_bot


async def test_onboarding_common_path_is_at_most_12_steps_with_one_counter_total(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        run = await taps.onboarding(Chat(double, 8101), db, taps.COMMON_PATH)
    assert run.taps <= 12, run.steps
    assert "plan is ready" in run.final
    assert run.totals == {"Getting started": {run.taps}}  # the counter never changes its total


async def test_onboarding_with_test_results_keeps_each_counter_total(double, db, clock):
    async with running_bot(double, db, clock=clock):
        run = await taps.onboarding(Chat(double, 8102), db, taps.ONBOARDING_ANSWERS)
    assert "plan is ready" in run.final
    assert all(len(totals) == 1 for totals in run.totals.values()), run.totals


async def test_symptom_free_checkin_is_at_most_6_taps_and_takes_the_planned_minutes(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8103)
        await onboard(chat, tests="no")
        run = await taps.checkin(chat, db, taps.SYMPTOM_FREE)
    assert run.taps <= 6, run.steps
    assert run.messages <= 3  # the questions are one message edited in place
    assert "minutes" not in run.steps and "stiffness" not in run.steps
    assert "check-in is saved" in run.final
    async with db.session() as session:
        row = (await session.execute(select(CheckInRow))).scalar_one()
    assert row.minutes > 0 and row.swelling is None and row.stiffness is None  # not asked


async def test_pain_asks_sharp_pain_stiffness_and_swelling_and_did_less_asks_minutes(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8104)
        await onboard(chat, tests="no")
        hurt = await taps.checkin(chat, db, taps.A_LITTLE_PAIN)
        clock.advance(days=1)
        # pain two days ago: stiffness and swelling are still asked after a painless session
        lately = await taps.checkin(chat, db, taps.DID_LESS)
    assert {"sharp_or_limp", "stiffness", "swelling"} <= set(hurt.steps)
    assert hurt.messages <= 3 and lately.messages <= 3  # however many questions
    assert "minutes" in lately.steps and {"stiffness", "swelling"} <= set(lately.steps)


async def test_a_skipped_session_is_at_most_2_taps(double, db, clock):
    async with running_bot(double, db, clock=clock) as app:
        chat = Chat(double, 8105)
        await onboard(chat, tests="no")
        typed = await taps.checkin(chat, db, taps.SKIPPED)
        clock.advance(days=1)
        prompt = await taps.skipped_from_prompt(chat, db, clock, app)
    assert typed.taps <= 2 and prompt.taps <= 2
    assert typed.messages <= 3 and prompt.messages <= 3
    assert "check-in is saved" in prompt.final


async def test_morning_all_well_is_at_most_2_taps_and_records_a_settled_morning(
    double, db, clock
):
    async with running_bot(double, db, clock=clock) as app:
        chat = Chat(double, 8106)
        await onboard(chat, tests="no")
        await taps.checkin(chat, db, taps.SYMPTOM_FREE)
        clock.advance(days=1)
        run = await taps.morning(chat, db, clock, app, taps.MORNING_ALL_WELL)
    assert run.taps <= 2
    assert run.messages <= 2  # the prompt asks, then becomes the answer
    assert "handled the session well" in run.final
    async with db.session() as session:
        row = (await session.execute(select(MorningCheckRow))).scalar_one()
    assert (row.pain, row.stiffness, row.swelling) == ("same", "same", "none")
    assert row.night_pain is False


async def test_morning_details_still_ask_night_pain(double, db, clock):
    async with running_bot(double, db, clock=clock) as app:
        chat = Chat(double, 8107)
        await onboard(chat, tests="no")
        await taps.checkin(chat, db, taps.SYMPTOM_FREE)
        clock.advance(days=1)
        run = await taps.morning(chat, db, clock, app, taps.MORNING_CHANGED)
    assert run.steps == ["pain", "stiffness", "swelling", "night_pain"]
    assert "handled the session well" not in run.final


async def test_the_one_step_safety_screen_takes_several_signs_and_rescreens_after_clearance(
    double, db, clock
):
    from storage.models import RedFlagRow

    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8108)
        [screen] = await chat.say("/start")
        assert "Hi! I'm runcoach" in screen.text and "6. Does the pain wake you" in screen.text
        [referral] = await chat.say("4 6")  # several signs: their numbers typed
        assert "·" not in referral.text
        await chat.press("A clinician examined me and cleared me")
        replies = await chat.press("With walking, as usual", count=2)
    async with db.session() as session:
        flags = (await session.execute(select(RedFlagRow.flags))).scalars().all()
    assert "bony_tenderness,night_pain" in flags
    # after the clearance only the safety screen is asked again, not the welcome
    assert "quick safety check" in replies[1].text and "Hi! I'm runcoach" not in replies[1].text


async def test_swelling_not_asked_in_a_painless_checkin_is_asked_at_the_reassessment(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8109)
        await onboard(chat, tests="no")
        checkin = await taps.checkin(chat, db, taps.SYMPTOM_FREE)
        clock.advance(days=1)
        reassessment = await taps.reassessment(chat, db)
    assert "swelling" not in checkin.steps
    # typed test results bring new messages; buttons edit in place
    assert reassessment.messages < reassessment.taps
    assert "swelling" in reassessment.steps  # never passed on an answer that was not given


async def test_a_synced_run_checkin_is_at_most_3_taps(db, clock):
    """Issue 29: a run that arrived from intervals.icu by itself (both doubles): the check-in
    asks only how it felt."""
    run = await taps.synced_run(db, clock)
    assert run.taps <= 3, run.steps
    assert run.steps == ["pain_during", "pain_after", "rpe"]
    assert run.messages <= 3
    assert "check-in is saved" in run.final
    async with db.session() as session:
        [c] = (await session.execute(select(CheckInRow))).scalars()
    assert (c.minutes, c.running_minutes, c.pain_during, c.rpe) == (35, 24, 0, 3)
