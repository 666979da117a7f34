"""The weekly reassessment: heel raises, hops, ankle mobility, morning stiffness, a brisk walk
and a short readiness scale. Ends with the stage gates passed or not, and what to work on."""

from __future__ import annotations

from conversations import engine, render, today
from conversations.actions import command
from conversations.common import SKIP, STIFFNESS_OPTIONS, optional, skip_row
from conversations.context import Ctx
from conversations.engine import (
    Answers,
    Flow,
    Option,
    Step,
    float_in,
    int_in,
    number_row,
    scale_rows,
)
from locales import N_
from progression import GateCode, Reassessment, Swelling, decide, evaluate_gates
from storage import records

# A short readiness-to-run scale in the spirit of I-PRRS: six 0-10 items, summed to 0-60.
READINESS_ITEMS: tuple[str, ...] = (
    N_("How confident are you that you can run at your normal effort?"),
    N_("How confident are you in the injured area when you run?"),
    N_("How confident are you that you can run without pain?"),
    N_("How confident are you that you can train without holding back?"),
    N_("How little do you worry about getting hurt again? (10 = not at all)"),
    N_("How confident are you in your running fitness right now?"),
)

WORK_ON: dict[GateCode, str] = {
    GateCode.DAILY_ACTIVITIES: N_(
        "Let daily activities become pain-free first: keep walking short and easy."
    ),
    GateCode.NO_SWELLING: N_(
        "Let the swelling go down: reduce load and elevate the leg after activity."
    ),
    GateCode.HEEL_RAISES: N_(
        "Build calf strength: heel raises every other day, adding a few each week."
    ),
    GateCode.LIMB_SYMMETRY: N_("Bring the weaker leg up: do the single-leg exercises on it first."),
    GateCode.HOPS_PAIN_FREE: N_("Prepare for impact: small pogo hops on both legs, then one leg."),
    GateCode.SINGLE_LEG_SQUAT: N_("Practise slow single-leg squats to a chair for control."),
    GateCode.MORNING_STIFFNESS: N_(
        "Morning stiffness should ease first: keep the load steady, not higher."
    ),
    GateCode.WALK_TEST: N_("Build up your brisk walks until 30 minutes feel comfortable."),
    GateCode.KNEE_TO_WALL: N_("Ankle mobility: knee-to-wall stretches twice a day."),
    GateCode.READINESS: N_(
        "Confidence grows with easy, successful runs: no need to rush intensity."
    ),
}


def _ktw_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [number_row(5, 8, 10, 12, 15), skip_row()]


def _walk_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    return [*scale_rows(0, 10), [Option(SKIP, N_("I didn't do the walk"))]]


def _no_ktw_left(answers: Answers) -> bool:
    return answers.get("ktw_left") is None


def _readiness_step(index: int, question: str) -> Step:
    def ask(ctx: Ctx, answers: Answers) -> str:
        text = ctx._(question)
        if index == 0:
            text = (
                ctx._("Finally, six quick questions about how ready you feel, 0 to 10.")
                + "\n\n"
                + text
            )
        return text

    return Step(f"ready_{index}", ask, int_in(0, 10), scale_rows(0, 10))


def _intro(ctx: Ctx, answers: Answers) -> str:
    return (
        ctx._("Weekly reassessment. Warm up first with a few minutes of walking.")
        + "\n\n"
        + ctx._(
            "Single-leg heel raises on the left leg: how many, at a steady pace, until you can't?"
        )
    )


STEPS: tuple[Step, ...] = (
    Step("heel_left", _intro, int_in(0, 100), hint=N_("Type the number.")),
    Step("heel_right", N_("And on the right leg?"), int_in(0, 100), hint=N_("Type the number.")),
    Step(
        "hops_left",
        N_("Try 10 single-leg hops on the left leg. How many were pain-free?"),
        int_in(0, 10),
        scale_rows(0, 10),
    ),
    Step("hops_right", N_("And on the right leg?"), int_in(0, 10), scale_rows(0, 10)),
    Step(
        "hop_pain", N_("The worst pain while hopping, 0 to 10?"), int_in(0, 10), scale_rows(0, 10)
    ),
    Step(
        "ktw_left",
        N_(
            "Knee to wall, left: how far can your toes be from the wall with the knee touching "
            "it and the heel down, in cm? (optional)"
        ),
        optional(float_in(0, 30)),
        _ktw_options,
    ),
    Step(
        "ktw_right",
        N_("And the right, in cm?"),
        optional(float_in(0, 30)),
        _ktw_options,
        skip_if=_no_ktw_left,
    ),
    Step(
        "stiffness_min",
        N_("How many minutes did stiffness last this morning?"),
        int_in(0, 240),
        STIFFNESS_OPTIONS,
    ),
    Step(
        "walk_pain",
        N_("Pain during a 30-minute brisk walk this week, 0 to 10?"),
        optional(int_in(0, 10)),
        _walk_options,
    ),
    *(_readiness_step(i, q) for i, q in enumerate(READINESS_ITEMS)),
)


def reassessment_from(ctx: Ctx, answers: Answers) -> Reassessment:
    return Reassessment(
        day=ctx.today,
        heel_raises_left=int(answers["heel_left"]),
        heel_raises_right=int(answers["heel_right"]),
        hops_left=int(answers["hops_left"]),
        hops_right=int(answers["hops_right"]),
        hop_pain=int(answers["hop_pain"]),
        knee_to_wall_left_cm=answers.get("ktw_left"),
        knee_to_wall_right_cm=answers.get("ktw_right"),
        morning_stiffness_min=int(answers["stiffness_min"]),
        walk_pain=answers.get("walk_pain"),
        readiness=sum(int(answers[f"ready_{i}"]) for i in range(len(READINESS_ITEMS))),
        swelling=Swelling.NONE,
    )


async def finish(ctx: Ctx, answers: Answers) -> None:
    result = reassessment_from(ctx, answers)
    profile = records.profile_of(ctx.runner)
    gates = evaluate_gates(profile, result, ctx.runner.level)
    await records.add_reassessment(ctx.session, ctx.runner.id, result, gates)
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    await today.remember(ctx, decision)
    lines = ["<b>" + ctx._("Your results") + "</b>"]
    lines += [render.gate(ctx, g) for g in gates]
    failed = [g for g in gates if not g.passed]
    if failed:
        lines.append("")
        lines.append("<b>" + ctx._("What to work on this week") + "</b>")
        lines += ["• " + ctx._(WORK_ON[g.code]) for g in failed if g.code in WORK_ON]
    else:
        lines.append("")
        lines.append(ctx._("Every test passed for the next stage."))
    lines.append("")
    lines.append(render.decision(ctx, decision))
    ctx.say("\n".join(lines))


FLOW = engine.register(
    Flow(name="reassess", title=N_("Weekly reassessment"), steps=STEPS, finish=finish)
)


@command("reassess")
async def begin(ctx: Ctx) -> None:
    await today.start_if_active(ctx, FLOW)
