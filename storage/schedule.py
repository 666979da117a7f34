"""The scheduler's queries: who is due, claiming a delivery exactly once, and its outcome.

Time model: ``runners.next_due_at`` is the UTC instant of the next local reminder time the
scheduler must look at the runner (computed with zoneinfo, so it follows daylight saving).
A tick selects ``next_due_at <= now`` through ``ix_runners_due``; active, paused or referred
runners whose ``next_due_at`` is NULL (never scheduled) are found through the small partial
index ``ix_runners_unscheduled`` and scheduled on first sight. A referred runner is due once a
week only (the reassessment weekday), for the "has a clinician examined you?" question.

Deliveries: one row per (runner, kind, local date), unique, through the delivery cycle of
``storage/delivery.py`` (claim, fence, finish, reclaim, expiry): :data:`PROMPTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import delivery
from storage.delivery import PENDING
from storage.delivery import SENT as SENT  # conversations/settings.py records a welcome back
from storage.models import CheckInRow, DeliveryRow, MorningCheckRow, Runner, utcnow

SCHEDULED = ("active", "paused", "referred")  # statuses the scheduler looks after
REFERRED = "referred"  # a red flag stopped the plan: only a weekly "seen a clinician?" message
DAILY_KIND = "daily"  # conversations.prompts.DAILY; storage does not import conversations


# --------------------------------------------------------------------------- local time


def zone_of(runner: Runner) -> ZoneInfo:
    try:
        return ZoneInfo(runner.time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_reminder(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The UTC instant when the local clock on ``day`` reaches ``minute`` after midnight.

    A wall time that does not exist (spring forward: 02:30 in Berlin on the last Sunday of
    March) falls due when the clock jumps past it (03:00 local); a wall time that happens
    twice (fall back) falls due the first time."""
    minute = max(0, min(int(minute), 24 * 60 - 1))
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the offset before a change
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap: the earliest instant whose local wall time is at or after ``wall``.
    probe = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # the offset after the change
    probe = probe.replace(second=0, microsecond=0)
    while probe.astimezone(zone).replace(tzinfo=None) < wall:
        probe += timedelta(minutes=1)
    return probe


def local_date(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def first_due(runner: Runner, now: datetime, *, owed_today: bool = False) -> datetime | None:
    """When the scheduler should next look at the runner (None: never, until rescheduled).

    Active: today's reminder time when it is still ahead (or when today's prompt is owed),
    else tomorrow's. Paused: the reminder time on ``paused_until`` (the tick resumes them),
    or a daily look when the pause has no end. Referred: the reminder time on the next
    reassessment weekday (one question a week: has a clinician seen you?)."""
    if runner.blocked or runner.status not in SCHEDULED:
        return None
    zone = zone_of(runner)
    today = local_date(now, zone)
    if runner.status == REFERRED:
        return next_weekly(runner, now)
    if runner.status == "paused":
        if runner.paused_until is None:
            return now + timedelta(days=1)
        return local_reminder(zone, max(today, runner.paused_until), runner.reminder_minute)
    today_at = local_reminder(zone, today, runner.reminder_minute)
    if today_at > now:
        return today_at
    if owed_today:
        return now
    return local_reminder(zone, today + timedelta(days=1), runner.reminder_minute)


def next_weekly(runner: Runner, now: datetime, *, after_today: bool = False) -> datetime:
    """The next reminder time on the runner's reassessment weekday (today's if still ahead)."""
    zone = zone_of(runner)
    today = local_date(now, zone)
    for ahead in range(1 if after_today else 0, 8):
        day = today + timedelta(days=ahead)
        if day.weekday() != runner.reassess_weekday:
            continue
        at = local_reminder(zone, day, runner.reminder_minute)
        if at > now or after_today:
            return at
    return local_reminder(zone, today + timedelta(days=7), runner.reminder_minute)


async def reschedule(session: AsyncSession, runner: Runner, now: datetime) -> None:
    """Recompute ``runner.next_due_at`` after its reminder time, time zone or status changed.

    Call it in the transaction that makes the change (onboarding done, /settings, /pause,
    /resume, a red flag referral, unblocking). If today's prompt was owed and not sent yet, a
    reminder time moved earlier than now sends it at once (the tick applies the cut-off);
    a runner scheduled for the first time starts at their next reminder time."""
    owed = False
    if runner.status == "active" and runner.next_due_at is not None and runner.id is not None:
        zone = zone_of(runner)
        today = local_date(now, zone)
        tomorrow = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
        if runner.next_due_at < tomorrow.astimezone(UTC):
            owed = not await has_delivery(session, runner.id, DAILY_KIND, today)
    runner.next_due_at = first_due(runner, now, owed_today=owed)


# --------------------------------------------------------------------------- who is due


@dataclass(frozen=True)
class Due:
    id: int
    status: str
    blocked: bool
    next_due_at: datetime


async def due_runners(
    session: AsyncSession, now: datetime, limit: int, after: tuple[datetime, int] | None = None
) -> list[Due]:
    """Runners whose ``next_due_at`` has passed, earliest first (an index range scan).

    ``after`` pages on (next_due_at, id). Statuses are returned, not filtered, so that a
    runner who stopped being scheduled is parked once instead of being scanned every tick."""
    if after is None:
        rows = await session.execute(_DUE, {"now": now, "n": limit})
    else:
        rows = await session.execute(
            _DUE_AFTER, {"now": now, "n": limit, "at": after[0], "id": after[1]}
        )
    return [Due(r.id, r.status, r.blocked, r.next_due_at) for r in rows]


_DUE = (
    select(Runner.id, Runner.status, Runner.blocked, Runner.next_due_at)
    .where(Runner.next_due_at <= bindparam("now"))
    .order_by(Runner.next_due_at, Runner.id)
    .limit(bindparam("n"))
)
_DUE_AFTER = _DUE.where(
    or_(
        Runner.next_due_at > bindparam("at"),
        and_(Runner.next_due_at == bindparam("at"), Runner.id > bindparam("id")),
    )
)


async def next_due_after(session: AsyncSession, after: datetime) -> datetime | None:
    """The earliest ``next_due_at`` still ahead of ``after`` (the playground's clock steps
    to it, so a moved clock delivers each prompt when it falls due)."""
    value: datetime | None = await session.scalar(
        select(func.min(Runner.next_due_at)).where(Runner.next_due_at > after)
    )
    return value


async def unscheduled_runners(session: AsyncSession, limit: int) -> list[Runner]:
    """Scheduled-status runners never scheduled (``next_due_at`` NULL), by the partial index."""
    result = await session.execute(
        select(Runner)
        .where(
            Runner.next_due_at.is_(None),
            Runner.status.in_(SCHEDULED),
            Runner.blocked == false(),  # "= false", not "IS false": the index can use it
        )
        .limit(limit)
    )
    return list(result.scalars())


async def park(session: AsyncSession, runner_ids: Sequence[int]) -> None:
    """Stop looking at runners who are no longer scheduled (new, blocked)."""
    if not runner_ids:
        return
    await session.execute(
        update(Runner)
        .where(
            Runner.id.in_(list(runner_ids)),
            or_(Runner.status.not_in(SCHEDULED), Runner.blocked.is_(True)),
        )
        .values(next_due_at=None)
        .execution_options(synchronize_session=False)
    )


async def set_next_due(session: AsyncSession, runner_id: int, when: datetime | None) -> None:
    await session.execute(_SET_NEXT_DUE, {"runner": runner_id, "when": when})


_SET_NEXT_DUE = (
    update(Runner)
    .where(Runner.id == bindparam("runner"))
    .values(next_due_at=bindparam("when"))
    .execution_options(synchronize_session=False)
)


async def block(session: AsyncSession, runner_id: int) -> None:
    """The runner blocked the bot (Telegram said Forbidden): nothing more is sent."""
    await session.execute(_BLOCK, {"runner": runner_id, "now": utcnow()})


_BLOCK = (
    update(Runner)
    .where(Runner.id == bindparam("runner"))
    .values(blocked=True, next_due_at=None, updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


# --------------------------------------------------------------------------- what is due


# The reads that decide what is due, built once (they run for every prompt of a fan-out).
_LAST_CHECKIN = select(func.max(CheckInRow.day)).where(CheckInRow.runner_id == bindparam("runner"))
_RAN_ON = (
    select(CheckInRow.id)
    .where(
        CheckInRow.runner_id == bindparam("runner"),
        CheckInRow.day == bindparam("day"),
        CheckInRow.outcome.in_(bindparam("outcomes", expanding=True)),
    )
    .limit(1)
)
_MORNING_DONE = (
    select(MorningCheckRow.id)
    .where(
        MorningCheckRow.runner_id == bindparam("runner"),
        MorningCheckRow.run_day == bindparam("day"),
    )
    .limit(1)
)
_HAS_DELIVERY = (
    select(DeliveryRow.id)
    .where(
        DeliveryRow.runner_id == bindparam("runner"),
        DeliveryRow.kind == bindparam("delivery_kind"),
        DeliveryRow.local_date >= bindparam("first"),
        DeliveryRow.local_date <= bindparam("last"),
    )
    .limit(1)
)
_LATEST_DELIVERY = select(func.max(DeliveryRow.local_date)).where(
    DeliveryRow.runner_id == bindparam("runner"), DeliveryRow.kind == bindparam("kind")
)


async def last_checkin_day(session: AsyncSession, runner_id: int) -> date | None:
    result = await session.execute(_LAST_CHECKIN, {"runner": runner_id})
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class DueFacts:
    """What decides the extra kinds of a runner's daily message, read in one statement."""

    ran_yesterday: bool  # a check-in yesterday with one of the outcomes asked about
    morning_done: bool  # yesterday's morning-after check answered already
    last_checkin: date | None
    last_welcome_back: date | None  # the latest delivery of the welcome back
    nudged: bool  # a nudge delivered between the dates asked about


_DUE_FACTS = select(
    _RAN_ON.exists(),
    _MORNING_DONE.exists(),
    _LAST_CHECKIN.scalar_subquery(),
    _LATEST_DELIVERY.scalar_subquery(),
    _HAS_DELIVERY.exists(),
)


async def due_facts(
    session: AsyncSession,
    runner_id: int,
    yesterday: date,
    outcomes: Sequence[str],
    welcome_kind: str,
    nudge_kind: str,
    nudge_first: date,
    nudge_last: date,
) -> DueFacts:
    """Yesterday's run and its morning check, the last check-in, the last welcome back
    and a recent nudge, in one trip (every prompt of a fan-out needs them)."""
    row = (
        await session.execute(
            _DUE_FACTS,
            {
                "runner": runner_id,
                "day": yesterday,
                "outcomes": list(outcomes),
                "kind": welcome_kind,
                "delivery_kind": nudge_kind,
                "first": nudge_first,
                "last": nudge_last,
            },
        )
    ).one()
    return DueFacts(bool(row[0]), bool(row[1]), row[2], row[3], bool(row[4]))


async def has_delivery(
    session: AsyncSession, runner_id: int, kind: str, first: date, last: date | None = None
) -> bool:
    """Whether a delivery of ``kind`` exists for a local date in [first, last]."""
    result = await session.execute(
        _HAS_DELIVERY,
        {"runner": runner_id, "delivery_kind": kind, "first": first, "last": last or first},
    )
    return result.first() is not None


async def latest_delivery_day(session: AsyncSession, runner_id: int, kind: str) -> date | None:
    result = await session.execute(_LATEST_DELIVERY, {"runner": runner_id, "kind": kind})
    return result.scalar_one_or_none()


# --------------------------------------------------------------------------- claiming


PROMPTS = delivery.Deliveries(DeliveryRow, ("runner_id", "kind", "local_date"))


async def claim(
    session: AsyncSession,
    runner_id: int,
    kinds: Sequence[str],
    day: date,
    now: datetime,
    *,
    status: str = PENDING,
) -> dict[str, int]:
    """Insert one delivery row per kind for (runner, day); returns {kind: row id} for the rows
    this call created. A kind somebody else holds already is simply not returned."""
    keys = [{"runner_id": runner_id, "kind": kind, "local_date": day} for kind in kinds]
    rows = await delivery.claim(session, PROMPTS, keys, now, status=status)
    return {row.kind: row.id for row in rows}


@dataclass(frozen=True)
class Claimed:
    """Delivery rows of one runner and local date taken over from a dead process."""

    runner_id: int
    local_date: date
    ids: dict[str, int]  # kind -> row id
    attempts: int


async def reclaim_expired(
    session: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """``pending`` rows whose process died before sending them, taken over and grouped by
    runner and local date (the kinds of one message settle together)."""
    groups: dict[tuple[int, date], Claimed] = {}
    for row in await delivery.reclaim_expired(session, PROMPTS, now, lease, limit):
        key = (row.runner_id, row.local_date)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Claimed(row.runner_id, row.local_date, {}, row.attempts)
        group.ids[row.kind] = row.id
    return list(groups.values())


async def deliveries_of(session: AsyncSession, runner_id: int) -> list[DeliveryRow]:
    result = await session.execute(
        select(DeliveryRow)
        .where(DeliveryRow.runner_id == runner_id)
        .order_by(DeliveryRow.local_date, DeliveryRow.kind)
    )
    return list(result.scalars())


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    result = await session.execute(
        select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
    )
    return {status: int(n) for status, n in result.tuples()}


async def overdue(session: AsyncSession, now: datetime, late: timedelta) -> int:
    """Active, unblocked runners whose prompt fell due more than ``late`` ago and has not
    been sent (a tick keeps ``next_due_at`` moving past what it sent)."""
    value = await session.scalar(
        select(func.count())
        .select_from(Runner)
        .where(
            Runner.next_due_at <= now - late,
            Runner.status.in_(SCHEDULED),
            Runner.blocked.is_(False),
        )
    )
    return int(value or 0)
