"""Where a command, a button or typed text goes: to the conversation module that registered
it (conversations/actions.py), after pointing a chat with no plan yet to /start
(conversations/newcomer.py). /start itself is here: it routes to onboarding, to a care-team
invitation, to the referral's state or to a welcome back.
"""

from __future__ import annotations

from conversations import basics, careteam, engine, newcomer, onboarding, view
from conversations.actions import ACTIONS, COMMAND_ACTIONS, command
from conversations.context import Ctx


@command("start")
async def start_command(ctx: Ctx) -> None:
    """/start: onboarding for a new runner, the referral's state (and the clinician-clearance
    button) for a referred one, and a welcome back for everyone else."""
    args = ctx.extra.get("args") or []
    if args:  # a deep link's payload: a care-team invitation (t.me/<bot>?start=<token>)
        await careteam.open_invite(ctx, str(args[0]))
        return
    runner = ctx.runner
    if runner.status == "new":
        await engine.start(ctx, onboarding.FLOW)
    elif runner.status == "referred":
        # Answering "no" to the safety questions again is not a clearance: only the runner's
        # confirmation that a clinician examined them ends a referral.
        ctx.say(view.referral_stopped_text(ctx), view.referral_buttons(ctx))
    else:
        await basics.welcome_back(ctx)
        await engine.reask(ctx, "\n")


async def run_command(ctx: Ctx, name: str) -> None:
    """A command: its module's coroutine; one that needs a plan, sent before there is one,
    points to /start instead."""
    fn = COMMAND_ACTIONS.get(name)
    if fn is None:
        await basics.unknown_command(ctx)
    elif not await newcomer.command_needs_a_plan(ctx, name):
        await fn(ctx)


async def press(ctx: Ctx, payload: str) -> None:
    """Route a button's callback data: a step's answer, an action, or something stale."""
    parts = payload.split("|", 2)
    if len(parts) == 3 and parts[0] == "s" and parts[1].isascii() and parts[1].isdigit():
        await engine.answer(ctx, parts[2], button_version=int(parts[1]))
    elif len(parts) == 3 and parts[0] == "a" and parts[1] in ACTIONS:
        if not await newcomer.button_needs_a_plan(ctx, parts[1]):
            await ACTIONS[parts[1]](ctx, parts[2])
    else:
        await basics.stale_button(ctx)


async def type_text(ctx: Ctx, text: str) -> None:
    """Route typed text the way the registered handlers do (commands included)."""
    if text.startswith("/"):
        word, _, rest = text[1:].partition(" ")
        ctx.extra["args"] = rest.split()
        await run_command(ctx, word.split("@", 1)[0].lower())
    else:
        await basics.free_text(ctx, text)
