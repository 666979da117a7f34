"""One transaction for a runner outside an update (the poller, the OAuth redirect): the
runner's context, what a conversation says written to the outbox with it, and sent after
the commit, as ``conversations/dispatch.run`` does for an update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from conversations.context import Ctx, Services
from conversations.dispatch import queue_replies
from conversations.sender import Sender
from storage.models import Runner

Act = Callable[[Ctx], Awaitable[None]]


async def as_runner(services: Services, bot: Any, sender: Sender | None, runner_id: int,
                    act: Act) -> bool:
    """Run ``act`` for the runner in one transaction (in their chat's turn) and send what it
    said; False when the runner is gone."""
    async with services.db.session() as session:
        runner = await session.get(Runner, runner_id)
        chat_id = runner.chat_id if runner is not None else None
    if chat_id is None:
        return False
    async with services.db.chat_lock(bot.id, chat_id):
        async with services.db.session() as session:
            runner = await session.get(Runner, runner_id, with_for_update=True)
            if runner is None:
                return False
            ctx = Ctx(services=services, session=session, runner=runner, now=services.clock())
            await act(ctx)
            owner = sender.owner if sender is not None else None
            rows = queue_replies(ctx, bot.id, chat_id, runner.id, ctx.out, owner)
            outs = list(ctx.out)
            await session.flush()
        if sender is not None and rows:
            sender.hold({row.id: out for row, out in zip(rows, outs, strict=True)})
            await sender.flush(chat_id, rows)
    return True
