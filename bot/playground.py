"""`runcoach playground`: the bot and the loopback Bot API double in one process, and you in
the terminal. Type text and /commands; buttons show as [1] [2] …; type #N to press one."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TextIO

from bot.app import build_application, serving
from bot.settings import Settings
from bot_api_double import BotApiDouble, SentMessage
from conversations import Services
from storage import Database, outbox
from storage.db import normalize_url

PLAYGROUND_TOKEN = "100000:PLAYGROUNDplaygroundPLAYGROUNDplay"
USER_ID = 4242

HELP = (
    "runcoach playground — you are chatting with the real bot through a local Telegram double.\n"
    "Type a message or a /command and press Enter. Buttons are shown as [1] [2] …;\n"
    "type #1 to press button 1 of the latest message with buttons. Ctrl-D or /quit leaves.\n"
)


DEFAULT_DATABASE = "runcoach-playground.sqlite3"
DEFAULT_FILES = "runcoach-playground-files"


def database_url(value: str) -> str:
    """A SQLAlchemy URL as typed, or a plain file path for a SQLite database."""
    if "://" in value:
        return normalize_url(value)
    return "sqlite+aiosqlite:///" + str(Path(value).expanduser().resolve())


def save(message: SentMessage, folder: Path) -> Path | None:
    """Write a photo or document the bot sent into ``folder``; returns its path."""
    data = message.photo if message.photo is not None else message.document
    if data is None:
        return None
    if message.photo is not None:  # a photo arrives without a useful name: name it by type
        name = "photo.jpg" if data.startswith(b"\xff\xd8") else "photo.png"
    else:
        name = Path(message.filename or "file").name or "file"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.message_id}-{name}"
    path.write_bytes(data)
    return path


def render(
    message: SentMessage, out: TextIO, files: Path | None = None
) -> list[tuple[str, str]]:
    """Print one bot message; return its buttons in the order they are numbered. A photo or
    document is saved into ``files`` and its path printed."""
    text = message.plain_text or ""
    saved = save(message, files) if files is not None else None
    if message.photo is not None:
        text = f"[photo: {saved or message.filename or 'image'}] {text}"
    if message.document is not None:
        text = f"[document: {saved or message.filename or 'file'}] {text}"
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
    files: str | Path = DEFAULT_FILES,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    folder = Path(files)  # the command line passes an absolute path
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
        poller = await served.__aenter__()
        stdout.write(HELP)
        stdout.write(f"Charts, reports and exports are saved in {folder}\n")
        stdout.flush()
        buttons: list[tuple[str, str]] = []
        message_of: dict[str, int] = {}
        seen = 0

        async def printer() -> None:
            nonlocal seen, buttons
            while True:
                messages = double.sent(USER_ID)
                for message in messages[seen:]:
                    if message.method == "editMessageReplyMarkup" and not message.buttons():
                        # buttons taken off an answered question: nothing new to read, and
                        # its numbers no longer press anything
                        if message.message_id in message_of.values():
                            buttons = []
                            message_of.clear()
                        continue
                    shown = render(message, stdout, folder)
                    if shown:
                        buttons = shown
                        message_of.clear()
                        message_of.update({data: message.message_id for _, data in shown})
                seen = len(messages)
                await asyncio.sleep(0.05)

        loop = asyncio.get_running_loop()

        async def settled(timeout: float = 60.0) -> None:
            """Wait until the bot has fetched and handled every update sent so far (a chart or
            PDF renders before it is sent), then let the printer show the replies."""
            await asyncio.sleep(0.1)
            deadline = loop.time() + timeout
            while loop.time() < deadline:
                if not (double.pending_updates(PLAYGROUND_TOKEN) or poller.busy):
                    async with db.session() as session:
                        if not await outbox.pending_for_chat(session, app.bot.id, USER_ID):
                            break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.15)

        task = asyncio.create_task(printer())
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
                await settled()
            await settled()  # the last replies (a PDF takes a moment) arrive before leaving
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await served.__aexit__(None, None, None)
            await db.dispose()
    return 0
