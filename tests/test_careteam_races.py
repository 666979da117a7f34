"""The care team's three races (issue 24, item 9): two clearances at once store one; a
second referral on the day of a clearance alerts the care team again; a "Resume the plan"
button resumes only the hold it was shown for."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text

from bot.scheduler import Scheduler
from conversations import Ctx, Services, care_acts, clearance
from storage import careteam as care_store
from storage import records
from storage.models import CareLinkRow, RedFlagRow, Runner
from tests.conftest import Clock, onboard, running_bot
from tests.test_careteam import PHYSIO, RUNNER, Person, join, runner_row

DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def clearances(db: Any, runner_id: int) -> int:
    async with db.session() as session:
        value = await session.scalar(
            select(func.count())
            .select_from(RedFlagRow)
            .where(RedFlagRow.runner_id == runner_id, RedFlagRow.cleared_to_stage.is_not(None))
        )
        return int(value or 0)


async def referred_with_a_physio(db: Any) -> tuple[int, int]:
    async with db.session() as session:
        runner = Runner(
            telegram_user_id=24_901,
            chat_id=24_901,
            status="referred",
            injury="calf_strain",
            side="left",
            injury_date=date(2026, 1, 10),
            level=8,
            consent_at=NOW,
            preferred_days="0,2,4",
        )
        physio = Runner(telegram_user_id=24_902, chat_id=24_902, status="new")
        session.add_all([runner, physio])
        await session.flush()
        await records.add_red_flags(session, runner.id, DAY, frozenset())
        await care_store.add_link(session, runner.id, physio, "Ann", "Dr Pia", NOW)
        return runner.id, physio.id


async def blocked_on_a_lock(db: Any, timeout: float = 20.0) -> None:
    """Until a PostgreSQL transaction waits for a row lock (an event, seen in pg_locks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db.session() as session:
            waiting = await session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        if waiting:
            return
        assert loop.time() < deadline, "the second clearance never waited for the first"
        await asyncio.sleep(0.02)


async def test_a_members_and_the_runners_clearance_at_once_store_one(pg_db) -> None:
    """The member clears the runner while the runner confirms their own clearance: the
    second waits for the runner's lock, then finds the referral closed."""
    db = pg_db
    rid, pid = await referred_with_a_physio(db)
    services = Services(db=db)
    services.clock = lambda: NOW

    async def runners_own() -> list[str]:
        async with db.session() as session:
            runner = await session.get(Runner, rid)
            assert runner is not None
            ctx = Ctx(services=services, session=session, runner=runner, now=NOW)
            await clearance._finish(ctx, {"restart": "walk"})
            return [out.text for out in ctx.out]

    async with db.session() as session:
        member = await session.get(Runner, pid)
        assert member is not None
        ctx = Ctx(services=services, session=session, runner=member, now=NOW)
        found = await care_acts.followed(ctx, rid)
        assert found is not None
        await care_acts.clear(ctx, found[0], found[1], 1)  # not committed yet
        second = asyncio.create_task(runners_own())
        await blocked_on_a_lock(db)
    said = await second
    assert await clearances(db, rid) == 1
    assert "nothing to clear" in " ".join(said)


async def test_a_second_referral_on_a_clearance_day_alerts_again(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        rid = (await runner_row(db, RUNNER)).id
        day = clock().date()
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        mark = double.mark(PHYSIO)
        async with db.session() as session:  # referred, cleared, referred again: one day
            await care_store.add_event(session, rid, "red_flag", day, {"flags": "night_pain"})
            await records.add_clearance(session, rid, day, 1)
            await care_store.add_event(session, rid, "red_flag", day, {"flags": "fever"})
        await scheduler.tick()
        alerts = await double.wait_for(PHYSIO, 2, since=mark, timeout=20)
        assert [("Red flag: Ann Runner" in (m.text or "")) for m in alerts] == [True, True]
        async with db.session() as session:  # the same referral reported again: no alert
            await care_store.add_event(session, rid, "red_flag", day, {"flags": "fever"})
        await scheduler.tick()
        await double.wait_idle(app.bot.token, timeout=10)
        assert len(double.sent(PHYSIO)[mark:]) == 2


async def test_resume_resumes_only_the_hold_it_was_shown_for(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        await physio.say("/patients")
        await physio.press(f"Open {runner.name}")
        await physio.press("Hold the plan")
        await physio.say("Swelling to check")
        [first_card] = await physio.press(f"Open {runner.name}")
        old_resume = first_card.button_data("Resume the plan")
        await physio.press("Resume the plan")  # resumed from this card ...
        await physio.press(f"Open {runner.name}")
        await physio.press("Hold the plan")
        mark = double.mark(RUNNER)
        await physio.say("Pain at the heel, let's talk first")  # ... and held again
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "put your plan on hold: Pain at the heel" in (told.text or "")
        mark = double.mark(RUNNER)
        # answered with why nothing changed, then the card as it is now (both waited for: the
        # card must not be taken for the one "Open" brings below)
        replies = await physio.press_data(first_card.message_id, old_resume, count=2)
        assert "so it changed nothing" in (replies[0].text or "")
        assert "Your reason for the hold: Pain at the heel" in (replies[1].text or "")
        async with db.session() as session:
            link = (await session.execute(select(CareLinkRow))).scalar_one()
        assert link.hold_since is not None
        assert link.hold_reason == "Pain at the heel, let's talk first"
        assert double.sent(RUNNER)[mark:] == []  # the runner was told nothing
        [card] = await physio.press(f"Open {runner.name}")
        await physio.press_data(card.message_id, card.button_data("Resume the plan"))
        async with db.session() as session:
            link = (await session.execute(select(CareLinkRow))).scalar_one()
        assert link.hold_since is None
