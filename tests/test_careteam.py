"""The care team (issue 16), over the real bot and the Bot API double: a runner invites a
physio or coach with a single-use deep link; the invitee accepts or declines; members get
alerts and Monday summaries through the scheduler's exactly-once claims, see only runners who
invited them, and their hold, cap and clearance change what the runner is prescribed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.scheduler import Scheduler
from progression import first_level_of_stage
from storage.models import CareDeliveryRow, CareInviteRow, CareLinkRow, Runner
from tests.conftest import Chat, Clock, answer_flow, choose, onboard, running_bot, settle

RUNNER, PHYSIO, COACH, STRANGER = 8101, 8102, 8103, 8104
INVITE = "Invite a physio or coach"
INVALID = "This invitation link does not work"
NOT_FOLLOWED = "You don't follow this runner"


class Person(Chat):
    """A chat whose Telegram first name is ``name`` (shown to the other side of a link)."""

    def __init__(self, double: Any, user_id: int, name: str, language: str = "en") -> None:
        super().__init__(double, user_id, language=language)
        self.name = name

    async def say(self, text: str, *, count: int = 1, timeout: float = 10.0) -> list[Any]:
        mark = self.double.mark(self.user_id)
        self.double.send_text(
            self.token, self.user_id, text, language_code=self.language, first_name=self.name
        )
        return await self.replies(mark, count, timeout)

    async def press_data(
        self, message_id: int, data: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[Any]:
        mark = self.double.mark(self.user_id)
        self.double.press(
            self.token,
            self.user_id,
            message_id,
            data,
            language_code=self.language,
            first_name=self.name,
        )
        return await self.replies(mark, count, timeout)


def labels(message: Any) -> list[str]:
    return [label for row in message.buttons() for label, _ in row]


def texts(double: Any, user_id: int, since: int = 0) -> list[str]:
    return [m.text or "" for m in double.sent(user_id)[since:]]


async def invite_link(runner: Chat) -> str:
    await runner.say("/careteam")
    replies = await runner.press(INVITE, count=2)
    assert "works once" in (replies[0].text or "")
    match = re.search(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)", replies[1].text or "")
    assert match, replies[1].text
    return match.group(2)


async def join(double: Any, runner: Chat, member: Person, zone: str | None = None) -> None:
    """``member`` accepts a fresh invitation from ``runner`` (and answers the time zone)."""
    token = await invite_link(runner)
    [screen] = await member.say(f"/start {token}")
    mark = double.mark(runner.user_id)
    replies = await member.press_data(
        screen.message_id, screen.buttons()[0][0][1], count=2 if zone else 1
    )
    assert "Ann Runner" in (replies[0].text or "")
    await double.wait_for(runner.user_id, 1, since=mark)
    if zone:
        await choose(member, zone)


async def rows(db: Any, model: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def runner_row(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def checkin(chat: Chat, db: Any, *, sharp: bool) -> list[Any]:
    await chat.say("/checkin")
    return await answer_flow(
        chat,
        db,
        {
            "outcome": "done",
            "minutes": "20",
            "pain_during": "6" if sharp else "1",
            "pain_after": "2" if sharp else "0",
            "sharp_or_limp": "yes" if sharp else "no",
            "stiffness": "0",
            "swelling": "none",
            "rpe": "3",
            "mood": "4",
            "sleep": "7",
            "note": "skip",
        },
    )


# ------------------------------------------------------------------ invite, accept, decline


async def test_invite_accept_single_use_and_what_each_side_sees(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        [empty] = await runner.say("/careteam")
        assert "Nobody follows your plan yet" in (empty.text or "")
        assert INVITE in labels(empty)
        token = await invite_link(runner)
        async with db.session() as session:
            invite = (await session.execute(select(CareInviteRow))).scalar_one()
        assert token not in invite.token_hash and len(invite.token_hash) == 64  # stored hashed
        assert invite.expires_at - clock() == timedelta(days=7)

        [screen] = await physio.say(f"/start {token}")
        assert "Ann Runner invites you to their care team" in (screen.text or "")
        assert "You would see" in (screen.text or "") and "You could" in (screen.text or "")
        assert labels(screen) == ["Accept", "Decline"]
        assert await rows(db, CareLinkRow) == 0  # opening the link shares nothing yet

        mark = double.mark(RUNNER)
        replies = await physio.press("Accept", count=2)
        assert "you follow Ann Runner now" in (replies[0].text or "")
        assert "time zone" in (replies[1].text or "")  # not a runner here: for Monday's summary
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia accepted your invitation" in (told.text or "")
        await choose(physio, "Asia/Tokyo")
        assert (await runner_row(db, PHYSIO)).time_zone == "Asia/Tokyo"

        # single use: the same link, or the same button again, gets nothing
        [again] = await physio.say(f"/start {token}")
        assert INVALID in (again.text or "")
        [pressed] = await physio.press_data(screen.message_id, f"a|ci|a.{token}")
        assert INVALID in (pressed.text or "")
        assert await rows(db, CareLinkRow) == 1

        [listing] = await runner.say("/careteam")
        assert "Dr Pia" in (listing.text or "") and "What they see" in (listing.text or "")
        assert "Remove Dr Pia" in labels(listing)
        [patients] = await physio.say("/patients")
        assert "Ann Runner" in (patients.text or "") and "Stage" in (patients.text or "")
        assert "no open red flags" in (patients.text or "")


async def test_decline_expiry_forged_and_own_links_share_nothing(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    coach = Person(double, COACH, "Coach Kai")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        token = await invite_link(runner)
        [own] = await runner.say(f"/start {token}")
        assert "your own invitation" in (own.text or "")
        await coach.say(f"/start {token}")
        mark = double.mark(RUNNER)
        [declined] = await coach.press("Decline")
        assert "nothing is shared" in (declined.text or "")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Coach Kai declined" in (told.text or "")
        [accept_late] = await coach.say(f"/start {token}")  # a declined link is spent
        assert INVALID in (accept_late.text or "")

        expiring = await invite_link(runner)
        clock.advance(days=7, seconds=1)
        [expired] = await coach.say(f"/start {expiring}")
        assert INVALID in (expired.text or "")

        for forged in ("abc", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "<b>"):
            [reply] = await coach.say(f"/start {forged}")
            assert INVALID in (reply.text or ""), forged
        [nobody] = await coach.say("/patients")
        assert "Nobody has invited you" in (nobody.text or "")
    assert await rows(db, CareLinkRow) == 0


async def test_a_member_never_sees_a_runner_who_did_not_invite_them(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    stranger = Person(double, STRANGER, "Eve")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        rid = (await runner_row(db, RUNNER)).id
        await physio.say("/patients")
        [card] = await physio.press(f"Open {runner.name}")
        assert "Latest report (PDF)" in labels(card)
        [some] = await stranger.say("/patients")
        assert "Nobody has invited you" in (some.text or "")
        # forged callback data naming the runner's id: nothing, for every action
        for op in ("o", "pdf", "hold", "resume", "cap", "clr", "note"):
            mark = double.mark(STRANGER)
            [reply] = await stranger.press_data(some.message_id, f"a|cm|{op}.{rid}")
            assert NOT_FOLLOWED in (reply.text or ""), op
            assert all(m.document is None for m in double.sent(STRANGER)[mark:])
        [reply] = await stranger.press_data(some.message_id, f"a|cm|cap.{rid}.1")
        assert NOT_FOLLOWED in (reply.text or "")
        # nor does a member reach another runner by changing the id on their own buttons
        [reply] = await physio.press_data(card.message_id, f"a|cm|pdf.{rid + 1000}")
        assert NOT_FOLLOWED in (reply.text or "")
        async with db.session() as session:
            link = (await session.execute(select(CareLinkRow))).scalar_one()
        assert link.stage_cap is None and link.hold_since is None
        # the member's own PDF request works
        [pdf] = await physio.press("Latest report (PDF)")
        assert pdf.document is not None and pdf.document.startswith(b"%PDF")


# ------------------------------------------------------------------ alerts and revocation


async def test_alerts_arrive_once_within_one_tick_and_not_after_revoke(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    coach = Person(double, COACH, "Coach Kai", language="de")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        await join(double, runner, coach, zone="Europe/Berlin")
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        await scheduler.tick()
        mark_p, mark_c = double.mark(PHYSIO), double.mark(COACH)
        await checkin(runner, db, sharp=True)
        await scheduler.tick()  # one tick later
        await settle(0.2)
        [alert] = double.sent(PHYSIO)[mark_p:]
        assert "Step back: Ann Runner" in (alert.text or "")
        assert "Open Ann Runner" in labels(alert)
        [alert_de] = double.sent(COACH)[mark_c:]
        assert "Ann Runner" in (alert_de.text or "") and "Step back" not in (alert_de.text or "")
        for _ in range(3):
            await scheduler.tick()
        assert len(double.sent(PHYSIO)) == mark_p + 1  # once
        async with db.session() as session:
            statuses = (await session.execute(select(CareDeliveryRow.status))).scalars().all()
        assert statuses == ["sent", "sent"]

        # the runner removes the physio: immediate, and the physio is told
        await runner.say("/careteam")
        await runner.press("Remove Dr Pia")
        [kept] = await runner.press("No, keep")
        assert "Nothing changed" in (kept.text or "")
        assert await rows(db, CareLinkRow) == 2
        await runner.press("Remove Dr Pia")
        mark_p = double.mark(PHYSIO)
        [done] = await runner.press("Yes, remove")
        assert "Dr Pia no longer follows your plan" in (done.text or "")
        [told] = await double.wait_for(PHYSIO, 1, since=mark_p)
        assert "removed you" in (told.text or "")
        [gone] = await physio.press_data(alert.message_id, alert.buttons()[0][0][1])
        assert NOT_FOLLOWED in (gone.text or "")
        async with db.session() as session:
            coach_link = (await session.execute(select(CareLinkRow))).scalar_one()
        # another runner's link id on this runner's buttons removes nothing
        [other] = await runner.say("/careteam")
        [refused] = await runner.press_data(other.message_id, f"a|ct|rmyes.{coach_link.id + 1}")
        assert "not on your care team" in (refused.text or "")
        assert await rows(db, CareLinkRow) == 1

        clock.advance(days=2)
        mark_p, mark_c = double.mark(PHYSIO), double.mark(COACH)
        await checkin(runner, db, sharp=True)
        await scheduler.tick()
        await settle(0.2)
        assert double.sent(PHYSIO)[mark_p:] == []  # not after revoke
        assert len(double.sent(COACH)[mark_c:]) == 1  # the coach still follows


# ------------------------------------------------------------------ the Monday summary


async def test_weekly_summary_once_per_pair_at_each_members_local_monday(double, db):
    clock = Clock(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))  # a Thursday
    runner = Person(double, RUNNER, "Ann Runner")
    tokyo = Person(double, PHYSIO, "Dr Pia")
    new_york = Person(double, COACH, "Coach Kai")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner)
        await checkin(runner, db, sharp=False)
        await join(double, runner, tokyo, zone="Asia/Tokyo")
        await join(double, runner, new_york, zone="America/New_York")
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        marks = {PHYSIO: double.mark(PHYSIO), COACH: double.mark(COACH)}

        def summaries(user_id: int) -> list[Any]:
            return [m for m in double.sent(user_id)[marks[user_id]:] if m.photo is not None]

        # Monday 08:00 in Tokyo is Sunday 23:00 UTC
        clock.now = datetime(2026, 3, 8, 22, 59, tzinfo=UTC)
        await scheduler.tick()
        assert summaries(PHYSIO) == [] and summaries(COACH) == []
        clock.now = datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
        await scheduler.tick()
        await scheduler.tick()
        [weekly] = summaries(PHYSIO)
        assert "Weekly summary: Ann Runner" in (weekly.text or "")
        assert "Stage" in (weekly.text or "") and "Pain trend" in (weekly.text or "")
        assert summaries(COACH) == []
        # Monday 08:00 in New York (daylight saving since Sunday) is 12:00 UTC
        clock.now = datetime(2026, 3, 9, 11, 59, tzinfo=UTC)
        await scheduler.tick()
        assert summaries(COACH) == []
        clock.now = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
        await scheduler.tick()
        await scheduler.tick()
        assert len(summaries(COACH)) == 1 and len(summaries(PHYSIO)) == 1
        # the next Monday: one more each
        clock.now = datetime(2026, 3, 16, 12, 30, tzinfo=UTC)
        await scheduler.tick()
        await scheduler.tick()
        # Tokyo: 21:30 by now, past the cut-off for a late summary
        assert len(summaries(COACH)) == 2 and len(summaries(PHYSIO)) == 1
    async with db.session() as session:
        keys = sorted((await session.execute(select(CareDeliveryRow.key))).scalars().all())
    assert keys == ["weekly:2026-03-09", "weekly:2026-03-09", "weekly:2026-03-16"]


# ------------------------------------------------------------------ hold, cap, clearance


async def test_hold_and_cap_change_what_the_runner_is_prescribed(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        before = await runner_row(db, RUNNER)
        assert before.level >= first_level_of_stage(1)  # the runner starts walking
        await physio.say("/patients")
        [card] = await physio.press(f"Open {runner.name}")
        await physio.press("Cap the stage")
        [walk] = await runner.say("/today")
        mark = double.mark(RUNNER)
        [saved] = await physio.press("Stage 0: Protect", count=1)
        assert "has been told" in (saved.text or "")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia capped your plan at stage 0" in (told.text or "")
        [protect] = await runner.say("/today")
        assert protect.text != walk.text
        assert "capped the plan at stage 0" in (protect.text or "")
        after = await runner_row(db, RUNNER)
        assert after.level == first_level_of_stage(1) - 1  # stepped back to stage 0's top
        [why] = await runner.say("/why")
        assert "capped the plan at stage 0" in (why.text or "")
        assert "Stage 0 of 5" in (why.text or "")

        [card] = await physio.press(f"Open {runner.name}")
        await physio.press("Hold the plan")
        mark = double.mark(RUNNER)
        await physio.say("Swelling to check at Friday's visit")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia has put your plan on hold: Swelling to check" in (told.text or "")
        [why] = await runner.say("/why")
        assert "on hold" in (why.text or "")
        [today] = await runner.say("/today")
        assert "put the plan on hold" in (today.text or "")
        [card] = await physio.press(f"Open {runner.name}")
        mark = double.mark(RUNNER)
        await physio.press("Resume the plan")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia resumed your plan" in (told.text or "")
        [why] = await runner.say("/why")
        assert "on hold" not in (why.text or "")

        await physio.press_data(card.message_id, card.buttons()[-1][0][1])  # Send a note
        mark = double.mark(RUNNER)
        await physio.say("Ice after <b>runs</b> please")
        [note] = await double.wait_for(RUNNER, 1, since=mark)
        assert "A note from Dr Pia: Ice after &lt;b&gt;runs&lt;/b&gt; please" in (note.text or "")


async def test_a_clinicians_clearance_closes_the_referral(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner, injury="shin_pain")
        await join(double, runner, physio, zone="Europe/Berlin")
        await checkin(runner, db, sharp=False)
        clock.advance(days=1)
        await runner.say("/today")
        from conversations import prompts, sender
        from tests.test_clinical_referral import _compose

        outs = await _compose(db, clock, RUNNER, [prompts.DAILY, prompts.MORNING])
        await sender.deliver(app.bot, RUNNER, outs)
        for value in ("same", "same", "none"):
            await choose(runner, value)
        await choose(runner, "yes")  # pain woke me at night: a possible bone stress injury
        assert (await runner_row(db, RUNNER)).status == "referred"
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        mark = double.mark(PHYSIO)
        await scheduler.tick()
        await settle(0.2)
        alerts = [m for m in double.sent(PHYSIO)[mark:] if "Red flag" in (m.text or "")]
        assert len(alerts) == 1 and "Ann Runner" in (alerts[0].text or "")
        [stopped] = await runner.say("/today")
        assert "stopped" in (stopped.text or "")

        await physio.say("/patients")
        [card] = await physio.press(f"Open {runner.name}")
        assert "open red flags" in (card.text or "")
        [ask] = await physio.press("I examined and cleared them")
        assert "cleared them to restart at stage" in (ask.text or "")
        mark = double.mark(RUNNER)
        [done] = await physio.press("Stage 1: Walk")
        assert "restarts at stage 1" in (done.text or "")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia examined you and cleared you to restart at stage 1" in (told.text or "")
        after = await runner_row(db, RUNNER)
        assert after.status == "active"
        [today] = await runner.say("/today")
        assert "stopped" not in (today.text or "")
        [patients] = await physio.say("/patients")
        assert "no open red flags" in (patients.text or "")

        # Referred again later: the stage keyboard of the first referral clears nothing.
        await runner.say("/reassess")
        await choose(runner, "bony_tenderness")  # the safety re-screen: a new red flag
        assert (await runner_row(db, RUNNER)).status == "referred"
        [old] = [d for row in ask.buttons() for label, d in row if label == "Stage 1: Walk"]
        [stale] = await physio.press_data(ask.message_id, old)
        assert "That question has closed" in (stale.text or "")
        assert (await runner_row(db, RUNNER)).status == "referred"  # the referral stands
        [card] = await physio.press(f"Open {runner.name}")
        [ask] = await physio.press("I examined and cleared them")
        [done] = await physio.press("Stage 1: Walk")  # a fresh keyboard still works
        assert "restarts at stage 1" in (done.text or "")
        assert (await runner_row(db, RUNNER)).status == "active"


async def test_delete_removes_the_links_both_ways(double, db, clock: Clock):
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        await runner.say("/delete")
        mark = double.mark(PHYSIO)
        await runner.press("Yes, delete everything")
        [told] = await double.wait_for(PHYSIO, 1, since=mark)
        assert "deleted their data" in (told.text or "")
        [nobody] = await physio.say("/patients")
        assert "Nobody has invited you" in (nobody.text or "")
    assert await rows(db, CareLinkRow) == 0 and await rows(db, CareInviteRow) == 0


async def test_two_schedulers_deliver_each_alert_once(double, db, clock: Clock):
    """Two processes tick at once: the (member, runner, key) claim hands each alert to one."""
    import asyncio

    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    coach = Person(double, COACH, "Coach Kai")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        await join(double, runner, coach, zone="Europe/Berlin")
        services = app.bot_data["services"]
        first = Scheduler(app.bot, services, rate=None)
        second = Scheduler(app.bot, services, rate=None)
        await first.tick()
        marks = (double.mark(PHYSIO), double.mark(COACH))
        await checkin(runner, db, sharp=True)
        await asyncio.gather(first.tick(), second.tick())
        await asyncio.gather(first.tick(), second.tick())
        await settle(0.2)
        assert len(double.sent(PHYSIO)[marks[0]:]) == 1
        assert len(double.sent(COACH)[marks[1]:]) == 1


async def test_an_alert_claimed_by_a_dead_process_is_sent_by_the_next(double, db, clock: Clock):
    from storage import careteam as care_store
    from storage.models import CareEventRow

    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    async with running_bot(double, db, clock=clock) as app:
        await onboard(runner)
        await join(double, runner, physio, zone="Europe/Berlin")
        rid, pid = (await runner_row(db, RUNNER)).id, (await runner_row(db, PHYSIO)).id
        async with db.session() as session:  # claimed, then the process died
            await care_store.add_event(session, rid, "red_flag", clock().date(), {"flags": ""})
            event = (await session.execute(select(CareEventRow))).scalar_one()
            event.fanned_out = True
            await care_store.claim(session, pid, rid, f"alert:{event.id}", clock())
        scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
        mark = double.mark(PHYSIO)
        await scheduler.tick()
        assert double.sent(PHYSIO)[mark:] == []  # the lease has not run out
        clock.advance(minutes=3)
        await scheduler.tick()
        await scheduler.tick()
        await settle(0.2)
        [alert] = double.sent(PHYSIO)[mark:]
        assert "Red flag: Ann Runner" in (alert.text or "")


async def test_an_escalation_alerts_when_it_is_new_not_while_it_stands(db, clock: Clock):
    """A "clinician review advised" queues one alert when the last stored decision did not
    carry it; the same advice standing on later decisions queues none; advised afresh after
    it cleared, one more. A runner with no care team queues nothing at all."""
    from dataclasses import replace

    from conversations import decisions
    from conversations.context import Ctx, Services
    from progression import Reason, ReasonCode, decide
    from storage import careteam as care_store
    from storage import records
    from storage.models import CareEventRow
    from tests.test_progress import seed_runner

    seeded = await seed_runner(db, 8201)
    alone = await seed_runner(db, 8202)
    advice = Reason(ReasonCode.CLINICIAN_REVIEW_ADVISED, (("why", "no_progress"), ("days", 30)))

    async def store(runner_id: int, advised: bool) -> None:
        async with db.session() as session:
            runner = await session.get(Runner, runner_id)
            ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
            d = decide(await records.load_history(session, runner, ctx.today), ctx.today)
            reasons = [r for r in d.reasons if r.code is not ReasonCode.CLINICIAN_REVIEW_ADVISED]
            await decisions.remember(ctx, replace(d, reasons=(*reasons, *([advice] * advised))))
        clock.advance(days=1)

    async with db.session() as session:
        physio = Runner(telegram_user_id=8203, chat_id=8203, status="new")
        session.add(physio)
        await session.flush()
        await care_store.add_link(session, seeded.runner_id, physio, "Ann", "Dr P", clock())
    for advised in (True, True, True, False, True):
        await store(seeded.runner_id, advised)
        await store(alone.runner_id, advised)
    async with db.session() as session:
        events = (await session.execute(select(CareEventRow))).scalars().all()
    assert not [e for e in events if e.runner_id == alone.runner_id]
    escalations = [e.day for e in events if e.kind == "escalation"]
    assert escalations == [date(2026, 3, 2), date(2026, 3, 10)]  # new, then new again


async def test_a_member_who_moves_gets_the_summary_at_the_new_local_monday(
    double, db, clock: Clock
):
    runner = Person(double, RUNNER, "Ann Runner")
    coach = Person(double, COACH, "Coach Kai")  # a runner here too (reminder 07:30, Berlin)
    async with running_bot(double, db, clock=clock):
        await onboard(runner)
        await onboard(coach)
        await join(double, runner, coach)  # no time-zone question: the coach has one

        async def monday() -> datetime | None:
            async with db.session() as session:
                return (await session.execute(select(CareLinkRow))).scalar_one().next_summary_at

        assert await monday() == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
        [menu] = await coach.say("/settings")
        await coach.press_data(menu.message_id, "a|set|zone")
        await choose(coach, "Asia/Tokyo")
        assert await monday() == datetime(2026, 3, 8, 22, 30, tzinfo=UTC)  # 07:30 in Tokyo
