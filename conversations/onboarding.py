"""Onboarding: consent and the red-flag screen (one step), the injury, baseline pain, running
before, readiness tests, days, reminder, time zone and a goal: 12 steps on the common path.
The test results, when the runner has them, are a second short conversation, so neither
counter ever changes its total. Ends with the starting stage and the first session."""

from __future__ import annotations

import html
from datetime import date

from conversations import engine, referral, view
from conversations.common import (
    DAYS_STEP,
    DISCLAIMER,
    INJURY_DATE_ANSWER,
    INJURY_DATE_TOLD_ON,
    REMINDER_STEP,
    SKIP,
    STIFFNESS_OPTIONS,
    TIME_ZONE_STEP,
    injury_date_parse,
    member_menu,
    optional,
    optional_text,
    run_days_of,
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
    scale_rows,
)
from locales import N_
from progression import Injury, Profile, Reassessment, RedFlag, Side, evaluate_gates, start
from reports import labels, words
from reports.plan import decision_text
from storage import careteam as care_store
from storage import records, schedule

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

def flag_key(flag: RedFlag) -> str:
    return f"rf_{flag.value}"


def flags_in(answers: Answers) -> frozenset[RedFlag]:
    """The sign picked on the safety screen (and any answered one by one before)."""
    signs = str(answers.get("consent", "")).split(",")
    picked = {flag for flag, _ in RED_FLAGS if flag.value in signs}
    return frozenset(picked | {flag for flag, _ in RED_FLAGS if answers.get(flag_key(flag))})


def _consent(ctx: Ctx, answers: Answers) -> str:
    """The welcome and the safety screen in one step: "none of these" is the consent too.
    After a clinician's clearance (``_rescreen``) only the safety screen is shown."""
    parts = []
    if not answers.get("_rescreen"):
        parts += [
            ctx._(
                "Hi! I'm runcoach. I guide you back to running after a muscle or tendon injury, "
                "one safe step at a time, and I adjust the plan to how your body responds."
            ),
            ctx._(DISCLAIMER),
            ctx._(
                "I keep your answers (pain scores, sessions, tests) to plan your sessions. You "
                "can export them with /export or delete everything with /delete at any time."
            ),
        ]
    screen = [ctx._("First, a quick safety check. Please answer honestly.")]
    screen += [str(i) + ". " + ctx._(q) for i, (_, q) in enumerate(RED_FLAGS, start=1)]
    screen.append(
        ctx._(
            "If one of these is true, tap its number (several: type their numbers, like 3 6); "
            "if none is, let's begin."
        )
    )
    parts.append("\n".join(screen))
    return "\n\n".join(parts)


def _consent_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    numbers = [Option(flag.value, str(i), literal=True) for i, (flag, _) in enumerate(RED_FLAGS, 1)]
    return [
        [Option("yes", N_("None of these: let's start"))],
        numbers,
        [Option("no", N_("Not now"))],
    ]


def _consent_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    """"yes" (none of the signs: begin), "no" (not now), or the signs: one button, or several
    numbers typed ("3 6"), kept as "bony_tenderness,night_pain"."""
    numbers = text.replace(",", " ").split()
    if numbers and all(n.isdigit() and 1 <= int(n) <= len(RED_FLAGS) for n in numbers):
        picked = sorted({int(n) for n in numbers})
        return ",".join(RED_FLAGS[n - 1][0].value for n in picked)
    return choice("yes", "no", *(flag.value for flag, _ in RED_FLAGS))(ctx, text, answers)


def _injury_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    items = [Option(i.value, labels.INJURIES[i]) for i in Injury]
    return [items[i : i + 2] for i in range(0, len(items), 2)]


BEFORE = ((1, 30), (2, 60), (3, 100), (3, 150), (4, 200), (5, 300))


def _before_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    label = ctx._("{runs}× a week, {minutes} min")
    items = [
        Option(f"{r} {m}", label.format(runs=r, minutes=m), literal=True) for r, m in BEFORE
    ]
    return [[Option("0 0", N_("I wasn't running"))], items[:3], items[3:]]


def _before_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    """Runs a week and minutes a week before the injury, as "3 120"."""
    parts = text.replace("/", " ").replace(",", " ").split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        runs, minutes = int(parts[0]), int(parts[1])
        if 0 <= runs <= 14 and 0 <= minutes <= 1500 and (runs == 0) == (minutes == 0):
            return f"{runs} {minutes}"
    raise Invalid(
        N_("Please tap one, or type two numbers: runs a week and minutes a week, like 3 120.")
    )


def _walk_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [*scale_rows(0, 10), [Option(SKIP, N_("I haven't walked 30 minutes yet"))]]


def _date_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [
        [Option("week", N_("This week")), Option("2weeks", N_("1-2 weeks ago"))],
        [Option("6weeks", N_("2-6 weeks ago")), Option("older", N_("Over 6 weeks ago"))],
        [Option("unknown", N_("Not sure"))],
    ]


WALK_30 = "walk30"  # no test results, but a pain-free 30-minute brisk walk


def _tests_intro(ctx: Ctx, answers: Answers) -> str:
    return ctx._(
        "Have you tried the ready-to-run tests? They are: as many single-leg heel raises as you "
        "can on each leg, 10 single-leg hops on each leg, and a 30-minute brisk walk."
    )


STEPS: tuple[Step, ...] = (
    Step(
        "consent",
        _consent,
        _consent_parse,
        _consent_options,
        summary=N_("Safety check:"),
    ),
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
        "running_before",
        N_("Before the injury, how often did you run, and about how many minutes a week?"),
        _before_parse,
        _before_options,
        hint=N_("Tap the closest, or type both numbers: runs and minutes, like 3 120."),
    ),
    Step(
        "tests",
        _tests_intro,
        choice("yes", WALK_30, "no"),
        [
            [Option("yes", N_("Yes, I have results"))],
            [Option(WALK_30, N_("No, but I walk 30 minutes briskly without pain"))],
            [Option("no", N_("Not yet"))],
        ],
    ),
    DAYS_STEP,
    REMINDER_STEP,
    TIME_ZONE_STEP,
    Step(
        "goal",
        N_("Last one: what is your goal? For example: run 5 km pain-free, or my club run in May."),
        optional_text(200),
        [skip_row()],
    ),
)


# The ready-to-run test results: a conversation of their own, opened when the runner has them.
TEST_STEPS: tuple[Step, ...] = (
    Step(
        "heel_left",
        N_("How many single-leg heel raises could you do on the left leg?"),
        int_in(0, 100),
        hint=N_("Type the number."),
        summary=N_("Heel raises, left leg:"),
    ),
    Step(
        "heel_right",
        N_("And on the right leg?"),
        int_in(0, 100),
        hint=N_("Type the number."),
        summary=N_("Heel raises, right leg:"),
    ),
    Step(
        "hops_left",
        N_("Of 10 single-leg hops on the left leg, how many felt pain-free?"),
        int_in(0, 10),
        scale_rows(0, 10),
        summary=N_("Pain-free hops, left leg:"),
    ),
    Step(
        "hops_right",
        N_("And on the right leg?"),
        int_in(0, 10),
        scale_rows(0, 10),
        summary=N_("Pain-free hops, right leg:"),
    ),
    Step(
        "hop_pain",
        N_("The worst pain while hopping, 0 to 10?"),
        int_in(0, 10),
        scale_rows(0, 10),
    ),
    Step(
        "stiffness_min",
        N_("How many minutes does morning stiffness last?"),
        int_in(0, 240),
        STIFFNESS_OPTIONS,
    ),
    Step(
        "walk_test",
        N_("Pain during a 30-minute brisk walk, 0 to 10?"),
        optional(int_in(0, 10)),
        _walk_options,
    ),
)


def _end_early(answers: Answers) -> bool:
    return answers.get("consent") == "no" or bool(flags_in(answers))


def profile_from(answers: Answers) -> Profile:
    injury_date = answers.get("injury_date")
    return Profile(
        injury=Injury(answers["injury"]),
        side=Side(answers["side"]),
        injury_date=date.fromisoformat(injury_date) if injury_date else None,
        rest_pain=int(answers["rest_pain"]),
        walk_pain=int(answers["walk_pain"]),
        runs_per_week_before=int(str(answers["running_before"]).split()[0]),
        minutes_per_week_before=int(str(answers["running_before"]).split()[1]),
        run_days_per_week=run_days_of(str(answers["days"]))[0],
        preferred_days=frozenset(
            int(d) for d in run_days_of(str(answers["days"]))[1].split(",") if d
        ),
    )


def tests_from(answers: Answers, today: date) -> Reassessment | None:
    """What onboarding measured, and only that (None = not asked): the test results, or just
    a pain-free 30-minute walk, which places the runner at the ready-to-run tests."""
    if answers.get("tests") == WALK_30:
        return Reassessment(
            day=today,
            heel_raises_left=None,
            heel_raises_right=None,
            hops_left=None,
            hops_right=None,
            hop_pain=None,
            knee_to_wall_left_cm=None,
            knee_to_wall_right_cm=None,
            morning_stiffness_min=None,
            walk_pain=0,
            readiness=None,
            rest_pain=int(answers["rest_pain"]),
            daily_pain=int(answers["walk_pain"]),
        )
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
        swelling=None,  # not asked at onboarding
    )


async def finish(ctx: Ctx, answers: Answers) -> None:
    if answers.get("consent") == "no":
        ctx.say(ctx._("No problem. Nothing has started; send /start whenever you are ready."))
        return
    flags = flags_in(answers)
    if flags:
        await referral.refer(ctx, flags)
        return
    if answers.get("tests") == "yes" and "heel_left" not in answers:
        await engine.start(ctx, TESTS_FLOW, answers)  # the results, then the plan
        return
    await set_up(ctx, answers)


async def set_up(ctx: Ctx, answers: Answers) -> None:
    runner = ctx.runner
    profile = profile_from(answers)
    runner.injury = profile.injury.value
    runner.side = profile.side.value
    runner.injury_date = profile.injury_date
    told_on = answers.get(INJURY_DATE_TOLD_ON)
    runner.injury_date_answer = answers.get(INJURY_DATE_ANSWER) if told_on else None
    runner.injury_date_told_on = date.fromisoformat(str(told_on)) if told_on else None
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
        gates = evaluate_gates(profile, tests, decision.level)
        await records.add_reassessment(ctx.session, runner.id, tests, gates)
    await records.save_decision(ctx.session, runner, decision, today)
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    lines = [
        ctx._("Thank you, your plan is ready."),
        ctx._("You start at stage {stage} of 5: {name}.").format(
            stage=decision.stage, name=words.stage_name(ctx, decision.stage)
        ),
    ]
    if runner.goal:
        lines.append(ctx._("Your goal: {goal}").format(goal=html.escape(runner.goal)))
    history = await records.load_history(ctx.session, runner, today)
    lines.append("")
    plan = await view.shown(ctx, view.build(runner, today, history, decision))
    lines.append(decision_text(ctx, plan, headline_shown=False))
    if decision.stage <= 1:  # where the protocol needs other days than the chosen ones
        lines.append(
            ctx._(
                "Until the running stages, a short session comes on most days (a recovery "
                "day every fourth): your chosen days are for the runs."
            )
        )
    lines.append("")
    lines.append(
        ctx._(
            "After each session send /checkin. I'll message you every day at {time}; "
            "/plan shows the week ahead and /help everything else."
        ).format(time=f"{runner.reminder_minute // 60:02d}:{runner.reminder_minute % 60:02d}")
    )
    ctx.say("\n".join(lines), view.decision_buttons(ctx, decision))
    if await care_store.links_of_member(ctx.session, runner.id):  # a member runs too now
        ctx.out.append(member_menu(ctx, runner_too=True))


FLOW = engine.register(
    Flow(
        name="onboarding",
        title=N_("Getting started"),
        steps=STEPS,
        finish=finish,
        end_if=_end_early,
    )
)
TESTS_FLOW = engine.register(
    Flow(name="onboarding_tests", title=N_("Your test results"), steps=TEST_STEPS, finish=set_up)
)

__all__ = ["FLOW", "SKIP"]
