"""Bench: how many taps each conversation takes, and how many new bot messages it sends.

Run from the repo root::

    python bench/taps.py

Drives the real bot (``build_application``) through the loopback Bot API double, on a fresh
SQLite file, as tests/conftest.py does (``running_bot``, ``Chat``, ``choose``), for typical
runners: onboarding on the common path (one injury, no red flag, no test results) and with
test results; a check-in after a normal, symptom-free session, after a session that hurt a
little, a shortened one and a skipped one, a run synced from intervals.icu; the morning
check when all is well and when something changed; a weekly reassessment.

A tap is one answer to a question (a button pressed or a number typed); the command or
prompt button that opens a conversation is not counted. New bot messages are the messages the
bot sent from the opening to the final reply, both included; a question edited in place (the
living message) and buttons taken off an older message are not new messages. The onboarding
counter's totals ("Getting started · 3/12") are collected too: the total must never change.

Prints ``figure: <name> = <value> <unit>`` lines. Exits 1 when a limit of issue 12 is not met
(check-in 6 taps, skipped 2, morning 2, onboarding 12 steps, one counter total, at most 3
new bot messages per check-in).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import select  # noqa: E402

from bot_api_double import BotApiDouble  # noqa: E402
from conversations import prompts, sender  # noqa: E402
from conversations.context import Ctx, Services  # noqa: E402
from storage import Database  # noqa: E402
from storage.models import ConversationRow, Runner  # noqa: E402
from tests.conftest import ONBOARDING_ANSWERS, Chat, Clock, choose, running_bot  # noqa: E402

COUNTER = re.compile(r"<b>(.+?) · (\d+)/(\d+)</b>")

COMMON_PATH = {**ONBOARDING_ANSWERS, "tests": "no"}
SYMPTOM_FREE = {
    "outcome": "done",
    "pain_during": "0",
    "pain_after": "0",
    "rpe": "3",
    "mood": "skip",
    "note": "skip",
}
A_LITTLE_PAIN = {
    "outcome": "done",
    "pain_during": "2",
    "pain_after": "1",
    "sharp_or_limp": "no",
    "stiffness": "1",
    "swelling": "none",
    "rpe": "4",
    "mood": "4",
    "sleep": "7",
    "note": "skip",
}
DID_LESS = {**SYMPTOM_FREE, "outcome": "shorter", "minutes": "20"}
SKIPPED = {"outcome": "skipped"}
MORNING_ALL_WELL = {"pain": "good"}
MORNING_CHANGED = {"pain": "worse", "stiffness": "same", "swelling": "none", "night_pain": "no"}
REASSESSMENT = {
    "screen": "none",
    "swelling": "none",
    "rest_pain": "0",
    "daily_pain": "0",
    "heel_left": "25",
    "heel_right": "27",
    "hops_left": "10",
    "hops_right": "10",
    "hop_pain": "0",
    "ktw_left": "12",
    "ktw_right": "12",
    "stiffness_min": "0",
    "walk_pain": "0",
}


@dataclass
class Run:
    """One conversation as the runner lived it."""

    taps: int = 0
    messages: int = 0
    totals: dict[str, set[int]] = field(default_factory=dict)  # each counter's totals seen
    steps: list[str] = field(default_factory=list)
    final: str = ""


async def _step(chat: Chat, db: Database) -> str:
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == chat.user_id))
        ).scalar_one_or_none()
        if runner is None:
            return ""
        row = await session.get(ConversationRow, runner.id)
        return row.step if row is not None and row.step else ""


async def drive(chat: Chat, db: Database, answers: dict[str, str], mark: int) -> Run:
    """Answer the open conversation to its end (``answers`` by step name, else the first
    button); ``mark`` is the number of bot sends and edits before the conversation was
    opened."""
    run = Run()
    for _ in range(60):
        step = await _step(chat, db)
        if not step:
            break
        newest = chat.double.screen(chat.user_id)[-1]  # the question as the runner sees it
        match = COUNTER.search(newest.text or "")
        if match:
            run.totals.setdefault(match.group(1), set()).add(int(match.group(3)))
        value = answers.get(step)
        if value is None:
            rows = newest.buttons()
            value = rows[0][0][1].split("|", 2)[2] if rows else "0"
        run.steps.append(step)
        await choose(chat, value)
        run.taps += 1
    else:  # pragma: no cover - a conversation that never ends
        raise AssertionError("the conversation did not end")
    # new messages only: a question edited in place, or buttons taken off, is no new message
    run.messages = sum(not m.edited for m in chat.double.sent(chat.user_id)[mark:])
    run.final = chat.double.screen(chat.user_id)[-1].text or ""
    return run


async def onboarding(chat: Chat, db: Database, answers: dict[str, str]) -> Run:
    mark = len(chat.double.sent(chat.user_id))
    await chat.say("/start")
    return await drive(chat, db, answers, mark)


async def checkin(chat: Chat, db: Database, answers: dict[str, str]) -> Run:
    mark = len(chat.double.sent(chat.user_id))
    await chat.say("/checkin")
    return await drive(chat, db, answers, mark)


async def skipped_from_prompt(chat: Chat, db: Database, clock: Clock, app: Any) -> Run:
    """The daily prompt's "Skipped today" button: the whole check-in."""
    await deliver_prompt(chat, db, clock, app, [prompts.DAILY])
    mark = len(chat.double.sent(chat.user_id))
    await chat.press("Skipped today")
    run = await drive(chat, db, {}, mark)
    run.taps += 1  # the button itself is the answer
    return run


async def deliver_prompt(
    chat: Chat, db: Database, clock: Clock, app: Any, kinds: list[str]
) -> None:
    """Compose a scheduled prompt as the scheduler does and send it."""
    async with db.session() as session:
        runner = (
            await session.execute(select(Runner).where(Runner.telegram_user_id == chat.user_id))
        ).scalar_one()
        ctx = Ctx(services=Services(db=db), session=session, runner=runner, now=clock())
        await prompts.compose(ctx, kinds)
        await session.commit()
    await sender.deliver(app.bot, chat.user_id, ctx.out)
    await chat.double.wait_for(chat.user_id, len(ctx.out), since=0, timeout=10)


async def morning(chat: Chat, db: Database, clock: Clock, app: Any, answers: dict[str, str]) -> Run:
    mark = len(chat.double.sent(chat.user_id))
    await deliver_prompt(chat, db, clock, app, [prompts.MORNING])
    return await drive(chat, db, answers, mark)


async def reassessment(chat: Chat, db: Database) -> Run:
    mark = len(chat.double.sent(chat.user_id))
    await chat.say("/reassess")
    return await drive(chat, db, REASSESSMENT, mark)


async def measure() -> dict[str, Run]:
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/taps.sqlite3")
        await db.migrate()
        clock = Clock()
        try:
            async with BotApiDouble() as double, running_bot(double, db, clock=clock) as app:
                common = Chat(double, 9001)
                runs["onboarding_common_path"] = await onboarding(common, db, COMMON_PATH)
                tested = Chat(double, 9002)
                runs["onboarding_with_tests"] = await onboarding(tested, db, ONBOARDING_ANSWERS)
                runs["checkin_symptom_free"] = await checkin(common, db, SYMPTOM_FREE)
                clock.advance(days=1)
                runs["morning_all_well"] = await morning(common, db, clock, app, MORNING_ALL_WELL)
                runs["checkin_a_little_pain"] = await checkin(tested, db, A_LITTLE_PAIN)
                clock.advance(days=1)
                runs["morning_something_changed"] = await morning(
                    tested, db, clock, app, MORNING_CHANGED
                )
                runs["checkin_did_less"] = await checkin(common, db, DID_LESS)
                clock.advance(days=1)
                runs["checkin_skipped"] = await checkin(common, db, SKIPPED)
                clock.advance(days=1)
                runs["checkin_skipped_from_prompt"] = await skipped_from_prompt(
                    common, db, clock, app
                )
                clock.advance(days=1)
                runs["reassessment"] = await reassessment(common, db)
            runs["checkin_synced_run"] = await synced_run(db, clock)
        finally:
            await db.dispose()
    return runs


async def synced_run(db: Database, clock: Clock) -> Run:
    """A run that arrived from intervals.icu by itself (issue 29): the runner linked their
    account once (OAuth, through both doubles); the poller brings the watch's file and the
    check-in asks only how it felt. Counted from the poller's message."""
    from intervals_double import IntervalsDouble
    from tests.test_intervals import link_account, synced_bot
    from tests.test_watch import onboard_at
    from tests.watch_files import fit_file, walk_run

    async with BotApiDouble() as double, IntervalsDouble() as icu:
        athlete = icu.add_athlete("Ana")
        chat = Chat(double, 9003)
        async with synced_bot(double, icu, db, clock) as (_app, job, _config):
            await onboard_at(chat, db)
            await link_account(chat, icu, db)
            await job.tick()
            clock.advance(hours=3)
            start = clock() - timedelta(hours=1)
            icu.add_activity(athlete, start, fit_file(walk_run(), start))
            mark = len(double.sent(9003))
            await job.tick()
            await double.wait_for(9003, 2, since=mark, timeout=10)
            return await drive(chat, db, SYMPTOM_FREE, mark)


LIMITS = {
    "checkin_symptom_free": 6,
    "checkin_skipped": 2,
    "checkin_skipped_from_prompt": 2,
    "morning_all_well": 2,
    "onboarding_common_path": 12,
    "checkin_synced_run": 3,  # issue 29
}
# new bot messages per check-in (a question is edited in place; issue 12: at most 3)
MESSAGE_LIMITS = {
    "checkin_symptom_free": 3,
    "checkin_a_little_pain": 3,
    "checkin_did_less": 3,
    "checkin_skipped": 3,
    "checkin_skipped_from_prompt": 3,
    "checkin_synced_run": 3,
}


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    runs = asyncio.run(measure())
    for name, run in runs.items():
        unit = "steps" if name.startswith("onboarding") else "taps"
        print(f"figure: {name}_{unit} = {run.taps} {unit}")
        print(f"figure: {name}_new_bot_messages = {run.messages} messages")
    # the names issue 12 checks
    print(f"figure: checkin_taps_symptom_free = {runs['checkin_symptom_free'].taps} taps")
    print(f"figure: checkin_taps_skipped = {runs['checkin_skipped'].taps} taps")
    print(f"figure: morning_taps_all_well = {runs['morning_all_well'].taps} taps")
    print(f"figure: checkin_taps_synced_run = {runs['checkin_synced_run'].taps} taps")
    print(
        f"figure: checkin_new_bot_messages = {runs['checkin_symptom_free'].messages} messages"
    )
    print(f"figure: onboarding_steps_common_path = {runs['onboarding_common_path'].taps} steps")
    for name in ("onboarding_common_path", "onboarding_with_tests"):
        changes = sum(len(t) - 1 for t in runs[name].totals.values())
        shown = {title: sorted(t) for title, t in runs[name].totals.items()}
        print(f"figure: {name}_counter_total_changes = {changes} changes ({shown})")
    problems = [
        f"{name}: {runs[name].taps} > {limit}"
        for name, limit in LIMITS.items()
        if runs[name].taps > limit
    ]
    problems += [
        f"{name}: {runs[name].messages} new bot messages > {limit}"
        for name, limit in MESSAGE_LIMITS.items()
        if runs[name].messages > limit
    ]
    for name in ("onboarding_common_path", "onboarding_with_tests"):
        if any(len(t) != 1 for t in runs[name].totals.values()):
            problems.append(f"{name}: a counter changed its total")
    for problem in problems:
        print("problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
