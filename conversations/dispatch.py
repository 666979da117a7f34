"""One transaction per update: the runner, the handled-update inbox, the step, and its
replies written to the ``outbox``.

The replies an update produces are written in the same transaction as the answer, so they
exist exactly when the answer does; after the commit ``conversations/sender.Sender``
delivers them. Pictures and PDFs render after the commit; their row is written with the
transaction, so if the process dies before rendering, the runner is told to ask again
instead of hearing nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ContextTypes

from conversations import plain
from conversations.context import BOT_USERNAME, OTHERS, SENDER_NAME, Ctx, Out, Services
from conversations.engine import NOT_TAKEN
from conversations.sender import LOST_ATTACHMENT, Sender
from storage import outbox as box
from storage import runners as store
from storage.models import OutboxRow

log = logging.getLogger(__name__)
Action = Callable[[Ctx], Awaitable[None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.application.bot_data["services"]
    assert isinstance(services, Services)
    return services



def update_key(update: Update, bot_id: int) -> str | None:
    """A stable key for the user's action, so a re-delivered update is handled once.

    Message ids count per bot, so the bot's id is part of the key (two bots, one database).
    """
    if update.callback_query is not None:
        return f"cb:{update.callback_query.id}"
    message = update.message or update.edited_message
    if message is not None:
        kind = "edit" if update.edited_message else "msg"
        stamp = f":{int(message.edit_date.timestamp())}" if message.edit_date else ""
        return f"{kind}:{bot_id}:{message.chat_id}:{message.message_id}{stamp}"
    return None


async def run(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    action: Action,
) -> list[Out]:
    """Run ``action`` for the update's runner inside one transaction that also queues its
    replies; then deliver them."""
    services = services_of(context)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return []
    key = update_key(update, context.bot.id)
    outs: list[Out] = []
    found = context.application.bot_data.get("sender")
    sender = found if isinstance(found, Sender) else None
    # a flush of this chat that claims rows before ours are sent may send them too
    expecting = sender.expecting(chat.id) if sender is not None else contextlib.nullcontext()
    with expecting as expected:
        async with services.db.session() as session:
            runner = await store.get_or_create_runner(
                session, user.id, chat.id, user.language_code
            )
            if key is not None and not await store.remember_update(session, runner.id, key):
                log.info("update %s for runner %s was handled before; skipped", key, runner.id)
                await _forget_received(session, context.bot.id, update)
                if update.callback_query is not None:
                    await _answer_callback(update)
                return []
            await _forget_received(session, context.bot.id, update)
            ctx = Ctx(services=services, session=session, runner=runner, now=services.clock())
            # shown to a care-team member (HTML-escaped), with no control characters
            ctx.extra[SENDER_NAME] = plain.name(user.full_name)
            with contextlib.suppress(RuntimeError):  # not initialised (no getMe yet): no link
                ctx.extra[BOT_USERNAME] = context.bot.username  # for a care-team invitation
            await action(ctx)
            outs = ctx.out
            deleted = store.was_deleted(session, runner.id)
            runner_id = None if deleted else runner.id
            owner = sender.owner if sender is not None else None
            rows = queue_replies(ctx, context.bot.id, chat.id, runner_id, outs, owner)
            others = queue_others(ctx, context.bot.id, owner)
            await session.flush()
        if deleted:
            try:
                await services.db.checkpoint()  # nothing of theirs left in the SQLite -wal
            except Exception as exc:
                log.warning("checkpoint after a deletion failed: %s", type(exc).__name__)
        if update.callback_query is not None:
            await _answer_callback(update)
        if sender is not None:
            if ctx.extra.get(NOT_TAKEN):
                sender.observe(NOT_TAKEN)  # counted in /metrics: the runner was told at once
            sender.hold({row.id: out for row, out in zip(rows, outs, strict=True)})
            await sender.flush(chat.id, rows, expected)
            for other_chat, _rows, _outs in others:
                await sender.flush(other_chat)
    return outs


# Set by the poller around one update: the update ids whose ``received_updates`` row the
# update's own transaction deleted (so the poller need not delete it again).
FORGOTTEN: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "runcoach_forgotten", default=None
)


async def _forget_received(session: AsyncSession, bot_id: int, update: Update) -> None:
    forgotten = FORGOTTEN.get()
    if forgotten is None:
        return
    await box.forget_received(session, bot_id, [update.update_id])
    forgotten.append(update.update_id)


def queue_others(
    ctx: Ctx, bot_id: int, owner: str | None = None
) -> list[tuple[int, list[OutboxRow], list[Out]]]:
    """Write the messages to other chats (a runner's care team, or the runner a member acted
    for) to the outbox in the same transaction: (chat, rows, outs) for each."""
    return [
        (other.runner.chat_id, queue_replies(
            other, bot_id, other.runner.chat_id, other.runner.id, other.out, owner
        ), other.out)
        for other in ctx.extra.get(OTHERS, ())
        if other.out
    ]


def queue_replies(
    ctx: Ctx,
    bot_id: int,
    chat_id: int,
    runner_id: int | None,
    outs: list[Out],
    owner: str | None = None,
) -> list[OutboxRow]:
    """Write the replies to the outbox in the update's transaction."""
    rows = []
    lost = ctx._("I could not finish that picture or file. Please ask for it again.")
    for out in outs:
        payload: dict[str, Any] = {"text": out.text, "keyboard": out.keyboard}
        if out.menu is not None:
            method = "menu"
            payload["commands"] = [list(c) for c in out.menu]
        elif out.edit_message_id is not None:
            method = "edit_markup" if out.markup_only else "edit_text"
            payload["message_id"] = out.edit_message_id
        elif out.photo is not None or out.document is not None:
            method = "photo" if out.photo is not None else "document"
            payload["filename"] = out.filename
            payload[LOST_ATTACHMENT] = lost
        else:
            method = "send"
        rows.append(
            box.add_reply(
                ctx.session,
                runner_id=runner_id,
                bot_id=bot_id,
                chat_id=chat_id,
                method=method,
                payload=payload,
                question_version=out.question_version,
                owner=owner,
            )
        )
    return rows


async def _answer_callback(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except Exception:  # an expired query must not stop the reply
        log.debug("callback query %s could not be answered", query.id, exc_info=True)
