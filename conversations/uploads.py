"""A picture or document that renders after the transaction: the chat shows "sending a
photo…" (or document) while it does, as Telegram apps do for a slow upload."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.constants import ChatAction

from conversations.context import Attachment

log = logging.getLogger(__name__)
# Telegram shows a chat action for 5 seconds, or until the bot's next message.
REPEAT_SECONDS = 4.5
PHOTO = ChatAction.UPLOAD_PHOTO
DOCUMENT = ChatAction.UPLOAD_DOCUMENT


async def rendered(bot: Any, chat_id: int, attachment: Attachment, action: str) -> bytes:
    """The attachment's bytes; a function is run in a worker thread, with ``action`` shown in
    the chat (repeated while it runs). A failed chat action never stops the message."""
    if not callable(attachment):
        return attachment
    work = asyncio.ensure_future(asyncio.to_thread(attachment))
    while True:
        try:
            await bot.send_chat_action(chat_id, action)
        except Exception:  # cosmetic: a blocked chat or a hiccup shows up on the send itself
            log.debug("chat action %s for chat %s failed", action, chat_id, exc_info=True)
        done, _ = await asyncio.wait({work}, timeout=REPEAT_SECONDS)
        if done:
            return work.result()
