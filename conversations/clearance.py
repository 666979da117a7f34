"""The runner's own confirmation that a clinician examined and cleared them after a red flag
(the buttons under a referral, /today and the weekly question): how to restart, then
``referral.clear``."""

from __future__ import annotations

from conversations import engine, referral
from conversations.actions import action
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Option, Step, choice
from locales import N_
from storage import runners

RESTART_STAGE = {"walk": 1, "slower": 0}


async def _finish(ctx: Ctx, answers: Answers) -> None:
    await runners.lock(ctx.session, ctx.runner)  # a member may be clearing too
    if ctx.runner.status != "referred":
        ctx.say(ctx._("Your plan is running; there is nothing to clear."))
        return
    stage = RESTART_STAGE[str(answers["restart"])]
    await referral.clear(ctx, stage)


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
