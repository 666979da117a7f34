"""The operator's intervals.icu settings, from the environment (or a .env file's values).

* ``INTERVALS_CLIENT_ID`` / ``INTERVALS_CLIENT_SECRET`` (or ``INTERVALS_CLIENT_SECRET_FILE``):
  the OAuth application intervals.icu gave the operator;
* ``INTERVALS_REDIRECT_URL``: the public address of runcoach's callback, e.g.
  ``https://coach.example.org/intervals/callback`` (registered with intervals.icu in full);
* ``INTERVALS_ALLOW_API_KEY=1``: runners may paste their personal API key instead (the only
  way when there is no OAuth application);
* ``RUNCOACH_SYNC_KEY`` or ``RUNCOACH_SYNC_KEY_FILE``: the Fernet key the tokens are
  encrypted with at rest (``python -c "from cryptography.fernet import Fernet;
  print(Fernet.generate_key().decode())"``);
* ``INTERVALS_API_URL`` (default https://intervals.icu), ``INTERVALS_POLL_SECONDS`` (120).

Nothing is configured (no key, or neither OAuth nor the API key allowed): /connect says the
link is not offered here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "https://intervals.icu"
CALLBACK_PATH = "/intervals/callback"
# read the runner's activities and their files; write planned workouts on their calendar
SCOPES = "ACTIVITY:READ,CALENDAR:WRITE"


class ConfigError(ValueError):
    """A setting is malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class IntervalsConfig:
    sync_key: bytes  # Fernet key of the tokens at rest
    client_id: str = ""
    client_secret: str = ""
    redirect_url: str = ""
    allow_api_key: bool = False
    api_url: str = DEFAULT_URL
    poll_seconds: float = 120.0

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret and self.redirect_url)

    @property
    def offered(self) -> bool:
        return self.oauth or self.allow_api_key


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    path = env.get(f"{name}_FILE", "").strip()
    if not value and path:
        try:
            value = Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path!r} cannot be read ({exc.strerror}).") from exc
    return value


def load_config(env: Mapping[str, str]) -> IntervalsConfig | None:
    """The settings, or None when the link is not offered (no key, or no way to connect)."""
    key = _secret(env, "RUNCOACH_SYNC_KEY")
    client_id = env.get("INTERVALS_CLIENT_ID", "").strip()
    allow_key = env.get("INTERVALS_ALLOW_API_KEY", "").strip().lower() in ("1", "true", "yes")
    if not key:
        if client_id or allow_key:
            raise ConfigError(
                "RUNCOACH_SYNC_KEY (or RUNCOACH_SYNC_KEY_FILE) is not set: intervals.icu tokens "
                "are stored encrypted with it (a Fernet key)."
            )
        return None
    try:
        from cryptography.fernet import Fernet

        Fernet(key.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "RUNCOACH_SYNC_KEY is not a Fernet key (32 url-safe base64 bytes)."
        ) from exc
    poll = env.get("INTERVALS_POLL_SECONDS", "").strip() or "120"
    try:
        seconds = float(poll)
    except ValueError as exc:
        raise ConfigError(f"INTERVALS_POLL_SECONDS={poll!r} must be a number.") from exc
    config = IntervalsConfig(
        sync_key=key.encode(),
        client_id=client_id,
        client_secret=_secret(env, "INTERVALS_CLIENT_SECRET"),
        redirect_url=env.get("INTERVALS_REDIRECT_URL", "").strip(),
        allow_api_key=allow_key,
        api_url=(env.get("INTERVALS_API_URL", "").strip() or DEFAULT_URL).rstrip("/"),
        poll_seconds=max(30.0, seconds),
    )
    return config if config.offered else None
