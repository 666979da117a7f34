"""Thin PTB entry points: open one transaction per update, run the step, then send.

Replies are collected while the transaction is open and sent only after it commits, so a
message never announces something the database did not keep.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from conversations import uploads
from conversations.context import Ctx, Out, Services
from storage import runners as store

log = logging.getLogger(__name__)
Action = Callable[[Ctx], Awaitable[None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.application.bot_data["services"]
    assert isinstance(services, Services)
    return services


def markup(rows: list[list[tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


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
    """Run ``action`` for the update's runner inside one transaction, then deliver its replies."""
    services = services_of(context)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return []
    key = update_key(update, context.bot.id)
    outs: list[Out] = []
    async with services.db.session() as session:
        runner = await store.get_or_create_runner(session, user.id, chat.id, user.language_code)
        if key is not None and not await store.remember_update(session, runner.id, key):
            log.info("update %s for runner %s was handled before; skipped", key, runner.id)
            if update.callback_query is not None:
                await _answer_callback(update)
            return []
        ctx = Ctx(services=services, session=session, runner=runner, now=services.clock())
        await action(ctx)
        outs = ctx.out
    if update.callback_query is not None:
        await _answer_callback(update)
    await deliver(context.bot, chat.id, outs)
    return outs


async def _answer_callback(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except Exception:  # an expired query must not stop the reply
        log.debug("callback query %s could not be answered", query.id, exc_info=True)


async def deliver(bot: Any, chat_id: int, outs: list[Out]) -> list[int]:
    """Send the queued messages in order; returns their message ids."""
    ids: list[int] = []
    for out in outs:
        try:
            if callable(out.photo):
                out.photo = await uploads.rendered(bot, chat_id, out.photo, uploads.PHOTO)
            if callable(out.document):
                out.document = await uploads.rendered(bot, chat_id, out.document, uploads.DOCUMENT)
            if out.photo is not None:
                msg = await bot.send_photo(
                    chat_id,
                    photo=out.photo,
                    caption=out.text or None,
                    reply_markup=markup(out.keyboard),
                )
            elif out.document is not None:
                msg = await bot.send_document(
                    chat_id,
                    document=out.document,
                    filename=out.filename,
                    caption=out.text or None,
                )
            else:
                msg = await bot.send_message(chat_id, out.text, reply_markup=markup(out.keyboard))
        except Forbidden:
            log.info("chat %s blocked the bot; stopping sends", chat_id)
            return ids
        ids.append(msg.message_id)
    return ids
