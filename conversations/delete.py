"""/delete: after a confirmation, every row about the runner goes, in every table.

The confirming button press runs inside dispatch.run's transaction, after the runner row and
the inbox row for that press were written; the deletion removes those too, and detaches
every object from the session so nothing about the runner is written back at commit. The
next message from the same Telegram user creates a new runner (status "new"), so /start
begins onboarding again.
"""

from __future__ import annotations

from datetime import datetime

from conversations import events
from conversations.actions import action, command, data
from conversations.context import Ctx
from storage import reports as store
from storage import runners

ACTION = "delete"
CONFIRM_SECONDS = 15 * 60  # a "yes" button older than this no longer deletes anything


def _stamp(now: datetime) -> str:
    return str(int(now.timestamp()))


@command("delete")
async def delete_command(ctx: Ctx) -> None:
    # The buttons carry a single-use token kept on the server: forged callback data (a
    # "yes" the runner was never shown) deletes nothing.
    token = await runners.issue_token(ctx.session, ctx.runner.id, ACTION)
    stamp = _stamp(ctx.now)
    ctx.say(
        ctx._(
            "This deletes everything I know about you: your injury, plan, check-ins, "
            "reassessments and settings. It cannot be undone. Delete all your data?"
        ),
        [
            [(ctx._("Yes, delete everything"), data(ACTION, f"yes.{stamp}.{token}"))],
            [(ctx._("No, keep my data"), data(ACTION, f"no.{stamp}.{token}"))],
        ],
    )


@action(ACTION)
async def delete_answer(ctx: Ctx, argument: str) -> None:
    answer, _, rest = argument.partition(".")
    stamp, _, token = rest.partition(".")
    valid = await runners.spend_token(ctx.session, ctx.runner.id, ACTION, token)
    if answer != "yes":
        ctx.say(ctx._("Nothing was deleted. Your plan continues as before."))
        return
    fresh = stamp.isascii() and stamp.isdigit() and len(stamp) <= 12
    if not valid or not fresh or not 0 <= ctx.now.timestamp() - int(stamp) <= CONFIRM_SECONDS:
        ctx.say(ctx._("That question has closed. Send /delete again if you still want to."))
        return
    # Written before the deletion: the runner object is detached afterwards.
    goodbye = ctx._(
        "Done: all your data is deleted. Send /start whenever you want to begin again. "
        "Take care!"
    )
    await events.publish(ctx, events.DataDeleting())  # the care team's links, both ways
    await store.forget_runner(ctx.session, ctx.runner.id)
    ctx.say(goodbye)
