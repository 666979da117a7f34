"""What the scheduler sends: the daily prompt and its companions, composed in the runner's
language. The scheduler decides *who* is due and *which kinds*; this module decides *what*
the message says. At most one message a day reaches a runner: due kinds are combined."""

from __future__ import annotations

from conversations import decisions, morning, referral, view
from conversations.actions import data
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
            ctx.say(referral.weekly_text(ctx), referral.buttons(ctx))
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
    if MORNING in kinds:
        # The morning-after check is a short conversation; it begins with its own message.
        # Today's session follows when it ends; a reassessment day keeps its button.
        keyboard = None
        if WEEKLY in kinds:
            lines.append(
                ctx._(
                    "It's reassessment day: a few quick tests tell us if you're ready to move on."
                )
            )
            keyboard = [[(ctx._("Start reassessment"), data("reassess"))]]
        if lines:
            ctx.say("\n\n".join(lines), keyboard)
        await morning.begin(ctx)
        return
    if DAILY in kinds or WELCOME_BACK in kinds or NUDGE in kinds:
        lines.append(await view.session_text(ctx))
    if WEEKLY in kinds:
        lines.append(
            ctx._("It's reassessment day: a few quick tests tell us if you're ready to move on.")
        )
    if WEEKLY in kinds:
        ctx.extra[view.REASSESS_DUE] = True
    keyboard = view.daily_buttons(ctx)
    ctx.say("\n\n".join(lines), keyboard)
