"""Settings from environment variables or a .env file in the working directory."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from locales import SUPPORTED
from storage.db import DEFAULT_URL, normalize_url

TELEGRAM_API_URL = "https://api.telegram.org/bot"
TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    token: str
    api_url: str = TELEGRAM_API_URL
    database_url: str = DEFAULT_URL
    default_language: str = "en"
    log_level: str = "INFO"
    tick_seconds: float = 30.0
    # After this local time (hour) prompts that fell due earlier today are dropped.
    catch_up_until_hour: int = 21

    @property
    def file_url(self) -> str:
        """Telegram's file URL beside the Bot API URL (…/bot -> …/file/bot)."""
        root = self.api_url.rstrip("/")
        if root.endswith("/bot"):
            return root[: -len("/bot")] + "/file/bot"
        return root + "/file/bot"


def _environment(env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    path = env_file if env_file is not None else Path.cwd() / ".env"
    if path.exists():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ)
    return values


def load_settings(env_file: Path | None = None, *, require_token: bool = True) -> Settings:
    env = _environment(env_file)
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if require_token:
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in "
                "the environment or a .env file."
            )
        if not TOKEN_RE.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits, a colon "
                "and the secret, as @BotFather gives it)."
            )
    language = env.get("DEFAULT_LANGUAGE", "en").strip().lower() or "en"
    if language not in SUPPORTED:
        raise SettingsError(
            f"DEFAULT_LANGUAGE={language!r} is not supported; use one of {', '.join(SUPPORTED)}."
        )
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if not isinstance(logging.getLevelName(level), int):
        raise SettingsError(f"LOG_LEVEL={level!r} is not a logging level (try INFO or DEBUG).")
    api_url = env.get("TELEGRAM_API_URL", "").strip() or TELEGRAM_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"TELEGRAM_API_URL={api_url!r} must start with http:// or https://.")
    try:
        tick = float(env.get("TICK_SECONDS", "30"))
    except ValueError as exc:
        raise SettingsError("TICK_SECONDS must be a number of seconds.") from exc
    return Settings(
        token=token,
        api_url=api_url,
        database_url=normalize_url(env.get("DATABASE_URL", "").strip() or DEFAULT_URL),
        default_language=language,
        log_level=level,
        tick_seconds=tick,
    )
