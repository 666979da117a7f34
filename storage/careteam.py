"""The care team's queries: invitations, links (who follows whom, with a member's hold and
stage cap), alert events and the exactly-once deliveries of alerts and weekly summaries.

Every read a care-team member makes goes through :func:`link` (member, runner): a member
sees a runner only while a link the runner made by inviting them exists.

Deliveries go through the delivery cycle of ``storage/delivery.py``, as prompts do
(:data:`CARE`): one ``care_deliveries`` row per (member, runner, key) is inserted with
``INSERT … ON CONFLICT DO NOTHING RETURNING``, so exactly one process wins it; the row turns
``sending`` right before the request is written (only while the link still exists: a revoked
member gets nothing more), then ``sent``/``blocked``/``failed``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import delivery
from storage.db import conflict_insert
from storage.delivery import PENDING
from storage.models import (
    CareDeliveryRow,
    CareEventRow,
    CareInviteRow,
    CareLinkRow,
    RedFlagRow,
    Runner,
)
from storage.schedule import local_reminder, zone_of

INVITE_DAYS = 7
TOKEN_BYTES = 24  # 32 URL-safe characters: a deep link's payload allows [A-Za-z0-9_-]{1,64}
MONDAY = 0


# --------------------------------------------------------------------------- invitations


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    return 0 < len(token) <= 64 and token.isascii() and all(c.isalnum() or c in "-_" for c in token)


async def create_invite(
    session: AsyncSession, runner_id: int, inviter_name: str, now: datetime
) -> str:
    """A fresh random token (returned once, never stored: only its hash is)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        CareInviteRow(
            runner_id=runner_id,
            token_hash=token_hash(token),
            inviter_name=inviter_name[:128],
            created_at=now,
            expires_at=now + timedelta(days=INVITE_DAYS),
        )
    )
    return token


async def open_invite(session: AsyncSession, token: str, now: datetime) -> CareInviteRow | None:
    """The invitation this token opens: unspent and unexpired; None for anything else."""
    if not well_formed(token):
        return None
    result = await session.execute(
        select(CareInviteRow).where(
            CareInviteRow.token_hash == token_hash(token),
            CareInviteRow.spent_at.is_(None),
            CareInviteRow.expires_at > now,
        )
    )
    return result.scalar_one_or_none()


async def spend_invite(session: AsyncSession, token: str, now: datetime) -> CareInviteRow | None:
    """Spend the invitation (accepted or declined): True once, for the first caller only."""
    invite = await open_invite(session, token, now)
    if invite is None:
        return None
    result = await session.execute(
        update(CareInviteRow)
        .where(CareInviteRow.id == invite.id, CareInviteRow.spent_at.is_(None))
        .values(spent_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return invite


# --------------------------------------------------------------------------- links


def next_monday(member: Runner, now: datetime) -> datetime:
    """The member's next local Monday at their reminder time (today's if still ahead)."""
    zone = zone_of(member)
    today = now.astimezone(zone).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() == MONDAY:
            at = local_reminder(zone, day, member.reminder_minute)
            if at > now:
                return at
    return local_reminder(zone, today + timedelta(days=7 - today.weekday()), 8 * 60)


async def add_link(
    session: AsyncSession,
    runner_id: int,
    member: Runner,
    runner_name: str,
    member_name: str,
    now: datetime,
) -> bool:
    """Link a member to a runner; False when they were linked already."""
    statement = (
        conflict_insert(session, CareLinkRow)
        .values(
            runner_id=runner_id,
            member_id=member.id,
            runner_name=runner_name[:128],
            member_name=member_name[:128],
            next_summary_at=next_monday(member, now),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["runner_id", "member_id"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def link(session: AsyncSession, member_id: int, runner_id: int) -> CareLinkRow | None:
    """The link that lets ``member_id`` see ``runner_id``; None when there is none (a runner
    who did not invite them, or who revoked them)."""
    result = await session.execute(
        select(CareLinkRow).where(
            CareLinkRow.member_id == member_id, CareLinkRow.runner_id == runner_id
        )
    )
    return result.scalar_one_or_none()


async def links_of_runner(session: AsyncSession, runner_id: int) -> list[CareLinkRow]:
    result = await session.execute(
        select(CareLinkRow).where(CareLinkRow.runner_id == runner_id).order_by(CareLinkRow.id)
    )
    return list(result.scalars())


async def links_of_member(session: AsyncSession, member_id: int) -> list[CareLinkRow]:
    result = await session.execute(
        select(CareLinkRow).where(CareLinkRow.member_id == member_id).order_by(CareLinkRow.id)
    )
    return list(result.scalars())


_ANY_MEMBER = select(CareLinkRow.id).where(CareLinkRow.runner_id == bindparam("runner")).limit(1)


async def has_members(session: AsyncSession, runner_id: int) -> bool:
    result = await session.execute(_ANY_MEMBER, {"runner": runner_id})
    return result.first() is not None


async def revoke(session: AsyncSession, runner_id: int, link_id: int) -> CareLinkRow | None:
    """Remove one of the runner's members (at once); None when it is not the runner's link."""
    result = await session.execute(
        select(CareLinkRow).where(CareLinkRow.id == link_id, CareLinkRow.runner_id == runner_id)
    )
    row = result.scalar_one_or_none()
    if row is None:
        return None
    await session.execute(delete(CareLinkRow).where(CareLinkRow.id == row.id))
    await session.execute(
        delete(CareDeliveryRow).where(
            CareDeliveryRow.member_id == row.member_id,
            CareDeliveryRow.runner_id == runner_id,
            CareDeliveryRow.status == PENDING,
        )
    )
    return row


async def remove_all(session: AsyncSession, runner_id: int) -> list[CareLinkRow]:
    """Every care-team row of a runner, as runner and as member (for /delete); returns the
    links that existed, so the other side can be told."""
    result = await session.execute(
        select(CareLinkRow).where(
            or_(CareLinkRow.runner_id == runner_id, CareLinkRow.member_id == runner_id)
        )
    )
    rows = list(result.scalars())
    for row in rows:
        session.expunge(row)
    await session.execute(
        delete(CareLinkRow).where(
            or_(CareLinkRow.runner_id == runner_id, CareLinkRow.member_id == runner_id)
        )
    )
    await session.execute(
        delete(CareDeliveryRow).where(
            or_(CareDeliveryRow.runner_id == runner_id, CareDeliveryRow.member_id == runner_id)
        )
    )
    await session.execute(delete(CareInviteRow).where(CareInviteRow.runner_id == runner_id))
    await session.execute(delete(CareEventRow).where(CareEventRow.runner_id == runner_id))
    return rows


# read with every decision (built once: building costs SQLAlchemy as much as running it);
# the history's one statement (storage/history_read.py) reads them too
_OF_RUNNER = CareLinkRow.runner_id == bindparam("runner")
HELD = select(func.count(CareLinkRow.hold_since)).where(_OF_RUNNER)  # members holding it
LOWEST_CAP = select(func.min(CareLinkRow.stage_cap)).where(_OF_RUNNER)
_CONTROLS = select(HELD.scalar_subquery(), LOWEST_CAP.scalar_subquery())


async def controls(session: AsyncSession, runner_id: int) -> tuple[bool, int | None]:
    """(held by any member, the lowest stage cap) for progression's History."""
    held, cap = (await session.execute(_CONTROLS, {"runner": runner_id})).one()
    return bool(held), (None if cap is None else int(cap))


# --------------------------------------------------------------------------- alert events


async def add_event(
    session: AsyncSession, runner_id: int, kind: str, day: date, detail: dict[str, Any]
) -> None:
    """Queue an alert for the runner's care team (once per kind, day and referral episode:
    a referral after a clearance on the same day is alerted again); nothing when the runner
    has no care team."""
    if not await has_members(session, runner_id):
        return
    episode = await session.scalar(
        select(func.count())
        .select_from(RedFlagRow)
        .where(RedFlagRow.runner_id == runner_id, RedFlagRow.cleared_to_stage.is_not(None))
    )
    await session.execute(
        conflict_insert(session, CareEventRow)
        .values(
            runner_id=runner_id,
            kind=kind,
            day=day,
            detail=detail,
            fanned_out=False,
            episode=int(episode or 0),
        )
        .on_conflict_do_nothing(index_elements=["runner_id", "kind", "day", "episode"])
    )


async def take_events(session: AsyncSession, limit: int) -> list[CareEventRow]:
    """Events not fanned out yet, taken by this transaction (one process wins each)."""
    candidates = (
        select(CareEventRow.id)
        .where(CareEventRow.fanned_out.is_(False))
        .order_by(CareEventRow.id)
        .limit(limit)
    )
    ids = [int(i) for (i,) in await session.execute(candidates)]
    if not ids:
        return []
    result = await session.execute(
        update(CareEventRow)
        .where(CareEventRow.id.in_(ids), CareEventRow.fanned_out.is_(False))
        .values(fanned_out=True)
        .returning(CareEventRow.id)
        .execution_options(synchronize_session=False)
    )
    taken = [int(i) for (i,) in result]
    if not taken:
        return []
    rows = await session.execute(
        select(CareEventRow).where(CareEventRow.id.in_(taken)).order_by(CareEventRow.id)
    )
    return list(rows.scalars())


# --------------------------------------------------------------------------- deliveries


def _linked() -> ColumnElement[bool]:
    """The member still follows the runner: a care message is sent only while it holds."""
    return exists().where(
        CareLinkRow.member_id == CareDeliveryRow.member_id,
        CareLinkRow.runner_id == CareDeliveryRow.runner_id,
    )


CARE = delivery.Deliveries(CareDeliveryRow, ("member_id", "runner_id", "key"), still=_linked)


async def claim(
    session: AsyncSession,
    member_id: int,
    runner_id: int,
    key: str,
    now: datetime,
    *,
    status: str = PENDING,
) -> int | None:
    """The new delivery row's id, or None when somebody holds (member, runner, key)."""
    keys = [{"member_id": member_id, "runner_id": runner_id, "key": key}]
    rows = await delivery.claim(session, CARE, keys, now, status=status)
    return int(rows[0].id) if rows else None


@dataclass(frozen=True)
class Claimed:
    id: int
    member_id: int
    runner_id: int
    key: str
    attempts: int


async def reclaim_expired(
    session: AsyncSession, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Take over ``pending`` rows whose process died before sending them."""
    rows = await delivery.reclaim_expired(session, CARE, now, lease, limit)
    return [Claimed(r.id, r.member_id, r.runner_id, r.key, r.attempts) for r in rows]


async def due_summaries(session: AsyncSession, now: datetime, limit: int) -> list[CareLinkRow]:
    """Links whose member's Monday morning has come (``next_summary_at`` passed)."""
    result = await session.execute(
        select(CareLinkRow)
        .where(CareLinkRow.next_summary_at <= now)
        .order_by(CareLinkRow.next_summary_at, CareLinkRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result.scalars())


async def next_summary_after(session: AsyncSession, after: datetime) -> datetime | None:
    """The earliest Monday summary still ahead of ``after`` (see ``schedule.next_due_after``)."""
    value: datetime | None = await session.scalar(
        select(func.min(CareLinkRow.next_summary_at)).where(CareLinkRow.next_summary_at > after)
    )
    return value


async def reschedule_member(session: AsyncSession, member: Runner, now: datetime) -> None:
    """The member's time zone or reminder time changed: move their Mondays."""
    await session.execute(
        update(CareLinkRow)
        .where(CareLinkRow.member_id == member.id)
        .values(next_summary_at=next_monday(member, now))
        .execution_options(synchronize_session=False)
    )
