"""Probes and metrics over HTTP (aiohttp, in the bot's own event loop).

* ``GET /healthz``: 200 while the process runs its event loop (liveness).
* ``GET /readyz``: 200 when the database answers, can be written and its migrations are at
  the code's head; 503 with the reason otherwise, and while the process is stopping
  (readiness).
* ``GET /metrics``: Prometheus text format (bot/metrics.py).

Webhook mode serves these on the webhook's port (bot/webhook.py adds the webhook route to the
same aiohttp application); polling mode serves them on ``HEALTH_PORT`` when it is set.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web

from bot import metrics
from storage import Database

log = logging.getLogger(__name__)

READY_TIMEOUT = 3.0  # seconds the database gets to answer a probe


@dataclass
class Probes:
    db: Database
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        if self.stopping.is_set():
            return web.Response(status=503, text="stopping\n")
        try:
            revision, head = await asyncio.wait_for(self.db.schema_status(), READY_TIMEOUT)
        except Exception as exc:
            return web.Response(
                status=503, text=f"database unavailable ({type(exc).__name__})\n"
            )
        if revision != head:
            return web.Response(
                status=503, text=f"migrations at {revision}, the code needs {head}\n"
            )
        try:
            await asyncio.wait_for(self.db.writable(), READY_TIMEOUT)
        except Exception as exc:  # locked (SQLite), read-only (a PostgreSQL standby)
            return web.Response(
                status=503, text=f"database cannot be written ({type(exc).__name__})\n"
            )
        return web.Response(text=f"ready (migrations at {head})\n")

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(metrics.refresh(self.db), READY_TIMEOUT)
        except Exception as exc:  # the gauges keep their last values
            log.warning("metrics: could not read the backlog (%s)", type(exc).__name__)
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = metrics.CONTENT_TYPE
        return response

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` in the running event loop; the caller cleans the runner up."""
    # access_log=None: the webhook path may carry a secret; probes would flood the log
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])
