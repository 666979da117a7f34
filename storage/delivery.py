"""The exactly-once delivery cycle, written once for what the scheduler sends: scheduled
prompts (``deliveries``, one row per (runner, kind, local date): storage/schedule.py) and
care-team messages (``care_deliveries``, one row per (member, runner, key):
storage/careteam.py). A :class:`Deliveries` names the table, its unique key and what else must
hold for a row to be sent.

A row is inserted with ``INSERT … ON CONFLICT DO NOTHING RETURNING``, so exactly one process
wins it. Life of a row::

    pending --fence--> sending --> sent | blocked | failed | uncertain
       |                  '--(definitely not delivered, retry later)--> pending
       '--(after the cut-off / nothing to say / merged)--> dropped

``pending`` rows are taken over (reclaimed) when the process holding them (``claimed_by``,
``Database.owner``) stopped beating (``process_beats``: killed, within seconds), or when
their claim is older than the lease (a row of no known process); ``sending`` rows are never
sent again (the message may have gone out), so a crash in the middle of an HTTP call can lose
that one message but never doubles it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import OWNER, conflict_insert, dialect_of, inserts_ignoring_conflicts
from storage.models import CareDeliveryRow, DeliveryRow, ProcessBeatRow

PENDING, SENDING, SENT = "pending", "sending", "sent"
# a process whose heartbeat is older than this is dead: its pending claims are taken over
STALE = timedelta(seconds=5)
DROPPED, BLOCKED, FAILED, UNCERTAIN = "dropped", "blocked", "failed", "uncertain"


@dataclass(frozen=True)
class Deliveries:
    """What is delivered: the table (its id, status, attempts, claimed_at, sent_at and
    message_id columns), the columns of its unique key, and an optional condition that must
    still hold for a row to turn ``sending`` (a care-team link that still exists)."""

    model: type[DeliveryRow] | type[CareDeliveryRow]
    key: tuple[str, ...]
    still: Callable[[], ColumnElement[bool]] | None = None

    def key_columns(self) -> list[Any]:
        return [getattr(self.model, name) for name in self.key]


# The statements of the cycle, built once for each kind of delivery (with bind parameters):
# building them for every prompt was a tenth of a paid broadcast's time, and the claim's
# multi-row INSERT could not be cached, so it was compiled for every runner.


@functools.cache
def _claims(what: Deliveries) -> dict[str, Any]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING of one row, for each database; executed
    with a list of rows (SQLAlchemy sends them as one multi-row INSERT)."""
    keys: dict[str, Any] = {name: bindparam(f"k_{name}") for name in what.key}
    return {
        dialect: statement.returning(what.model.id, *what.key_columns())
        for dialect, statement in inserts_ignoring_conflicts(
            what.model.__table__,
            list(what.key),
            **keys,
            status=bindparam("v_status"),
            attempts=0,
            claimed_at=bindparam("v_now"),
            claimed_by=bindparam("v_me"),
        ).items()
    }


@functools.cache
def _fence(what: Deliveries) -> Any:
    model = what.model
    conditions = [model.id.in_(bindparam("ids", expanding=True)), model.status == PENDING]
    if what.still is not None:
        conditions.append(what.still())
    return (
        update(model)
        .where(*conditions)
        .values(
            status=SENDING,
            attempts=model.attempts + 1,
            claimed_at=bindparam("v_now"),
            claimed_by=bindparam("v_me"),
        )
        .execution_options(synchronize_session=False)
    )


@functools.cache
def _finish(what: Deliveries, fields: tuple[str, ...]) -> Any:
    """The outcome's UPDATE, setting the status and ``fields`` (bound as ``v_<field>``)."""
    return (
        update(what.model)
        .where(what.model.id.in_(bindparam("ids", expanding=True)))
        .values(status=bindparam("v_status"), **{f: bindparam(f"v_{f}") for f in fields})
        .execution_options(synchronize_session=False)
    )


async def claim(
    session: AsyncSession,
    what: Deliveries,
    keys: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    status: str = PENDING,
) -> list[Row[Any]]:
    """Insert one row per key (a value for each key column); returns (id and key columns)
    of the rows this call created. A key somebody else holds already is simply not returned."""
    if not keys:
        return []
    me = _owner(session)
    rows = [
        {
            **{f"k_{name}": value for name, value in key.items()},
            "v_status": status,
            "v_now": now,
            "v_me": me,
        }
        for key in keys
    ]
    return list(await session.execute(_claims(what)[dialect_of(session)], rows))


async def fence(session: AsyncSession, what: Deliveries, ids: Sequence[int], now: datetime) -> bool:
    """pending → sending for all ``ids`` (the caller's right to send), while ``what.still``
    holds; False when any row is no longer pending (another process took it over) or the
    condition failed."""
    result = await session.execute(
        _fence(what), {"ids": list(ids), "v_now": now, "v_me": _owner(session)}
    )
    return int(result.rowcount) == len(ids)  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    what: Deliveries,
    ids: Sequence[int],
    status: str,
    now: datetime,
    message_id: int | None = None,
) -> None:
    """The rows' outcome: ``sent`` records when and the message id; ``pending`` (released for
    a later retry) starts the lease again."""
    values: dict[str, Any] = {"ids": list(ids), "v_status": status}
    if status == SENT:
        values.update(v_sent_at=now, v_message_id=message_id)
    if status == PENDING:
        values.update(v_claimed_at=now)
    fields = tuple(sorted(name[2:] for name in values if name not in ("ids", "v_status")))
    await session.execute(_finish(what, fields), values)


def _owner(session: AsyncSession) -> str | None:
    owner = session.info.get(OWNER)
    return str(owner) if owner else None


def _dead(model: Any, now: datetime, me: str | None) -> ColumnElement[bool]:
    """Claimed by another process that has not beaten for ``STALE`` (killed) and not
    within ``STALE`` either (a process beats before its first claim)."""
    alive = exists().where(
        ProcessBeatRow.owner == model.claimed_by, ProcessBeatRow.beat_at >= now - STALE
    )
    return and_(
        model.claimed_by.is_not(None),
        model.claimed_by != (me or ""),
        model.claimed_at < now - STALE,
        ~alive,
    )


async def reclaim_expired(
    session: AsyncSession, what: Deliveries, now: datetime, lease: timedelta, limit: int
) -> list[Row[Any]]:
    """Take over ``pending`` rows of a dead process: its heartbeat stopped (within seconds
    of a kill), or (a row with no live owner known) its claim is older than ``lease``;
    returns their id, key columns and attempts. The UPDATE re-checks the condition, so one
    process wins each row."""
    model = what.model
    me = _owner(session)
    late = model.claimed_at < now - lease
    orphan = and_(model.status == PENDING, or_(late, _dead(model, now, me)))
    candidates = (
        select(model.id).where(orphan).order_by(model.claimed_at).limit(limit).scalar_subquery()
    )
    result = await session.execute(
        update(model)
        .where(model.id.in_(candidates), orphan)
        .values(claimed_at=now, claimed_by=me)
        .returning(model.id, *what.key_columns(), model.attempts)
        .execution_options(synchronize_session=False)
    )
    return list(result)


async def orphaned(session: AsyncSession, what: Deliveries, now: datetime) -> bool:
    """Whether a dead process left ``pending`` rows of ``what`` (the heartbeat then starts a
    tick at once instead of waiting for the next)."""
    model = what.model
    me = _owner(session)
    found = await session.scalar(
        select(model.id).where(model.status == PENDING, _dead(model, now, me)).limit(1)
    )
    return found is not None


async def beat(session: AsyncSession, now: datetime) -> None:
    """This process is alive (``Database.owner``); beats older than a day are forgotten."""
    me = _owner(session)
    if me is None:
        return
    statement = (
        conflict_insert(session, ProcessBeatRow)
        .values(owner=me, beat_at=now)
        .on_conflict_do_update(index_elements=["owner"], set_={"beat_at": now})
    )
    await session.execute(statement)
    await session.execute(
        delete(ProcessBeatRow).where(ProcessBeatRow.beat_at < now - timedelta(days=1))
    )


async def expire_sending(
    session: AsyncSession, what: Deliveries, now: datetime, after: timedelta
) -> int:
    """``sending`` rows of a process that died in the middle of the HTTP call: the message
    may or may not have reached Telegram, so they are marked ``uncertain``, never resent."""
    result = await session.execute(
        update(what.model)
        .where(what.model.status == SENDING, what.model.claimed_at < now - after)
        .values(status=UNCERTAIN)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
