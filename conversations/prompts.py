"""What the scheduler sends: the daily prompt and its companions, composed in the runner's
language. The scheduler decides *who* is due and *which kinds*; this module decides *what*
the message says. At most one message a day reaches a runner: due kinds are combined."""

from __future__ import annotations

from conversations import decisions, morning, view
from conversations.context import Ctx

DAILY = "daily"
MORNING = "morning"
WEEKLY = "weekly"
NUDGE = "nudge"
WELCOME_BACK = "welcome_back"
CLINICIAN = "clinician"  # referred runners, weekly: has a clinician examined you?
KINDS = (DAILY, MORNING, WEEKLY, NUDGE, WELCOME_BACK, CLINICIAN)


async def compose(ctx: Ctx, kinds: list[str]) -> None:
    """Queue the message for the due ``kinds`` (any of KINDS) into ``ctx.out``."""
    if CLINICIAN in kinds or ctx.runner.status == "referred":
        # While referred: no session, no daily prompt; only the clinician question.
        if CLINICIAN in kinds:
            ctx.say(view.referral_weekly_text(ctx), view.referral_buttons(ctx))
        return
    lines: list[str] = []
    if WELCOME_BACK in kinds:
        lines.append(ctx._("Welcome back! Your plan picks up gently from here."))
    if NUDGE in kinds:
        lines.append(
            ctx._(
                "I haven't heard from you for a few days. How is it going? "
                "A quick check-in keeps your plan right for you."
            )
        )
    if MORNING not in kinds and DAILY in kinds and await decisions.resting(ctx):
        # While the plan rests (night pain, lasting swelling), each morning asks how it is:
        # the rest ends when a morning check comes back clear.
        kinds = [*kinds, MORNING]
    weekly = ctx._(
        "It's your weekly reassessment: a few quick tests (about five minutes) show how the "
        "injured area is doing."
    )
    if MORNING in kinds:
        # The morning-after check is a short conversation: one message, whatever else is due
        # said above its first question; a reassessment day's button comes with its result.
        if WEEKLY in kinds:
            lines.append(weekly)
        await morning.begin(ctx, intro="\n\n".join(lines), weekly=WEEKLY in kinds)
        return
    plan = await view.current(ctx)
    if DAILY in kinds or WELCOME_BACK in kinds or NUDGE in kinds:
        lines.append(view.session_text(ctx, plan))
    if WEEKLY in kinds:
        lines.append(weekly)
        ctx.extra[view.REASSESS_DUE] = True
    ctx.say("\n\n".join(lines), view.daily_buttons(ctx, plan))
