"""Received updates (stored before they are confirmed to Telegram) and the reply outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_of, inserts_ignoring_conflicts
from storage.models import ConversationRow, OutboxRow, ReceivedUpdateRow, utcnow

QUESTION_METHODS = ("send", "edit_text")  # the replies that ask a question (with a version)

# Statements run for every update or reply are built once (with bind parameters): building
# one costs SQLAlchemy as much as running it. DML built once runs with
# synchronize_session=False: the sessions that run them hold none of the rows they change.
_RECEIVE = inserts_ignoring_conflicts(
    ReceivedUpdateRow.__table__,
    ["bot_id", "update_id"],
    bot_id=bindparam("bot"),
    update_id=bindparam("uid"),
    chat_id=bindparam("chat"),
    payload=bindparam("data"),
    received_at=bindparam("at"),
)
_FORGET = (
    delete(ReceivedUpdateRow)
    .where(
        ReceivedUpdateRow.bot_id == bindparam("bot"),
        ReceivedUpdateRow.update_id.in_(bindparam("ids", expanding=True)),
    )
    .execution_options(synchronize_session=False)
)
_RECORD_QUESTION = (
    update(ConversationRow)
    .where(
        ConversationRow.runner_id == bindparam("runner"),
        ConversationRow.version == bindparam("at_version"),
    )
    .values(question_message_id=bindparam("message"))
    .execution_options(synchronize_session=False)
)
_FORGET_SENT = (
    delete(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("ids", expanding=True)))
    .execution_options(synchronize_session=False)
)
_TRIED = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("ids", expanding=True)), OutboxRow.status == "pending")
    .values(attempts=OutboxRow.attempts + 1)
    .returning(OutboxRow.id)
    .execution_options(synchronize_session=False)
)
_UNTRIED = (
    select(OutboxRow.id)
    .where(
        OutboxRow.runner_id == bindparam("runner"),
        OutboxRow.status == "pending",
        OutboxRow.method.in_(QUESTION_METHODS),
        OutboxRow.question_version == bindparam("version"),
        OutboxRow.attempts == 0,
    )
    .order_by(OutboxRow.id)
)

# ---------------------------------------------------------------- received updates


async def record_received(
    session: AsyncSession, bot_id: int, updates: Sequence[tuple[int, int | None, dict[str, Any]]]
) -> None:
    """Store fetched updates (update_id, chat_id, payload); an update stored before is kept."""
    if not updates:
        return
    now = utcnow()
    await session.execute(
        _RECEIVE[dialect_of(session)],
        [
            {"bot": bot_id, "uid": update_id, "chat": chat_id, "data": payload, "at": now}
            for update_id, chat_id, payload in updates
        ],
    )


async def forget_received(session: AsyncSession, bot_id: int, update_ids: Iterable[int]) -> None:
    ids = list(update_ids)
    if ids:
        await session.execute(_FORGET, {"bot": bot_id, "ids": ids})


async def unhandled(
    session: AsyncSession, bot_id: int, received_before: datetime | None = None, limit: int = 500
) -> list[tuple[int, dict[str, Any]]]:
    """Stored updates not handled yet, oldest first: (update_id, payload)."""
    query = select(ReceivedUpdateRow.update_id, ReceivedUpdateRow.payload).where(
        ReceivedUpdateRow.bot_id == bot_id
    )
    if received_before is not None:
        query = query.where(ReceivedUpdateRow.received_at < received_before)
    rows = await session.execute(query.order_by(ReceivedUpdateRow.update_id).limit(limit))
    return [(int(update_id), dict(payload)) for update_id, payload in rows]


async def last_received(session: AsyncSession, bot_id: int) -> int | None:
    value = await session.scalar(
        select(func.max(ReceivedUpdateRow.update_id)).where(ReceivedUpdateRow.bot_id == bot_id)
    )
    return None if value is None else int(value)


# ---------------------------------------------------------------- the outbox


def add_reply(
    session: AsyncSession,
    *,
    runner_id: int | None,
    bot_id: int,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    question_version: int | None = None,
    owner: str | None = None,
    lease: timedelta = timedelta(seconds=10),
) -> OutboxRow:
    """Queue one reply in the caller's transaction (sent once it commits), claimed by
    ``owner`` (the process that will send it) for ``lease``."""
    row = OutboxRow(
        claimed_by=owner,
        claimed_until=utcnow() + lease if owner else None,
        runner_id=runner_id,
        bot_id=bot_id,
        chat_id=chat_id,
        method=method,
        payload=payload,
        question_version=question_version,
        status="pending",
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def _free_for(owner: str, now: datetime) -> Any:
    return or_(
        OutboxRow.claimed_by == owner,
        OutboxRow.claimed_until.is_(None),
        OutboxRow.claimed_until < now,
    )


async def claim_pending(
    session: AsyncSession,
    bot_id: int,
    chat_id: int,
    owner: str,
    lease: timedelta = timedelta(seconds=10),
    limit: int = 50,
) -> list[OutboxRow]:
    """The chat's pending replies that no other live process holds, oldest first, claimed
    for ``owner`` (renewed when they are its own already)."""
    now = utcnow()
    free = (
        select(OutboxRow.id)
        .where(
            OutboxRow.status == "pending",
            OutboxRow.bot_id == bot_id,
            OutboxRow.chat_id == chat_id,
            _free_for(owner, now),
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    ids = [int(i) for (i,) in await session.execute(free)]
    if not ids:
        return []
    # Conditional, so of two processes racing for a row only one gets it (PostgreSQL
    # re-checks the condition on the locked row).
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), _free_for(owner, now))
        .values(claimed_by=owner, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        select(OutboxRow)
        .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == owner)
        .order_by(OutboxRow.id)
    )
    return list(result.scalars())


async def chats_with_pending(
    session: AsyncSession, bot_id: int, owner: str, limit: int = 1000
) -> list[int]:
    """Chats with pending replies no live process holds (a crash left them, or an outage)."""
    now = utcnow()
    query = select(OutboxRow.chat_id).where(
        OutboxRow.status == "pending",
        OutboxRow.bot_id == bot_id,
        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
    )
    rows = await session.execute(query.group_by(OutboxRow.chat_id).limit(limit))
    return [int(chat_id) for (chat_id,) in rows]


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[OutboxRow, int | None]]) -> None:
    """These replies reached Telegram: forget them. A question's message id goes to the
    conversation, when the conversation is still at that question."""
    for row, message_id in sent:
        if row.question_version is not None and row.runner_id is not None and message_id:
            await record_question(session, row.runner_id, row.question_version, message_id)
    ids = sorted({row.id for row, _ in sent})
    if ids:
        await session.execute(_FORGET_SENT, {"ids": ids})


async def record_question(
    session: AsyncSession, runner_id: int, version: int, message_id: int
) -> None:
    """The message that carries the conversation's question at ``version`` (a reply, or a
    scheduled message that opened the conversation): its buttons are the live ones."""
    await session.execute(
        _RECORD_QUESTION, {"runner": runner_id, "at_version": version, "message": message_id}
    )


async def answered_questions(session: AsyncSession, rows: Sequence[OutboxRow]) -> list[int]:
    """Questions (new messages or edits) the conversation has moved past (a process died
    before recording one, and the runner answered it since): ids to drop, so the living
    message never goes back to an older question and no answered question comes again."""
    edits = [
        row
        for row in rows
        if row.method in QUESTION_METHODS and row.question_version is not None and row.runner_id
    ]
    if not edits:
        return []
    result = await session.execute(
        select(ConversationRow.runner_id, ConversationRow.version).where(
            ConversationRow.runner_id.in_({row.runner_id for row in edits})
        )
    )
    versions = {int(runner_id): int(version or 0) for runner_id, version in result}
    return [
        row.id
        for row in edits
        if row.runner_id in versions and versions[row.runner_id] != row.question_version
    ]


async def still_asked(session: AsyncSession, row: OutboxRow) -> bool:
    """Whether the conversation is still at the question this reply asks; its row stays
    locked until the caller's transaction ends (PostgreSQL), so no answer moves it on while
    the question is on its way."""
    version = await session.scalar(
        select(ConversationRow.version)
        .where(ConversationRow.runner_id == row.runner_id)
        .with_for_update()
    )
    return version is None or int(version) == row.question_version


async def drop_reply(session: AsyncSession, row_id: int) -> None:
    """Telegram refused the reply for good (or the runner blocked the bot)."""
    await session.execute(delete(OutboxRow).where(OutboxRow.id == row_id))


async def drop_chat(session: AsyncSession, bot_id: int, chat_id: int) -> int:
    result = await session.execute(
        delete(OutboxRow).where(OutboxRow.bot_id == bot_id, OutboxRow.chat_id == chat_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def undelivered(session: AsyncSession, runner_id: int) -> int:
    """How many replies to this runner have not reached Telegram yet."""
    value = await session.scalar(
        select(func.count())
        .select_from(OutboxRow)
        .where(OutboxRow.runner_id == runner_id, OutboxRow.status == "pending")
    )
    return int(value or 0)


async def mark_tried_many(session: AsyncSession, row_ids: Sequence[int]) -> set[int]:
    """Right before their requests: these replies' sends are attempted (``attempts`` counts
    the requests), so from now on the runner may have seen them. Returns the ids still
    pending, now tried; a row that is gone (an answer superseded a question nobody had tried
    to send) is not sent."""
    if not row_ids:
        return set()
    result = await session.execute(_TRIED, {"ids": sorted(set(row_ids))})
    return set(result.scalars())


async def untried_questions(session: AsyncSession, runner_id: int, version: int) -> list[int]:
    """The conversation's current question (at ``version``) waiting in the outbox with no
    attempt to send it yet: the runner cannot have seen it. Ids, oldest first."""
    rows = await session.execute(_UNTRIED, {"runner": runner_id, "version": version})
    return [int(i) for (i,) in rows]


async def drop_replies(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(OutboxRow).where(OutboxRow.id.in_(list(ids))))


async def pending_for_chat(session: AsyncSession, bot_id: int, chat_id: int) -> int:
    """How many replies to this chat wait in the outbox (sent rows are deleted)."""
    value = await session.scalar(
        select(func.count())
        .select_from(OutboxRow)
        .where(OutboxRow.bot_id == bot_id, OutboxRow.chat_id == chat_id)
    )
    return int(value or 0)


async def backlog(session: AsyncSession) -> tuple[int, float]:
    """Replies waiting to be sent (every bot, every process) and the age of the oldest, in
    seconds (0 when none wait)."""
    row = (
        await session.execute(
            select(func.count(), func.min(OutboxRow.created_at)).where(
                OutboxRow.status == "pending"
            )
        )
    ).one()
    count, oldest = int(row[0] or 0), row[1]
    if oldest is None:
        return count, 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=utcnow().tzinfo)
    return count, max(0.0, (utcnow() - oldest).total_seconds())
