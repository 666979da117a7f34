"""Telegram's ``initData``: who opened the Mini App, signed with the bot's token.

As Telegram documents it ("Validating data received via the Mini App"): the data-check-string
is every field but ``hash``, ``key=value`` sorted by key and joined by newlines; the secret key
is HMAC-SHA256 of the bot token with the key ``WebAppData``; ``hash`` is the hex HMAC-SHA256
of the data-check-string with that secret key. ``auth_date`` (Unix seconds) says when
Telegram signed it: older than :data:`MAX_AGE`, it is refused (a leaked URL stops working).

Fifteen lines of the standard library, so no dependency for it (the libraries that do it
bring a whole bot framework along: aiogram's ``safe_parse_webapp_init_data``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)
MAX_LENGTH = 4096


@dataclass(frozen=True)
class Opener:
    """The Telegram user who opened the Mini App."""

    user_id: int
    language: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram puts on these fields (tests and the screenshots script sign their
    own initData with it)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    return hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def unsafe_language(init_data: str) -> str | None:
    """The opener's Telegram language, unverified: only to say "reopen the page" in it."""
    try:
        user = json.loads(dict(parse_qsl(init_data[:MAX_LENGTH])).get("user", "{}"))
        code = user.get("language_code") if isinstance(user, dict) else None
    except ValueError:
        return None
    return code if isinstance(code, str) else None


def validate(init_data: str, bot_token: str, now: datetime) -> Opener | None:
    """The opener when ``init_data`` is Telegram's, signed for this bot, and fresh; else None."""
    if not init_data or len(init_data) > MAX_LENGTH:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    given = fields.get("hash", "")
    if len(fields) != len(pairs) or not given:
        return None  # a field given twice is not Telegram's
    if not hmac.compare_digest(sign(fields, bot_token), given):
        return None
    try:
        signed_at = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return None
    age = now.timestamp() - signed_at
    if age > MAX_AGE.total_seconds() or age < -60:
        return None
    language = user.get("language_code")
    return Opener(user_id, language if isinstance(language, str) else None)
