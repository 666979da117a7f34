"""What the plan said each day (issue 22), as last shown to the runner: /history tells a
missed session from a rest day with it, and the care team counts the sessions planned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlanDayRow

PlannedDay = tuple[date, str, bool, int, int, int]  # day, kind, session, minutes, running, level

# built once (saved with every /today and /plan): building costs as much as running
_DAYS = select(PlanDayRow).where(
    PlanDayRow.runner_id == bindparam("runner"),
    PlanDayRow.day.in_(bindparam("days", expanding=True)),
)


async def save_plan(
    session: AsyncSession, runner_id: int, today: date, days: Sequence[PlannedDay]
) -> None:
    """Record what the plan says from ``today`` on (rows that did not change are left
    alone; days before today keep what they said then)."""
    if not days:
        return
    wanted = {d[0]: d for d in days if d[0] >= today}
    result = await session.execute(_DAYS, {"runner": runner_id, "days": list(wanted)})
    for row in result.scalars():
        day, kind, is_session, total, running, level = wanted.pop(row.day)
        row.kind, row.session, row.total_minutes = kind, is_session, total
        row.running_minutes, row.level = running, level
    for day, kind, is_session, total, running, level in wanted.values():
        session.add(
            PlanDayRow(
                runner_id=runner_id,
                day=day,
                kind=kind,
                session=is_session,
                total_minutes=total,
                running_minutes=running,
                level=level,
            )
        )

