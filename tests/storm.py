"""A check-in storm against real ``runcoach run`` processes that get killed (SIGKILL).

Shared by tests/test_kill.py (a few kills, a few seconds) and bench/faults.py (many kills).
Runners are seeded active; each does a whole check-in (``/checkin`` and 11 answers) over the
loopback double, waiting for each next question before answering it, as a person does, and
never sending an answer twice. Meanwhile bot processes are killed with SIGKILL and started
again. Afterwards: did every runner see every question (none lost), was any question shown
twice, is every check-in stored exactly once with the values given?

What counts is what the runner sees. A pressed button edits its message (the living message)
into the next question; a typed answer brings the next question as a new message. A question
is *seen* when a new message or an edit shows it; it is *doubled* when it is shown more than
once: a new message sent again after a kill (sent, not yet recorded), or the living message
going back to it. An edit sent again is harmless (Telegram answers "message is not
modified" and nothing changes), so with edits only new messages can double.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot_api_double import LATE, BotApiDouble, SentMessage
from storage import Database
from storage.models import CheckInRow, ConversationRow, OutboxRow, ReceivedUpdateRow, Runner

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TESTtokenDoNotLogThis0123456789abcdef"
# "Did less" asks the minutes; pain asks sharp pain, stiffness and swelling: every question
CHECKIN = ["shorter", "30", "2", "1", "no", "1", "none", "4", "4", "7", "skip"]
STEPS = len(CHECKIN)
EXPECTED = (30, 2, 1, 1, 4)  # minutes, pain during, pain after, stiffness, effort


@dataclass
class StormResult:
    runners: int = 0
    kills: int = 0
    finished: int = 0
    updates_lost: int = 0  # an answer that was never stored
    replies_lost: int = 0  # an answer stored whose next question never came
    replies_doubled: int = 0  # a question shown twice (a new message or an edit)
    doubled_by_edit: int = 0  # of those: shown again by an edit (the living message)
    questions_unseen: int = 0  # a question a finished runner never saw
    answers_duplicated: int = 0  # check-ins stored more than once
    typed: int = 0  # answers typed instead of pressed
    typed_answers_dropped: int = 0  # a typed answer followed by no reply at all
    told_not_taken: int = 0  # answers the runner was told were not taken (and re-asked)
    wrong_values: int = 0
    left_in_outbox: int = 0
    left_received: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    doubles: list[str] = field(default_factory=list)  # how each doubled question was shown


def runner_row(uid: int, now: datetime, **fields: Any) -> Runner:
    """An active runner in the continuous stage, onboarded a month ago (``fields`` override)."""
    values: dict[str, Any] = {
        "telegram_user_id": uid,
        "chat_id": uid,
        "status": "active",
        "injury": "calf_strain",
        "side": "left",
        "injury_date": now.date() - timedelta(days=60),
        "level": 13,
        "level_since": now.date() - timedelta(days=8),
        "consent_at": now - timedelta(days=30),
        "preferred_days": "0,1,2,3,4,5,6",
        "next_due_at": now + timedelta(days=2),  # no scheduled prompt meanwhile
    }
    return Runner(**{**values, **fields})


async def seed(db: Database, user_ids: list[int]) -> None:
    now = datetime.now(UTC)
    async with db.session() as session:
        session.add_all(runner_row(uid, now) for uid in user_ids)


def _header(n: int) -> str:
    """The counter of the n-th question ("Check-in · question 3")."""
    return f"Check-in · question {n}<"


def _gist(text: str | None) -> str:
    """The question's header and what stands before it (a reason, a summary)."""
    body = (text or "").split("<b>Check-in ·", 1)
    return body[0][-60:] + "|" + body[1][:12] if len(body) == 2 else (text or "")[:60]


def _find(messages: list[SentMessage], text: str) -> SentMessage | None:
    for message in reversed(messages):
        if text in (message.text or ""):
            return message
    return None


async def _wait_text(
    double: BotApiDouble, uid: int, text: str, since: int, timeout: float
) -> SentMessage | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _find(double.sent(uid)[since:], text)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    return None


NOT_TAKEN = "haven't taken that as an answer"
NOTE = "calf a little tight, fine otherwise"  # typed instead of pressing "skip"


@dataclass
class Walk:
    """How one runner's check-in went."""

    finished: bool = False
    step: int = 0  # the step it was stuck at
    typed: int = 0  # answers typed (numbers, minutes, a note) instead of pressed
    typed_dropped: int = 0  # a typed answer that got no reply at all
    told_not_taken: int = 0  # "I haven't taken that as an answer" (the question came too)


async def runner_checkin(
    double: BotApiDouble, uid: int, rng: random.Random, timeout: float, type_share: float = 0.0
) -> Walk:
    """One runner's check-in. With ``type_share`` the runner types that share of the
    answers (the number, the minutes, a note) instead of pressing the button; told that an
    answer was not taken, they answer the question shown with it."""
    walk = Walk()
    since = len(double.sent(uid))
    double.send_text(TOKEN, uid, "/checkin")
    question = await _wait_text(double, uid, _header(1), since, timeout)
    if question is None:
        return walk
    for i, value in enumerate(CHECKIN):
        expect = _header(i + 2) if i + 1 < STEPS else "check-in is saved"
        while True:
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            since = len(double.sent(uid))
            data = None
            for row in question.buttons():
                for _label, button in row:
                    if button and button.startswith("s|") and button.split("|", 2)[2] == value:
                        data = button
            typed = data is None or (value != "shorter" and rng.random() < type_share)
            if not typed:
                double.press(TOKEN, uid, question.message_id, data)
            else:
                walk.typed += 1
                double.send_text(TOKEN, uid, NOTE if value == "skip" else value)
            found = await _wait_any(double, uid, (expect, NOT_TAKEN), since, timeout)
            if found is None:
                walk.step = i + 1
                walk.typed_dropped += typed and len(double.sent(uid)) == since
                return walk
            if NOT_TAKEN in (found.text or ""):
                walk.told_not_taken += 1
                question = found
                continue
            question = found
            break
    walk.finished, walk.step = True, STEPS
    return walk


async def _wait_any(
    double: BotApiDouble, uid: int, texts: tuple[str, ...], since: int, timeout: float
) -> SentMessage | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in texts:
            found = _find(double.sent(uid)[since:], text)
            if found is not None:
                return found
        await asyncio.sleep(0.05)
    return None


class Bots:
    """``runcoach run`` processes against the double; killed and started again."""

    def __init__(self, double: BotApiDouble, database_url: str, workdir: Path, count: int):
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=double.base_url,
            DATABASE_URL=database_url,
            LOG_LEVEL="WARNING",
            TICK_SECONDS="3600",
        )
        self.workdir = workdir
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self.logs = [workdir / f"bot{i}.log" for i in range(count)]

    async def start(self, i: int) -> None:
        with self.logs[i].open("ab") as log:
            self.processes[i] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )

    async def kill(self, i: int) -> None:
        process = self.processes[i]
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()

    async def terminate(self, i: int, timeout: float = 30.0) -> int | None:
        """SIGTERM, as an orchestrator stops a container; its exit code."""
        process = self.processes[i]
        if process is None or process.returncode is not None:
            return None
        process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            return await process.wait()

    async def stop_all(self) -> None:
        for process in self.processes:
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            if process is not None:
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def checkin_storm(
    database_url: str,
    workdir: Path,
    *,
    runners: int = 20,
    kills: int = 3,
    processes: int = 1,
    kill_every: tuple[float, float] = (0.8, 1.6),
    timeout: float = 45.0,
    seed_value: int = 7,
    type_share: float = 0.5,
    slow_edits: int = 0,
) -> StormResult:
    """``type_share``: the share of answers typed instead of pressed; ``slow_edits``: at
    each kill, the next ``slow_edits`` question edits take effect but answer later than
    the bot waits (the edit that carries the next question, slow)."""
    result = StormResult(runners=runners)
    rng = random.Random(seed_value)
    db = Database(database_url)
    await db.migrate()
    uids = [70_000 + i for i in range(runners)]
    await seed(db, uids)
    started = time.monotonic()
    async with BotApiDouble() as double:
        bots = Bots(double, database_url, workdir, processes)
        for i in range(processes):
            await bots.start(i)
        if slow_edits:
            double.hang_seconds = 6.0  # longer than the bot waits for an answer (5 s)
        clients = [
            asyncio.create_task(
                runner_checkin(double, uid, random.Random(uid), timeout, type_share)
            )
            for uid in uids
        ]
        try:
            # let the first process start up and the storm begin
            for _ in range(600):
                if any(double.sent(u) for u in uids):
                    break
                await asyncio.sleep(0.05)
            for k in range(kills):
                await asyncio.sleep(rng.uniform(*kill_every))
                which = k % processes
                if slow_edits:
                    double.fail_next("editMessageText", status=LATE, count=slow_edits)
                await bots.kill(which)
                result.kills += 1
                await bots.start(which)
            outcomes = await asyncio.gather(*clients)
            await asyncio.sleep(0.5)
        finally:
            await bots.stop_all()
        for uid, walk in zip(uids, outcomes, strict=True):
            finished, step = walk.finished, walk.step
            result.typed += walk.typed
            result.typed_answers_dropped += walk.typed_dropped
            result.told_not_taken += walk.told_not_taken
            # every send and every edit that changed a message: what the runner saw happen
            shown = double.sent(uid)
            for n in range(1, STEPS + 1):
                showing = [
                    m
                    for m in shown
                    if _header(n) in (m.shown_text or "") and m.method != "editMessageReplyMarkup"
                ]  # buttons taken off a message do not show its question again
                seen = len(showing)
                result.replies_doubled += max(0, seen - 1)
                result.doubled_by_edit += max(0, sum(m.edited for m in showing[1:]))
                if seen > 1:
                    result.doubles.append(
                        f"runner {uid} question {n}: "
                        + ", ".join(
                            f"{m.method}#{m.message_id} {_gist(m.shown_text)!r}" for m in showing
                        )
                    )
                result.questions_unseen += finished and seen == 0
            if finished:
                result.finished += 1
                continue
            async with db.session() as session:
                runner = await session.scalar(select(Runner).where(Runner.telegram_user_id == uid))
                assert runner is not None
                row = await session.get(ConversationRow, runner.id)
                given = (row.answers or {}) if row else {}
                answered = sum(not key.startswith("_") for key in given)  # not the flow's own
            # the answer to step ``step`` was stored (the next question was lost) or not
            if answered >= step:
                result.replies_lost += 1
            else:
                result.updates_lost += 1
            last = ", ".join(
                f"{m.method}#{m.message_id} {_gist(m.shown_text)!r}" for m in shown[-3:]
            )
            result.problems.append(
                f"runner {uid} stuck after step {step} (answers: {answered}); last seen: {last}"
            )
    async with db.session() as session:
        for uid in uids:
            rows = (
                (
                    await session.execute(
                        select(CheckInRow).join(Runner).where(Runner.telegram_user_id == uid)
                    )
                )
                .scalars()
                .all()
            )
            result.answers_duplicated += max(0, len(rows) - 1)
            for row in rows:
                got = (row.minutes, row.pain_during, row.pain_after, row.stiffness, row.rpe)
                if got != EXPECTED:
                    result.wrong_values += 1
        result.left_in_outbox = int(
            await session.scalar(select(func.count()).select_from(OutboxRow)) or 0
        )
        result.left_received = int(
            await session.scalar(select(func.count()).select_from(ReceivedUpdateRow)) or 0
        )
    await db.dispose()
    result.seconds = time.monotonic() - started
    return result


def main_args(argv: list[str] | None = None) -> Any:  # pragma: no cover - manual runs
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--database", default="")
    p.add_argument("--runners", type=int, default=20)
    p.add_argument("--kills", type=int, default=3)
    return p.parse_args(argv)


HELP = "Here is what I can do"


async def _until(done: Any, deadline: float) -> None:
    while time.monotonic() < deadline:
        if done():
            return
        await asyncio.sleep(0.05)


@dataclass
class FloodResult:
    updates: int = 0
    replies: int = 0
    doubled: int = 0  # /help answered more than once
    unanswered: int = 0
    exit_code: int | None = None
    seconds: float = 0.0


async def sigterm_flood(
    database_url: str,
    workdir: Path,
    *,
    updates: int = 800,
    chats: int = 80,
    processes: int = 1,
    stop_after: float = 0.25,
    timeout: float = 120.0,
) -> FloodResult:
    """A /help flood (``updates`` from ``chats`` runners) against real ``runcoach run``
    processes; once ``stop_after`` of the replies are in, the first process gets SIGTERM
    (the others go on) and is started again. Every /help must be answered exactly once."""
    result = FloodResult(updates=updates)
    db = Database(database_url)
    await db.migrate()
    uids = [60_000 + i for i in range(chats)]
    await seed(db, uids)
    await db.dispose()
    started = time.monotonic()
    async with BotApiDouble() as double:
        bots = Bots(double, database_url, workdir, processes)

        def answered() -> int:
            return sum(HELP in (m.text or "") for u in uids for m in double.sent(u))

        try:
            for i in range(processes):
                await bots.start(i)
            double.send_text(TOKEN, uids[0], "/help")  # all processes up and answering
            await _wait_text(double, uids[0], HELP, 0, timeout)
            for i in range(updates - 1):
                double.send_text(TOKEN, uids[(i + 1) % chats], "/help")
            deadline = time.monotonic() + timeout
            await _until(lambda: answered() >= updates * stop_after, deadline)
            result.exit_code = await bots.terminate(0)
            await bots.start(0)
            await _until(lambda: answered() >= updates, deadline)
            await double.wait_idle(TOKEN, timeout=30)
            await asyncio.sleep(1.0)  # a late double would show now
        finally:
            await bots.stop_all()
        counts = [sum(HELP in (m.text or "") for m in double.sent(u)) for u in uids]
    asked = [updates // chats + (1 if i < updates % chats else 0) for i in range(chats)]
    result.replies = sum(counts)
    result.doubled = sum(max(0, got - want) for got, want in zip(counts, asked, strict=True))
    result.unanswered = sum(max(0, want - got) for got, want in zip(counts, asked, strict=True))
    result.seconds = time.monotonic() - started
    return result
