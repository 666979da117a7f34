"""Helpers for webhook tests and bench/webhook.py: the bot in webhook mode against the
double (in this process, or as real ``runcoach run --webhook`` processes), a TCP proxy that
takes PostgreSQL away and brings it back, row counts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.app import build_application, serving_webhook
from bot.settings import Settings
from bot.webhook import WebhookServer
from bot_api_double import BotApiDouble
from conversations import Services
from storage import Database
from storage.models import InboxRow, OutboxRow, ReceivedUpdateRow, Runner

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-for-the-tests_0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def webhook_bot(
    double: BotApiDouble, db: Database, token: str, *, secret: str = SECRET
) -> AsyncIterator[WebhookServer]:
    """The real Application in webhook mode, in this process, on a free local port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = Settings(
        token=token,
        api_url=double.base_url,
        database_url=db.url,
        webhook_url=url,
        webhook_secret=secret,
        port=port,
        listen_host="127.0.0.1",
    )
    app = build_application(settings, services=Services(db=db), rate_limit=False)
    async with serving_webhook(app, url=url, secret=secret, host="127.0.0.1", port=port) as s:
        yield s


def base_url(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.port}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.text()


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        result = {}
        for name, table in (
            ("runners", Runner),
            ("inbox", InboxRow),
            ("outbox", OutboxRow),
            ("received", ReceivedUpdateRow),
        ):
            result[name] = int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
        return result


def message_update(update_id: int, user_id: int, message_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram POSTs it (a private chat)."""
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if text.startswith("/")
        else []
    )
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "en"},
            "chat": {"id": user_id, "type": "private", "first_name": "R"},
            "date": 1_780_000_000,
            "text": text,
            "entities": entities,
        },
    }


class Processes:
    """Real ``runcoach run --webhook`` processes on one database."""

    def __init__(
        self, double: BotApiDouble, token: str, database_url: str, workdir: Path, count: int
    ) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.urls = [f"http://127.0.0.1:{port}/hook" for port in self.ports]
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            TELEGRAM_BOT_TOKEN=token,
            TELEGRAM_API_URL=double.base_url,
            DATABASE_URL=database_url,
            WEBHOOK_SECRET=SECRET,
            LISTEN_HOST="127.0.0.1",
            LOG_LEVEL="WARNING",
            TICK_SECONDS="3600",
        )
        self.logs = [workdir / f"webhook{i}.log" for i in range(count)]
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        for port, url, log_path in zip(self.ports, self.urls, self.logs, strict=True):
            with log_path.open("ab") as log:
                self.processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot.cli", "run", "--webhook", url,
                        env={**self.env, "PORT": str(port)}, cwd=ROOT, stdout=log, stderr=log,
                    )
                )
        for port in self.ports:
            await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)

    async def stop(self) -> list[int | None]:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes:
            try:
                codes.append(await asyncio.wait_for(process.wait(), 20))
            except TimeoutError:
                process.kill()
                codes.append(None)
        return codes

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


async def wait_ready(url: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            status, _ = await get(url)
            if status == 200:
                return
        if loop.time() > deadline:
            raise TimeoutError(f"{url} never became ready")
        await asyncio.sleep(0.2)
