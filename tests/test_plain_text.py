"""Control characters in what people send (issue 24, item 3): a NUL, the other C0 and C1
controls and the bidi controls are taken out of every free-text input and every name shown
to someone else, before anything reads, stores or shows them. On PostgreSQL a NUL in a note
used to wedge the check-in ("invalid byte sequence for encoding UTF8: 0x00", then "send it
again", forever)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conversations import plain
from storage.models import CareInviteRow, CheckInRow, ConversationRow, Runner
from tests.conftest import TOKEN, Chat, onboard, running_bot
from tests.storm import runner_row
from tests.test_faults import drained

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))) + BIDI
BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI + "]")
WRONG = ("went wrong", "send it again", "Something", "try again")

# text as a hostile client sends it: controls and bidi characters among letters, digits,
# spaces and the odd emoji
nasty = st.text(
    alphabet=st.one_of(
        st.sampled_from(CONTROLS),
        st.sampled_from("0123456789 abcXYZ.,-/\n"),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: BAD.search(s) is not None)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))))
def test_plain_text_keeps_everything_but_controls(value: str) -> None:
    cleaned = plain.text(value)
    assert BAD.search(cleaned) is None
    assert plain.text(cleaned) == cleaned
    kept = [c for c in value.replace("\r\n", "\n").replace("\r", "\n") if not BAD.match(c)]
    assert cleaned == "".join(kept)  # nothing else is touched


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))))
def test_a_name_is_one_plain_line(value: str) -> None:
    cleaned = plain.name(value)
    assert BAD.search(cleaned) is None and "\n" not in cleaned and "\t" not in cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert all(unicodedata.category(c) != "Cc" for c in cleaned)


def samples(count: int) -> list[str]:
    """Hostile strings drawn by hypothesis (its edge cases first: a lone NUL, a bidi
    override, mixed)."""
    drawn: list[str] = []

    @settings(max_examples=count, database=None, derandomize=True)
    @given(nasty)
    def collect(value: str) -> None:
        drawn.append(value)

    collect()
    return ["\x00", "7\x00", "\u202eevil\u202c", *drawn][: count + 3]


async def stored(db: Any, uid: int) -> tuple[Runner, ConversationRow | None, list[CheckInRow]]:
    async with db.session() as session:
        runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == uid))
        assert runner is not None
        row = await session.get(ConversationRow, runner.id)
        checkins = list(
            (await session.execute(select(CheckInRow).where(CheckInRow.runner_id == runner.id)))
            .scalars()
            .all()
        )
        return runner, row, checkins


def no_wrong(messages: list[Any]) -> None:
    for message in messages:
        assert not any(w in (message.text or "") for w in WRONG), message.text


NORMAL = {
    "outcome": "shorter",
    "minutes": "30",
    "pain_during": "2",
    "pain_after": "1",
    "sharp_or_limp": "no",
    "stiffness": "1",
    "swelling": "none",
    "rpe": "4",
    "mood": "4",
    "sleep": "7",
}


async def test_every_text_input_takes_hostile_text_on_postgresql(double, pg_db) -> None:
    """A property over every free-text input, on PostgreSQL: each hostile string typed at
    every check-in question (numbers, minutes, choices) and as the note, as a command's
    argument (a care-team link), as plain text outside a conversation, and as a forged
    button. Each gets an answer (never "send it again"), the check-in goes on, and nothing
    stored holds a control character."""
    db = pg_db
    uid = 24_301
    async with db.session() as session:
        session.add(runner_row(uid, datetime.now(UTC)))
    chat = Chat(double, uid)
    values = samples(8)
    async with running_bot(double, db):
        for value in values:
            [first] = await chat.say("/checkin")
            assert "question 1" in (first.text or "")
            for _ in range(40):
                _runner, row, _ = await stored(db, uid)
                step = row.step if row is not None else ""
                if not step:
                    break
                no_wrong(await chat.say(value))  # hostile: the question again, or taken
                _runner, row, _ = await stored(db, uid)
                if row is not None and row.step == step:
                    answer = "note " + value if step == "note" else NORMAL[step]
                    no_wrong(await chat.say(answer))
            else:
                raise AssertionError("the check-in did not end")
            no_wrong(await chat.say("/start " + value))  # a care-team link's argument
            no_wrong(await chat.say(value))  # plain text outside a conversation
            message = double.sent(uid)[-1]
            mark = double.mark(uid)
            double.press(TOKEN, uid, message.message_id, "s|1|" + value)  # a forged button
            no_wrong(await chat.replies(mark, 1))
        _runner, row, checkins = await stored(db, uid)
        assert len(checkins) == len(values)
        for checkin in checkins:
            assert BAD.search(checkin.note or "") is None
        assert any((c.note or "").startswith("note") for c in checkins)
        assert BAD.search(repr(row.answers if row else {})) is None
    assert await drained(db) == (0, 0)


async def test_a_name_with_controls_reaches_the_other_person_plain(double, db) -> None:
    """A right-to-left override in a Telegram name does not pass into the message the
    other person reads (care-team invitation, acceptance)."""
    from tests.test_careteam import PHYSIO, RUNNER, Person, invite_link

    runner = Person(double, RUNNER, "Ann\u202e\x00 Runner\u2066")
    physio = Person(double, PHYSIO, "Dr\u202b Pia\u0007")
    async with running_bot(double, db):
        await onboard(runner)
        token = await invite_link(runner)
        async with db.session() as session:
            invite = (await session.execute(select(CareInviteRow))).scalar_one()
        assert invite.inviter_name == "Ann Runner"
        [screen] = await physio.say(f"/start {token}")
        assert "Ann Runner invites you" in (screen.text or "")
        mark = double.mark(RUNNER)
        await physio.press("Accept", count=2)
        [told] = await double.wait_for(RUNNER, 1, since=mark)
        assert "Dr Pia accepted your invitation" in (told.text or "")
        for message in double.sent(RUNNER) + double.sent(PHYSIO):
            assert BAD.search(message.text or "") is None
