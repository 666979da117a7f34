"""A red-flag referral holds until the runner confirms a clinician cleared them (issue 10,
item 1), and its words send the runner to the right place at the right speed (issue 10,
"Wording that must change"). Driven through the real bot over the Bot API double."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from conversations import prompts, sender
from conversations.common import DISCLAIMER
from conversations.context import Ctx, Services
from locales import translator
from progression import RedFlag, first_level_of_stage
from reports import words
from storage.models import DecisionRow, MorningCheckRow, RedFlagRow, Runner
from tests.conftest import Chat, Clock, choose, onboard, running_bot

CLEARED = "A clinician examined me and cleared me"
STOPPED = "Your plan is stopped until a clinician has examined you"
BONE_WORDS = "See a doctor before any further running or hopping"


async def _runner(db: Any, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


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


async def _checkin_done(chat: Chat) -> str:
    await chat.say("/checkin")
    replies: list[Any] = []
    for value in ("done", "1", "0", "no", "1", "none", "3", "4", "7", "skip"):
        replies = await choose(chat, value)
    return replies[-1].text


async def _referred_by_night_pain(chat: Chat, db: Any, clock: Clock, app: Any) -> Any:
    """A shin-pain runner runs, then wakes at night with pain: a possible bone stress injury."""
    await onboard(chat, injury="shin_pain")
    await _checkin_done(chat)
    clock.advance(days=1)
    outs = await _compose(db, clock, chat.user_id, [prompts.DAILY, prompts.MORNING])
    await sender.deliver(app.bot, chat.user_id, outs)
    for value in ("same", "same", "none"):
        await choose(chat, value)
    [referral] = await choose(chat, "yes")  # pain woke me at night
    return referral


async def test_night_pain_referral_holds_across_a_quiet_morning_and_a_clear_screen(
    double, db, clock
):
    chat = Chat(double, 7201)
    async with running_bot(double, db, clock=clock) as app:
        referral = await _referred_by_night_pain(chat, db, clock, app)
        assert BONE_WORDS in referral.text
        assert CLEARED in _labels(referral)
        runner = await _runner(db, 7201)
        assert runner.status == "referred"
        async with db.session() as session:
            flags = (await session.execute(select(RedFlagRow.flags, RedFlagRow.day))).all()
        assert ("night_pain", clock().date()) in [(f, d) for f, d in flags]

        # The next morning: no night pain, and a safety screen answered "no" to everything.
        clock.advance(days=1)
        async with db.session() as session:
            session.add(
                MorningCheckRow(
                    runner_id=runner.id, day=clock().date(), run_day=clock().date(),
                    pain="better", stiffness="better", swelling="none", night_pain=False,
                )
            )
            session.add(RedFlagRow(runner_id=runner.id, day=clock().date(), flags=""))
        for command in ("/today", "/plan", "/why", "/checkin", "/reassess", "/start"):
            [reply] = await chat.say(command)
            assert STOPPED in reply.text, command
            assert CLEARED in _labels(reply), command
        assert await _compose(db, clock, 7201, [prompts.DAILY]) == []  # no daily prompt
    runner = await _runner(db, 7201)
    assert runner.status == "referred"
    async with db.session() as session:
        decisions = (await session.execute(select(DecisionRow.action))).scalars().all()
    assert decisions[-1] == "refer"  # nothing was prescribed after the referral


async def test_the_engine_itself_keeps_the_referral_open(double, db, clock):
    """Even with a quiet morning and a clear screen stored, decide() still refers."""
    from progression import Action, decide
    from storage import records

    chat = Chat(double, 7202)
    async with running_bot(double, db, clock=clock) as app:
        await _referred_by_night_pain(chat, db, clock, app)
    runner = await _runner(db, 7202)
    clock.advance(days=1)
    async with db.session() as session:
        session.add(
            MorningCheckRow(
                runner_id=runner.id, day=clock().date(), run_day=clock().date(), pain="better",
                stiffness="better", swelling="none", night_pain=False,
            )
        )
        session.add(RedFlagRow(runner_id=runner.id, day=clock().date(), flags=""))
    async with db.session() as session:
        row = await session.get(Runner, runner.id)
        assert row is not None
        history = await records.load_history(session, row, clock().date())
    assert decide(history, clock().date()).action is Action.REFER


async def test_clearance_restarts_the_plan_and_not_yet_keeps_it_stopped(double, db, clock):
    chat = Chat(double, 7203)
    async with running_bot(double, db, clock=clock) as app:
        await _referred_by_night_pain(chat, db, clock, app)
        clock.advance(days=3)
        [reply] = await chat.press("Not yet")
        assert "stays stopped" in reply.text
        assert (await _runner(db, 7203)).status == "referred"
        [today] = await chat.say("/today")
        assert STOPPED in today.text
        [question] = await chat.press(CLEARED)  # the button under /today
        assert "How did the clinician want you to restart?" in question.text
        [restart] = await chat.press("With walking, as usual")
        assert "Your plan restarts gently" in restart.text
        assert "Next session" in restart.text
        assert STOPPED not in restart.text
    runner = await _runner(db, 7203)
    assert runner.status == "active"
    async with db.session() as session:
        clearance = (
            await session.execute(select(RedFlagRow).order_by(RedFlagRow.id.desc()).limit(1))
        ).scalar_one()
        decision = (
            await session.execute(select(DecisionRow).order_by(DecisionRow.id.desc()).limit(1))
        ).scalar_one()
    assert (clearance.day, clearance.flags, clearance.cleared_to_stage) == (
        clock().date(), "", 1
    )
    assert decision.day == clock().date() and decision.action != "refer"


async def test_clearance_restarts_at_walking(double, db, clock):
    chat = Chat(double, 7204)
    async with running_bot(double, db, clock=clock) as app:
        await _referred_by_night_pain(chat, db, clock, app)
        clock.advance(days=3)
        await chat.press(CLEARED)
        [restart] = await chat.press("With walking, as usual")
        # the night pain before the clearance does not refer again
        [today] = await chat.say("/today")
        assert STOPPED not in today.text
        # /today says the same next session as the restart did (issue 22, item 9: the reply
        # said "walk 10 minutes" while /today said "rest day")
        said = [x for x in restart.text.splitlines() if "Next session" in x]
        assert said and said[0] in today.text
        assert "Rest day" not in today.text
    assert "A clinician has cleared you, so the plan restarts gently." in restart.text
    assert "Stage 1 of 5, Walk" in restart.text
    assert "Let's take a step back" not in restart.text  # a restart, not a step back
    runner = await _runner(db, 7204)
    assert runner.level == first_level_of_stage(1)
    async with db.session() as session:
        decision = (
            await session.execute(select(DecisionRow).order_by(DecisionRow.id.desc()).limit(1))
        ).scalar_one()
    assert {"code": "red_flag_cleared", "values": {"stage": 1}} in [
        {"code": r["code"], "values": {k: v for k, v in r["values"].items() if k == "stage"}}
        for r in decision.reasons
    ]


async def test_slower_clearance_records_stage_0(double, db, clock):
    chat = Chat(double, 7205)
    async with running_bot(double, db, clock=clock) as app:
        await _referred_by_night_pain(chat, db, clock, app)
        await chat.press(CLEARED)
        await chat.press("Slower: I was asked to do less for now")
    async with db.session() as session:
        stages = (await session.execute(select(RedFlagRow.cleared_to_stage))).scalars().all()
    assert stages[-1] == 0
    assert (await _runner(db, 7205)).status == "active"


async def test_referred_at_onboarding_clearance_sets_up_the_plan(double, db, clock):
    chat = Chat(double, 7206)
    async with running_bot(double, db, clock=clock):
        final = await onboard(chat, rf_bony_tenderness="yes")
        assert BONE_WORDS in final
        await chat.press(CLEARED)
        replies = await chat.press("With walking, as usual", count=2)
    assert "Let's set up your plan" in replies[0].text
    assert "·" in replies[1].text  # the onboarding's next question
    assert (await _runner(db, 7206)).status == "new"


async def test_no_daily_prompt_while_referred_only_a_weekly_clinician_question(double, db):
    from bot.scheduler import Scheduler

    clock = Clock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # a Monday
    chat = Chat(double, 7207)
    async with running_bot(double, db, clock=clock):
        await onboard(chat, rf_clot_signs="yes")
    assert (await _runner(db, 7207)).status == "referred"

    sent: list[tuple[date, str, Any]] = []

    class Sink:
        async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
            sent.append((clock().date(), text, kwargs.get("reply_markup")))
            return type("M", (), {"message_id": len(sent)})()

    scheduler = Scheduler(Sink(), Services(db=db, clock=clock), rate=None)
    for _ in range(15):  # two weeks and a day, ticking at 08:00 UTC (the reminder time)
        clock.advance(hours=1)
        await scheduler.tick()
        clock.advance(hours=23)
    assert [day for day, _, _ in sent] == [date(2026, 3, 8), date(2026, 3, 15)]  # Sundays
    for _, text, markup in sent:
        assert "Has a clinician examined you yet?" in text
        labels = [b.text for row in markup.inline_keyboard for b in row]
        assert labels == [CLEARED, "Not yet"]


# ---------------------------------------------------------------- urgency, in every language

PHYSIO = {"en": "physiotherap", "ru": "физиотерап", "es": "fisioterap", "de": "physiotherap"}


def _ctx(lang: str) -> Any:
    from types import SimpleNamespace

    tr = translator(lang)
    return SimpleNamespace(tr=tr, lang=lang, _=tr.gettext, n_=tr.ngettext)


def _emergency(flag: RedFlag) -> str:
    return dict(words.EMERGENCY)[flag]


@pytest.mark.parametrize("lang", ["en", "ru", "es", "de"])
async def test_urgent_wordings_through_the_bot(double, db, clock, lang):
    tr = translator(lang)
    base = {"en": 7300, "ru": 7310, "es": 7320, "de": 7330}[lang]
    async with running_bot(double, db, clock=clock):
        chest = await onboard(Chat(double, base + 1, language=lang), rf_chest_or_breath="yes")
        clot = await onboard(Chat(double, base + 2, language=lang), rf_clot_signs="yes")
        numb = await onboard(Chat(double, base + 3, language=lang), rf_numb_tingling="yes")
        bone = await onboard(Chat(double, base + 4, language=lang), rf_cannot_bear_weight="yes")

    # chest pain or sudden breathlessness: the emergency number now, and nothing softer after
    emergency = tr.gettext(_emergency(RedFlag.CHEST_OR_BREATH))
    assert emergency in chest and "112" in chest
    after = chest.split(emergency, 1)[1].lower()
    assert PHYSIO[lang] not in after and tr.gettext(DISCLAIMER) not in chest
    assert tr.gettext(words.BONE_TEXT) not in after
    # a possible clot: a doctor today (urgent care or emergency if none), never a physio
    assert tr.gettext(dict(words.SAME_DAY)[RedFlag.CLOT_SIGNS]) in clot
    assert PHYSIO[lang] not in clot.lower()
    # severe pain with numbness or tingling: emergency care now
    assert tr.gettext(_emergency(RedFlag.NUMB_TINGLING)) in numb
    assert PHYSIO[lang] not in numb.lower()
    # fracture signs: a doctor before any further running or hopping
    assert tr.gettext(words.BONE_TEXT) in bone
    assert PHYSIO[lang] not in bone.lower()
    for text in (chest, clot, numb, bone):
        assert tr.gettext(CLEARED) in text


@pytest.mark.parametrize("lang", ["en", "ru", "es", "de"])
def test_referral_text_most_urgent_first_and_never_softened(lang):
    ctx = _ctx(lang)
    tr = ctx.tr
    chest = tr.gettext(_emergency(RedFlag.CHEST_OR_BREATH))
    numb = tr.gettext(_emergency(RedFlag.NUMB_TINGLING))
    clot = tr.gettext(dict(words.SAME_DAY)[RedFlag.CLOT_SIGNS])
    bone = tr.gettext(words.BONE_TEXT)

    every = words.referral(ctx, frozenset(RedFlag))
    assert every.index(chest) < every.index(numb)
    assert clot not in every and bone not in every and PHYSIO[lang] not in every.lower()

    text = words.referral(ctx, frozenset({RedFlag.CLOT_SIGNS, RedFlag.NIGHT_PAIN}))
    assert text.index(clot) < text.index(bone)
    assert PHYSIO[lang] not in text.lower()

    only_bone = words.referral(ctx, frozenset({RedFlag.BONY_TENDERNESS, RedFlag.NIGHT_PAIN}))
    assert only_bone.count(bone) == 1 and chest not in only_bone and clot not in only_bone
