"""Every session counts for what was done (issue 11), the stored decision is what is shown
(issue 10, items 4 and 6) and the advice to see a clinician is said once (item 8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select

import conversations.checkin as checkin_module
import conversations.decisions as today_module
from conversations.context import Ctx, Services
from progression import Action, Reason, ReasonCode, plan_week
from storage.models import CheckInRow, DecisionRow, Runner
from tests.conftest import Chat, answer_flow, choose, onboard, running_bot

CHECKIN = {
    "pain_during": "1", "pain_after": "0", "sharp_or_limp": "no", "stiffness": "1",
    "swelling": "none", "rpe": "3", "mood": "4", "sleep": "7", "note": "skip",
}
ESCALATION = Reason(
    ReasonCode.CLINICIAN_REVIEW_ADVISED, (("why", "step_backs"), ("step_backs", 3), ("days", 28))
)
SAID_ONCE = "We had to step back 3 times in 28 days"
STANDING = "Please ask a doctor or physiotherapist to review your injury"


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def _planned_run_day(db: Any, clock: Any, user_id: int) -> Any:
    """Put the runner on the walk/run ladder and move the clock to the next day with running
    planned; returns that prescription."""
    from progression import first_level_of_stage

    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()
        runner.level = first_level_of_stage(2) + 1
    for _ in range(7):
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
            ).scalar_one()
            ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
            _, history = await today_module.current(ctx)
            planned = plan_week(history, ctx.today)[0].prescription
        if planned.running_minutes:
            return planned
        clock.advance(days=1)
    raise AssertionError("no run day in a week")


async def _rows(db: Any) -> list[CheckInRow]:
    async with db.session() as session:
        return list((await session.execute(select(CheckInRow).order_by(CheckInRow.id))).scalars())


async def test_did_less_stores_the_running_minutes_in_proportion(double, db, clock):
    chat = Chat(double, 7501)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        planned = await _planned_run_day(db, clock, 7501)
        half = max(1, planned.total_minutes // 2)
        await chat.say("/checkin")
        answers = {"outcome": "shorter", "minutes": str(half), **CHECKIN}
        replies = await answer_flow(chat, db, answers)
    assert "check-in is saved" in replies[-1].text
    [row] = await _rows(db)
    assert row.outcome == "shorter" and row.minutes == half
    expected = round(planned.running_minutes * half / planned.total_minutes)
    assert row.running_minutes == expected < planned.running_minutes


async def test_done_as_planned_takes_the_planned_minutes(double, db, clock):
    chat = Chat(double, 7502)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        planned = await _planned_run_day(db, clock, 7502)
        await chat.say("/checkin")
        await answer_flow(chat, db, {"outcome": "done", **CHECKIN})  # minutes are not asked
    [row] = await _rows(db)
    assert (row.minutes, row.running_minutes) == (planned.total_minutes, planned.running_minutes)


async def test_cross_training_keeps_the_pain_questions(double, db, clock):
    chat = Chat(double, 7503)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await chat.say("/checkin")
        await answer_flow(
            chat, db,
            {"outcome": "cross", "minutes": "40", **CHECKIN, "pain_during": "8",
             "sharp_or_limp": "yes"},
        )
    [row] = await _rows(db)
    assert (row.outcome, row.pain_during, row.sharp_or_limp, row.running_minutes) == (
        "cross", 8, True, 0
    )


async def test_today_stores_a_decision_acting_on_a_new_event_once(double, db, clock, monkeypatch):
    """A step back that keeps the level (at the bottom of the ladder) is stored the first time
    /today meets it, so the engine sees it acted on and never acts on it again."""
    chat = Chat(double, 7504)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        runner = await _runner(db, 7504)
        event = Reason(ReasonCode.SWELLING_72H, (("days", 4), ("event_day", "2026-03-01")))
        real = today_module.decide
        seen: list[Any] = []

        def acting(history: Any, day: date) -> Any:
            seen.append(history.past)
            d = real(history, day)
            if any(event.event in p.events for p in history.past):
                return d  # acted on already: the engine moves on
            return replace(d, action=Action.STEP_BACK, level=runner.level,
                           reasons=(event, *d.reasons))

        monkeypatch.setattr(today_module, "decide", acting)
        async with db.session() as session:
            before = await session.scalar(select(func.count()).select_from(DecisionRow))
        [first] = await chat.say("/today")
        for command in ("/plan", "/why", "/today"):
            await chat.say(command)
    async with db.session() as session:
        rows = list((await session.execute(select(DecisionRow).order_by(DecisionRow.id))).scalars())
    assert len(rows) == before + 1
    assert rows[-1].action == "step_back" and rows[-1].level == runner.level
    assert rows[-1].reasons[0] == {"code": "swelling_72h",
                                   "values": {"days": 4, "event_day": "2026-03-01"}}
    assert "2026-03-01" not in first.text  # event_day is never shown
    assert any(event.event in p.events for p in seen[-1])


async def test_clinician_review_is_said_once_and_stays_in_today(double, db, clock, monkeypatch):
    real = checkin_module.decide

    def escalating(history: Any, day: date) -> Any:
        d = real(history, day)
        return replace(d, reasons=(*d.reasons, ESCALATION))

    chat = Chat(double, 7505)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        monkeypatch.setattr(checkin_module, "decide", escalating)
        monkeypatch.setattr(today_module, "decide", escalating)
        await chat.say("/checkin")
        first = await answer_flow(chat, db, {"outcome": "shorter", "minutes": "10", **CHECKIN})
        clock.advance(days=1)
        await chat.say("/checkin")
        second = await answer_flow(chat, db, {"outcome": "shorter", "minutes": "10", **CHECKIN})
        [today] = await chat.say("/today")
    assert SAID_ONCE in first[-1].text
    assert SAID_ONCE not in second[-1].text and STANDING not in second[-1].text
    assert STANDING in today.text


def test_running_minutes_in_proportion_never_exceed_the_plan() -> None:
    from progression import Outcome, Prescription, SessionKind

    planned = Prescription(kind=SessionKind.WALK_RUN, level=9, stage=2, segments=(),
                           total_minutes=30, running_minutes=12, rpe_max=4, cues=())
    done = checkin_module.minutes_done
    assert done(Outcome.DONE, {}, planned) == (30, 12)
    assert done(Outcome.SHORTER, {"minutes": 15}, planned) == (15, 6)
    assert done(Outcome.SHORTER, {"minutes": 45}, planned) == (45, 12)
    assert done(Outcome.CROSS, {"minutes": 40}, planned) == (40, 0)
    assert done(Outcome.SKIPPED, {}, planned) == (0, 0)
    rest = replace(planned, kind=SessionKind.REST, total_minutes=0, running_minutes=0)
    assert done(Outcome.DONE, {}, rest) == (0, 0)


async def test_no_run_on_the_morning_of_a_step_back(double, db, clock):
    """Issue 10, item 4: after "worse on waking" the stored decision steps back, and /today,
    /plan and the daily prompt prescribe no run that same day."""
    from conversations import prompts, sender
    from tests.conftest import choose

    chat = Chat(double, 7506)
    async with running_bot(double, db, clock=clock) as app:
        await onboard(chat)
        await _planned_run_day(db, clock, 7506)
        await chat.say("/checkin")
        await answer_flow(chat, db, {"outcome": "done", **CHECKIN})
        clock.advance(days=1)
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == 7506))
            ).scalar_one()
            ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
            await prompts.compose(ctx, [prompts.DAILY, prompts.MORNING])
        await sender.deliver(app.bot, 7506, ctx.out)
        for value in ("worse", "same", "none"):
            await choose(chat, value)
        [after] = await choose(chat, "no")
        [today] = await chat.say("/today")
        [plan] = await chat.say("/plan")
    assert "step back" in after.text
    assert "minutes running" not in today.text and "minute running" not in today.text
    first_day = plan.text.split("\n")[1]
    assert "running" not in first_day.replace("pool running", "")


async def test_a_checkin_finished_after_midnight_is_dated_by_its_session(double, db, clock):
    """Begun on Sunday evening, finished on Monday: it is Sunday's check-in (/history and the
    report date it by the session it describes)."""
    chat = Chat(double, 7508)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        await _planned_run_day(db, clock, 7508)
        started = (await _runner(db, 7508), clock().date())
        await chat.say("/checkin")
        await choose(chat, "done")
        clock.advance(days=1)  # the runner finishes the next morning
        await answer_flow(chat, db, {**CHECKIN, "pain_during": "0", "pain_after": "0"})
    [row] = await _rows(db)
    assert row.day == started[1] != clock().date()
