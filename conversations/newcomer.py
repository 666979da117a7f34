"""A chat with no plan yet (a new runner, or one who deleted their data): whatever they send
outside onboarding points them to /start."""

from __future__ import annotations

from conversations import engine
from conversations.context import Ctx
from locales import N_

START_FIRST = N_("We haven't set up your plan yet. Send /start to begin.")
# Commands that make sense before a plan exists; every other one points to /start.
OPEN_COMMANDS = frozenset({"start", "help", "language", "delete", "cancel", "patients"})
# "ci" answers a care-team invitation, "cm" is a care-team member's button: a physio or coach
# needs no plan of their own
OPEN_BUTTONS = frozenset({"lang", "delete", "ci", "cm"})


def has_no_plan(ctx: Ctx) -> bool:
    return ctx.runner.status == "new"


async def points_to_start(ctx: Ctx, prefix: str = "") -> bool:
    """For a runner with no plan and no conversation open, say to send /start; True if said."""
    if not has_no_plan(ctx) or await engine.current(ctx) is not None:
        return False
    ctx.say(prefix + ctx._(START_FIRST))
    return True


async def command_needs_a_plan(ctx: Ctx, name: str) -> bool:
    """A command that needs a plan, sent before there is one: point to /start (and ask the
    onboarding question again when it is under way). True when handled here."""
    if name in OPEN_COMMANDS or not has_no_plan(ctx):
        return False
    ctx.say(ctx._(START_FIRST))
    await engine.reask(ctx, "\n")
    return True


async def button_needs_a_plan(ctx: Ctx, name: str) -> bool:
    """A button that needs a plan, pressed before there is one (say, under an old message
    after /delete): the question has closed; point to /start. True when handled here."""
    if name in OPEN_BUTTONS or not has_no_plan(ctx):
        return False
    ctx.say(ctx._("That question has closed.") + " " + ctx._(START_FIRST))
    await engine.reask(ctx, "\n")
    return True
