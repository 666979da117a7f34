"""Prometheus metrics (prometheus-client), served at ``/metrics``.

The registry lives here, in ``bot/``; the layers below export no metrics themselves (nothing
imports ``bot/``): ``dispatch.Sender.observe`` reports each reply's outcome, the scheduler and
the rate limiter (both in ``bot/``) count prompts and 429s directly, and the two gauges are
read from the database when Prometheus scrapes (``storage.outbox.backlog``,
``storage.schedule.overdue``). Names and what to alert on: docs/operations.md.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from telegram import Update

from storage import Database, schedule
from storage import outbox as box
from storage.models import utcnow

CONTENT_TYPE = CONTENT_TYPE_LATEST

UPDATES = Counter(
    "runcoach_updates",
    "Updates from Telegram by kind and outcome: handled (committed, or a re-delivery the "
    "inbox skipped), retry (the database was away: not confirmed, Telegram sends it again), "
    "failed (rolled back; the runner was asked to send it again), rejected (webhook secret "
    "missing or wrong).",
    ["kind", "outcome"],
)
STEP_SECONDS = Histogram(
    "runcoach_update_seconds",
    "Time to handle one update: its transaction (the conversation step) and sending its "
    "replies.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REPLIES = Counter(
    "runcoach_replies",
    "Replies from the outbox: sent, retry (not taken yet; tried again), dropped (Telegram "
    "refused it for good), blocked (the runner blocked the bot).",
    ["outcome"],
)
PROMPTS = Counter(
    "runcoach_prompts",
    "Scheduled prompts: sent, retry_later, failed, blocked, uncertain, skipped.",
    ["outcome"],
)
ANSWERS_NOT_TAKEN = Counter(
    "runcoach_answers_not_taken",
    "Typed texts not taken as an answer because the question they would answer had not "
    "been sent yet (not even tried); the runner was told so and asked it at once.",
)
TOO_MANY = Counter(
    "runcoach_telegram_429",
    "429 Too Many Requests answers from Telegram (replies and prompts).",
    ["source"],
)
OUTBOX_BACKLOG = Gauge(
    "runcoach_outbox_backlog", "Replies waiting in the outbox (every process)."
)
OUTBOX_OLDEST = Gauge(
    "runcoach_outbox_oldest_seconds", "Age of the oldest reply waiting in the outbox."
)
DUE_UNSENT = Gauge(
    "runcoach_due_unsent",
    "Runners whose scheduled prompt fell due more than 5 minutes ago and was not sent.",
)
OVERDUE_AFTER = timedelta(minutes=5)


def kind_of(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def count_update(kind: str, outcome: str, seconds: float | None = None) -> None:
    UPDATES.labels(kind=kind, outcome=outcome).inc()
    if seconds is not None:
        STEP_SECONDS.observe(seconds)


@functools.cache
def _replies(outcome: str) -> Any:
    """The counter of one outcome, looked up once (``labels`` costs a lock and a check of
    the label values: 2 % of a check-in step when done for every reply)."""
    return REPLIES.labels(outcome=outcome)


def count_reply(outcome: str) -> None:
    """``dispatch.Sender.observe``: a reply's outcome, a 429, or a typed answer not taken."""
    if outcome == "429":
        TOO_MANY.labels(source="reply").inc()
    elif outcome == "not_taken":
        ANSWERS_NOT_TAKEN.inc()
    else:
        _replies(outcome).inc()


def count_prompt(outcome: str) -> None:
    PROMPTS.labels(outcome=outcome).inc()


def count_429(source: str) -> None:
    TOO_MANY.labels(source=source).inc()


async def refresh(db: Database) -> None:
    """Read the gauges from the database (at scrape time)."""
    async with db.session() as session:
        count, oldest = await box.backlog(session)
        due = await schedule.overdue(session, utcnow(), OVERDUE_AFTER)
    OUTBOX_BACKLOG.set(count)
    OUTBOX_OLDEST.set(oldest)
    DUE_UNSENT.set(due)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
