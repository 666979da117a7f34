"""/settings (reminder time, time zone, run days, reassessment day, language), /pause, /resume."""

from __future__ import annotations

from datetime import timedelta

from conversations import engine, view
from conversations.actions import action, command, data
from conversations.common import (
    DAYS_STEP,
    REMINDER_STEP,
    SKIP,
    TIME_ZONE_STEP,
    ask_language,
    optional,
    run_days_of,
)
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Option, Step, choice, int_in, number_row
from conversations.prompts import WELCOME_BACK
from locales import LANGUAGE_NAMES, N_
from locales.timezones import zone_label
from storage import careteam, schedule, sync

MAX_PAUSE_DAYS = 90
PAUSE_CHOICES = (3, 7, 14, 28)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _weekday_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    items = [Option(str(d), ctx.tr.weekday_name(d, "abbreviated"), literal=True) for d in range(7)]
    return [items[:4], items[4:]]


async def _saved(ctx: Ctx) -> None:
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    # a care-team member's Monday summaries follow their time zone and reminder time
    await careteam.reschedule_member(ctx.session, ctx.runner, ctx.now)
    ctx.say(ctx._("Saved.") + "\n\n" + summary(ctx), settings_keyboard(ctx))


async def _finish_reminder(ctx: Ctx, answers: Answers) -> None:
    ctx.runner.reminder_minute = int(answers["reminder"])
    await _saved(ctx)


async def _finish_zone(ctx: Ctx, answers: Answers) -> None:
    ctx.runner.time_zone = str(answers["time_zone"])
    await _saved(ctx)


async def _finish_days(ctx: Ctx, answers: Answers) -> None:
    count, days = run_days_of(str(answers["days"]))
    ctx.runner.run_days_per_week = count
    ctx.runner.preferred_days = days
    await _saved(ctx)


async def _finish_cadence(ctx: Ctx, answers: Answers) -> None:
    value = answers.get("cadence")
    ctx.runner.cadence_spm = None if value is None else int(value)
    await _saved(ctx)


async def _finish_weekday(ctx: Ctx, answers: Answers) -> None:
    ctx.runner.reassess_weekday = int(answers["weekday"])
    await _saved(ctx)


REMINDER = engine.register(
    Flow(
        "set_reminder",
        N_("Settings"),
        (REMINDER_STEP,),
        _finish_reminder,
    )
)
ZONE = engine.register(Flow("set_zone", N_("Settings"), (TIME_ZONE_STEP,), _finish_zone))
DAYS = engine.register(
    Flow("set_days", N_("Settings"), (DAYS_STEP,), _finish_days)
)
WEEKDAY = engine.register(
    Flow(
        "set_weekday",
        N_("Settings"),
        (
            Step(
                "weekday",
                N_("On which day should I remind you to reassess?"),
                choice(*(str(d) for d in range(7))),
                _weekday_options,
            ),
        ),
        _finish_weekday,
    )
)
CADENCE = engine.register(
    Flow(
        "set_cadence",
        N_("Settings"),
        (
            Step(
                "cadence",
                N_(
                    "Your usual running cadence, in steps a minute? Count your steps for 30 "
                    "seconds on an easy run and double it. The cadence cue is then set a little "
                    "above your own."
                ),
                optional(int_in(120, 230)),
                [number_row(155, 160, 165, 170, 175, 180), [Option(SKIP, N_("I don't know"))]],
            ),
        ),
        _finish_cadence,
    )
)
FLOWS = {
    "reminder": REMINDER,
    "zone": ZONE,
    "days": DAYS,
    "weekday": WEEKDAY,
    "cadence": CADENCE,
}


def summary(ctx: Ctx) -> str:
    r = ctx.runner
    days = [int(d) for d in (r.preferred_days or "").split(",") if d]
    day_names = (
        ", ".join(ctx.tr.weekday_name(d, "abbreviated") for d in days)
        if days
        else ctx._("any days")
    )
    lines = [
        "<b>" + ctx._("Your settings") + "</b>",
        ctx._("Daily message: {time}").format(time=_clock(r.reminder_minute)),
        ctx._("Time zone: {zone}").format(zone=zone_label(r.time_zone, ctx.lang)),
        ctx.n_(
            "Training: {n} day a week ({days})",
            "Training: {n} days a week ({days})",
            r.run_days_per_week or 3,
        ).format(n=r.run_days_per_week or 3, days=day_names),
        ctx._("Reassessment day: {day}").format(day=ctx.tr.weekday_name(r.reassess_weekday)),
        (
            ctx._("Running cadence: {spm} steps a minute").format(spm=r.cadence_spm)
            if r.cadence_spm
            else ctx._("Running cadence: not known")
        ),
        ctx._("Language: {language}").format(language=LANGUAGE_NAMES[ctx.lang]),
    ]
    return "\n".join(lines)


def settings_keyboard(ctx: Ctx) -> list[list[tuple[str, str]]]:
    return [
        [
            (ctx._("Reminder time"), data("set", "reminder")),
            (ctx._("Time zone"), data("set", "zone")),
        ],
        [
            (ctx._("Training days"), data("set", "days")),
            (ctx._("Reassessment day"), data("set", "weekday")),
        ],
        [
            (ctx._("Running cadence"), data("set", "cadence")),
            (ctx._("Language"), data("set", "language")),
        ],
    ]


@command("settings")
async def settings_command(ctx: Ctx) -> None:
    if ctx.runner.status == "new":
        ctx.say(ctx._("We haven't set up your plan yet. Send /start to begin."))
        return
    keyboard = settings_keyboard(ctx)
    if ctx.services.intervals is not None:  # the button of /connect or /disconnect
        if await sync.link_of(ctx.session, ctx.runner.id) is None:
            keyboard.append([(ctx._("Link intervals.icu"), data("sync", "on"))])
        else:
            keyboard.append([(ctx._("Unlink intervals.icu"), data("sync", "off"))])
    ctx.say(summary(ctx), keyboard)


@action("set")
async def change(ctx: Ctx, what: str) -> None:
    if what == "language":
        ask_language(ctx)
        return
    flow = FLOWS.get(what)
    if flow is None or ctx.runner.status == "new":
        ctx.say(ctx._("That question has closed."))
        return
    await engine.start(ctx, flow)


@command("pause")
async def pause_command(ctx: Ctx) -> None:
    if ctx.runner.status in ("new", "referred"):
        view.say_if_inactive(ctx)
        return
    args = ctx.extra.get("args") or []
    if not args:  # how long: a choice, not a fixed week
        ctx.say(
            ctx._("Pause your plan for how long? No reminders meanwhile; /resume any time."),
            [
                [
                    (ctx.n_("{n} day", "{n} days", n).format(n=n), data("pause", str(n)))
                    for n in PAUSE_CHOICES[:2]
                ],
                [
                    (ctx.n_("{n} day", "{n} days", n).format(n=n), data("pause", str(n)))
                    for n in PAUSE_CHOICES[2:]
                ],
            ],
        )
        return
    await pause_for(ctx, str(args[0]))


@action("pause")
async def pause_button(ctx: Ctx, argument: str) -> None:
    if ctx.runner.status in ("new", "referred"):
        view.say_if_inactive(ctx)
        return
    await pause_for(ctx, argument)


async def pause_for(ctx: Ctx, raw: str) -> None:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAUSE_DAYS:
        ctx.say(
            ctx._("Please give the number of days from 1 to {max}, like /pause 7.").format(
                max=MAX_PAUSE_DAYS
            )
        )
        return
    days = int(raw)
    await engine.leave(ctx)  # an open question (a morning check) closes with the pause
    ctx.runner.status = "paused"
    ctx.runner.paused_until = ctx.today + timedelta(days=days)
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    await sync.calendar_due(ctx.session, ctx.runner.id)  # no workouts on the watch meanwhile
    ctx.say(
        ctx.n_(
            "Paused for {n} day, until {date}. I won't send reminders meanwhile; send /resume "
            "any time.",
            "Paused for {n} days, until {date}. I won't send reminders meanwhile; send /resume "
            "any time.",
            days,
        ).format(n=days, date=ctx.tr.date(ctx.runner.paused_until))
    )


@command("resume")
async def resume_command(ctx: Ctx) -> None:
    if ctx.runner.status != "paused":
        if not view.say_if_inactive(ctx):
            ctx.say(ctx._("Your plan is already running. Send /today for today's session."))
        return
    ctx.runner.status = "active"
    ctx.runner.paused_until = None
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    await sync.calendar_due(ctx.session, ctx.runner.id)  # the sessions back on the watch
    # The welcome back is given now: the scheduler must not give another today, and counts
    # quiet days (for a nudge) from here.
    await schedule.claim(
        ctx.session, ctx.runner.id, [WELCOME_BACK], ctx.today, ctx.now, status=schedule.SENT
    )
    plan = await view.current(ctx)
    ctx.say(
        ctx._("Welcome back! Your plan picks up gently from here.")
        + "\n\n"
        + view.session_text(ctx, plan),
        view.daily_buttons(ctx, plan),
    )
