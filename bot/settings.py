"""Settings from environment variables or a .env file in the working directory."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from intervals.config import ConfigError, IntervalsConfig, load_config
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
    # webhook mode (WEBHOOK_URL set): the public URL, the secret Telegram sends back, the port
    webhook_url: str = ""
    webhook_secret: str = ""
    port: int = 8080
    listen_host: str = "0.0.0.0"
    # polling mode: /healthz, /readyz and /metrics on this port when set
    health_port: int | None = None
    log_format: str = "text"  # or "json": one JSON object per line
    # messages per second this process sends (Telegram allows ~30 per bot: with N processes
    # set about 29 / N)
    send_rate: float = 29.0
    # the care team's Mini App: its public https:// URL (served by this process: the webhook's
    # port, or HEALTH_PORT when polling); empty, no Mini App
    miniapp_url: str = ""
    # paid broadcasts (PAID_BROADCAST=on; off by default): scheduled prompts and care-team
    # messages go with allow_paid_broadcast at up to PAID_BROADCAST_RATE messages per second
    # (Telegram's ceiling is 1000/s). Telegram bills 0.1 Stars per message above the free
    # 30/s, from the bot's Stars balance: docs/operations.md.
    paid_broadcast: bool = False
    paid_broadcast_rate: float = 900.0
    # intervals.icu (issue 29; intervals/config.py): None when not offered
    intervals: IntervalsConfig | None = None

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


SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _from_files(env: dict[str, str]) -> None:
    """``NAME_FILE`` (a Docker or Kubernetes secret mounted as a file) for the token, the
    webhook secret, the database URL and the database password: the file's content becomes
    ``NAME``. Setting both is refused (which one would win is a guess)."""
    files = {
        "TELEGRAM_BOT_TOKEN": env.get("TELEGRAM_BOT_TOKEN_FILE", ""),
        "WEBHOOK_SECRET": env.get("WEBHOOK_SECRET_FILE", ""),
        "DATABASE_URL": env.get("DATABASE_URL_FILE", ""),
        "DATABASE_PASSWORD": env.get("DATABASE_PASSWORD_FILE", ""),
    }
    for name, path in files.items():
        path = path.strip()
        if not path:
            continue
        if env.get(name, "").strip():
            raise SettingsError(f"{name} and {name}_FILE are both set: keep one of them.")
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"{name}_FILE={path!r} cannot be read ({exc.strerror or exc})."
            ) from None
        if not value:
            raise SettingsError(f"{name}_FILE={path!r} is empty.")
        env[name] = value


def _database_url(env: dict[str, str]) -> str:
    """DATABASE_URL, with DATABASE_PASSWORD put in when given: any password works then
    (``@``, ``/``, ``:`` included), with no URL quoting by hand."""
    url = normalize_url(env.get("DATABASE_URL", "").strip() or DEFAULT_URL)
    password = env.get("DATABASE_PASSWORD", "")
    if not password:
        return url
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise SettingsError("DATABASE_URL is not a database URL.") from exc
    if parsed.get_backend_name() == "sqlite":
        raise SettingsError("DATABASE_PASSWORD is for PostgreSQL; SQLite takes none.")
    return parsed.set(password=password).render_as_string(hide_password=False)


def _port(env: dict[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r} must be a port number (1-65535).")
    return int(raw)


def _webhook(env: dict[str, str], url: str) -> tuple[str, str]:
    url = url.strip()
    if not url:
        return "", ""
    if not url.startswith(("https://", "http://")):
        raise SettingsError(
            f"WEBHOOK_URL={url!r} must be the public https:// address Telegram posts to."
        )
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if not secret:
        raise SettingsError(
            "WEBHOOK_SECRET is not set: webhook mode needs a random secret (16-256 letters, "
            "digits, _ or -), e.g. `openssl rand -hex 32`."
        )
    if not SECRET_RE.match(secret):
        raise SettingsError(
            "WEBHOOK_SECRET must be 16-256 characters of letters, digits, _ or - "
            "(Telegram's rule), e.g. `openssl rand -hex 32`."
        )
    return url, secret


def _miniapp(url: str, webhook: bool, health_port: int | None) -> str:
    url = url.strip()
    if not url:
        return ""
    if not url.startswith("https://") or " " in url:
        raise SettingsError(
            f"MINIAPP_URL={url!r} must be the public https:// address of the Mini App "
            "(Telegram opens Mini Apps over HTTPS only), e.g. https://coach.example.org/app/."
        )
    if not webhook and health_port is None:
        raise SettingsError(
            "MINIAPP_URL is set but nothing serves it: set WEBHOOK_URL (the Mini App shares "
            "the webhook's port) or HEALTH_PORT (polling mode)."
        )
    return url


def load_settings(
    env_file: Path | None = None, *, require_token: bool = True, webhook_url: str | None = None
) -> Settings:
    """``webhook_url``: ``runcoach run --webhook URL`` (wins over WEBHOOK_URL)."""
    env = _environment(env_file)
    _from_files(env)
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
    url, secret = _webhook(env, webhook_url or env.get("WEBHOOK_URL", ""))
    try:
        send_rate = float(env.get("SEND_RATE", "29"))
    except ValueError as exc:
        raise SettingsError("SEND_RATE must be a number of messages per second.") from exc
    if send_rate <= 0:
        raise SettingsError("SEND_RATE must be above 0 (messages per second).")
    miniapp_url = _miniapp(env.get("MINIAPP_URL", ""), bool(url), _port(env, "HEALTH_PORT", None))
    paid_raw = env.get("PAID_BROADCAST", "").strip().lower()
    if paid_raw not in ("", "0", "off", "false", "no", "1", "on", "true", "yes"):
        raise SettingsError(f"PAID_BROADCAST={paid_raw!r} must be on or off.")
    paid = paid_raw in ("1", "on", "true", "yes")
    try:
        paid_rate = float(env.get("PAID_BROADCAST_RATE", "900"))
    except ValueError as exc:
        raise SettingsError("PAID_BROADCAST_RATE must be a number of messages per second.") from exc
    if not 0 < paid_rate <= 1000:
        raise SettingsError("PAID_BROADCAST_RATE must be above 0 and at most 1000 (Telegram's).")
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT={log_format!r} must be text or json.")
    try:
        intervals = load_config(env)
    except ConfigError as exc:
        raise SettingsError(str(exc)) from exc
    return Settings(
        intervals=intervals,
        webhook_url=url,
        webhook_secret=secret,
        port=_port(env, "PORT", 8080) or 8080,
        listen_host=env.get("LISTEN_HOST", "").strip() or "0.0.0.0",
        health_port=_port(env, "HEALTH_PORT", None),
        log_format=log_format,
        send_rate=send_rate,
        miniapp_url=miniapp_url,
        paid_broadcast=paid,
        paid_broadcast_rate=paid_rate,
        token=token,
        api_url=api_url,
        database_url=_database_url(env),
        default_language=language,
        log_level=level,
        tick_seconds=tick,
    )
