"""Every screen, rendered in Russian, Spanish and German, holds no English left over.

Each screen is rendered twice with the same inputs: once in English and once in the other
language. Every conversation (onboarding on its common, longer and referral paths, check-in,
morning check, reassessment, the settings questions, the safety re-check) is walked step by
step by button *values*, so both walks take the same path whatever the language; at each
step a wrong answer is sent first, so the error texts are rendered too. Then the commands
(/today /plan /why /history /progress /settings /help /language /pause /resume /cancel
/delete, an unknown command, a sticker, an edit, a stale button), every scheduled prompt,
and the text strings of the PDF report and of the progress chart.

A screen fails when it contains a run of three or more consecutive English words that also
appears, verbatim, in the English rendering of the same screen and in a message of the
English catalog: English that should have been translated. Numbers, /commands, markup and
names (runcoach, RPE, UTC, city names) never form such a run.

Every message looked up while rendering must also be in the extracted template: a text the
extraction cannot see (a built msgid) would be English in every language, whatever the
catalogs say.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from babel.messages.catalog import Catalog

from conversations import basics, engine, prompts
from conversations.context import Ctx, Out, Services
from conversations.handlers import build_handlers
from conversations.morning import begin as start_morning_check
from conversations.router import press, type_text
from locales import Translator
from locales.catalog import extract, read
from progression import first_level_of_stage
from storage import Database
from storage import runners as store
from tests.conftest import Clock
from tests.screens_intervals import intervals_screens

build_handlers()  # registers every flow, command and button

LANGUAGES = ("ru", "es", "de")
WRONG = "zzz"
# Typed answers tried in order until the step's parser takes one (heel raises, a date, …).
TYPED = ("20", "12", "5", "07:30", "Europe/Berlin", "Mon Wed Fri", "0", "i12345 k3y-0123456789")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+", re.UNICODE)
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_TAG = re.compile(r"<[^>]+>")
_COMMAND = re.compile(r"/[a-z_]+")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_DOUBLE_STOP = re.compile(r"\w\.(?:</[a-z]+>)*\.(?!\.)")  # "2026 г.." (an ellipsis is fine)
# Names and units read the same in every language: they break a run of English words.
NAMES_AND_UNITS = frozenset(
    {"runcoach", "rpe", "utc", "gmt", "csv", "pdf", "cm", "km", "min", "s", "h", "l", "r"}
    # the watch apps, their web addresses and the file formats (the export guide)
    | {"garmin", "polar", "suunto", "strava", "coros", "healthfit", "com", "fit", "gpx", "tcx"}
    | {"intervals", "icu", "wahoo"}  # the service runs sync through (issue 29)
)


# ---------------------------------------------------------------- rendering
LIVING_MESSAGE = 1  # the message id a pressed button comes from (never sent here)
@dataclass
class Screen:
    name: str
    texts: list[str] = field(default_factory=list)
    paged: bool = False  # a document whose page breaks depend on the language's length


def _texts(outs: list[Out]) -> list[str]:
    texts: list[str] = []
    for out in outs:
        if out.text:
            texts.append(out.text)
        for row in out.keyboard or []:
            texts += [label for label, _ in row]
    return texts


class Renderer:
    """One runner in one language, fed the same script as the English one."""

    def __init__(self, db: Database, clock: Clock, user_id: int, lang: str) -> None:
        self.db, self.clock, self.user_id, self.lang = db, clock, user_id, lang
        self.screens: list[Screen] = []
        self.intervals: Any = None  # the intervals.icu link's settings (tests/screens_intervals.py)
        self.documents: list[Out] = []
        self.photos: list[Out] = []

    async def act(self, name: str, fn: Callable[[Ctx], Awaitable[Any]]) -> list[Out]:
        async with self.db.session() as session:
            runner = await store.get_or_create_runner(
                session, self.user_id, self.user_id, self.lang
            )
            ctx = Ctx(services=Services(db=self.db, intervals=self.intervals), session=session,
                      runner=runner,
                      now=self.clock())
            await fn(ctx)
            outs = list(ctx.out)
        self.screens.append(Screen(name, _texts(outs)))
        for other in ctx.extra.get("others", ()):  # told in another chat (the care team)
            self.screens.append(Screen(f"{name}: to the other chat", _texts(other.out)))
        self.documents += [o for o in outs if o.document is not None]
        self.photos += [o for o in outs if o.photo is not None]
        return outs

    async def say(self, text: str, name: str | None = None) -> list[Out]:
        return await self.act(name or f"type {text!r}", lambda ctx: type_text(ctx, text))

    async def press(self, payload: str, name: str | None = None) -> list[Out]:
        async def pressed(ctx: Ctx) -> None:
            # a button on a message: its question is edited in place with the summaries of
            # the answers above it (the living message), rendered like the rest
            ctx.extra[engine.PRESSED] = LIVING_MESSAGE
            await press(ctx, payload)

        return await self.act(name or f"press {payload!r}", pressed)

    async def state(self) -> tuple[engine.Flow, engine.Step, engine.Answers, int, Ctx] | None:
        async with self.db.session() as session:
            runner = await store.get_or_create_runner(
                session, self.user_id, self.user_id, self.lang
            )
            ctx = Ctx(services=Services(db=self.db, intervals=self.intervals), session=session,
                      runner=runner,
                      now=self.clock())
            current = await engine.current(ctx)
            return None if current is None else (*current, ctx)

    async def walk(self, policy: str, limit: int = 60) -> None:
        """Answer the open conversation to its end, a wrong answer first at every step."""
        for _ in range(limit):
            state = await self.state()
            if state is None:
                return
            flow, step, answers, version, ctx = state
            options = step.options(ctx, answers) if callable(step.options) else step.options
            values = [o.value for row in options for o in row]
            if not _accepts(step, ctx, WRONG, answers):
                await self.say(WRONG, f"{flow.name}.{step.name}: a wrong answer")
            if values:
                value = choose(policy, step.name, values)
                # (the value differs by language where the buttons do: time zones)
                await self.press(engine.callback(version, value), f"{flow.name}.{step.name}")
                continue
            typed = next((t for t in TYPED if _accepts(step, ctx, t, answers)), None)
            assert typed is not None, f"{flow.name}.{step.name}: no typed answer fits"
            await self.say(typed, f"{flow.name}.{step.name}")
        raise AssertionError(f"conversation did not end within {limit} answers")


def _accepts(step: engine.Step, ctx: Ctx, text: str, answers: engine.Answers) -> bool:
    try:
        step.parse(ctx, text, answers)
    except engine.Invalid:
        return False
    return True


def choose(policy: str, step: str, values: list[str]) -> str:
    """The same button, by value, in every language: a common, a longer and a referral path."""
    if step == "consent":  # the welcome and the safety screen: the first sign's number refers
        return values[1] if policy == "refer" else "yes"
    if set(values) == {"yes", "no"}:
        return "no" if policy == "common" else "yes"
    if policy == "high" and step != "outcome":
        return values[-1]
    if policy == "longer":
        return values[len(values) // 2]
    return values[0]


async def render_everything(r: Renderer, referral: Renderer) -> None:
    """The script: every conversation, command and scheduled prompt, in a fixed order."""
    await r.say("/start")
    await r.walk("longer")  # onboarding with test results: every onboarding step
    await r.say("/today")
    await r.say("/plan")
    await r.say("/why")
    for policy in ("common", "longer", "high"):
        await r.say("/checkin")
        await r.walk(policy)
    await watch_screens(r, today_done=True)
    await r.press("a|skipped|")
    await watch_screens(r, today_done=False)
    await r.say("/history")
    await r.say("/progress")
    r.clock.advance(days=1)  # the morning after the runs
    for policy in ("common", "high"):
        await r.act("morning check", start_morning_check)
        await r.walk(policy)
    # The reassessment asks what fits the stage (daily pain in stage 0, hops and the walk test
    # in stage 1, readiness from stage 4) and swelling only without a recent report, so it is
    # walked at several stages, the first time three days after the last check-in; "high"
    # answers the red-flag re-screen with a sign (a referral).
    r.clock.advance(days=3)
    for policy, stage in (("common", 1), ("common", 0), ("common", 4), ("high", 2)):
        await r.act(f"at stage {stage}", lambda ctx, st=stage: _at_stage(ctx, st))
        await r.say("/reassess")
        if stage == 1:  # a run recording sent mid-reassessment waits for the check-in
            await watch_during_a_conversation(r)
        await r.walk(policy)
    await r.act("at stage 2", lambda ctx: _at_stage(ctx, 2))
    await r.say("/settings")
    for what in ("reminder", "zone", "days", "weekday", "cadence"):
        await r.press(f"a|set|{what}")
        await r.walk("longer")
    await r.press("a|set|language")
    await r.press(f"a|lang|{r.lang}", "keep the language")
    for kinds in (
        [prompts.DAILY],
        [prompts.WEEKLY],
        [prompts.NUDGE],
        [prompts.WELCOME_BACK],
        [prompts.DAILY, prompts.WEEKLY],
    ):
        await r.act(f"prompt {kinds}", lambda ctx, k=kinds: prompts.compose(ctx, k))  # type: ignore[misc]
    await r.act("prompt morning", lambda ctx: prompts.compose(ctx, [prompts.MORNING]))
    await r.walk("common")
    await r.say("/checkin")
    await r.say("/help")  # in a conversation: the question again below
    await r.act("sticker", basics.not_text)
    await r.act("edit", basics.edited)
    await r.press("s|0|junk")
    await r.say("/cancel")
    await r.say("/cancel")
    await r.say("/nope")
    await r.say("what now?")
    await r.say("/language")
    await r.say("/export")
    await r.say("/pause 3")
    await r.say("/today")
    await r.say("/resume")
    await r.say("/pause")
    await r.say("/resume")
    await r.say("/delete")
    await r.press("a|delete|no")
    await r.say("/delete")
    await r.press("a|delete|yes.1")  # a closed question
    await r.say("/start")  # welcome back

    # A second runner: red flags in onboarding and the referral; onboarding again; then,
    # referred later (as a red flag in a check-in would), the safety check again.
    await referral.say("hello")
    await referral.say("/today")
    await referral.say("/start")
    await referral.walk("refer")
    await referral.say("/today")
    await referral.say("/checkin")
    await referral.say("/start")
    await referral.walk("common")
    await referral.act("referred", _refer)
    await referral.say("/today")
    await referral.press("a|not_cleared|")
    await referral.press("a|cleared|")
    await referral.walk("common")  # a clinician cleared them: the plan restarts
    await referral.say("/start")
    await referral.walk("common")
    await referral.say("/today")


async def watch_screens(r: Renderer, *, today_done: bool) -> None:
    """Run recordings (issue 17): every refusal, a file added to today's check-in, and (after
    the skipped one) a file that starts yesterday's check-in, walked, then sent again."""
    from datetime import timedelta

    from activities import reader as activity_files
    from conversations import watch
    from tests.watch_files import continuous, fit_file, walk_run

    # just before the script's clock (noon UTC): the same local date in every language
    start = r.clock() - timedelta(minutes=30)

    def upload(**kw: Any) -> watch.Upload:
        return watch.Upload(**kw)

    async def send(name: str, up: watch.Upload) -> None:
        await r.act(name, lambda ctx: watch.received(ctx, up))

    def read(data: bytes, sha: str) -> watch.Upload:
        return upload(activity=activity_files.read(data, "run.fit"), sha256=sha)

    if today_done:
        for problem in (*watch.PROBLEMS,):
            await send(f"file: {problem}", upload(problem=problem))
        await watch_guide_and_overrun(r, start)
        await intervals_screens(r, start)
        await send("file: future", read(fit_file(continuous(20), start + timedelta(days=3)), "f"))
        await send("file: too old", read(fit_file(continuous(20), start - timedelta(days=9)), "o"))
        await send("file: added", read(fit_file(walk_run(), start), "a" * 64))
        return
    await send("file: added to a skip", read(fit_file(continuous(12), start), "b" * 64))
    yesterday = read(fit_file(walk_run(), start - timedelta(days=1)), "c" * 64)
    await send("file: a new check-in", yesterday)
    await r.walk("common")
    await send("file: again", yesterday)


async def watch_guide_and_overrun(r: Renderer, start: Any) -> None:
    """The guide to getting a file (each app), files read with a note (damaged, cut, more
    than one sport), and a session well over the plan (issue 25)."""
    from dataclasses import replace
    from datetime import timedelta

    from activities import reader as activity_files
    from conversations import watch, watch_guide
    from tests.watch_files import continuous, fit_file

    await r.say("/watch")
    for key, _name, _steps in watch_guide.APPS:
        await r.press(f"a|wg|{key}")
    await r.press("a|wg|")
    base = activity_files.read(fit_file(continuous(20), start - timedelta(days=2)), "run.fit")
    notes = {
        "damaged, counted from the summary": replace(base, cut=True, from_totals=True, kept_s=300),
        "cut": replace(base, cut=True, kept_s=600, elapsed_s=600),
        "more than one sport": replace(base, left_out=("swimming",)),
    }
    for i, (name, activity) in enumerate(notes.items()):
        day_before = replace(activity, start=activity.start - timedelta(hours=i))
        await r.act(f"file: {name}",
                    lambda ctx, a=day_before, n=i: watch.received(
                        ctx, watch.Upload(activity=a, sha256=f"n{n}" * 32)))
        await r.say("/cancel")
    undated = replace(base, dated=False, from_label=True)
    await r.act("file: no date",
                lambda ctx: watch.received(ctx, watch.Upload(activity=undated, sha256="u" * 64)))
    await r.walk("common")  # the day: counted, then the check-in it opens
    await r.say("/cancel")
    await r.say("/checkin")
    await r.act("file: no date, mid-question",
                lambda ctx: watch.received(ctx, watch.Upload(activity=undated, sha256="v" * 64)))
    await r.say("/cancel")
    over = activity_files.read(fit_file(continuous(60), start - timedelta(hours=2)), "run.fit")
    await r.act("file: well over the plan",
                lambda ctx: watch.received(ctx, watch.Upload(activity=over, sha256="e" * 64)))


async def watch_during_a_conversation(r: Renderer) -> None:
    from datetime import timedelta

    from activities import reader as activity_files
    from conversations import watch
    from tests.watch_files import fit_file, walk_run

    data = fit_file(walk_run(), r.clock() - timedelta(minutes=30))
    up = watch.Upload(activity=activity_files.read(data, "run.fit"), sha256="d" * 64)
    await r.act("file: during a reassessment", lambda ctx: watch.received(ctx, up))


async def render_care_team(r: Renderer, referral: Renderer, member: Renderer) -> None:
    """The care team: the runner invites, a physio accepts, follows, acts and is alerted; the
    referred runner invites them too, and they clear her."""
    rid, referred_id = await _runner_id(r), await _runner_id(referral)
    await r.say("/careteam")
    token = _token(await r.act("invite", _invite))
    await member.say("/patients")
    await member.say(f"/start {token}", "/start <id>")
    await r.say(f"/start {token}", "/start <id>")
    await member.press(f"a|ci|a.{token}", "a|ci|a.<id>")
    await member.walk("common")  # the time zone, for Monday's summary
    await member.say(f"/start {token}", "/start <id>")  # spent
    await member.say("/patients")
    card = await member.press(f"a|cm|o.{rid}", "a|cm|o.<id>")
    question = await member.press(_button(card, f"a|cm|cap.{rid}."), "a|cm|cap.<id>")
    await member.press(_button(question, f"a|cm|capto.{rid}.4."), "a|cm|capto.<id>.4")
    await member.press(_button(question, f"a|cm|capto.{rid}.4."), "a|cm|capto: a stale one")
    question = await member.press(f"a|cm|cap.{rid}.0.{await _stamp(member, rid)}", "cap again")
    await member.press(_button(question, f"a|cm|capto.{rid}.4."), "a|cm|capto: the same cap")
    await member.press(_button(question, f"a|cm|capto.{rid}.0."), "a|cm|capto.<id>.0")
    question = await member.press(f"a|cm|cap.{rid}.0.{await _stamp(member, rid)}", "cap again")
    await member.press(_button(question, f"a|cm|capto.{rid}.9."), "a|cm|capto.<id>.9")
    card = await member.press(f"a|cm|o.{rid}", "a|cm|o.<id>")
    await member.press(_button(card, f"a|cm|hold.{rid}."), "a|cm|hold.<id>")
    await member.say("/cancel", "/cancel: a member's question")
    await member.press(_button(card, f"a|cm|hold.{rid}."), "a|cm|hold.<id>")
    await member.walk("common")
    await member.press(_button(card, f"a|cm|hold.{rid}."), "a|cm|hold: a stale one")
    await r.say("/careteam")
    await r.say("/why")
    await member.press(f"a|cm|resume.{rid}", "a|cm|resume.<id>")
    await member.press(f"a|cm|resume.{rid}", "a|cm|resume.<id>")
    await member.press(f"a|cm|note.{rid}", "a|cm|note.<id>")
    await member.walk("common")
    await r.press(f"a|cr|r.{await _link_id(r, rid)}", "a|cr|r.<id>")
    await r.walk("common")
    await member.press(f"a|cm|pdf.{rid}", "a|cm|pdf.<id>")
    await member.press(f"a|cm|clrq.{rid}.0.{await _stamp(member, rid)}", "a|cm|clrq.<id>")
    await member.press(f"a|cm|o.{rid + 100_000}", "a|cm|o.<id>")  # not theirs
    await member.act("alerts and the Monday summary", _alerts)
    await referral.act("referred again", _refer)
    second = _token(await referral.act("invite", _invite))
    await member.press(f"a|ci|d.{second}", "a|ci|d.<id>")
    third = _token(await referral.act("invite", _invite))
    await member.press(f"a|ci|a.{third}", "a|ci|a.<id>")
    stamp = await _stamp(member, referred_id)
    await member.press(f"a|cm|clrq.{referred_id}.0.{stamp}", "a|cm|clrq.<id>")
    version = await _decision_id(referral)
    await member.press(f"a|cm|clr.{referred_id}.1.{version}", "a|cm|clr.<id>.1.<v>")
    await r.say("/careteam")
    link_id = await _link_id(r, rid)
    await r.press(f"a|ct|rm.{link_id}", "a|ct|rm.<id>")
    await r.press("a|ct|keep")
    await r.press(f"a|ct|rmyes.{link_id}", "a|ct|rmyes.<id>")
    await r.press(f"a|ct|rmyes.{link_id}", "a|ct|rmyes.<id>")
    await r.say("/careteam")


def _button(outs: list[Out], prefix: str) -> str:
    for out in outs:
        for row in out.keyboard or []:
            for _, data in row:
                if data.startswith(prefix):
                    return data
    raise AssertionError(f"no {prefix!r} button")


async def _stamp(member: Renderer, rid: int) -> int:
    """The state a member's button is shown for (conversations/care_acts.stamp)."""
    from conversations import care_acts
    from storage import careteam as care_store
    from storage.models import Runner

    async with member.db.session() as session:
        me = await store.get_or_create_runner(session, member.user_id, member.user_id, "en")
        link = await care_store.link(session, me.id, rid)
        runner = await session.get(Runner, rid)
        assert link is not None and runner is not None
        return care_acts.stamp(link, runner)


async def _runner_id(r: Renderer) -> int:
    async with r.db.session() as session:
        return (await store.get_or_create_runner(session, r.user_id, r.user_id, r.lang)).id


async def _decision_id(r: Renderer) -> int:
    from storage import records

    async with r.db.session() as session:
        rid = (await store.get_or_create_runner(session, r.user_id, r.user_id, r.lang)).id
        return await records.latest_decision_id(session, rid)


async def _link_id(r: Renderer, rid: int) -> int:
    from storage import careteam as care_store

    async with r.db.session() as session:
        return (await care_store.links_of_runner(session, rid))[0].id


async def _invite(ctx: Ctx) -> None:
    from conversations.context import BOT_USERNAME

    ctx.extra[BOT_USERNAME] = "runcoach_bot"  # dispatch.run sets it from getMe
    await press(ctx, "a|ct|invite")


def _token(outs: list[Out]) -> str:
    return outs[-1].text.rsplit("=", 1)[-1]


async def _alerts(ctx: Ctx) -> None:
    from conversations import care_messages as careteam
    from storage import careteam as care_store

    [link] = await care_store.links_of_member(ctx.session, ctx.runner.id)
    for kind, detail in (
        (careteam.RED_FLAG, {"flags": "night_pain,numb_tingling"}),
        (careteam.STEP_BACK, {"code": "sharp_or_limp", "values": {}}),
        (
            careteam.ESCALATION,
            {"code": "clinician_review_advised", "values": {"why": "no_progress", "days": 42}},
        ),
        (
            careteam.OVERRUN,
            {"planned_kind": "walk", "planned_minutes": 30, "planned_running": 0,
             "minutes": 47, "running": 44, "distance_m": 9008},
        ),
        (
            careteam.OVERRUN,
            {"planned_kind": "walk_run", "planned_minutes": 35, "planned_running": 6,
             "minutes": 35, "running": 30, "distance_m": 5000},
        ),
    ):
        careteam.alert_out(ctx, link, kind, ctx.today, detail)
    await careteam.summary_out(ctx, link)


async def _refer(ctx: Ctx) -> None:
    ctx.runner.status = "referred"


async def _at_stage(ctx: Ctx, stage: int) -> None:
    """Put the runner, active, at the first level of `stage` (as progression would have)."""
    ctx.runner.status = "active"
    ctx.runner.level = first_level_of_stage(stage)


# ---------------------------------------------------------------- the PDF report's strings
@contextmanager
def pdf_strings() -> Iterator[list[str]]:
    """Record every text the report draws (fpdf2's multi_cell and table cells)."""
    from fpdf import FPDF
    from fpdf.table import Row

    drawn: list[str] = []
    multi_cell, cell, set_title = FPDF.multi_cell, Row.cell, FPDF.set_title

    def record_multi_cell(self: Any, w: Any, h: Any = None, text: str = "", *a: Any,
                          **k: Any) -> Any:
        drawn.append(str(text))
        return multi_cell(self, w, h, text, *a, **k)

    def record_cell(self: Any, text: str = "", *a: Any, **k: Any) -> Any:
        drawn.append(str(text))
        return cell(self, text, *a, **k)

    def record_title(self: Any, title: str) -> Any:
        drawn.append(str(title))
        return set_title(self, title)

    FPDF.multi_cell = record_multi_cell  # type: ignore[method-assign,assignment]
    Row.cell = record_cell  # type: ignore[method-assign,assignment]
    FPDF.set_title = record_title  # type: ignore[method-assign]
    try:
        yield drawn
    finally:
        FPDF.multi_cell = multi_cell  # type: ignore[method-assign]
        Row.cell = cell  # type: ignore[method-assign]
        FPDF.set_title = set_title  # type: ignore[method-assign]


def report_screen(r: Renderer) -> Screen:
    [pdf] = [o for o in r.documents if (o.filename or "").endswith(".pdf")][:1]
    assert callable(pdf.document)
    with pdf_strings() as drawn:
        pdf.document()
    assert drawn, "the report drew no text"
    return Screen("PDF report", drawn, paged=True)


@contextmanager
def chart_strings() -> Iterator[list[str]]:
    """Record every text matplotlib draws on the chart (labels, legends, stage marks)."""
    from matplotlib.text import Text

    drawn: list[str] = []
    draw = Text.draw

    def record_draw(self: Text, renderer: Any) -> Any:
        if self.get_visible() and self.get_text():
            drawn.append(self.get_text())
        return draw(self, renderer)

    Text.draw = record_draw  # type: ignore[method-assign]
    try:
        yield drawn
    finally:
        Text.draw = draw  # type: ignore[method-assign]


def chart_screen(r: Renderer) -> Screen:
    [chart] = [o for o in r.photos][:1]
    assert callable(chart.photo)
    with chart_strings() as drawn:
        chart.photo()
    assert drawn, "the chart drew no text"
    return Screen("progress chart", drawn)


# ---------------------------------------------------------------- English left over
def _plain(text: str) -> str:
    text = html.unescape(_TAG.sub(" ", text))
    return _COMMAND.sub(" ", text)


def _runs(text: str) -> set[tuple[str, str, str]]:
    """Every three consecutive (ASCII, Latin-letter) words; a number or another script breaks
    a run, punctuation does not."""
    found: set[tuple[str, str, str]] = set()
    run: list[str] = []
    for token in _WORD.findall(_plain(text)):
        if token.isdigit():  # "Your next 7 days" is still English
            continue
        if _ASCII_WORD.fullmatch(token) and token.casefold() not in NAMES_AND_UNITS:
            run.append(token.casefold().replace("’", "'"))
            if len(run) >= 3:
                found.add((run[-3], run[-2], run[-1]))
        else:
            run = []
    return found


def _line_words(line: str) -> str | None:
    """A line made of English words only (numbers and punctuation aside), as one string."""
    tokens = [t for t in _WORD.findall(_plain(line)) if not t.isdigit()]
    if len(tokens) < 2 or not all(_ASCII_WORD.fullmatch(t) for t in tokens):
        return None
    if all(t.casefold() in NAMES_AND_UNITS for t in tokens):
        return None
    return " ".join(t.casefold().replace("’", "'") for t in tokens)


def _lines(text: str) -> set[str]:
    return {w for line in text.splitlines() if (w := _line_words(line))}


@dataclass(frozen=True)
class English:
    """What English text looks like: the catalog's three-word runs (a placeholder breaks a
    run) and its short texts of two or more words (a title, a button: "Your settings")."""

    runs: frozenset[tuple[str, str, str]]
    texts: frozenset[str]


def english(catalog: Catalog) -> English:
    runs: set[tuple[str, str, str]] = set()
    texts: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        for text in strings:
            for part in _PLACEHOLDER.split(text or ""):
                runs |= _runs(part)
            texts |= _lines(_PLACEHOLDER.sub(" ", text or ""))
    return English(frozenset(runs), frozenset(texts))


def leftovers(en_screens: list[Screen], other: list[Screen], known: English) -> list[str]:
    """English in ``other`` that is also in the English rendering of the same screen."""
    problems: list[str] = []
    if [s.name for s in en_screens] != [s.name for s in other]:
        return ["the script took a different path than in English"]
    for en, xx in zip(en_screens, other, strict=True):
        if len(en.texts) != len(xx.texts):
            if not xx.paged:
                problems.append(f"{xx.name}: {len(xx.texts)} texts, {len(en.texts)} in English")
                continue
            # a longer language breaks a page earlier and repeats a table's header: compare
            # each text with the whole English document instead of its twin
            en_runs = set().union(*(_runs(t) for t in en.texts)) & known.runs
            en_lines = set().union(*(_lines(t) for t in en.texts)) & known.texts
            for text in xx.texts:
                left = sorted({" ".join(run) for run in _runs(text) & en_runs}
                              | (_lines(text) & en_lines))
                if left:
                    problems.append(f"{xx.name}: English {', '.join(left[:3])!r} in {text[:90]!r}")
            continue
        for en_text, text in zip(en.texts, xx.texts, strict=True):
            left = sorted(
                {" ".join(run) for run in _runs(text) & _runs(en_text) & known.runs}
                | (_lines(text) & _lines(en_text) & known.texts)
            )
            if left:
                problems.append(f"{xx.name}: English {', '.join(left[:3])!r} in {text[:90]!r}")
    return problems


# ---------------------------------------------------------------- msgids the code looks up
@contextmanager
def looked_up() -> Iterator[set[str]]:
    ids: set[str] = set()
    gettext, ngettext, pgettext = Translator.gettext, Translator.ngettext, Translator.pgettext

    def record_gettext(self: Translator, message: str) -> str:
        ids.add(message)
        return gettext(self, message)

    def record_ngettext(self: Translator, singular: str, plural: str, n: int) -> str:
        ids.add(singular)
        return ngettext(self, singular, plural, n)

    def record_pgettext(self: Translator, context: str, message: str) -> str:
        ids.add(message)
        return pgettext(self, context, message)

    Translator.gettext = record_gettext  # type: ignore[method-assign]
    Translator.ngettext = record_ngettext  # type: ignore[method-assign]
    Translator.pgettext = record_pgettext  # type: ignore[method-assign]
    try:
        yield ids
    finally:
        Translator.gettext = gettext  # type: ignore[method-assign]
        Translator.ngettext = ngettext  # type: ignore[method-assign]
        Translator.pgettext = pgettext  # type: ignore[method-assign]


# ---------------------------------------------------------------- the tests
async def _render(db: Database, lang: str, offset: int) -> tuple[list[Screen], Renderer]:
    # noon UTC: the same local date in every language's time zones, so every language walks
    # the same days (the report counts sessions by local day)
    clock = Clock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    r = Renderer(db, clock, 7_100_000 + offset, lang)
    referral = Renderer(db, clock, 7_200_000 + offset, lang)
    member = Renderer(db, clock, 7_300_000 + offset, lang)
    await render_everything(r, referral)
    await render_care_team(r, referral, member)
    return r.screens + referral.screens + member.screens, r


async def test_every_screen_is_rendered_without_english_left(db: Database) -> None:
    known = english(read("en"))
    problems: list[str] = []
    with looked_up() as ids:
        en_screens, en_renderer = await _render(db, "en", 0)
        en_screens += [report_screen(en_renderer), chart_screen(en_renderer)]
        assert len(en_screens) > 150, len(en_screens)  # the script really went through the bot
        # the answers' one-line summaries on the living message are rendered too
        summarized = [s for s in en_screens if any("✓ " in t for t in s.texts)]
        assert len(summarized) > 50, len(summarized)
        for offset, lang in enumerate(LANGUAGES, start=1):
            screens, renderer = await _render(db, lang, offset)
            screens += [report_screen(renderer), chart_screen(renderer)]
            problems += [f"{lang}: {p}" for p in leftovers(en_screens, screens, known)]
            problems += [
                f"{lang}: {screen.name}: two full stops in {text[:90]!r}"
                for screen in screens
                for text in screen.texts
                if _DOUBLE_STOP.search(text)
            ]
    answered = {s.name for s in en_screens}
    unseen = [
        f"{flow.name}.{step.name}"
        for flow in engine.FLOWS.values()
        for step in flow.steps
        if f"{flow.name}.{step.name}" not in answered
    ]
    assert unseen == [], "steps the script never reached"
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    hidden = sorted(i for i in ids if i not in template)
    assert hidden == [], "messages the extraction does not see"
    assert problems == [], "\n".join(problems)


def test_the_check_finds_english_and_allows_names_numbers_and_commands() -> None:
    known = english(read("en"))
    en = [Screen("s", ["<b>Your next 7 days</b>\nSend /today on the day for the details."])]
    left = [Screen("s", ["<b>Your next 7 days</b>\nОтправь /today в этот день."])]
    assert leftovers(en, left, known) != []  # a title left in English
    en = [Screen("s", ["<b>Your settings</b>\nLanguage: English"])]
    left = [Screen("s", ["<b>Your settings</b>\nЯзык: Русский"])]
    assert leftovers(en, left, known) != []  # a two-word title
    en = [Screen("s", ["I'm not sure what you mean. Send /today, /checkin or /help."])]
    left = [Screen("s", ["Я не понял. I'm not sure what you mean."])]
    assert leftovers(en, left, known) != []  # half translated
    fine = [Screen("s", ["<b>Твои ближайшие 7 дней</b>\nОтправь /today в этот день."])]
    assert leftovers(en, fine, known) == []
    en_names = [Screen("s", ["Time zone: New York · RPE 5 · runcoach · UTC+3 · 20 min"])]
    names = [Screen("s", ["Zeitzone: New York · RPE 5 · runcoach · UTC+3 · 20 min"])]
    assert leftovers(en_names, names, known) == []


def test_a_screen_on_another_path_than_in_english_is_reported() -> None:
    en = [Screen("a", ["x"]), Screen("b", ["y"])]
    no_english = English(frozenset(), frozenset())
    assert leftovers(en, [Screen("a", ["x"]), Screen("c", ["y"])], no_english) != []
