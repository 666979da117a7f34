"""The weekly reassessment tells the truth (issue 10): nothing shown as passed unless asked or
measured, only the tests that fit the stage, a red-flag re-screen every time, and the
reassessment offered as soon as the plan waits for one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

import conversations.decisions as today_module
from progression import Reason, ReasonCode
from storage.models import ReassessmentRow, RedFlagRow, Runner
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot

NOT_TESTED_SWELLING = "➖ No swelling: not tested"
SAFETY = "First, the safety check: do you have any of these now?"


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def _latest_reassessment(db: Any) -> ReassessmentRow:
    async with db.session() as session:
        return (
            await session.execute(select(ReassessmentRow).order_by(ReassessmentRow.id.desc()))
        ).scalars().first()


async def _protect_stage_runner(chat: Chat, db: Any) -> None:
    """Pain at rest at onboarding: the plan starts in stage 0 (protect)."""
    await onboard(chat, rest_pain="4", walk_pain="4", tests="no")
    assert (await _runner(db, chat.user_id)).level == 0


async def test_swelling_not_asked_is_not_tested_and_no_hops_in_stage_0(double, db, clock):
    chat = Chat(double, 7401)
    async with running_bot(double, db, clock=clock):
        await _protect_stage_runner(chat, db)
        [first] = await chat.say("/reassess")
        assert SAFETY in first.text
        assert "None of these" in [label for row in first.buttons() for label, _ in row]
        # stage 0: no heel raises, no hops; answer_flow fails on any question not listed
        replies = await answer_flow(
            chat, db, {"screen": "none", "swelling": "skip", "rest_pain": "1", "daily_pain": "2"}
        )
    text = replies[-1].text
    assert NOT_TESTED_SWELLING in text
    assert "✅ No swelling" not in text
    row = await _latest_reassessment(db)
    assert row.swelling is None and row.hops_left is None and row.heel_raises_left is None
    assert (row.rest_pain, row.daily_pain) == (1, 2)
    assert {"code": "no_swelling", "passed": False, "tested": 0} in row.gates


async def test_swelling_from_yesterdays_checkin_is_reported_not_passed(double, db, clock):
    chat = Chat(double, 7402)
    async with running_bot(double, db, clock=clock):
        await _protect_stage_runner(chat, db)
        await chat.say("/checkin")
        await answer_flow(
            chat, db,
            {"outcome": "cross", "minutes": "30", "pain_during": "1", "pain_after": "1",
             "sharp_or_limp": "no", "stiffness": "2", "swelling": "mild", "rpe": "3",
             "mood": "4", "sleep": "7", "note": "skip"},
        )
        clock.advance(days=1)
        await chat.say("/reassess")
        # swelling is not asked again: yesterday's check-in said "a little"
        replies = await answer_flow(
            chat, db, {"screen": "none", "rest_pain": "0", "daily_pain": "1"}
        )
    text = replies[-1].text
    assert "❌ No swelling" in text and "✅ No swelling" not in text
    assert (await _latest_reassessment(db)).swelling == "mild"


async def test_no_hops_with_pain_at_rest_and_untested_gates_shown(double, db, clock):
    chat = Chat(double, 7403)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await chat.say("/reassess")
        replies = await answer_flow(
            chat, db,
            {"screen": "none", "swelling": "none", "rest_pain": "2", "heel_left": "25",
             "heel_right": "27", "ktw_left": "skip", "stiffness_min": "5", "walk_pain": "0",
             **{f"ready_{i}": "8" for i in range(6)}},
        )
    text = replies[-1].text
    assert "➖ Single-leg hops without pain: not tested" in text
    row = await _latest_reassessment(db)
    assert row.hops_left is None and row.hop_pain is None and row.rest_pain == 2


async def test_every_reassessment_rescreens_and_a_sign_refers(double, db, clock):
    chat = Chat(double, 7404)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        [first] = await chat.say("/reassess")
        assert SAFETY in first.text
        await chat.say("/cancel")
        clock.advance(days=7)
        [again] = await chat.say("/reassess")
        assert SAFETY in again.text and "Picking up" not in again.text
        [referral] = await choose(chat, "night_pain")
        assert "See a doctor before any further running or hopping" in referral.text
        assert "A clinician examined me and cleared me" in [
            label for row in referral.buttons() for label, _ in row
        ]
    runner = await _runner(db, 7404)
    assert runner.status == "referred"
    async with db.session() as session:
        flags = (await session.execute(select(RedFlagRow.flags).order_by(RedFlagRow.id))).all()
    assert flags[-1] == ("night_pain",)
    assert (await _latest_reassessment(db)).day < clock().date()  # only onboarding's tests


async def test_a_clear_rescreen_is_recorded(double, db, clock):
    chat = Chat(double, 7405)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await chat.say("/reassess")
        await answer_flow(
            chat, db,
            {"screen": "none", "swelling": "none", "rest_pain": "0", "daily_pain": "0",
             "heel_left": "30", "heel_right": "30", "hops_left": "10", "hops_right": "10",
             "hop_pain": "0", "ktw_left": "skip", "stiffness_min": "0", "walk_pain": "0",
             **{f"ready_{i}": "9" for i in range(6)}},
        )
    async with db.session() as session:
        flags = (await session.execute(select(RedFlagRow.flags).order_by(RedFlagRow.id))).all()
    assert flags == [("",), ("",)]  # onboarding's screen and the reassessment's


async def test_today_offers_the_reassessment_when_the_plan_waits_for_one(
    double, db, clock, monkeypatch
):
    real = today_module.decide

    def waiting(history: Any, day: Any) -> Any:
        d = real(history, day)
        return replace(d, reasons=(*d.reasons, Reason(ReasonCode.REASSESSMENT_NEEDED)))

    chat = Chat(double, 7406)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        monkeypatch.setattr(today_module, "decide", waiting)
        [reply] = await chat.say("/today")
        assert "send /reassess" in reply.text
        [question] = await chat.press("Start reassessment")
    assert SAFETY in question.text


async def test_onboarding_offers_the_retest_at_once_when_the_plan_waits_for_it(
    double, db, clock, monkeypatch
):
    """Placed at the top of the walking stage, the ready-to-run retest is offered right away,
    not only on the weekly day."""
    import conversations.onboarding as onboarding_module

    real = onboarding_module.start

    def placed(*args: Any) -> Any:
        d = real(*args)
        return replace(d, reasons=(*d.reasons, Reason(ReasonCode.REASSESSMENT_NEEDED)))

    monkeypatch.setattr(onboarding_module, "start", placed)
    chat = Chat(double, 7407)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        final = double.sent(7407)[-1]
        assert "Start reassessment" in [label for row in final.buttons() for label, _ in row]
        [question] = await chat.press("Start reassessment")
    assert SAFETY in question.text
