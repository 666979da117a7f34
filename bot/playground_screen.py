"""What the playground's terminal shows: every chat's bot messages as they arrive or are
edited, the buttons numbered so that ``#N`` presses them, and the pictures and documents the
bot sends saved into a folder.

Numbering: a button whose label is a number is pressed by that number (the safety screen's
``1`` … ``6``, a pain scale's ``0`` … ``10``), the other buttons of the message count on
from the highest such number; a message without numbered labels counts its buttons from 1.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot_api_double import BotApiDouble, SentMessage

_NUMBER = re.compile(r"^[0-9]{1,4}$")
_SAVED = re.compile(r"^(?:[A-Za-z0-9_]+-)?[0-9]+-")  # a file this module saved


@dataclass(frozen=True)
class Person:
    """One Telegram user of the session (``/as NAME``): a private chat with the bot."""

    name: str
    user_id: int
    language: str

    @property
    def file_prefix(self) -> str:
        ascii_name = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9_]", "", ascii_name) or f"u{self.user_id}"


@dataclass(frozen=True)
class Button:
    number: int
    label: str
    data: str
    message_id: int


def number(message: SentMessage) -> list[Button]:
    """The message's pressable buttons with the numbers ``#N`` presses them by."""
    pressable = [
        (label, data)
        for row in message.buttons()
        for label, data in row
        if data is not None and not data.startswith(("http://", "https://", "tg://"))
    ]
    labels = [label.strip() for label, _ in pressable]
    numeric = [int(label) for label in labels if _NUMBER.match(label)]
    if not numeric or len(set(numeric)) != len(numeric):
        return [
            Button(i, label, data, message.message_id)
            for i, (label, data) in enumerate(pressable, start=1)
        ]
    after = max(numeric)
    buttons = []
    for label, data in pressable:
        if _NUMBER.match(label.strip()):
            buttons.append(Button(int(label.strip()), label, data, message.message_id))
        else:
            after += 1
            buttons.append(Button(after, label, data, message.message_id))
    return buttons


def _plain(label: str) -> str:
    """A label as it is compared with what was typed: case, spaces and leading marks
    (``✓ Mon``) do not count."""
    text = re.sub(r"\s+", " ", label).strip().casefold()
    return re.sub(r"^[^\w]+", "", text).strip()


def _begins(label: str, start: str) -> bool:
    """``label`` begins with the words ``start`` ("None of these" begins "None of these:
    let's start"; "No" does not begin "None")."""
    return label.startswith(start) and (len(label) == len(start) or not label[len(start)].isalnum())


def find(messages: list[SentMessage], label: str) -> Button | None:
    """The button labelled ``label`` on the newest message that has it (an exact label
    first, else the one label whose first words it is); ValueError when several are."""
    wanted = _plain(label)
    if not wanted:
        return None
    for message in reversed(messages):
        for button in number(message):
            if _plain(button.label) == wanted:
                return button
    for message in reversed(messages):
        starting = [b for b in number(message) if _begins(_plain(b.label), wanted)]
        if len(starting) > 1:
            names = ", ".join(f"[{b.label}]" for b in starting)
            raise ValueError(f"[{label}] could be any of {names}")
        if starting:
            return starting[0]
    return None


def save(message: SentMessage, folder: Path, prefix: str = "") -> Path | None:
    """Write a photo or document the bot sent into ``folder``; returns its path."""
    data = message.photo if message.photo is not None else message.document
    if data is None:
        return None
    if message.photo is not None:  # a photo arrives without a useful name: name it by type
        name = "photo.jpg" if data.startswith(b"\xff\xd8") else "photo.png"
    else:
        name = Path(message.filename or "file").name or "file"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix + '-' if prefix else ''}{message.message_id}-{name}"
    path.write_bytes(data)
    return path


def clear_saved(folder: Path) -> None:
    """Remove the files an earlier run saved into ``folder`` (a script's own folder)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and _SAVED.match(path.name):
            path.unlink()


class Screen:
    """The terminal: prints what the bot sent in every chat since the last ``flush``, and
    keeps each chat's numbered buttons (those of its latest message with buttons)."""

    def __init__(
        self,
        double: BotApiDouble,
        out: TextIO,
        files: Path,
        default: Person,
    ) -> None:
        self.double = double
        self.out = out
        self.files = files
        self.default = default
        self.people: dict[int, Person] = {default.user_id: default}
        self.current = default
        self.buttons: dict[int, list[Button]] = {}
        self._seen: dict[int, int] = {}
        self.saved: list[Path] = []

    def write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def skip_history(self) -> None:
        """Start from what is sent from now on."""
        for chat in self.double.chats():
            self._seen[chat] = len(self.double.sent(chat))

    def flush(self, header: str | None = None) -> int:
        """Print every chat's new messages, oldest first (``header`` above them, when there
        are any); returns how many were printed."""
        new: list[SentMessage] = []
        for chat in self.double.chats():
            sent = self.double.sent(chat)
            new += sent[self._seen.get(chat, 0) :]
            self._seen[chat] = len(sent)
        new.sort(key=lambda m: m.date)
        shown = 0
        for message in new:
            buttons = self.buttons.get(message.chat_id, [])
            if message.method == "editMessageReplyMarkup" and not message.buttons():
                # buttons taken off an answered question: nothing new to read, and its
                # numbers no longer press anything
                if buttons and buttons[0].message_id == message.message_id:
                    self.buttons[message.chat_id] = []
                continue
            if header is not None and not shown:
                self.write(header)
            self._show(message)
            shown += 1
        return shown

    def _show(self, message: SentMessage) -> None:
        person = self.people.get(message.chat_id)
        text = message.plain_text or ""
        if person is None:
            prefix = f"chat{message.chat_id}"
        else:
            prefix = "" if person.user_id == self.default.user_id else person.file_prefix
        saved = save(message, self.files, prefix)
        if saved is not None:
            self.saved.append(saved)
        if message.photo is not None:
            text = f"[photo: {saved or message.filename or 'image'}] {text}"
        if message.document is not None:
            text = f"[document: {saved or message.filename or 'file'}] {text}"
        who = ""
        if message.chat_id != self.current.user_id:
            who = f" → {person.name if person else f'chat {message.chat_id}'}"
        edited = " (edited)" if message.edited else ""
        self.out.write(f"bot{who}{edited}> " + text.replace("\n", "\n     ") + "\n")
        buttons = number(message)
        for line in _button_lines(message, buttons):
            self.out.write("     " + line + "\n")
        if buttons:
            self.buttons[message.chat_id] = buttons
        self.out.flush()


def _button_lines(message: SentMessage, buttons: list[Button]) -> list[str]:
    by_data = {(b.label, b.data): b for b in buttons}
    lines = []
    for row in message.buttons():
        shown = []
        for label, data in row:
            button = by_data.get((label, data or ""))
            if button is None:
                continue
            if label.strip() == str(button.number):
                shown.append(f"[{button.number}]")
            else:
                shown.append(f"[{button.number}] {label}")
        if shown:
            lines.append("   ".join(shown))
    return lines
