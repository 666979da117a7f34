"""A care-team member's chat buttons (issue 27): each is bound to the state it was shown for,
so an old one changes nothing and says so; a cap at or above the runner's stage says that
nothing changes today; the runner's /careteam says the cap in words; a member's /cancel in
a care question answers in a member's words; and the runner can answer a member's note."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import CareLinkRow
from tests.conftest import Clock, onboard, running_bot
from tests.test_careteam import PHYSIO, RUNNER, Person, join, texts

STALE = "This was shown before Ann Runner's plan last changed, so it changed nothing"


def button(message: Any, prefix: str) -> str:
    """The callback data of the message's button whose data starts with ``prefix``."""
    for row in message.buttons():
        for _, data in row:
            if data and data.startswith(prefix):
                return str(data)
    raise AssertionError(f"no {prefix!r} button in {message.buttons()}")


async def link_row(db: Any) -> CareLinkRow:
    async with db.session() as session:
        return (await session.execute(select(CareLinkRow))).scalar_one()


async def pair(double: Any, db: Any) -> tuple[Person, Person, Any]:
    runner = Person(double, RUNNER, "Ann Runner")
    physio = Person(double, PHYSIO, "Dr Pia")
    await onboard(runner)
    await join(double, runner, physio, zone="Europe/Berlin")
    [listing] = await physio.say("/patients")
    [card] = await physio.press_data(listing.message_id, button(listing, "a|cm|o."))
    return runner, physio, card


async def test_an_old_cap_question_changes_nothing_and_says_so(double, db, clock: Clock):
    async with running_bot(double, db, clock=clock):
        _runner, physio, card = await pair(double, db)
        rid = (await link_row(db)).runner_id
        [question] = await physio.press_data(card.message_id, button(card, "a|cm|cap."))
        mark = double.mark(RUNNER)
        [saved] = await physio.press_data(
            question.message_id, button(question, f"a|cm|capto.{rid}.2.")
        )
        assert "Saved" in (saved.text or "")
        await double.wait_for(RUNNER, 1, since=mark)
        told = len(double.sent(RUNNER))
        # the same question again, pressed after the cap changed: nothing changes
        replies = await physio.press_data(
            question.message_id, button(question, f"a|cm|capto.{rid}.0."), count=2
        )
        assert STALE in (replies[0].text or "")
        assert "capped by you at stage 2" in (replies[1].text or "")  # the card as it is now
        assert (await link_row(db)).stage_cap == 2
        assert len(double.sent(RUNNER)) == told  # and the runner was told nothing more
        # a button from before the buttons carried their state is stale too
        old, _ = await physio.press_data(question.message_id, f"a|cm|cap.{rid}.0", count=2)
        assert STALE in (old.text or "")
        assert (await link_row(db)).stage_cap == 2


async def test_hold_on_an_old_card_asks_nothing_and_cancel_answers_a_member(
    double, db, clock: Clock
):
    async with running_bot(double, db, clock=clock):
        _runner, physio, card = await pair(double, db)
        [asked] = await physio.press_data(card.message_id, button(card, "a|cm|hold."))
        assert "Why are you holding the plan?" in (asked.text or "")
        [stopped] = await physio.say("/cancel")
        assert (stopped.text or "") == "Stopped: nothing was sent and nothing changed."
        assert (await link_row(db)).hold_since is None

        await physio.press_data(card.message_id, button(card, "a|cm|hold."))
        mark = double.mark(RUNNER)
        [held] = await physio.say("Imaging on Friday first.")
        assert "Held. Ann Runner has been told." in (held.text or "")
        await double.wait_for(RUNNER, 1, since=mark)
        told = len(double.sent(RUNNER))
        # "Hold the plan" on the old card, with the plan held already: no new question
        replies = await physio.press_data(card.message_id, button(card, "a|cm|hold."), count=2)
        assert STALE in (replies[0].text or "")
        assert "held by you" in (replies[1].text or "")
        assert "Why are you holding" not in " ".join(r.text or "" for r in replies)
        assert len(double.sent(RUNNER)) == told


async def test_a_cap_above_the_stage_says_nothing_changes_and_careteam_says_it_in_words(
    double, db, clock: Clock
):
    async with running_bot(double, db, clock=clock):
        runner, physio, card = await pair(double, db)
        rid = (await link_row(db)).runner_id
        [question] = await physio.press_data(card.message_id, button(card, "a|cm|cap."))
        mark = double.mark(RUNNER)
        [saved] = await physio.press_data(
            question.message_id, button(question, f"a|cm|capto.{rid}.4.")
        )
        assert "nothing changes today" in (saved.text or "")
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia capped your plan at stage 4" in (told.text or "")
        assert "nothing changes today" in (told.text or "")
        assert "/today" not in (told.text or "")
        [team] = await runner.say("/careteam")
        assert "Capping your plan at stage 4 (" in (team.text or "")
        assert "Stage capped at 4." not in (team.text or "")


async def test_the_runner_answers_a_note(double, db, clock: Clock):
    async with running_bot(double, db, clock=clock):
        runner, physio, card = await pair(double, db)
        await physio.press_data(card.message_id, button(card, "a|cm|note."))
        mark = double.mark(RUNNER)
        [sent] = await physio.say("How did the hill feel?")
        assert "Sent to Ann Runner." in (sent.text or "")
        [note] = await double.wait_for(RUNNER, 1, since=mark)
        assert "A note from Dr Pia: How did the hill feel?" in (note.text or "")
        [asked] = await runner.press("Reply to Dr Pia")
        assert "Type your reply" in (asked.text or "")
        mark = double.mark(PHYSIO)
        [done] = await runner.say("Fine, no pain on the way up.")
        assert "Sent to Dr Pia." in (done.text or "")
        [reply] = await double.wait_for(PHYSIO, 1, since=mark)
        assert "Ann Runner replied to your note: Fine, no pain on the way up." in (
            reply.text or ""
        )
        assert [label for row in reply.buttons() for label, _ in row] == ["Open Ann Runner"]

        # once the runner removed the physio, the Reply button sends nothing
        link = await link_row(db)
        await runner.say("/careteam")
        await runner.press_data(double.screen(RUNNER)[-1].message_id, f"a|ct|rmyes.{link.id}")
        mark = double.mark(PHYSIO)
        [gone] = await runner.press_data(note.message_id, button(note, "a|cr|r."))
        assert "That person is not on your care team." in (gone.text or "")
        assert not [t for t in texts(double, PHYSIO, mark) if "replied" in t]
