"""The scheduler's one repeating job on PTB's JobQueue (APScheduler): wiring only."""

from __future__ import annotations

import logging
from typing import Any

from bot.scheduler import JOB_NAME, Scheduler
from bot.tick import ONCE, heartbeat
from conversations.context import Services

log = logging.getLogger(__name__)


async def _tick_job(context: Any) -> None:
    scheduler: Scheduler = context.application.bot_data["scheduler"]
    try:
        await scheduler.tick()
    except Exception:
        log.exception("scheduler tick failed; the next tick tries again")


def install(application: Any) -> Any:
    """Register the one repeating tick on the application's JobQueue (APScheduler)."""
    settings = application.bot_data["settings"]
    services: Services = application.bot_data["services"]
    if application.job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    scheduler = Scheduler(
        application.bot,
        services,
        cutoff_hour=settings.catch_up_until_hour,
        paid_rate=settings.paid_broadcast_rate if settings.paid_broadcast else None,
        concurrency=64 if settings.paid_broadcast else 16,
        running=lambda: bool(application.running),
    )
    application.bot_data["scheduler"] = scheduler
    for old in application.job_queue.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    interval = float(settings.tick_seconds)
    heartbeat(application, scheduler)  # a dead process's claims taken over within seconds
    return application.job_queue.run_repeating(
        _tick_job, interval=interval, first=min(5.0, interval), name=JOB_NAME, job_kwargs=ONCE
    )
