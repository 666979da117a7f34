"""Coherence: simulated runners live weeks through the real bot over the loopback Bot API
double, and after every simulated day every screen they read is checked against the others.

    python bench/coherence.py [--runners 27] [--weeks 8] [--seed 7] [--verbose]

Runners cover the 9 injury profiles, onboard with or without tests, check in with mixed
symptoms (pain within the rule, above it, sharp pain, skipped sessions, bad mornings),
answer the morning checks and weekly reassessments the scheduler sends; some pause for a
few days, some have a physiotherapist who holds and resumes their plan, some report a red
flag and are cleared by a clinician. The screens collected: the 07:00 message (and the
morning check it opens), /today, /plan, /why, the check-in, morning and reassessment
results, /history, the chart's data, the care team's Monday summary.

What must agree (each disagreement is counted and, with --verbose, printed):

* the next session (date, kind, minutes): what a result says is what /today, /plan and the
  next day's 07:00 message say, until a new answer changes it;
* the status: paused, held by the care team or stopped for a referral, on every screen;
* one pain rule a runner and day (every "aim for G/10 or less; above C/10" said, every
  "went above C/10", every "pain of P/10 is acceptable" (P within the rule), the chart's
  band and line);
* at most 3 lines of reasons in a result;
* /history's rows are what the database holds: each check-in as stored, a planned session
  not checked in as missed (never "rest"), a morning check on the day it was answered;
* no chart line across days without data.

Prints ``figure: coherence_runner_weeks``, ``screens_disagreeing``,
``pain_limit_variants_max``, ``decision_reasons_max``, ``history_rows_untrue``,
``chart_lines_across_gaps`` (issue 22).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import select  # noqa: E402

from bot.scheduler import Scheduler  # noqa: E402
from bot_api_double import BotApiDouble  # noqa: E402
from progression import Injury  # noqa: E402
from reports.charts import PAIN_AFTER, PAIN_DURING, build_figure  # noqa: E402
from reports.progress import chart_data, chart_window  # noqa: E402
from storage import Database  # noqa: E402
from storage import reports as report_store  # noqa: E402
from storage.models import CheckInRow, ConversationRow, MorningCheckRow, PlanDayRow, Runner  # noqa: E402
from tests.conftest import Chat, Clock, choose, running_bot  # noqa: E402

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday
YEAR = START.year
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
DAY_RE = r"(?:today|tomorrow)?\s*\(?\w+, (\w{3}) (\d{1,2})\)?"
NEXT = re.compile(r"Next session: " + DAY_RE + r": ([^,\n<]+?)(?:, (\d+) minutes?)?(?:<|\n|$)")
PLAN_DAY = re.compile(
    r"^<b>\w+, (\w{3}) (\d{1,2})</b>: (Easy day \()?(.+?)(?: · (\d+) minutes?)?(?: · .*)?\)?$"
)
TOTAL = re.compile(r"Total: (\d+) minutes?")
RULE = re.compile(r"aim for (\d+)/10 or less; above (\d+)/10|keep it pain-free; above (\d+)/10")
ABOVE = re.compile(r"went above (\d+)/10")
ACCEPTABLE = re.compile(r"Pain of (\d+)/10 is acceptable")
TAG = re.compile(r"<[^>]+>")


def day_of(month: str, day: str) -> date:
    return date(YEAR, MONTHS[month], int(day))


@dataclass
class Said:
    """What one screen said about the next session."""

    source: str
    when: date
    kind: str
    minutes: int | None


@dataclass
class Sim:
    """One simulated runner and what they read."""

    n: int
    chat: Chat
    injury: Injury
    rng: random.Random
    member: Chat | None = None
    last: Said | None = None  # the last statement of the next session
    changed: bool = True  # an answer since the last statement (it may differ)
    rules: dict[date, set[tuple[int | None, int]]] = field(default_factory=lambda: defaultdict(set))
    paused_until: date | None = None
    held: bool = False
    referred: bool = False
    findings: list[str] = field(default_factory=list)


class Counts:
    def __init__(self) -> None:
        self.disagreeing = 0
        self.reasons_max = 0
        self.history_untrue = 0
        self.chart_gaps = 0
        self.screens = 0


def plain(text: str | None) -> str:
    return html.unescape(TAG.sub("", text or ""))


# ---------------------------------------------------------------- reading the screens
def next_from_result(text: str) -> Said | None:
    m = NEXT.search(text)
    if not m:
        return None
    month, day, kind, minutes = m.groups()
    return Said("result", day_of(month, day), kind.strip(), int(minutes) if minutes else None)


def next_from_today(text: str, today: date) -> Said | None:
    if "Afterwards, tap Check in" in text:
        kinds = re.findall(r"<b>([^<]+)</b>", text)
        kind = next((k for k in kinds[1:] if not k.startswith("Strength")), "?")
        total = TOTAL.search(text)
        return Said("today", today, kind.strip(), int(total.group(1)) if total else None)
    said = next_from_result(text)
    if said is not None:
        said.source = "today"
    return said


def next_from_plan(text: str) -> Said | None:
    for line in text.splitlines():
        m = PLAN_DAY.match(line)
        if not m:
            continue
        month, day, easy, kind, minutes = m.groups()
        if easy:
            continue
        return Said("plan", day_of(month, day), kind.strip(), int(minutes) if minutes else None)
    return None


def reasons_of(text: str) -> int:
    """Lines of reasons in a result: between its headline and the next blank line (where the
    runner stands is not a reason)."""
    body = text.split("\n")
    count = 0
    started = False
    for line in body:
        if not started:
            if line.startswith("<b>") and line.endswith("</b>") and "·" not in line and (
                "level" in line or "step back" in line or "rest" in line.lower()
                or "ease off" in line or "repeat" in line or "clinician" in line
            ):
                started = True
            continue
        if not line.strip():
            break
        if not line.startswith("Stage "):
            count += 1
    return count


# ---------------------------------------------------------------- the simulation
class Coherence:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.counts = Counts()
        self.clock = Clock(START)
        self.sims: list[Sim] = []

    def disagree(self, sim: Sim, what: str) -> None:
        self.counts.disagreeing += 1
        sim.findings.append(f"{self.clock():%a %d %b}: {what}")

    def statement(self, sim: Sim, said: Said | None, text: str) -> None:
        """Compare with the runner's last statement of the next session, unless an answer
        came since or the last one's day has passed."""
        self.counts.screens += 1
        if said is None:
            return
        today = self.clock().date()
        last = sim.last
        same = last is not None and (last.when, last.kind, last.minutes) == (
            said.when, said.kind, said.minutes
        )
        if last is not None and not sim.changed and last.when >= today and not same:
            self.disagree(
                sim,
                f"{last.source} said {last.when} {last.kind} {last.minutes}, "
                f"{said.source} says {said.when} {said.kind} {said.minutes}",
            )
        sim.last, sim.changed = said, False

    def pain(self, sim: Sim, text: str) -> None:
        today = self.clock().date()
        rules = sim.rules[today]
        for m in RULE.finditer(text):
            g, c, free = m.groups()
            rules.add((int(g), int(c)) if g else (0, int(free)))
        ceilings = {c for _, c in rules}
        for m in ABOVE.finditer(text):
            if ceilings and int(m.group(1)) not in ceilings:
                rules.add((None, int(m.group(1))))
        for m in ACCEPTABLE.finditer(text):
            p = int(m.group(1))
            if any(g is not None and not g < p <= c for g, c in rules):
                rules.add((p, p))  # "acceptable" for a pain the rule steps back for

    async def screen(self, sim: Sim, name: str, text: str) -> None:
        today = self.clock().date()
        if self.args.trace == sim.n:
            print(f"--- {today} {name}\n{plain(text)}", file=sys.stderr)
        self.pain(sim, text)
        if name in ("result", "morning", "reassess", "clearance"):
            self.counts.reasons_max = max(self.counts.reasons_max, reasons_of(text))
            sim.changed = True
            self.statement(sim, next_from_result(text), text)
        elif name in ("today", "prompt"):
            self.check_status(sim, name, text)
            if sim.paused_until or sim.referred:
                return
            self.statement(sim, next_from_today(text, today), text)
        elif name == "plan":
            self.check_status(sim, name, text)
            if sim.paused_until or sim.referred:
                return
            self.statement(sim, next_from_plan(text), text)

    def check_status(self, sim: Sim, name: str, text: str) -> None:
        shown = plain(text)
        if sim.paused_until and "paused" not in shown:
            self.disagree(sim, f"paused, but {name} says: {shown[:80]!r}")
        if sim.referred and "stopped" not in shown:
            self.disagree(sim, f"referred, but {name} says: {shown[:80]!r}")
        if sim.held and name == "today" and "on hold" not in shown:
            self.disagree(sim, f"held by the care team, but {name} says nothing of it")

    # ---------------------------------------------------------------- actions
    async def say(self, sim: Sim, text: str, count: int = 1) -> list[Any]:
        return await sim.chat.say(text, count=count, timeout=30)

    async def answer(self, sim: Sim, db: Database, answers: dict[str, str]) -> str:
        """Answer the open conversation by step name; the last reply's text."""
        last = ""
        for _ in range(40):
            async with db.session() as session:
                runner = await runner_of(session, sim.chat.user_id)
                row = await session.get(ConversationRow, runner.id)
                step = row.step if row is not None else ""
            if not step:
                return last
            value = answers.get(step) or answers.get(step.rstrip("_0123456789") + "*") or "0"
            replies = await choose(sim.chat, value)
            last = replies[-1].text or ""
        raise RuntimeError(f"runner {sim.n}: the conversation did not end")

    async def onboard(self, sim: Sim) -> None:
        tests = ("yes", "walk30", "no")[sim.n % 3]
        answers = {
            "consent": "yes",
            "injury": sim.injury.value,
            "side": "left",
            "injury_date": "2weeks",
            "rest_pain": "0",
            "walk_pain": str(sim.n % 2),
            "running_before": "3 120",
            "tests": tests,
            "days": ("0,2,4", "1,3,5", "any3")[sim.n % 3],
            "reminder": "07:00",
            "time_zone": "UTC",
            "goal": "skip",
            "heel_left": "30",
            "heel_right": "30",
            "hops_left": "10",
            "hops_right": "10",
            "hop_pain": "0",
            "stiffness_min": "5",
            "walk_test": "0",
        }
        await self.say(sim, "/start")
        text = await self.answer(sim, self.db, answers)
        await self.screen(sim, "result", text)

    def session_answers(self, sim: Sim) -> dict[str, str]:
        r = sim.rng.random()
        base = {"outcome": "done", "pain_during": "0", "pain_after": "0", "rpe": "3",
                "mood": "skip", "note": "skip", "minutes": "20", "sharp_or_limp": "no",
                "stiffness": "1", "swelling": "none", "sleep": "7"}
        if r < 0.06:
            return {"outcome": "skipped"}
        if r < 0.14:
            return {**base, "pain_during": "2", "pain_after": "1"}
        if r < 0.19:
            return {**base, "pain_during": "5", "pain_after": "3"}
        if r < 0.21:
            return {**base, "pain_during": "4", "pain_after": "2", "sharp_or_limp": "yes"}
        if r < 0.26:
            return {**base, "outcome": "shorter"}
        return base

    def morning_answers(self, sim: Sim) -> dict[str, str]:
        r = sim.rng.random()
        if r < 0.82:
            return {"pain": "good"}
        if r < 0.92:
            return {"pain": "same", "stiffness": "worse", "swelling": "none", "night_pain": "no"}
        return {"pain": "worse", "stiffness": "same", "swelling": "mild", "night_pain": "no"}

    async def day(self, sim: Sim, n: int, prompts: list[Any]) -> None:
        db = self.db
        today = self.clock().date()
        if sim.paused_until and today >= sim.paused_until:
            sim.paused_until = None
            sim.changed = True
        for message in prompts:
            text = message.text or ""
            if "Morning check ·" in text:
                await self.screen(sim, "prompt-morning", text)
                result = await self.answer(sim, db, self.morning_answers(sim))
                await self.screen(sim, "morning", result)
            elif text:
                await self.screen(sim, "prompt", text)
        [today_screen] = await self.say(sim, "/today")
        await self.screen(sim, "today", today_screen.text or "")
        [plan] = await self.say(sim, "/plan")
        await self.screen(sim, "plan", plan.text or "")
        if n % 3 == 0:
            [why] = await self.say(sim, "/why")
            self.pain(sim, why.text or "")
        await self.events(sim, n)
        if "Afterwards, tap Check in" in (today_screen.text or "") and not sim.paused_until:
            await self.say(sim, "/checkin")
            result = await self.answer(sim, db, self.session_answers(sim))
            await self.screen(sim, "result", result)
        elif sim.rng.random() < 0.1 and not (sim.paused_until or sim.referred):
            replies = await self.say(sim, "/checkin")
            labels = [lb for m in replies for row in m.buttons() for lb, _ in row]
            if "Done as planned" in labels and "Afterwards" not in (today_screen.text or ""):
                self.disagree(sim, "a day without a session offers 'Done as planned'")
            if "I rested" in labels:
                await choose(sim.chat, "rested")
            else:
                await self.say(sim, "/cancel")
        if sim.rng.random() < 0.3 and "reassess" in plain(today_screen.text).lower() and not (
            sim.paused_until or sim.referred
        ):
            await self.reassess(sim, flag=False)
        if n % 3 == 2:
            await self.check_history(sim)
        if n % 7 == 6:
            await self.check_chart(sim)

    async def reassess(self, sim: Sim, flag: bool) -> None:
        await self.say(sim, "/reassess")
        answers = {"screen": "night_pain" if flag else "none", "swelling": "none",
                   "rest_pain": "0", "daily_pain": "0", "heel_left": "30", "heel_right": "30",
                   "hops_left": "10", "hops_right": "10", "hop_pain": "0", "ktw_left": "skip",
                   "stiffness_min": "5", "walk_pain": "0", "ready*": "9"}
        text = await self.answer(sim, self.db, answers)
        await self.screen(sim, "reassess", text)
        sim.changed = True

    async def events(self, sim: Sim, n: int) -> None:
        """Pauses, a care team's hold, a referral and its clearance, on set days."""
        kind = sim.n % 6
        if kind == 1 and n == 9:
            await self.say(sim, "/pause 3")
            sim.paused_until = self.clock().date() + timedelta(days=3)
            sim.changed = True
        if kind == 2 and sim.member is not None and n in (12, 19):
            member = sim.member
            await member.say("/patients")
            await press_starting(member, "Open ")
            if n == 12:
                await member.press("Hold the plan")
                await member.say("Sore after the last visit")
                sim.held = True
            else:
                await member.press("Resume the plan")
                sim.held = False
            sim.changed = True
        if kind == 3 and n == 11:
            await self.reassess(sim, flag=True)
            sim.referred = True
        if kind == 3 and n == 15 and sim.referred:
            await sim.chat.press("A clinician examined me and cleared me")
            replies = await sim.chat.press("With walking, as usual")
            sim.referred = False
            await self.screen(sim, "clearance", replies[-1].text or "")

    async def invite(self, sim: Sim) -> None:
        member = Chat(self.double, 90000 + sim.n)
        await self.say(sim, "/careteam")
        [_, link] = await sim.chat.press("Invite a physio or coach", count=2)
        token = (link.text or "").rsplit("=", 1)[-1]
        await member.say(f"/start {token}")
        await member.press("Accept", count=2)
        answers = {"time_zone": "UTC"}
        for _ in range(3):
            async with self.db.session() as session:
                runner = await runner_of(session, member.user_id)
                row = await session.get(ConversationRow, runner.id)
            if not row or not row.step:
                break
            await choose(member, answers.get(row.step, "UTC"))
        sim.member = member

    async def monday(self, scheduler: Scheduler) -> None:
        """The care team's Monday summary says the status the runner is told."""
        self.clock.now = self.clock.now.replace(hour=8, minute=1)
        members = [s for s in self.sims if s.member is not None]
        marks = {s.n: self.double.mark(s.member.user_id) for s in members}  # type: ignore[union-attr]
        await scheduler.tick()
        for sim in members:
            assert sim.member is not None
            for message in self.double.sent(sim.member.user_id)[marks[sim.n]:]:
                shown = plain(message.text)
                if "Weekly summary" not in shown:
                    continue
                self.counts.screens += 1
                held = "Status: Held by the care team" in shown
                if held != sim.held:
                    self.disagree(sim, f"Monday summary status: {shown[:120]!r}")
                if "0 done of 0 planned" in shown:
                    self.disagree(sim, "Monday summary: 0 of 0 sessions")

    # ---------------------------------------------------------------- independent checks
    async def check_history(self, sim: Sim) -> None:
        """Each /history row against the database: the check-ins as stored, a planned
        session not checked in as missed, mornings on the day they were answered."""
        [reply] = await self.say(sim, "/history")
        text = plain(reply.text)
        rows = {line.split(" — ")[0]: line.split(" — ", 1)[1] for line in text.splitlines()
                if " — " in line}
        today = self.clock().date()
        async with self.db.session() as session:
            runner = await runner_of(session, sim.chat.user_id)
            first = today - timedelta(days=13)
            checkins = (await session.execute(select(CheckInRow).where(
                CheckInRow.runner_id == runner.id, CheckInRow.day >= first))).scalars().all()
            mornings = (await session.execute(select(MorningCheckRow).where(
                MorningCheckRow.runner_id == runner.id, MorningCheckRow.day >= first
            ))).scalars().all()
            plan = {p.day: p for p in (await session.execute(select(PlanDayRow).where(
                PlanDayRow.runner_id == runner.id, PlanDayRow.day >= first))).scalars()}
        for label, row in rows.items():
            m = re.match(r"\w+, (\w{3}) (\d{1,2})", label)
            if not m:
                continue
            day = day_of(*m.groups())
            done = [c for c in checkins if c.day == day]
            untrue = False
            for c in done:
                if c.outcome != "skipped" and f"{c.minutes} min" not in row:
                    untrue = True
            planned = plan.get(day)
            if not done and planned is not None and planned.session and day < today:
                untrue = untrue or "missed" not in row
            if not done and ("missed" in row) and not (planned and planned.session):
                untrue = True
            if "rest" in row and planned is not None and planned.session:
                untrue = True
            if any(mm.day == day for mm in mornings) and "morning check" not in row:
                untrue = True
            if untrue:
                self.counts.history_untrue += 1
                sim.findings.append(f"{today}: /history row untrue: {label} — {row}")

    async def check_chart(self, sim: Sim) -> None:
        today = self.clock().date()
        async with self.db.session() as session:
            runner = await runner_of(session, sim.chat.user_id)
            records = await report_store.load_records(session, runner.id)
            injury = runner.injury
        if not records.checkins:
            return
        first, last = chart_window(today, records.checkins[0].day)
        data = chart_data(records, first, last, injury)
        sim.rules[today].add((data.green_pain_max, data.pain_ceiling or 0))
        from locales import translator

        fig = build_figure(data, translator("en"))
        for ax in fig.axes:
            for line in ax.lines:
                if line.get_gid() not in (PAIN_DURING, PAIN_AFTER):
                    continue
                xs, ys = list(line.get_xdata()), list(line.get_ydata())
                for (x0, y0), (x1, y1) in zip(zip(xs, ys, strict=True),
                                              zip(xs[1:], ys[1:], strict=True), strict=False):
                    if not (math.isnan(y0) or math.isnan(y1)) and x1 - x0 > 1:
                        self.counts.chart_gaps += 1

    # ---------------------------------------------------------------- the run
    async def run(self) -> None:
        args = self.args
        rng = random.Random(args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            self.db = Database(f"sqlite+aiosqlite:///{tmp}/coherence.sqlite3")
            await self.db.migrate()
            async with BotApiDouble() as self.double, running_bot(
                self.double, self.db, clock=self.clock
            ) as app:
                scheduler = Scheduler(app.bot, app.bot_data["services"], rate=None)
                injuries = list(Injury)
                for i in range(args.runners):
                    chat = Chat(self.double, 70000 + i)
                    sim = Sim(i, chat, injuries[i % len(injuries)], random.Random(rng.random()))
                    self.sims.append(sim)
                    await self.onboard(sim)
                    if i % 6 == 2:
                        await self.invite(sim)
                started = time.perf_counter()
                for n in range(args.weeks * 7):
                    self.clock.now = START + timedelta(days=n + 1, hours=1)  # 07:00 UTC
                    marks = {s.n: self.double.mark(s.chat.user_id) for s in self.sims}
                    await scheduler.tick()
                    for sim in self.sims:
                        prompts = [m for m in self.double.sent(sim.chat.user_id)[marks[sim.n]:]
                                   if not m.edited]
                        await self.day(sim, n, prompts)
                    if self.clock().weekday() == 0:  # the members' Monday summaries at 08:00
                        await self.monday(scheduler)
                    if args.verbose:
                        print(f"day {n + 1}: {time.perf_counter() - started:.0f} s",
                              file=sys.stderr)
        await self.db.dispose()

    def report(self) -> None:
        c = self.counts
        variants = max((len(r) for s in self.sims for r in s.rules.values()), default=0)
        weeks = self.args.runners * self.args.weeks
        print(f"figure: coherence_runner_weeks = {weeks} runner-weeks")
        print(f"figure: coherence_screens_checked = {c.screens} screens")
        print(f"figure: screens_disagreeing = {c.disagreeing} count")
        print(f"figure: pain_limit_variants_max = {variants} rules")
        print(f"figure: decision_reasons_max = {c.reasons_max} lines")
        print(f"figure: history_rows_untrue = {c.history_untrue} count")
        print(f"figure: chart_lines_across_gaps = {c.chart_gaps} count")
        if self.args.verbose:
            for s in self.sims:
                for line in s.findings[:12]:
                    print(f"runner {s.n} ({s.injury.value}): {line}", file=sys.stderr)
                for day, rules in s.rules.items():
                    if len(rules) > 1:
                        print(f"runner {s.n}: {day} pain rules {sorted(rules, key=str)}",
                              file=sys.stderr)


async def press_starting(chat: Chat, prefix: str) -> list[Any]:
    """Press the newest button whose label starts with ``prefix``."""
    for message in reversed(chat.double.screen(chat.user_id)):
        for row in message.buttons():
            for label, data in row:
                if label.startswith(prefix) and data:
                    return await chat.press_data(message.message_id, data)
    raise RuntimeError(f"no button starting {prefix!r}")


async def runner_of(session: Any, user_id: int) -> Runner:
    return (await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
            ).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=27)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--trace", type=int, default=-1, help="print this runner's screens")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    bench = Coherence(args)
    asyncio.run(bench.run())
    bench.report()


if __name__ == "__main__":
    main()
