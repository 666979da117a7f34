"""/start: onboarding for a new runner, the safety check again after a referral, and a
welcome back for everyone else."""

from __future__ import annotations

from conversations import basics, engine, onboarding, today
from conversations.actions import command
from conversations.context import Ctx
from conversations.engine import Answers, Flow
from locales import N_
from progression import decide
from storage import records, schedule


async def _rescreen_finish(ctx: Ctx, answers: Answers) -> None:
    flags = onboarding.flags_in(answers)
    if flags:
        await onboarding.refer(ctx, flags)
        return
    await records.add_red_flags(ctx.session, ctx.runner.id, ctx.today, frozenset())
    ctx.runner.status = "active"
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    await today.remember(ctx, decision)
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    from conversations import render

    ctx.say(
        ctx._("Thank you. The safety check is clear, so your plan restarts gently.")
        + "\n\n"
        + render.decision(ctx, decision)
    )


RESCREEN = engine.register(
    Flow(
        name="rescreen",
        title=N_("Safety check"),
        steps=tuple(s for s in onboarding.STEPS if s.name.startswith("rf_")),
        finish=_rescreen_finish,
        end_if=lambda answers: bool(onboarding.flags_in(answers)),
    )
)


@command("start")
async def start_command(ctx: Ctx) -> None:
    runner = ctx.runner
    if runner.status == "new":
        await engine.start(ctx, onboarding.FLOW)
    elif runner.status == "referred" and runner.injury:
        await engine.start(ctx, RESCREEN)
    elif runner.status == "referred":
        await engine.start(ctx, onboarding.FLOW, {"consent": "yes"})
    else:
        await basics.welcome_back(ctx)
        await engine.reask(ctx, "\n")
