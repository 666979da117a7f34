"""A red-flag referral and its end: the plan stays stopped until the runner confirms that a
clinician examined and cleared them. A "no" at a later safety question never ends it.

While referred the runner gets no sessions and no daily prompts; once a week the scheduler
asks whether a clinician has seen them (prompts.CLINICIAN). The clearance is recorded as a
red-flag report with ``cleared_to_stage`` and today's date; progression then restarts the
plan at that stage (1 = walking, 0 when the clinician asked for less).
"""

from __future__ import annotations

from conversations import engine, render
from conversations.actions import action, data
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Option, Step, choice
from locales import N_
from progression import RedFlag, decide
from storage import records, schedule

CLEARED_LABEL = N_("A clinician examined me and cleared me")
RESTART_STAGE = {"walk": 1, "slower": 0}


def buttons(ctx: Ctx) -> list[list[tuple[str, str]]]:
    return [
        [(ctx._(CLEARED_LABEL), data("cleared"))],
        [(ctx._("Not yet"), data("not_cleared"))],
    ]


def stopped_text(ctx: Ctx) -> str:
    return ctx._(
        "Your plan is stopped until a clinician has examined you. If one has cleared you, tap "
        "the button below."
    )


def weekly_text(ctx: Ctx) -> str:
    return ctx._(
        "Has a clinician examined you yet? Your plan stays stopped until one has cleared you."
    )


async def refer(ctx: Ctx, flags: frozenset[RedFlag]) -> None:
    """Record the warning signs, stop the plan and say where to go, most urgent first."""
    await records.add_red_flags(ctx.session, ctx.runner.id, ctx.today, flags)
    from conversations import careteam

    await careteam.alert_red_flags(ctx, flags)
    await stop(ctx)
    ctx.say(render.referral(ctx, flags), buttons(ctx))


async def stop(ctx: Ctx) -> None:
    """The runner is referred: no sessions, no daily prompts, a weekly question only."""
    if ctx.runner.status != "referred":
        ctx.runner.status = "referred"
        ctx.runner.paused_until = None
        await schedule.reschedule(ctx.session, ctx.runner, ctx.now)


async def _finish(ctx: Ctx, answers: Answers) -> None:
    if ctx.runner.status != "referred":
        ctx.say(ctx._("Your plan is running; there is nothing to clear."))
        return
    stage = RESTART_STAGE[str(answers["restart"])]
    await clear(ctx, stage)


async def clear(ctx: Ctx, stage: int, intro: str | None = None) -> None:
    """Record a clearance to restart at ``stage`` and restart the plan (the runner's own
    confirmation, or a care-team clinician's, with ``intro`` saying who cleared them)."""
    await records.add_clearance(ctx.session, ctx.runner.id, ctx.today, stage)
    if not ctx.runner.injury:  # referred during onboarding: set the plan up now
        from conversations import onboarding

        ctx.runner.status = "new"
        ctx.say(intro or ctx._("Thank you, and good to hear. Let's set up your plan."))
        await engine.start(ctx, onboarding.FLOW, {"_rescreen": True})
        return
    ctx.runner.status = "active"
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    from conversations import today

    await today.remember(ctx, decision)
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    ctx.say(
        (intro or ctx._("Thank you, and good to hear. Your plan restarts gently."))
        + "\n\n"
        + render.decision(ctx, decision)
    )


FLOW = engine.register(
    Flow(
        name="clearance",
        title=N_("Clinician clearance"),
        steps=(
            Step(
                "restart",
                N_("Good news. How did the clinician want you to restart?"),
                choice(*RESTART_STAGE),
                [
                    [Option("walk", N_("With walking, as usual"))],
                    [Option("slower", N_("Slower: I was asked to do less for now"))],
                ],
            ),
        ),
        finish=_finish,
    )
)


@action("cleared")
async def cleared_button(ctx: Ctx, _arg: str) -> None:
    if ctx.runner.status != "referred":
        ctx.say(ctx._("Your plan is running; there is nothing to clear."))
        return
    await engine.start(ctx, FLOW)


@action("not_cleared")
async def not_cleared_button(ctx: Ctx, _arg: str) -> None:
    ctx.say(
        ctx._(
            "Thanks. Your plan stays stopped until a clinician has examined you. I'll ask "
            "again next week; the button under /today works any time."
        )
    )
