"""Onboarding: consent, the red-flag screen, the injury, baseline pain, readiness tests,
schedule, time zone and a goal. Ends with the starting stage and the first session."""

from __future__ import annotations

import html
from datetime import date

from conversations import engine, render
from conversations.basics import DISCLAIMER
from conversations.common import (
    SKIP,
    STIFFNESS_OPTIONS,
    injury_date_parse,
    optional,
    optional_text,
    reminder_options,
    reminder_parse,
    skip_row,
)
from conversations.context import Ctx
from conversations.engine import (
    Answers,
    Flow,
    Invalid,
    Option,
    Step,
    choice,
    int_in,
    number_row,
    scale_rows,
)
from conversations.timezones import SHORT_LISTS, resolve, zone_label
from locales import N_
from progression import Injury, Profile, Reassessment, RedFlag, Side, Swelling, start
from storage import records

RED_FLAGS: tuple[tuple[RedFlag, str], ...] = (
    (RedFlag.CHEST_OR_BREATH, N_("Right now, do you have sudden breathlessness or chest pain?")),
    (
        RedFlag.CLOT_SIGNS,
        N_(
            "Is one calf painful and swollen, warm or red, with a constant pain that rest does "
            "not ease?"
        ),
    ),
    (RedFlag.CANNOT_BEAR_WEIGHT, N_("Are you unable to take four steps on the injured leg?")),
    (
        RedFlag.BONY_TENDERNESS,
        N_(
            "Does pressing on a bone hurt at one exact spot: the back edge or tip of an ankle "
            "bone, the outer edge of the foot, the top of the midfoot, or the shin bone?"
        ),
    ),
    (RedFlag.NUMB_TINGLING, N_("Is there intense pain together with numbness or tingling?")),
    (RedFlag.NIGHT_PAIN, N_("Does the pain wake you up at night?")),
)

WEEKDAY_SETS: dict[int, tuple[tuple[int, ...], ...]] = {
    1: ((5,), (6,), (2,)),
    2: ((1, 5), (2, 6), (0, 3)),
    3: ((0, 2, 4), (1, 3, 5), (1, 3, 6)),
    4: ((0, 2, 4, 6), (1, 3, 5, 6), (0, 2, 4, 5)),
}


def flag_key(flag: RedFlag) -> str:
    return f"rf_{flag.value}"


def flags_in(answers: Answers) -> frozenset[RedFlag]:
    return frozenset(flag for flag, _ in RED_FLAGS if answers.get(flag_key(flag)))


def _consent(ctx: Ctx, answers: Answers) -> str:
    return "\n\n".join(
        [
            ctx._(
                "Hi! I'm runcoach. I guide you back to running after a muscle or tendon injury, "
                "one safe step at a time, and I adjust the plan to how your body responds."
            ),
            ctx._(DISCLAIMER),
            ctx._(
                "I keep your answers (pain scores, sessions, tests) to plan your sessions. You "
                "can export them with /export or delete everything with /delete at any time."
            ),
            ctx._("Shall we begin?"),
        ]
    )


def _yes_no_flag(ctx: Ctx, text: str, answers: Answers) -> bool:
    return engine.parse_yes_no(ctx, text, answers)


def _flag_step(flag: RedFlag, question: str, first: bool) -> Step:
    def ask(ctx: Ctx, answers: Answers) -> str:
        text = ctx._(question)
        if first:
            text = ctx._("First, a quick safety check. Please answer honestly.") + "\n\n" + text
        return text

    return Step(flag_key(flag), ask, _yes_no_flag, engine.yes_no())


def _injury_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    items = [Option(i.value, render.INJURIES[i]) for i in Injury]
    return [items[i : i + 2] for i in range(0, len(items), 2)]


def _days_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    count = min(int(answers.get("run_days", 3)), 4)
    rows = []
    for days in WEEKDAY_SETS[count]:
        label = " ".join(ctx.tr.weekday_name(d, "abbreviated") for d in days)
        rows.append([Option(",".join(map(str, days)), label, literal=True)])
    rows.append([Option("any", N_("Any days"))])
    return rows


def _days_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    if text == "any":
        return ""
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    if parts and all(p.isdigit() and 0 <= int(p) <= 6 for p in parts):
        return ",".join(sorted(set(parts), key=int))
    # typed weekday names in the runner's language
    names = {}
    for width in ("wide", "abbreviated"):
        for d in range(7):
            names[ctx.tr.weekday_name(d, width).casefold().rstrip(".")] = d
    chosen = []
    for word in text.replace(",", " ").split():
        key = word.casefold().rstrip(".")
        if key not in names:
            raise Invalid(N_("Please tap one of the buttons, or type days like: Mon Wed Fri."))
        chosen.append(names[key])
    if not chosen:
        raise Invalid(N_("Please tap one of the buttons, or type days like: Mon Wed Fri."))
    return ",".join(str(d) for d in sorted(set(chosen)))


def _zone_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    names = SHORT_LISTS.get(ctx.lang, SHORT_LISTS["en"])
    items = [Option(n, zone_label(n, ctx.lang), literal=True) for n in names]
    rows = [items[i : i + 3] for i in range(0, len(items), 3)]
    rows.append([Option("UTC", "UTC", literal=True)])
    return rows


def zone_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    zone = resolve(text)
    if zone is None:
        raise Invalid(
            N_(
                "I don't know that time zone. Type a big city near you (Berlin), a zone name "
                "(Europe/Berlin) or an offset (UTC+2)."
            )
        )
    return zone


def _minutes_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [number_row(0, 60, 120, 180, 240, 300)]


def _walk_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [*scale_rows(0, 10), [Option(SKIP, N_("I haven't walked 30 minutes yet"))]]


def _no_tests(answers: Answers) -> bool:
    return answers.get("tests") != "yes"


def _date_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [
        [Option("week", N_("This week")), Option("2weeks", N_("1-2 weeks ago"))],
        [Option("6weeks", N_("2-6 weeks ago")), Option("older", N_("Over 6 weeks ago"))],
        [Option("unknown", N_("Not sure"))],
    ]


def _tests_intro(ctx: Ctx, answers: Answers) -> str:
    return ctx._(
        "Have you tried the ready-to-run tests? They are: as many single-leg heel raises as you "
        "can on each leg, 10 single-leg hops on each leg, and a 30-minute brisk walk."
    )


STEPS: tuple[Step, ...] = (
    Step(
        "consent",
        _consent,
        choice("yes", "no"),
        [[Option("yes", N_("Yes, let's start")), Option("no", N_("Not now"))]],
    ),
    *(_flag_step(flag, question, i == 0) for i, (flag, question) in enumerate(RED_FLAGS)),
    Step("injury", N_("Which injury are you coming back from?"), choice(*Injury), _injury_options),
    Step(
        "side",
        N_("Which side?"),
        choice(*Side),
        [[Option("left", N_("Left")), Option("right", N_("Right")), Option("both", N_("Both"))]],
    ),
    Step(
        "injury_date",
        N_("When did it happen?"),
        injury_date_parse,
        _date_options,
        hint=N_("Or type the date, like 2026-03-01."),
    ),
    Step(
        "rest_pain",
        N_("How much does it hurt at rest, from 0 (no pain) to 10 (worst imaginable)?"),
        int_in(0, 10),
        scale_rows(0, 10),
    ),
    Step(
        "walk_pain",
        N_("And when you walk or go about your day, 0 to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
    ),
    Step(
        "runs_before",
        N_("Before the injury, how many times a week did you run?"),
        int_in(0, 14),
        scale_rows(0, 7, per_row=8),
    ),
    Step(
        "minutes_before",
        N_("About how many minutes of running a week was that in total?"),
        int_in(0, 1500),
        _minutes_options,
        hint=N_("Tap one or type a number."),
    ),
    Step(
        "tests",
        _tests_intro,
        choice("yes", "no"),
        [[Option("yes", N_("Yes, I have results")), Option("no", N_("Not yet"))]],
    ),
    Step(
        "heel_left",
        N_("How many single-leg heel raises could you do on the left leg?"),
        int_in(0, 100),
        skip_if=_no_tests,
        hint=N_("Type the number."),
    ),
    Step(
        "heel_right",
        N_("And on the right leg?"),
        int_in(0, 100),
        skip_if=_no_tests,
        hint=N_("Type the number."),
    ),
    Step(
        "hops_left",
        N_("Of 10 single-leg hops on the left leg, how many felt pain-free?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_no_tests,
    ),
    Step(
        "hops_right",
        N_("And on the right leg?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_no_tests,
    ),
    Step(
        "hop_pain",
        N_("The worst pain while hopping, 0 to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
        skip_if=_no_tests,
    ),
    Step(
        "stiffness_min",
        N_("How many minutes does morning stiffness last?"),
        int_in(0, 240),
        STIFFNESS_OPTIONS,
        skip_if=_no_tests,
    ),
    Step(
        "walk_test",
        N_("Pain during a 30-minute brisk walk, 0 to 10?"),
        optional(int_in(0, 10)),
        _walk_options,
        skip_if=_no_tests,
    ),
    Step(
        "run_days",
        N_("How many days a week would you like to walk or run?"),
        int_in(1, 7),
        [number_row(2, 3, 4)],
        hint=N_("For now I plan at most 4 runs a week, never on back-to-back days."),
    ),
    Step("days", N_("Which days suit you best?"), _days_parse, _days_options),
    Step(
        "reminder",
        N_("What time should I send your daily message?"),
        reminder_parse,
        reminder_options,
        hint=N_("Or type a time, like 06:45."),
    ),
    Step(
        "time_zone",
        N_("Which time zone are you in?"),
        zone_parse,
        _zone_options,
        hint=N_("Or type a city, a zone like Europe/Berlin, or an offset like UTC+3."),
    ),
    Step(
        "goal",
        N_("Last one: what is your goal? For example: run 5 km pain-free, or my club run in May."),
        optional_text(200),
        [skip_row()],
    ),
)


def _end_early(answers: Answers) -> bool:
    return answers.get("consent") == "no" or bool(flags_in(answers))


async def refer(ctx: Ctx, flags: frozenset[RedFlag]) -> None:
    """Stop the plan and send the runner to a clinician, urgently where it must be."""
    from conversations import referral

    await referral.refer(ctx, flags)


def profile_from(answers: Answers) -> Profile:
    injury_date = answers.get("injury_date")
    return Profile(
        injury=Injury(answers["injury"]),
        side=Side(answers["side"]),
        injury_date=date.fromisoformat(injury_date) if injury_date else None,
        rest_pain=int(answers["rest_pain"]),
        walk_pain=int(answers["walk_pain"]),
        runs_per_week_before=int(answers["runs_before"]),
        minutes_per_week_before=int(answers["minutes_before"]),
        run_days_per_week=int(answers["run_days"]),
        preferred_days=frozenset(int(d) for d in str(answers.get("days", "")).split(",") if d),
    )


def tests_from(answers: Answers, today: date) -> Reassessment | None:
    if answers.get("tests") != "yes":
        return None
    return Reassessment(
        day=today,
        heel_raises_left=int(answers["heel_left"]),
        heel_raises_right=int(answers["heel_right"]),
        hops_left=int(answers["hops_left"]),
        hops_right=int(answers["hops_right"]),
        hop_pain=int(answers["hop_pain"]),
        knee_to_wall_left_cm=None,
        knee_to_wall_right_cm=None,
        morning_stiffness_min=int(answers["stiffness_min"]),
        walk_pain=answers.get("walk_test"),
        readiness=None,
        rest_pain=int(answers["rest_pain"]),
        daily_pain=int(answers["walk_pain"]),
        swelling=Swelling.NONE,
    )


async def finish(ctx: Ctx, answers: Answers) -> None:
    if answers.get("consent") == "no":
        ctx.say(ctx._("No problem. Nothing has started; send /start whenever you are ready."))
        return
    flags = flags_in(answers)
    if flags:
        await refer(ctx, flags)
        return
    runner = ctx.runner
    profile = profile_from(answers)
    runner.injury = profile.injury.value
    runner.side = profile.side.value
    runner.injury_date = profile.injury_date
    runner.rest_pain = profile.rest_pain
    runner.walk_pain = profile.walk_pain
    runner.runs_per_week_before = profile.runs_per_week_before
    runner.minutes_per_week_before = profile.minutes_per_week_before
    runner.run_days_per_week = profile.run_days_per_week
    runner.preferred_days = ",".join(str(d) for d in sorted(profile.preferred_days))
    runner.reminder_minute = int(answers["reminder"])
    runner.time_zone = str(answers["time_zone"])
    runner.goal = answers.get("goal")
    runner.status = "active"
    runner.paused_until = None
    if runner.consent_at is None:
        runner.consent_at = ctx.now
    today = ctx.today
    await records.add_red_flags(ctx.session, runner.id, today, frozenset())
    tests = tests_from(answers, today)
    decision = start(profile, frozenset(), tests, today)
    if tests is not None:
        from progression import evaluate_gates

        gates = evaluate_gates(profile, tests, decision.level)
        await records.add_reassessment(ctx.session, runner.id, tests, gates)
    await records.save_decision(ctx.session, runner, decision, today)
    await _reschedule(ctx)
    lines = [
        ctx._("Thank you, your plan is ready."),
        ctx._("You start at stage {stage} of 5: {name}.").format(
            stage=decision.stage, name=render.stage_name(ctx, decision.stage)
        ),
    ]
    if runner.goal:
        lines.append(ctx._("Your goal: {goal}").format(goal=html.escape(runner.goal)))
    lines.append("")
    lines.append(render.decision(ctx, decision, headline=False))
    lines.append("")
    lines.append(
        ctx._(
            "After each session send /checkin. I'll message you every day at {time}; "
            "/plan shows the week ahead and /help everything else."
        ).format(time=f"{runner.reminder_minute // 60:02d}:{runner.reminder_minute % 60:02d}")
    )
    from conversations import today as today_module

    ctx.say("\n".join(lines), today_module.decision_buttons(ctx, decision))


async def _reschedule(ctx: Ctx) -> None:
    from storage import schedule

    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)


FLOW = engine.register(
    Flow(
        name="onboarding",
        title=N_("Getting started"),
        steps=STEPS,
        finish=finish,
        end_if=_end_early,
    )
)

__all__ = ["FLOW", "SKIP", "refer"]
