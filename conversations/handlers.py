"""PTB handlers: each one reads the update and hands a small coroutine to dispatch.run, which
runs it in the update's transaction; conversations/router.py says where it goes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from conversations import (
    basics,
    bootstrap,  # noqa: F401  (registers every flow, command, button)
    engine,
    plain,
    router,
    watch,
)
from conversations.actions import COMMAND_ACTIONS
from conversations.context import Ctx
from conversations.dispatch import run, services_of
from storage import runners as store

log = logging.getLogger(__name__)
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def _command(name: str) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async def act(ctx: Ctx) -> None:
            ctx.extra["args"] = [a for a in map(plain.text, context.args or []) if a]
            await router.run_command(ctx, name)

        await run(update, context, act)

    return handle


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = plain.text(update.message.text if update.message else "")

    async def act(ctx: Ctx) -> None:
        await basics.free_text(ctx, text)

    await run(update, context, act)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, basics.unknown_command)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, basics.not_text)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A run recording: downloaded and read before the transaction (conversations/watch)."""
    document = update.message.document if update.message else None
    if document is None:
        return
    upload = await watch.fetch(context.bot, document)

    async def act(ctx: Ctx) -> None:
        await watch.received(ctx, upload)

    await run(update, context, act)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # An edit is never recorded as an answer; it gets a gentle note, handled once per edit.
    await run(update, context, basics.edited)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    payload = plain.text(query.data if query else "")
    message = query.message if query else None

    async def act(ctx: Ctx) -> None:
        if message is not None:  # the message that carried the button (edited in place)
            ctx.extra[engine.PRESSED] = message.message_id
        await router.press(ctx, payload)

    await run(update, context, act)


async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    async with services_of(context).db.session() as session:
        await store.set_blocked(session, change.from_user.id, blocked)
    log.info("runner %s %s the bot", change.from_user.id, "blocked" if blocked else "unblocked")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every handler the bot registers, in priority order (conversations/bootstrap.py has
    registered every flow, command and button)."""
    private = filters.ChatType.PRIVATE
    handlers: list[BaseHandler[Any, Any, Any]] = [
        ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, on_edited),
    ]
    for name in COMMAND_ACTIONS:
        handlers.append(CommandHandler(name, _command(name), filters=private))
    handlers += [
        MessageHandler(filters.COMMAND & private, on_unknown_command),
        MessageHandler(filters.TEXT & private, on_text),
        CallbackQueryHandler(on_button),
        MessageHandler(filters.Document.ALL & private, on_document),
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_not_text),
    ]
    return handlers
