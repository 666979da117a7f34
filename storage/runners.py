"""Queries about runners, their conversation state and the updates already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_of, inserts_ignoring_conflicts
from storage.models import (
    Base,
    ConversationRow,
    InboxRow,
    Runner,
    utcnow,
)

# the columns that name a runner: every row with one of them is about that runner
# (member_id: a care-team member following another runner)
RUNNER_COLUMNS = ("runner_id", "member_id")


# Statements run for every update are built once (with bind parameters): building one
# costs SQLAlchemy as much as running it (docs/performance.md).
_RUNNER_BY_USER = select(Runner).where(Runner.telegram_user_id == bindparam("user"))
_CONVERSATION = (
    select(ConversationRow)
    .where(ConversationRow.runner_id == bindparam("runner"))
    .with_for_update()
)
_REMEMBER = inserts_ignoring_conflicts(
    InboxRow.__table__,
    ["runner_id", "key"],
    runner_id=bindparam("runner"),
    key=bindparam("key"),
    created_at=bindparam("at"),
)


async def get_runner(session: AsyncSession, telegram_user_id: int) -> Runner | None:
    result = await session.execute(_RUNNER_BY_USER, {"user": telegram_user_id})
    return result.scalar_one_or_none()


async def anyone(session: AsyncSession) -> bool:
    """Whether anybody has talked to the bot yet (the playground sets its start time only
    before)."""
    return await session.scalar(select(Runner.id).limit(1)) is not None


async def get_or_create_runner(
    session: AsyncSession, telegram_user_id: int, chat_id: int, telegram_language: str | None
) -> Runner:
    """The runner for this Telegram user, created on first contact (one row per user, always)."""
    runner = await get_runner(session, telegram_user_id)
    if runner is None:
        try:
            async with session.begin_nested():
                runner = Runner(
                    telegram_user_id=telegram_user_id,
                    chat_id=chat_id,
                    telegram_language=telegram_language,
                    status="new",
                )
                session.add(runner)
        except IntegrityError:  # another process created it a moment ago
            runner = await get_runner(session, telegram_user_id)
            assert runner is not None
    else:
        if runner.chat_id != chat_id:
            runner.chat_id = chat_id
        if telegram_language and runner.telegram_language != telegram_language:
            runner.telegram_language = telegram_language
    return runner


async def set_blocked(session: AsyncSession, telegram_user_id: int, blocked: bool) -> bool:
    result = await session.execute(
        update(Runner)
        .where(Runner.telegram_user_id == telegram_user_id)
        .values(blocked=blocked, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def remember_update(session: AsyncSession, runner_id: int, key: str) -> bool:
    """Record that an update was handled; False when it had been handled already."""
    result = await session.execute(
        _REMEMBER[dialect_of(session)], {"runner": runner_id, "key": key, "at": utcnow()}
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def issue_token(session: AsyncSession, runner_id: int, purpose: str) -> str:
    """A single-use server-side token (kept as an inbox row, so it is pruned like one): a
    confirmation button carries it, and only a button the runner was shown can confirm."""
    import secrets

    nonce = secrets.token_hex(8)
    session.add(InboxRow(runner_id=runner_id, key=f"{purpose}:{nonce}", created_at=utcnow()))
    return nonce


async def spend_token(session: AsyncSession, runner_id: int, purpose: str, nonce: str) -> bool:
    """True once for a token :func:`issue_token` gave this runner; False for any other."""
    if not nonce.isascii() or not nonce.isalnum() or len(nonce) > 32:
        return False
    result = await session.execute(
        delete(InboxRow).where(
            InboxRow.runner_id == runner_id, InboxRow.key == f"{purpose}:{nonce}"
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def prune_inbox(session: AsyncSession, older_than: datetime) -> None:
    await session.execute(delete(InboxRow).where(InboxRow.created_at < older_than))


async def lock(session: AsyncSession, runner: Runner) -> None:
    """Take the runner's row lock and read their state as it is now (what this transaction
    changed is written first): a clearance, the runner's own or a care-team member's, checks
    the referral and closes it under this lock, so two never both find it open (PostgreSQL;
    SQLite has one writer at a time)."""
    await session.flush()
    await session.refresh(runner, with_for_update=True)


async def load_conversation(session: AsyncSession, runner_id: int) -> ConversationRow:
    """The chat's conversation row, locked for this transaction where the database can lock."""
    result = await session.execute(_CONVERSATION, {"runner": runner_id})
    row = result.scalar_one_or_none()
    if row is None:
        try:
            async with session.begin_nested():
                row = ConversationRow(runner_id=runner_id, name="", step="", answers={}, version=0)
                session.add(row)
        except IntegrityError:
            result = await session.execute(_CONVERSATION, {"runner": runner_id})
            row = result.scalar_one()
    return row


def save_conversation(row: ConversationRow, name: str, step: str, answers: dict[str, Any]) -> None:
    """Move the conversation on; the version makes every older button stale."""
    row.name = name
    row.step = step
    row.answers = dict(answers)
    row.version = (row.version or 0) + 1


async def delete_runner(session: AsyncSession, runner_id: int) -> None:
    """Remove every row about the runner, in every table."""
    for table in reversed(Base.metadata.sorted_tables):
        for name in RUNNER_COLUMNS:
            if name in table.c:
                await session.execute(delete(table).where(table.c[name] == runner_id))
    await session.execute(delete(Runner).where(Runner.id == runner_id))
    session.info.setdefault("deleted_runners", set()).add(runner_id)


def was_deleted(session: AsyncSession, runner_id: int) -> bool:
    """True when :func:`delete_runner` removed the runner in this transaction."""
    return runner_id in session.info.get("deleted_runners", ())


async def count_rows_for(session: AsyncSession, runner_id: int) -> dict[str, int]:
    """How many rows each table holds about a runner (the deletion check reads this)."""
    from sqlalchemy import func, or_

    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "runners":
            columns = [table.c.id]
        else:
            columns = [table.c[name] for name in RUNNER_COLUMNS if name in table.c]
        if not columns:
            continue
        counts[table.name] = int(
            (
                await session.execute(
                    select(func.count()).where(or_(*(c == runner_id for c in columns)))
                )
            ).scalar_one()
        )
    return counts
