"""Settings from secret files and a database password with any characters (issue 24, item
10): ``TELEGRAM_BOT_TOKEN_FILE``, ``WEBHOOK_SECRET_FILE``, ``DATABASE_URL_FILE`` and
``DATABASE_PASSWORD_FILE`` (Docker secrets), and ``@``, ``/`` or ``:`` in a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import SettingsError, load_settings
from tests.conftest import PG_URL, TEST_DATABASE_URL, TOKEN, _missing_postgres, _pg_reachable

NAMES = (
    "TELEGRAM_BOT_TOKEN",
    "WEBHOOK_SECRET",
    "WEBHOOK_URL",
    "DATABASE_URL",
    "DATABASE_PASSWORD",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    return monkeypatch


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value + "\n")  # as `echo value > file` leaves it
    return str(path)


def test_secrets_come_from_files(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    webhook_secret = "s" * 32
    clean_env.setenv("TELEGRAM_BOT_TOKEN_FILE", secret(tmp_path, "token", TOKEN))
    clean_env.setenv("WEBHOOK_SECRET_FILE", secret(tmp_path, "hook", webhook_secret))
    clean_env.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    clean_env.setenv(
        "DATABASE_URL_FILE", secret(tmp_path, "url", "postgresql://bot@db.internal:5432/coach")
    )
    clean_env.setenv("DATABASE_PASSWORD_FILE", secret(tmp_path, "pw", "p@ss/w:rd#1?"))
    settings = load_settings()
    assert settings.token == TOKEN and settings.webhook_secret == webhook_secret
    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "bot",
        "p@ss/w:rd#1?",
        "db.internal",
        5432,
        "coach",
    )


def test_a_secret_file_problem_is_one_clear_sentence(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match=r"TELEGRAM_BOT_TOKEN_FILE=.* cannot be read"):
        load_settings()
    clean_env.setenv("TELEGRAM_BOT_TOKEN_FILE", secret(tmp_path, "token", TOKEN))
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    with pytest.raises(SettingsError, match="both set"):
        load_settings()
    clean_env.delenv("TELEGRAM_BOT_TOKEN")
    clean_env.setenv("TELEGRAM_BOT_TOKEN_FILE", secret(tmp_path, "empty", ""))
    with pytest.raises(SettingsError, match="is empty"):
        load_settings()


async def test_a_password_with_at_and_slash_reaches_postgresql(
    clean_env: pytest.MonkeyPatch,
) -> None:
    base = make_url(TEST_DATABASE_URL or PG_URL)
    problem = await _pg_reachable(base.render_as_string(hide_password=False))
    if problem:
        _missing_postgres(problem)
    # the server here trusts local connections: it connects only if the URL's host, port
    # and database came through the password's @ and / intact
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    clean_env.setenv("DATABASE_URL", base.set(password=None).render_as_string())
    clean_env.setenv("DATABASE_PASSWORD", "a@b/c:d%e")
    settings = load_settings()
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("select 1")) == 1
    finally:
        await engine.dispose()
