"""/start: onboarding for a new runner, a welcome back for a known one."""

from __future__ import annotations

from conversations import basics
from conversations.actions import command
from conversations.context import Ctx


@command("start")
async def start_command(ctx: Ctx) -> None:
    if ctx.runner.status == "new":
        ctx.say(ctx._("Hi! I'm runcoach.") + "\n\n" + basics.disclaimer(ctx))
        return
    await basics.welcome_back(ctx)
