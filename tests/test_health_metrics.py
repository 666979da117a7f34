"""Probes, metrics, JSON logs and the graceful stop, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_application, serving
from bot.settings import Settings
from bot_api_double import BotApiDouble
from conversations import Services
from storage import Database
from storage.db import normalize_url
from tests.conftest import (
    PG_URL,
    TEST_DATABASE_URL,
    TOKEN,
    Chat,
    _missing_postgres,
    _pg_reachable,
)
from tests.dbproxy import CuttableProxy
from tests.webhooks import (
    ROOT,
    SECRET,
    base_url,
    counts,
    free_port,
    get,
    message_update,
    wait_ready,
    webhook_bot,
)


def metric(exposition: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 when absent)."""
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return 0.0


async def test_probes_and_metrics_answer_on_the_webhook_port(double, db):
    chat = Chat(double, 7401)
    async with webhook_bot(double, db, TOKEN) as server:
        root = base_url(server)
        assert await get(root + "/healthz") == (200, "ok\n")
        status, body = await get(root + "/readyz")
        assert status == 200 and "ready" in body
        _, before = await get(root + "/metrics")
        await chat.say("/start")
        await chat.say("/help")
        await double.post_webhook(
            root + "/telegram/hook", message_update(900, 7401, 9, "/help"), secret="wrong"
        )
        # a reply Telegram refuses once with a 429: waited for, then sent
        double.fail_next("sendMessage", status=429, retry_after=1, chat_id=7401)
        await chat.say("/help", timeout=15)
        await double.wait_idle(TOKEN)
        await asyncio.sleep(0.3)
        status, after = await get(root + "/metrics")
        assert status == 200

        def grew(name: str, **labels: str) -> float:
            return metric(after, name, **labels) - metric(before, name, **labels)

        assert grew("runcoach_updates_total", kind="message", outcome="handled") == 3
        assert grew("runcoach_updates_total", kind="unknown", outcome="rejected") == 1
        assert grew("runcoach_update_seconds_count") == 3
        # every message the runner received went through the outbox and was counted once
        assert grew("runcoach_replies_total", outcome="sent") == len(double.sent(7401))
        assert grew("runcoach_replies_total", outcome="retry") == 1
        assert grew("runcoach_telegram_429_total", source="reply") == 1
        assert metric(after, "runcoach_outbox_backlog") == 0
        assert metric(after, "runcoach_due_unsent") == 0
        assert "# TYPE runcoach_update_seconds histogram" in after


async def test_the_outbox_backlog_shows_replies_telegram_has_not_taken(double, db):
    chat = Chat(double, 7402)
    async with webhook_bot(double, db, TOKEN) as server:
        server.reply_wait = 0.0
        double.fail_next("sendMessage", status=502, count=1000, chat_id=7402)
        status, _ = await double.post_webhook(
            base_url(server) + "/telegram/hook",
            message_update(950, 7402, 11, "/start"),
            secret=SECRET,
        )
        assert status == 200
        _, body = await get(base_url(server) + "/metrics")
        assert metric(body, "runcoach_outbox_backlog") == 1
        assert metric(body, "runcoach_outbox_oldest_seconds") >= 0
        double._injections.clear()  # Telegram takes it again
        replies = await double.wait_for(7402, 1, timeout=30)
        assert "quick safety check" in (replies[0].text or "")
        del chat


async def test_readyz_fails_while_migrations_are_behind_the_code(double, db):
    async with webhook_bot(double, db, TOKEN) as server:
        ready = base_url(server) + "/readyz"
        async with db.session() as session:
            head = (await session.execute(text("select version_num from alembic_version"))).scalar()
            await session.execute(text("update alembic_version set version_num = '0004'"))
        status, body = await get(ready)
        assert status == 503 and "0004" in body and str(head) in body
        async with db.session() as session:
            await session.execute(
                text("update alembic_version set version_num = :v"), {"v": head}
            )
        assert (await get(ready))[0] == 200


async def test_readyz_fails_while_postgresql_is_down_and_recovers(double):
    url = TEST_DATABASE_URL or PG_URL
    problem = await _pg_reachable(url)
    if problem:
        _missing_postgres(problem)
    target = make_url(normalize_url(url))
    proxy = await CuttableProxy(target.host or "127.0.0.1", target.port or 5432).start()
    schema = f"h_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database(proxied, schema=schema)
    try:
        await db.migrate()
        async with webhook_bot(double, db, TOKEN) as server:
            root = base_url(server)
            assert (await get(root + "/readyz"))[0] == 200
            proxy.cut()
            status, body = await get(root + "/readyz")
            assert status == 503 and "database unavailable" in body
            assert (await get(root + "/healthz"))[0] == 200  # alive, only not ready
            # an update meanwhile is not confirmed: Telegram is told to send it again
            status, _ = await double.post_webhook(
                root + "/telegram/hook", message_update(990, 7403, 12, "/start"), secret=SECRET
            )
            assert status == 503
            proxy.restore()
            for _ in range(50):
                if (await get(root + "/readyz"))[0] == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await get(root + "/readyz"))[0] == 200
    finally:
        await db.dispose()
        await proxy.close()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def test_polling_mode_serves_the_probes_on_health_port(double, db):
    port = free_port()
    settings = Settings(token=TOKEN, api_url=double.base_url, database_url=db.url)
    app = build_application(settings, services=Services(db=db), rate_limit=False)
    async with serving(app, poll_timeout=1, health=("127.0.0.1", port)):
        root = f"http://127.0.0.1:{port}"
        assert (await get(root + "/healthz"))[0] == 200
        assert (await get(root + "/readyz"))[0] == 200
        await Chat(double, 7404).say("/start")
        _, body = await get(root + "/metrics")
        assert metric(body, "runcoach_updates_total", kind="message", outcome="handled") >= 1


async def test_sigterm_finishes_the_update_in_flight_flushes_replies_and_exits_0(
    tmp_path: Path,
) -> None:
    """A real ``runcoach run --webhook`` with LOG_FORMAT=json: SIGTERM while an update's reply
    waits for a retry; the reply still goes out, the process exits 0 within 10 s, and every
    log line is one JSON object with neither what the runner wrote nor the secrets."""
    port = free_port()
    database = tmp_path / "bot.sqlite3"
    async with BotApiDouble() as double:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=double.base_url,
            DATABASE_URL=f"sqlite:///{database}",
            WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            WEBHOOK_SECRET=SECRET,
            PORT=str(port),
            LISTEN_HOST="127.0.0.1",
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            TICK_SECONDS="3600",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)
            for _ in range(100):
                if double.bot(TOKEN).webhook_url:
                    break
                await asyncio.sleep(0.1)
            chat = Chat(double, 7405)
            await chat.say("/start")
            # the next reply is refused twice: it waits for a retry when SIGTERM comes
            double.fail_next("sendMessage", status=502, count=2, chat_id=7405)
            mark = double.mark(7405)
            double.send_text(TOKEN, 7405, "my knee secret 4321")
            for _ in range(100):
                if double.stats["errors"]:
                    break
                await asyncio.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err.decode()[-2000:]
        assert double.sent(7405)[mark:], "the reply held for a retry was not sent at the stop"
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        left = await counts(db)
    finally:
        await db.dispose()
    assert left["outbox"] == 0
    lines = [line for line in out.decode().splitlines() if line.strip()]
    assert lines, err.decode()
    records = [json.loads(line) for line in lines]  # each line is one JSON object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any("stopping" in r["message"] for r in records)
    everything = out.decode() + err.decode()
    assert "4321" not in everything and "knee secret" not in everything
    assert TOKEN.split(":")[1] not in everything and SECRET not in everything


async def test_a_prompt_due_and_not_sent_shows_until_the_tick_sends_it(double, db):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from bot import metrics as m
    from storage.models import Runner
    from tests.conftest import Clock
    from tests.test_scheduler import add_runners, bot_with_scheduler, runner_row, sent_count

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    offset = ((12 - now.hour + 12) % 24) - 12  # a zone where it is about noon now
    zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    local = now + timedelta(hours=offset)
    [rid] = await add_runners(
        db, [runner_row(7410, zone, local.hour * 60 + local.minute - 10)]
    )
    async with db.session() as session:
        await session.execute(
            update(Runner).where(Runner.id == rid).values(next_due_at=now - timedelta(minutes=10))
        )
    await m.refresh(db)
    assert metric(m.exposition().decode(), "runcoach_due_unsent") == 1
    before = metric(m.exposition().decode(), "runcoach_prompts_total", outcome="sent")
    async with bot_with_scheduler(double, db, Clock(now)) as (_app, scheduler):
        await scheduler.tick()
    assert sent_count(double, 7410) == 1
    await m.refresh(db)
    after = m.exposition().decode()
    assert metric(after, "runcoach_due_unsent") == 0
    assert metric(after, "runcoach_prompts_total", outcome="sent") == before + 1
