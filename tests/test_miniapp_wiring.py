"""The Mini App's edges without a browser: Telegram's initData check as documented (the
signature over the sorted fields, the bot's token, the age), the operator's MINIAPP_URL
setting, and webhook mode serving the page on the webhook's port with its headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from bot.app import build_application, serving_webhook
from bot.settings import Settings, SettingsError, load_settings
from conversations import Services
from miniapp.auth import sign, validate
from tests.conftest import TOKEN
from tests.miniapp_kit import init_data
from tests.webhooks import SECRET, free_port

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_telegrams_own_example_signature_is_accepted_and_any_change_refused():
    good = init_data(TOKEN, 42, signed_at=NOW - timedelta(minutes=5), language="ru")
    opener = validate(good, TOKEN, NOW)
    assert opener is not None and opener.user_id == 42 and opener.language == "ru"
    fields = dict(parse_qsl(good))
    # the hash is HMAC-SHA256 over "key=value" lines sorted by key, keyed by
    # HMAC-SHA256("WebAppData", token): computed here independently of miniapp.auth
    import hashlib
    import hmac

    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    assert fields["hash"] == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()

    user = json.loads(fields["user"])
    for changed in (
        {**fields, "user": json.dumps({**user, "id": 43})},  # another user, same hash
        {**fields, "auth_date": str(int(NOW.timestamp()))},  # made younger
        {k: v for k, v in fields.items() if k != "hash"},  # unsigned
        {**fields, "hash": fields["hash"].upper()},
    ):
        assert validate(urlencode(changed), TOKEN, NOW) is None
    assert validate(good + "&user=" + fields["user"], TOKEN, NOW) is None  # a field twice
    assert validate(good, "999:another-bots-token-0123456789abcdef", NOW) is None
    assert validate(good, TOKEN, NOW + timedelta(hours=1)) is None  # too old by then
    assert validate(good, TOKEN, NOW - timedelta(hours=1)) is None  # signed in the future
    assert validate("not init data at all", TOKEN, NOW) is None
    assert validate("x" * 5000, TOKEN, NOW) is None
    no_user = {"auth_date": str(int(NOW.timestamp()))}
    assert validate(urlencode({**no_user, "hash": sign(no_user, TOKEN)}), TOKEN, NOW) is None


def test_miniapp_url_must_be_https_and_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n")
    for name in ("MINIAPP_URL", "HEALTH_PORT", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(env).miniapp_url == ""
    monkeypatch.setenv("MINIAPP_URL", "http://coach.example.org/app/")
    with pytest.raises(SettingsError, match="https://"):
        load_settings(env)
    monkeypatch.setenv("MINIAPP_URL", "https://coach.example.org/app/")
    with pytest.raises(SettingsError, match="HEALTH_PORT"):
        load_settings(env)  # polling with nothing to serve it on
    monkeypatch.setenv("HEALTH_PORT", "8081")
    assert load_settings(env).miniapp_url == "https://coach.example.org/app/"


async def test_webhook_mode_serves_the_mini_app_on_its_port(double, db):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = Settings(
        token=TOKEN,
        api_url=double.base_url,
        database_url=db.url,
        webhook_url=url,
        webhook_secret=SECRET,
        port=port,
        listen_host="127.0.0.1",
        miniapp_url="https://coach.example.org/care/?v=1",
    )
    app = build_application(settings, services=Services(db=db), rate_limit=False)
    async with (
        serving_webhook(app, url=url, secret=SECRET, host="127.0.0.1", port=port),
        aiohttp.ClientSession() as http,
    ):
        async with http.get(f"http://127.0.0.1:{port}/care/") as page:
            assert page.status == 200
            body = await page.text()
            csp = page.headers["Content-Security-Policy"]
        assert "https://telegram.org/js/telegram-web-app.js" in body
        assert "default-src 'none'" in csp and "script-src 'self' https://telegram.org" in csp
        assert "frame-ancestors" in csp
        async with http.get(f"http://127.0.0.1:{port}/care/app.js") as script:
            assert script.status == 200 and "initData" in await script.text()
        async with http.get(f"http://127.0.0.1:{port}/care/api/dashboard") as api:
            assert api.status == 401 and api.headers["Cache-Control"] == "no-store"
        async with http.get(f"http://127.0.0.1:{port}/care/../storage/db.py") as escape:
            assert escape.status == 404
        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200  # the probes and the webhook are still there
