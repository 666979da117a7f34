"""Issue 12, "words that agree": what one reply says never contradicts the next line."""

from __future__ import annotations

from types import SimpleNamespace

from bench import taps
from conversations import common
from locales import translator
from tests.conftest import Chat, onboard, running_bot


async def test_a_morning_after_pain_above_the_limit_is_not_handled_well(double, db, clock):
    async with running_bot(double, db, clock=clock) as app:
        chat = Chat(double, 8201)
        await onboard(chat, tests="no")
        hurt = {**taps.A_LITTLE_PAIN, "pain_during": "5", "pain_after": "3"}
        checkin = await taps.checkin(chat, db, hurt)
        clock.advance(days=1)
        run = await taps.morning(chat, db, clock, app, taps.MORNING_ALL_WELL)
    assert "48 hours" not in checkin.final
    assert "handled yesterday well" not in run.final
    assert "Things settled overnight" in run.final


async def test_why_says_what_a_good_session_is_and_what_unlocks_the_next_stage(
    double, db, clock
):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8202)
        await onboard(chat, tests="no")
        [why] = await chat.say("/why")
        [plan] = await chat.say("/plan")
    assert "Pain rule: aim for 2/10 or less; above 3/10 we step back." in why.text
    assert "Stage 1 of 5, Walk: level 1 of" in why.text  # stages and levels explained
    assert "No running yet" in why.text and "What unlocks stage 2" in why.text
    assert "Easy day" in plan.text and "Pain rule: aim for 2/10 or less" in plan.text


def test_the_day_buttons_never_pair_two_days_in_a_row() -> None:
    """Onboarding and /settings offer the same day sets: none has two days in a row (Sunday
    to Monday included), as runs in stages 2-3 are never on back-to-back days."""
    tr = translator("en")
    ctx = SimpleNamespace(tr=tr, lang="en", _=tr.gettext)
    rows = common.days_options(ctx, {})  # type: ignore[arg-type]
    offered = [o.value for row in rows for o in row if not o.value.startswith("any")]
    assert offered
    for value in offered:
        days = [int(d) for d in value.split(",")]
        assert all((b - a) % 7 not in (1, 6) for a in days for b in days if a != b), days
