"""intervals.icu links (issue 29): tokens encrypted at rest with Fernet (``cryptography``,
a well-kept implementation of authenticated symmetric encryption), single-use OAuth states,
activities taken exactly once (a unique row), the workouts written on the calendar, and the
tokens of disconnected accounts until they are revoked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import conflict_insert
from storage.models import (
    SyncedActivityRow,
    SyncEventRow,
    SyncLinkRow,
    SyncRevocationRow,
    SyncStateRow,
)

STATE_TTL = timedelta(minutes=15)  # an authorize link older than this is refused


class Vault:
    """Encrypts and decrypts tokens with the operator's Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken as exc:  # another key: the link must be made again
            raise ValueError("the token cannot be decrypted with this key") from exc


@dataclass(frozen=True)
class Tokens:
    athlete_id: str
    method: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


# ---------------------------------------------------------------- OAuth states
async def new_state(session: AsyncSession, runner_id: int, now: datetime) -> str:
    """A fresh state for the runner's authorize link (older ones of theirs are spent)."""
    await session.execute(delete(SyncStateRow).where(
        (SyncStateRow.runner_id == runner_id) | (SyncStateRow.created_at < now - STATE_TTL)
    ))
    state = secrets.token_urlsafe(24)
    session.add(SyncStateRow(state=state, runner_id=runner_id, created_at=now))
    return state


async def spend_state(session: AsyncSession, state: str, now: datetime) -> int | None:
    """The runner the state was given to, once; None for an unknown, spent or old state."""
    if not state or len(state) > 64:
        return None
    row = await session.get(SyncStateRow, state, with_for_update=True)
    if row is None:
        return None
    await session.delete(row)
    return row.runner_id if now - row.created_at <= STATE_TTL else None


# ---------------------------------------------------------------- links
async def link_of(session: AsyncSession, runner_id: int) -> SyncLinkRow | None:
    return await session.get(SyncLinkRow, runner_id)


async def save_link(
    session: AsyncSession, vault: Vault, runner_id: int, tokens: Tokens, name: str, now: datetime
) -> SyncLinkRow:
    """Link (or link again) the runner's account; the calendar is written on the next poll."""
    row = await session.get(SyncLinkRow, runner_id, with_for_update=True)
    if row is None:
        row = SyncLinkRow(runner_id=runner_id, created_at=now)
        session.add(row)
    row.athlete_id = tokens.athlete_id[:32]
    row.athlete_name = name[:128]
    row.method = tokens.method
    row.access_token = vault.seal(tokens.access_token)
    row.refresh_token = vault.seal(tokens.refresh_token) if tokens.refresh_token else None
    row.expires_at = tokens.expires_at
    row.next_poll_at = now
    row.calendar_due = True
    return row


def tokens_of(vault: Vault, link: SyncLinkRow) -> Tokens:
    return Tokens(
        athlete_id=link.athlete_id,
        method=link.method,
        access_token=vault.open(link.access_token),
        refresh_token=vault.open(link.refresh_token) if link.refresh_token else None,
        expires_at=link.expires_at,
    )


async def store_refreshed(
    session: AsyncSession, vault: Vault, runner_id: int, tokens: Tokens
) -> None:
    """A refreshed token replaces the old one (nothing when the link has gone meanwhile)."""
    await session.execute(
        update(SyncLinkRow)
        .where(SyncLinkRow.runner_id == runner_id)
        .values(
            access_token=vault.seal(tokens.access_token),
            refresh_token=vault.seal(tokens.refresh_token) if tokens.refresh_token else None,
            expires_at=tokens.expires_at,
        )
    )


async def due_links(session: AsyncSession, now: datetime, limit: int = 50) -> list[SyncLinkRow]:
    """Links whose poll is due or whose calendar must be rewritten, the longest waiting
    first."""
    result = await session.execute(
        select(SyncLinkRow)
        .where((SyncLinkRow.next_poll_at <= now) | SyncLinkRow.calendar_due)
        .order_by(SyncLinkRow.next_poll_at)
        .limit(limit)
    )
    return list(result.scalars())


@dataclass(frozen=True)
class Claim:
    """What a poll of one link does this time (its row was claimed in this transaction)."""

    tokens: Tokens
    named: bool  # the athlete's name is known (a personal key is checked on first use)
    fetch: bool  # list the activities (the poll was due)
    calendar: bool  # rewrite the calendar (the plan or the day changed)


async def claim_poll(
    session: AsyncSession, vault: Vault, runner_id: int, now: datetime, today: date,
    interval: timedelta,
) -> Claim | None:
    """Take the link's poll: its row locked, the next poll moved on and the calendar flag
    cleared in this transaction, so a second process finds nothing due. None when not due."""
    link = await session.get(SyncLinkRow, runner_id, with_for_update=True)
    if link is None:
        return None
    fetch = link.next_poll_at <= now
    calendar = link.calendar_due or (fetch and link.calendar_day != today)
    if not fetch and not calendar:
        return None
    if fetch:
        link.next_poll_at = now + interval
    link.calendar_due = False
    return Claim(tokens_of(vault, link), bool(link.athlete_name), fetch, calendar)


async def polled(session: AsyncSession, runner_id: int, next_at: datetime) -> None:
    await session.execute(
        update(SyncLinkRow).where(SyncLinkRow.runner_id == runner_id).values(next_poll_at=next_at)
    )


async def calendar_due(session: AsyncSession, runner_id: int) -> None:
    """The plan changed: the calendar is rewritten on the next poll (nothing if not linked)."""
    await session.execute(
        update(SyncLinkRow).where(SyncLinkRow.runner_id == runner_id).values(calendar_due=True)
    )


async def calendar_written(session: AsyncSession, runner_id: int, day: date) -> None:
    await session.execute(
        update(SyncLinkRow)
        .where(SyncLinkRow.runner_id == runner_id)
        .values(calendar_due=False, calendar_day=day)
    )


# ---------------------------------------------------------------- activities
async def known_activities(session: AsyncSession, runner_id: int, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    result = await session.execute(
        select(SyncedActivityRow.activity_id).where(
            SyncedActivityRow.runner_id == runner_id, SyncedActivityRow.activity_id.in_(ids)
        )
    )
    return set(result.scalars())


async def claim_activity(
    session: AsyncSession, runner_id: int, activity_id: str, status: str, now: datetime
) -> bool:
    """Take an activity once: False when it was taken (by this or another process) before."""
    statement = (
        conflict_insert(session, SyncedActivityRow)
        .values(runner_id=runner_id, activity_id=activity_id[:64], status=status, created_at=now)
        .on_conflict_do_nothing(index_elements=["runner_id", "activity_id"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- calendar
async def events_of(session: AsyncSession, runner_id: int) -> dict[date, SyncEventRow]:
    result = await session.execute(select(SyncEventRow).where(SyncEventRow.runner_id == runner_id))
    return {row.day: row for row in result.scalars()}


async def event_written(
    session: AsyncSession, runner_id: int, day: date, event_id: str, fingerprint: str
) -> None:
    row = await session.get(SyncEventRow, (runner_id, day))
    if row is None:
        session.add(SyncEventRow(
            runner_id=runner_id, day=day, event_id=event_id, fingerprint=fingerprint
        ))
    else:
        row.event_id, row.fingerprint = event_id, fingerprint


async def event_removed(session: AsyncSession, runner_id: int, day: date) -> None:
    await session.execute(
        delete(SyncEventRow).where(SyncEventRow.runner_id == runner_id, SyncEventRow.day == day)
    )


# ---------------------------------------------------------------- disconnecting
async def disconnect(session: AsyncSession, runner_id: int, today: date) -> bool:
    """Unlink the runner's account: the link, its states and calendar rows go; the access
    token (still encrypted) and the ids of workouts from today on wait, with no runner, for
    the poller to remove those workouts and revoke the token. False when not linked."""
    link = await session.get(SyncLinkRow, runner_id, with_for_update=True)
    await session.execute(delete(SyncStateRow).where(SyncStateRow.runner_id == runner_id))
    if link is None:
        return False
    events = await events_of(session, runner_id)
    session.add(SyncRevocationRow(
        athlete_id=link.athlete_id,
        method=link.method,
        access_token=link.access_token,
        event_ids=[row.event_id for day, row in sorted(events.items()) if day >= today],
    ))
    await session.execute(delete(SyncEventRow).where(SyncEventRow.runner_id == runner_id))
    await session.delete(link)
    return True


async def revocations(session: AsyncSession, limit: int = 20) -> list[SyncRevocationRow]:
    result = await session.execute(
        select(SyncRevocationRow).order_by(SyncRevocationRow.id).limit(limit)
    )
    return list(result.scalars())


async def revoked(session: AsyncSession, revocation_id: int) -> None:
    await session.execute(delete(SyncRevocationRow).where(SyncRevocationRow.id == revocation_id))
