"""A runner's history in one statement: the rows progression.decide reads, in one trip.

The history is read for every decision, every /today and /plan and every prompt. Read a
table at a time it was seven statements (check-ins, mornings, reassessments, decisions, red
flags, the care team's hold and cap, the last day run), and each statement costs SQLAlchemy
and the driver far more than the database's own work (docs/performance.md). Here each table's
rows come back as one JSON array of arrays in a column of one row (``json_group_array`` on
SQLite, ``json_agg`` on PostgreSQL), and are turned back into the column types here, so a
row reads exactly as the table-at-a-time read gave it (``tests/test_clinical_storage.py``
compares them on both databases). The rows are put in order here, not by the database. On
PostgreSQL a float in JSON is exact with the server's default ``extra_float_digits`` (1,
since PostgreSQL 12); a server set to 0 or less would round it to 15 digits.

Plain SQL-level JSON is used instead of a second driver or a stored procedure: both databases
have had these functions for a decade, and the statement is built once per dialect.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, bindparam, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from storage import careteam
from storage.models import (
    CheckInRow,
    DecisionRow,
    MorningCheckRow,
    ReassessmentRow,
    RedFlagRow,
    UTCDateTime,
)

RUNNER: Any = bindparam("runner")
FIRST: Any = bindparam("first")
LAST: Any = bindparam("last")

# (model, its conditions beyond the runner, ordered by day then id (else by id))
TABLES: tuple[tuple[Any, Callable[[Any], list[ColumnElement[bool]]], bool], ...] = (
    (CheckInRow, lambda c: [c.day >= FIRST, c.day <= LAST], True),
    (MorningCheckRow, lambda c: [c.day >= FIRST, c.day <= LAST], True),
    (ReassessmentRow, lambda c: [c.day >= FIRST], True),
    (DecisionRow, lambda c: [c.day >= FIRST], False),
    (RedFlagRow, lambda c: [], False),
)


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _same(value: Any) -> Any:
    return value


def _reader(column: Any) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _datetime
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _bool
    if isinstance(kind, Float):
        return _float
    return _same  # JSON columns too: embedded as JSON, they come back decoded


def _encoded(column: Any, sqlite: bool) -> Any:
    """A column as it goes into the JSON array, so that it comes back exact."""
    if not sqlite:
        return column
    if isinstance(column.type, Float):  # JSON keeps 15 digits, printf 16 without its "!"
        return case((column.is_(None), None), else_=func.printf("%!.17g", column))
    if isinstance(column.type, JSON):  # stored as text: embedded as JSON, not as a string
        return func.json(column)
    return column


class Table:
    """One table's part of the statement, and how its JSON comes back as rows."""

    def __init__(self, model: Any, where: Callable[[Any], list[ColumnElement[bool]]], by_day: bool):
        table = model.__table__
        self.columns = list(table.c)
        self.row = namedtuple(f"{table.name}_row", [c.name for c in self.columns])  # type: ignore[misc]
        self.readers = [_reader(c) for c in self.columns]
        self.by_day = by_day
        self.where = [table.c.runner_id == RUNNER, *where(table.c)]
        self.table = table

    def aggregate(self, sqlite: bool) -> Any:
        values = [_encoded(c, sqlite) for c in self.columns]
        if sqlite:
            rows = func.json_group_array(func.json_array(*values))
        else:
            rows = func.json_agg(func.json_build_array(*values))
        return select(rows).select_from(self.table).where(*self.where).scalar_subquery()

    def rows(self, value: Any) -> list[Any]:
        raw = _json(value) or []
        readers = self.readers
        rows = [self.row(*(read(v) for read, v in zip(readers, item, strict=True))) for item in raw]
        rows.sort(key=(lambda r: (r.day, r.id)) if self.by_day else (lambda r: r.id))
        return rows


PARTS = tuple(Table(*spec) for spec in TABLES)


@cache
def statement(sqlite: bool, last_run: Any) -> Any:
    """The whole history as one row: a JSON column per table, then held (members holding
    the plan), cap (the lowest stage cap) and ``last_run`` (the caller's select of the last
    day run)."""
    return select(
        *(part.aggregate(sqlite).label(part.table.name) for part in PARTS),
        careteam.HELD.scalar_subquery().label("held"),
        careteam.LOWEST_CAP.scalar_subquery().label("cap"),
        last_run.scalar_subquery().label("last_run"),
    )


def unpack(row: Any) -> tuple[Any, ...]:
    """(check-ins, mornings, reassessments, decisions, red flags, (held, cap), last run)."""
    tables = [part.rows(value) for part, value in zip(PARTS, row[: len(PARTS)], strict=True)]
    held, cap, last_run = row[len(PARTS) :]
    controls = (bool(held), None if cap is None else int(cap))
    return (*tables, controls, last_run)
