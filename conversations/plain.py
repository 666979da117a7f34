"""Text from outside made plain before anything reads, stores or shows it.

Telegram passes on whatever a client sends: a NUL (PostgreSQL refuses it in a text column,
so a note carrying one could never be stored), other C0 and C1 control characters, and the
bidi controls that reorder what comes after them (a name with a right-to-left override
would turn the rest of the line a care-team member reads around). Every free-text input
(a typed message, a command's arguments, a button's data) and every name shown to someone
else goes through here first (conversations/handlers.py, conversations/dispatch.py)."""

from __future__ import annotations

import re

# C0 controls but tab and line feed, DEL, C1 controls; bidi marks, embeddings, overrides
# and isolates (U+061C, U+200E/F, U+202A-E, U+2066-9)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def text(value: str | None) -> str:
    """A message as typed, without control characters (line breaks and tabs stay; a CR LF
    becomes a line break)."""
    if not value:
        return ""
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def name(value: str | None) -> str:
    """A person's name for one line of someone else's message: no control characters, no
    line breaks, runs of spaces as one."""
    return _SPACES.sub(" ", _CONTROLS.sub("", value or "").replace("\u2028", " ")).strip()
