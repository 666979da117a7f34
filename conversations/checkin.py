"""The post-run check-in: what was done, pain during and now, effort, and (only when something
hurt, now or in the last few days) sharp pain, stiffness and swelling; mood and sleep are one
optional step. A skipped session is one tap. Ends with the next session, or a step back, and
why."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from conversations import decisions, engine, overrun, view
from conversations.actions import action, command
from conversations.common import SKIP, SWELLING_OPTIONS, optional, optional_text, skip_row
from conversations.context import Ctx
from conversations.engine import (
    Answers,
    Flow,
    Option,
    Step,
    choice,
    float_in,
    int_in,
    number_row,
    parse_yes_no,
    scale_rows,
    yes_no,
)
from locales import N_
from progression import (
    CheckIn,
    Outcome,
    Prescription,
    SessionKind,
    Swelling,
    decide,
    over_plan,
    plan_week,
)
from reports.plan import decision_text, session_line
from storage import records
from storage.models import ActivityFileRow

MOODS = ("😞", "🙁", "😐", "🙂", "😄")


RESTED = "rested"  # on a day without a session: the runner rested, as planned (nothing stored)
DAY_KIND = "_day_kind"  # what today is in the plan: SESSION, EASY (cross-training) or REST
SESSION, EASY, REST = "session", "easy", "rest"


def _skipped(answers: Answers) -> bool:
    """No session to ask about: skipped, or a rest as planned."""
    return answers.get("outcome") in (Outcome.SKIPPED.value, RESTED)


def _outcome_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    """What the runner can have done, as today's plan has it: a session day offers done /
    less / cross-trained / skipped (no "cross-trained instead" when the session is
    cross-training); a day without a session offers cross-training or a rest, never "done as
    planned"."""
    day = answers.get(DAY_KIND, SESSION)
    if day != SESSION:
        return [[Option("cross", N_("I cross-trained")), Option(RESTED, N_("I rested"))]]
    rows = [[Option("done", N_("Done as planned")), Option("shorter", N_("Did less"))]]
    if answers.get("_cross_session"):
        return [*rows, [Option("skipped", N_("Skipped it"))]]
    return [
        *rows,
        [Option("cross", N_("Cross-trained instead")), Option("skipped", N_("Skipped it"))],
    ]


RECENT_DAYS = 3  # symptoms reported this many days back still ask stiffness and swelling


def _hurt(answers: Answers) -> bool:
    return int(answers.get("pain_during") or 0) > 0 or int(answers.get("pain_after") or 0) > 0


def _no_sharp_question(answers: Answers) -> bool:
    """No pain at all during or after: the pain cannot have turned sharp."""
    return _skipped(answers) or not _hurt(answers)


def _no_symptom_questions(answers: Answers) -> bool:
    """Stiffness and swelling are asked only when something hurt today or lately."""
    if _skipped(answers):
        return True
    return not (_hurt(answers) or answers.get("sharp_or_limp") or answers.get("_recent"))


def _no_sleep_question(answers: Answers) -> bool:
    """Mood and sleep are one optional step: skipping the mood skips the sleep too."""
    return _skipped(answers) or answers.get("mood") is None


SYNCED = "_synced"  # the run arrived from intervals.icu by itself (conversations/connect.py)


def _no_optional_questions(answers: Answers) -> bool:
    """A run that arrived by itself asks only how it felt: pain, and effort (and the
    symptom questions when something hurt); the optional mood, sleep and note are not
    asked."""
    return _skipped(answers) or bool(answers.get(SYNCED))


def _no_minutes_asked(answers: Answers) -> bool:
    """Skipped, or done as planned: the planned minutes are the minutes done; or measured by
    a recording the runner sent."""
    return _measured(answers) or answers.get("outcome") in (
        Outcome.SKIPPED.value,
        Outcome.DONE.value,
        RESTED,
    )


MEASURED = "_measured"  # the minutes came from a run recording (conversations/watch.py)


def _measured(answers: Answers) -> bool:
    return bool(answers.get(MEASURED))


def _minutes_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [number_row(10, 20, 30, 40, 45, 60)]


def _mood_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [[Option(str(i + 1), face, literal=True) for i, face in enumerate(MOODS)], skip_row()]


def _mood_parse(ctx: Ctx, text: str, answers: Answers) -> int | None:
    if text == SKIP:
        return None
    if text in MOODS:
        return MOODS.index(text) + 1
    return int_in(1, 5)(ctx, text, answers)


def _sleep_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [number_row(5, 6, 7, 8, 9), skip_row()]


def _ask_outcome(ctx: Ctx, answers: Answers) -> str:
    if answers.get(DAY_KIND, SESSION) == SESSION:
        return ctx._("How did today's session go?")
    return ctx._("Today has no session in your plan. What did you do?")


def _ask_minutes(ctx: Ctx, answers: Answers) -> str:
    if answers.get("outcome") == Outcome.CROSS.value:
        return ctx._("How many minutes of cross-training did you do?")
    return ctx._("How many minutes did the whole session take?")


# what a runner can say about a session; "over" is only ever measured (a recording)
TOLD = (Outcome.DONE, Outcome.SHORTER, Outcome.CROSS, Outcome.SKIPPED)

STEPS: tuple[Step, ...] = (
    Step(
        "outcome",
        _ask_outcome,
        choice(*TOLD, RESTED),
        _outcome_options,
        skip_if=_measured,
    ),
    Step(
        "minutes",
        _ask_minutes,
        int_in(1, 300),
        _minutes_options,
        skip_if=_no_minutes_asked,
        hint=N_("Tap one or type the number."),
    ),
    Step(
        "pain_during",
        N_("Worst pain in the injured area during the session, 0 (none) to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_skipped,
    ),
    Step(
        "pain_after",
        N_("And the pain right now, 0 to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_skipped,
    ),
    Step(
        "sharp_or_limp",
        N_("Did the pain turn sharp, keep rising, or make you limp?"),
        parse_yes_no,
        yes_no(),
        skip_if=_no_sharp_question,
    ),
    Step(
        "stiffness",
        N_("How stiff does it feel, 0 (not at all) to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_no_symptom_questions,
    ),
    Step(
        "swelling",
        N_("Any swelling?"),
        choice(*Swelling),
        SWELLING_OPTIONS,
        skip_if=_no_symptom_questions,
    ),
    Step(
        "rpe",
        N_("How hard was the session overall, 0 (rest) to 10 (maximal)?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_skipped,
    ),
    Step(
        "mood",
        N_("Mood and sleep (optional): how is your mood today?"),
        _mood_parse,
        _mood_options,
        skip_if=_no_optional_questions,
    ),
    Step(
        "sleep",
        N_("How many hours did you sleep last night?"),
        optional(float_in(0, 16)),
        _sleep_options,
        skip_if=_no_sleep_question,
    ),
    Step(
        "note",
        N_("Anything else to note? (optional)"),
        optional_text(500),
        [skip_row()],
        skip_if=_no_optional_questions,
    ),
)


NO_RUN_KINDS = (SessionKind.CROSS, SessionKind.REST, SessionKind.STRENGTH)


def minutes_done(outcome: Outcome, answers: Answers, planned: Prescription) -> tuple[int, int]:
    """(minutes, running minutes) actually done. "Done as planned" is the planned session;
    "Did less" counts the running in proportion to the minutes done (a session cut short
    counts for what was done, never for what was prescribed); no running otherwise."""
    if outcome is Outcome.SKIPPED:
        return 0, 0
    if "running_minutes" in answers and "minutes" in answers:  # measured by a recording
        minutes = int(answers["minutes"])
        return minutes, min(minutes, int(answers["running_minutes"]))
    if outcome is Outcome.DONE and "minutes" not in answers:
        running = planned.running_minutes if planned.kind not in NO_RUN_KINDS else 0
        return planned.total_minutes, running
    minutes = int(answers["minutes"])
    if outcome is Outcome.CROSS or planned.kind in NO_RUN_KINDS or not planned.total_minutes:
        return minutes, 0
    share = min(1.0, minutes / planned.total_minutes)
    return minutes, min(planned.running_minutes, round(planned.running_minutes * share))


def checkin_from(answers: Answers, ctx: Ctx, planned: Prescription) -> CheckIn:
    """The check-in as progression reads it: at the level of the session planned for today
    (a shortened or easy-day session is a lower level than the runner's own)."""
    skipped = _skipped(answers)
    outcome = Outcome(answers["outcome"])
    minutes, running = minutes_done(outcome, answers, planned)
    if outcome is Outcome.DONE and planned.kind in NO_RUN_KINDS and planned.stage > 0:
        # "Done as planned" on a rest or cross-training day is not a session of the ladder
        # (in stage 0, cross-training *is* the session).
        outcome = Outcome.CROSS
    return CheckIn(
        day=session_day(ctx, answers),
        outcome=outcome,
        minutes=minutes,
        running_minutes=running,
        pain_during=0 if skipped else int(answers["pain_during"]),
        pain_after=0 if skipped else int(answers["pain_after"]),
        sharp_or_limp=bool(answers.get("sharp_or_limp", False)),
        stiffness=int(answers.get("stiffness") or 0),
        swelling=Swelling(answers.get("swelling") or Swelling.NONE.value),
        rpe=0 if skipped else int(answers["rpe"]),
        mood=int(answers.get("mood") or records.NEUTRAL_MOOD),
        sleep_hours=answers.get("sleep"),
        level=planned.level,
    )


def measured_answers(recordings: Sequence[ActivityFileRow]) -> Answers:
    """The check-in's minutes and running minutes as the recordings measured them."""
    minutes = max(1, round(sum(r.elapsed_s for r in recordings) / 60))
    running = min(minutes, round(sum(r.running_s for r in recordings) / 60))
    return {"minutes": minutes, "running_minutes": running, MEASURED: True}


DONE_SHARE = 0.9  # measured at least this share of the planned minutes (and running): done


def measured_outcome(measured: Answers, planned: Prescription) -> Outcome:
    """Well over the plan (progression.over_plan: its own outcome, never "done"); done as
    planned only when the recordings measured the session: at least 90 % of its minutes and
    of its running minutes (a walk or a cut-short run on a run day is a shorter session,
    never a green one for progression)."""
    minutes, running = int(measured["minutes"]), int(measured["running_minutes"])
    if over_plan(planned, running):
        return Outcome.OVER
    enough = minutes >= DONE_SHARE * planned.total_minutes
    ran = planned.running_minutes == 0 or running >= DONE_SHARE * planned.running_minutes
    return Outcome.DONE if enough and ran else Outcome.SHORTER


SESSION_DAY = "_day"  # the day the check-in began: the session it describes
SESSION_DAY_MAX_AGE = 2  # a check-in left open longer describes no session: it is today's


def session_day(ctx: Ctx, answers: Answers) -> date:
    """The day of the session the check-in describes: the day it began (a check-in begun on
    Sunday evening and finished on Monday is Sunday's), unless it was left open for days."""
    began = answers.get(SESSION_DAY)
    if isinstance(began, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(began)
            if 0 <= (ctx.today - day).days <= SESSION_DAY_MAX_AGE:
                return day
    return ctx.today


async def finish(ctx: Ctx, answers: Answers) -> None:
    if answers.get("outcome") == RESTED:  # a day without a session, rested as planned
        plan = await view.current(ctx)
        lines = [ctx._("Noted: you rested today. Rest is part of the plan.")]
        nxt = plan.next_session
        if nxt is not None:
            lines.append(session_line(ctx, nxt))
        ctx.say("\n".join(lines))
        return
    _, before = await decisions.current(ctx)
    day = session_day(ctx, answers)
    planned = plan_week(before, day)[0].prescription
    recordings = await records.unattached_activities(ctx.session, ctx.runner.id, day)
    if recordings and answers.get("outcome") in records.MEASURED_OUTCOMES:
        # Run recordings of the day sent before the check-in: the session counts for what
        # they measured (all of them together), whatever was typed.
        answers = {**answers, **measured_answers(recordings)}
        if answers.get("outcome") == Outcome.DONE.value:  # "as planned", as measured
            answers["outcome"] = measured_outcome(answers, planned).value
        elif over_plan(planned, int(answers["running_minutes"])):  # "did less", it says
            answers["outcome"] = Outcome.OVER.value
    checkin = checkin_from(answers, ctx, planned)
    not_asked = [key for key in records.NOT_ASKABLE if answers.get(key) is None]
    row = await records.add_checkin(
        ctx.session, ctx.runner.id, checkin, answers.get("note"), not_asked=not_asked
    )
    if recordings:
        await records.attach_activities(ctx.session, row, recordings)
    history = replace(before, checkins=(*before.checkins, checkin))
    decision = decide(history, ctx.today)
    new_escalation = decisions.escalation_is_new(decision, before)
    await decisions.remember(ctx, decision)
    lines = [ctx._("Thanks, your check-in is saved.")]
    if checkin.outcome is Outcome.OVER:  # never "counted as measured" alone
        distance = row.distance_m or 0.0
        await overrun.publish(ctx, day, planned, row.minutes, row.running_minutes or 0, distance)
        lines.append(
            await overrun.words(ctx, planned, row.minutes, row.running_minutes or 0, distance)
        )
    elif recordings and row.measured_minutes is not None and row.outcome in (
        records.MEASURED_OUTCOMES
    ):
        lines.append(
            ctx._(
                "It counts as your watch measured it: {minutes} min, {running} min of them "
                "running."
            ).format(
                minutes=ctx.tr.number(row.minutes), running=ctx.tr.number(row.running_minutes or 0)
            )
        )
    if checkin.sharp_or_limp:
        lines.append(ctx._("Sharp pain or limping means stop: ice, rest and let it settle today."))
    if answers.get("note"):
        lines.append(ctx._("Note: {note}").format(note=html.escape(str(answers["note"]))))
    lines.append("")
    plan = await view.after(ctx, decision, history, new_escalation=new_escalation)
    lines.append(decision_text(ctx, plan, escalation=new_escalation))
    ctx.say("\n".join(lines), view.decision_buttons(ctx, decision))


FLOW = engine.register(
    Flow(name="checkin", title=N_("Check-in"), steps=STEPS, finish=finish, total_shown=False)
)


async def symptoms_lately(ctx: Ctx) -> bool:
    """Pain, stiffness or swelling reported in the last few days (check-ins or mornings)."""
    first = ctx.today - timedelta(days=RECENT_DAYS)
    for c in await records.checkins_between(ctx.session, ctx.runner.id, first, ctx.today):
        swelling = c.swelling not in (None, "none")  # None: not asked
        if c.pain_during or c.pain_after or c.sharp_or_limp or c.stiffness or swelling:
            return True
    for m in await records.mornings_between(ctx.session, ctx.runner.id, first, ctx.today):
        if "worse" in (m.pain, m.stiffness) or m.swelling != "none" or m.night_pain:
            return True
    return False


async def today_kind(ctx: Ctx) -> Answers:
    """What today is in the plan, for the first question's options."""
    if ctx.runner.status != "active":
        return {}
    plan = await view.current(ctx)
    today = plan.today_plan
    if today is None or plan.decision is None:
        return {DAY_KIND: REST}
    if plan.is_session(today):
        cross = today.prescription.kind is SessionKind.CROSS
        return {DAY_KIND: SESSION, **({"_cross_session": True} if cross else {})}
    return {DAY_KIND: EASY if today.prescription.kind is SessionKind.CROSS else REST}


@command("checkin")
async def begin(ctx: Ctx) -> None:
    answers: Answers = {SESSION_DAY: ctx.today.isoformat(), **await today_kind(ctx)}
    if await symptoms_lately(ctx):
        answers["_recent"] = True
    await view.start_if_active(ctx, FLOW, answers)


@action("checkin")
async def checkin_button(ctx: Ctx, _arg: str) -> None:
    await begin(ctx)


@action("skipped")
async def record_skipped(ctx: Ctx, _arg: str = "") -> None:
    """The daily prompt's "Skipped today" button: a one-tap check-in."""
    await view.start_if_active(
        ctx, FLOW, {"outcome": Outcome.SKIPPED.value, SESSION_DAY: ctx.today.isoformat()}
    )
