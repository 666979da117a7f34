"""Queries behind /progress, /history, /export and /delete.

These read a runner's records as plain rows (no progression types), so the reports do not
depend on how the progression core converts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import runners
from storage.models import (
    CheckInRow,
    DecisionRow,
    MorningCheckRow,
    PlanDayRow,
    ReassessmentRow,
    RedFlagRow,
)

Row = TypeVar("Row", CheckInRow, MorningCheckRow, ReassessmentRow, RedFlagRow, DecisionRow)


@dataclass
class Records:
    """Everything a runner recorded, oldest first."""

    checkins: list[CheckInRow] = field(default_factory=list)
    mornings: list[MorningCheckRow] = field(default_factory=list)
    reassessments: list[ReassessmentRow] = field(default_factory=list)
    red_flags: list[RedFlagRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    plan: list[PlanDayRow] = field(default_factory=list)  # what the plan said for each day


async def _rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    return list((await session.execute(query)).scalars())


def _for_runner(model: type[Row], runner_id: int, first: date | None) -> Select[Any]:
    query = select(model).where(model.runner_id == runner_id)
    if first is not None:
        query = query.where(model.day >= first)
    return query.order_by(model.day, model.id)


async def first_checkin_day(session: AsyncSession, runner_id: int) -> date | None:
    result = await session.execute(
        select(CheckInRow.day)
        .where(CheckInRow.runner_id == runner_id)
        .order_by(CheckInRow.day)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def load_records(session: AsyncSession, runner_id: int, first: date | None = None) -> Records:
    """The runner's check-ins, morning checks and reassessments since ``first`` (all when None);
    red flags and decisions are always read in full (the stage timeline needs every one)."""
    return Records(
        checkins=await _rows(session, _for_runner(CheckInRow, runner_id, first)),
        mornings=await _rows(session, _for_runner(MorningCheckRow, runner_id, first)),
        reassessments=await _rows(session, _for_runner(ReassessmentRow, runner_id, first)),
        red_flags=await _rows(session, _for_runner(RedFlagRow, runner_id, None)),
        decisions=await _rows(
            session,
            select(DecisionRow)
            .where(DecisionRow.runner_id == runner_id)
            .order_by(DecisionRow.day, DecisionRow.id),
        ),
        plan=await _rows(
            session,
            select(PlanDayRow)
            .where(PlanDayRow.runner_id == runner_id, *([PlanDayRow.day >= first] if first else []))
            .order_by(PlanDayRow.day),
        ),
    )


async def forget_runner(session: AsyncSession, runner_id: int) -> None:
    """Delete every row about the runner, in every table, within the caller's transaction.

    Anything still pending in the session is flushed first (so it is deleted too), and every
    object is detached afterwards so that nothing about the runner is written back at commit.
    """
    await session.flush()
    await runners.delete_runner(session, runner_id)
    session.expunge_all()
