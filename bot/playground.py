"""`runcoach playground`: the bot and the loopback Bot API double in one process, and you in
the terminal. Type text and /commands; buttons show as [1] [2] …; type #N to press one."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TextIO

from bot.app import build_application, serving
from bot.double import BotApiDouble, SentMessage
from bot.settings import Settings
from conversations import Services
from storage import Database

PLAYGROUND_TOKEN = "100000:PLAYGROUNDplaygroundPLAYGROUNDplay"
USER_ID = 4242

HELP = (
    "runcoach playground — you are chatting with the real bot through a local Telegram double.\n"
    "Type a message or a /command and press Enter. Buttons are shown as [1] [2] …;\n"
    "type #1 to press button 1 of the latest message with buttons. Ctrl-D or /quit leaves.\n"
)


def render(message: SentMessage, out: TextIO) -> list[tuple[str, str]]:
    """Print one bot message; return its buttons in the order they are numbered."""
    text = message.plain_text or ""
    if message.photo is not None:
        text = f"[photo: {message.filename or 'image'}] {text}"
    if message.document is not None:
        text = f"[document: {message.filename or 'file'}] {text}"
    prefix = "bot (edited)> " if message.edited else "bot> "
    out.write(prefix + text.replace("\n", "\n     ") + "\n")
    buttons: list[tuple[str, str]] = []
    for row in message.buttons():
        labels = []
        for label, data in row:
            if data is None:
                continue
            buttons.append((label, data))
            labels.append(f"[{len(buttons)}] {label}")
        if labels:
            out.write("     " + "   ".join(labels) + "\n")
    out.flush()
    return buttons


async def play(
    settings: Settings,
    *,
    database_url: str,
    language: str = "en",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    db = Database(database_url)
    async with BotApiDouble() as double:
        local = Settings(
            token=PLAYGROUND_TOKEN,
            api_url=double.base_url,
            database_url=database_url,
            default_language=settings.default_language,
            log_level="WARNING",
            tick_seconds=settings.tick_seconds,
        )
        app = build_application(
            local,
            services=Services(db=db, default_language=local.default_language),
            rate_limit=False,
            with_scheduler=True,
        )
        served = serving(app, poll_timeout=1)
        await served.__aenter__()
        stdout.write(HELP)
        stdout.flush()
        buttons: list[tuple[str, str]] = []
        message_of: dict[str, int] = {}
        seen = 0

        async def printer() -> None:
            nonlocal seen, buttons
            while True:
                messages = double.sent(USER_ID)
                for message in messages[seen:]:
                    shown = render(message, stdout)
                    if shown:
                        buttons = shown
                        message_of.clear()
                        message_of.update({data: message.message_id for _, data in shown})
                seen = len(messages)
                await asyncio.sleep(0.05)

        task = asyncio.create_task(printer())
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    break
                if line.startswith("#") and line[1:].isascii() and line[1:].isdigit():
                    index = int(line[1:]) - 1
                    if not 0 <= index < len(buttons):
                        stdout.write("(no such button)\n")
                        continue
                    _, data = buttons[index]
                    double.press(
                        PLAYGROUND_TOKEN, USER_ID, message_of[data], data, language_code=language
                    )
                else:
                    double.send_text(PLAYGROUND_TOKEN, USER_ID, line, language_code=language)
                await asyncio.sleep(0.3)
            # let the last replies arrive before leaving
            await asyncio.sleep(0.5)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await served.__aexit__(None, None, None)
            await db.dispose()
    return 0
