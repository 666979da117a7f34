"""/start: onboarding for a new runner, the referral's state (and the clinician-clearance
button) for a referred one, and a welcome back for everyone else."""

from __future__ import annotations

from conversations import basics, engine, onboarding, referral
from conversations.actions import command
from conversations.context import Ctx


@command("start")
async def start_command(ctx: Ctx) -> None:
    args = ctx.extra.get("args") or []
    if args:  # a deep link's payload: a care-team invitation (t.me/<bot>?start=<token>)
        from conversations import careteam

        await careteam.open_invite(ctx, str(args[0]))
        return
    runner = ctx.runner
    if runner.status == "new":
        await engine.start(ctx, onboarding.FLOW)
    elif runner.status == "referred":
        # Answering "no" to the safety questions again is not a clearance: only the runner's
        # confirmation that a clinician examined them ends a referral.
        ctx.say(referral.stopped_text(ctx), referral.buttons(ctx))
    else:
        await basics.welcome_back(ctx)
        await engine.reask(ctx, "\n")
