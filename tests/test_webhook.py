"""Webhook mode over real HTTP: the secret is checked before anything is stored, an update is
answered 200 only once committed and handled once when Telegram delivers it again, and three
``runcoach run --webhook`` processes on one PostgreSQL keep one chat's answers and replies in
order."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot_api_double import BotApiDouble
from storage.db import normalize_url
from storage.models import Runner
from tests.conftest import (
    PG_URL,
    TEST_DATABASE_URL,
    TOKEN,
    Chat,
    _missing_postgres,
    _pg_reachable,
    onboard,
)
from tests.webhooks import SECRET, Processes, base_url, counts, message_update, webhook_bot

HOOK = "/telegram/hook"


def _step(header: str) -> tuple[str, int]:
    """("Getting started", 3) from "<b>Getting started · 3/12</b>"."""
    title, _, counter = header.replace("<b>", "").replace("</b>", "").rpartition("·")
    return title.strip(), int(counter.strip().split("/")[0])


async def test_a_request_without_the_right_secret_is_refused_and_stores_nothing(double, db):
    async with webhook_bot(double, db, TOKEN) as server:
        url = base_url(server) + HOOK
        before = await counts(db)
        for n, secret in enumerate((None, "", "wrong-secret-0123456789", SECRET[:-1] + "X")):
            status, _ = await double.post_webhook(
                url, message_update(100 + n, 7301, 500 + n, "/start"), secret=secret
            )
            assert status == 403
        await asyncio.sleep(0.3)
        assert await counts(db) == before  # no runner, no inbox key, no reply queued
        assert double.sent(7301) == []
        # the same request with the secret is taken: the runner gets the welcome
        status, _ = await double.post_webhook(
            url, message_update(110, 7301, 510, "/start"), secret=SECRET
        )
        assert status == 200
        assert "quick safety check" in (double.sent(7301)[-1].text or "")
        assert (await counts(db))["runners"] == before["runners"] + 1


async def test_telegram_delivering_an_update_again_gets_it_handled_once(double, db):
    chat = Chat(double, 7302)
    async with webhook_bot(double, db, TOKEN) as server:
        state = double.bot(TOKEN)
        assert state.webhook_url == base_url(server) + HOOK  # set on start, with the secret
        assert double.webhook_secret(TOKEN) == SECRET
        await chat.say("/start")
        replies = await chat.say("/help")
        assert "Here is what I can do" in (replies[0].text or "")
        help_id = double.webhook_deliveries[-1][0]
        await double.wait_idle(TOKEN)
        await asyncio.sleep(0.3)
        sent = len(double.sent(7302))
        before = await counts(db)
        double.redeliver(TOKEN, help_id)  # Telegram did not get the 200 in time
        await double.wait_idle(TOKEN)
        await asyncio.sleep(0.3)
        assert [s for i, s in double.webhook_statuses if i == help_id][-1] == (200,)
        assert len(double.sent(7302)) == sent  # no second answer
        assert await counts(db) == before  # nothing recorded twice


async def test_the_webhook_answers_only_after_the_commit_and_telegram_retries(double, db):
    """While the database refuses the update's transaction the webhook answers 503 (never
    200), Telegram keeps delivering it, and once the database is back it is handled once."""
    from sqlalchemy.exc import OperationalError

    chat = Chat(double, 7303)
    real = db.sessions
    outage = {"on": False}

    def sessions():  # the database refuses connections
        if outage["on"]:
            raise OperationalError("connect", {}, ConnectionRefusedError("database away"))
        return real()

    async with webhook_bot(double, db, TOKEN):
        await chat.say("/start")
        mark = double.mark(7303)
        db.sessions = sessions
        outage["on"] = True
        try:
            double.send_text(TOKEN, 7303, "/help")
            await asyncio.sleep(1.0)
            statuses = [s for _, s in double.webhook_statuses]
            assert statuses and all(s == (503,) for s in statuses[-2:])
            assert double.pending_updates(TOKEN) == 1  # Telegram still holds it
        finally:
            outage["on"] = False
            db.sessions = real
        replies = await double.wait_for(7303, 1, since=mark, timeout=10)
        assert "Here is what I can do" in (replies[0].text or "")
        await double.wait_idle(TOKEN)
        await asyncio.sleep(0.3)
        assert sum("Here is what I can do" in (m.text or "") for m in double.sent(7303)) == 1


async def test_three_processes_on_postgresql_keep_one_chats_answers_and_replies_in_order(
    tmp_path: Path,
) -> None:
    url = TEST_DATABASE_URL or PG_URL
    problem = await _pg_reachable(url)
    if problem:
        _missing_postgres(problem)
    schema = f"w_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    database_url = f"{normalize_url(url)}{sep}search_path={schema}"
    from storage import Database

    db = Database(database_url)
    try:
        await db.migrate()
        async with BotApiDouble() as double:
            bots = Processes(double, TOKEN, database_url, tmp_path, 3)
            try:
                await bots.start()
                for _ in range(100):
                    if double.bot(TOKEN).webhook_url:
                        break
                    await asyncio.sleep(0.1)
                # a load balancer in front of the three; every update also re-delivered at
                # once to the next process (Telegram repeating an update it thinks was lost)
                double.route_webhook(TOKEN, bots.urls)
                double.webhook_duplicates = True
                double.delay = 0.1  # Telegram takes a while to answer each reply
                chat = Chat(double, 7304)
                await onboard(chat)
                await double.wait_idle(TOKEN)
                # then four commands typed in a row, the first reply refused once (502)
                double.fail_next("sendMessage", status=502, chat_id=7304)
                mark = double.mark(7304)
                for command in ("/help", "/today", "/help", "/today"):
                    double.send_text(TOKEN, 7304, command)
                burst = await double.wait_for(7304, 4, since=mark, timeout=30)
                await double.wait_idle(TOKEN)
                await asyncio.sleep(0.5)
                burst = double.sent(7304)[mark:]
            finally:
                codes = await bots.stop()
            assert codes == [0, 0, 0], bots.log_text()[-3000:]
            # the chat's updates were spread over all three processes, each update twice
            served = {url for _, url, status in double.webhook_posts if status == 200}
            assert served == set(bots.urls)
            ids = [i for i, _ in double.webhook_statuses]
            assert len(ids) >= 15
            assert len([p for p in double.webhook_posts if p[0] == ids[0]]) == 2
            texts = [m.text or "" for m in double.sent(7304)]
            questions = [t.split("\n")[0] for t in texts if "·" in t.split("\n")[0]]
            # each question came once and in order: no header repeats, the counters climb
            assert len(questions) == len(set(questions)), questions
            steps = [_step(q) for q in questions]
            for (title_a, n_a), (title_b, n_b) in itertools.pairwise(steps):
                assert title_a != title_b or n_b > n_a, questions
        # the replies to the burst came in the order of the commands
        assert len(burst) == 4, [m.text for m in burst]
        helps = ["Here is what I can do" in (m.text or "") for m in burst]
        assert helps[0] and not helps[1] and helps[2] and not helps[3], [m.text for m in burst]
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == 7304))
            ).scalar_one()
            assert (runner.injury, runner.side) == ("calf_strain", "left")
            assert runner.preferred_days == "0,2,4" and runner.reminder_minute == 7 * 60 + 30
            assert runner.time_zone == "Europe/Berlin"
            assert runner.status == "active"
        left = await counts(db)
        assert left["outbox"] == 0 and left["received"] == 0
        # every update recorded once in the inbox, though each was delivered twice
        assert left["inbox"] == len(set(ids))
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def test_polling_after_webhook_mode_deletes_the_webhook_and_keeps_its_updates(double, db):
    from tests.conftest import running_bot

    chat = Chat(double, 7306)
    async with webhook_bot(double, db, TOKEN):
        await chat.say("/start")
    double.send_text(TOKEN, 7306, "/help")  # arrives while no process serves the webhook
    assert double.bot(TOKEN).webhook_url  # still set after the webhook process stopped
    mark = double.mark(7306)
    async with running_bot(double, db):
        replies = await double.wait_for(7306, 1, since=mark, timeout=15)
    assert "Here is what I can do" in (replies[0].text or "")
    assert double.bot(TOKEN).webhook_url == ""


async def test_a_stopping_process_takes_no_more_updates_and_is_not_ready(double, db):
    from tests.webhooks import get

    async with webhook_bot(double, db, TOKEN) as server:
        root = base_url(server)
        assert (await get(root + "/readyz"))[0] == 200
        assert await server.drain(1.0)  # what SIGTERM does first
        status, _ = await double.post_webhook(
            root + HOOK, message_update(120, 7307, 520, "/start"), secret=SECRET
        )
        assert status == 503  # Telegram (or the load balancer) delivers it elsewhere
        assert (await get(root + "/readyz"))[0] == 503
        assert (await get(root + "/healthz"))[0] == 200
        assert (await counts(db))["runners"] == 0


def test_webhook_mode_without_a_good_secret_refuses_to_start(monkeypatch, capsys, tmp_path):
    from bot.cli import BAD_SETTING, main

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    assert main(["run", "--webhook", "https://bot.example.org/hook"]) == BAD_SETTING
    assert "WEBHOOK_SECRET is not set" in capsys.readouterr().err
    monkeypatch.setenv("WEBHOOK_SECRET", "short")
    assert main(["run", "--webhook", "https://bot.example.org/hook"]) == BAD_SETTING
    assert "16-256 characters" in capsys.readouterr().err
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    assert main(["run", "--webhook", "bot.example.org/hook"]) == BAD_SETTING
    assert "https://" in capsys.readouterr().err
