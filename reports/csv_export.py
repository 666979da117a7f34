"""Every check-in as a CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from reports.measures import is_skipped
from storage.models import CheckInRow

CSV_EXCLUDED = ("id", "runner_id")
CSV_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in CheckInRow.__table__.columns if c.name not in CSV_EXCLUDED
)
# What a skipped session did not measure: empty in the CSV, never 0.
CSV_NOT_MEASURED_WHEN_SKIPPED = frozenset(
    {"pain_during", "pain_after", "rpe", "stiffness", "swelling", "sharp_or_limp", "mood"}
)
# OWASP CSV injection: a text cell starting with one of these is run as a formula by
# spreadsheets. Such a cell (and one starting with the quote itself, so the rule can be
# undone exactly) gets a leading apostrophe. docs/report.md says how to restore the text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restore(cell: str) -> str:
    """The exact text of a neutralised cell (what docs/report.md tells a reader to do)."""
    return cell[1:] if cell.startswith("'") else cell


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def checkins_csv(checkins: Iterable[CheckInRow]) -> bytes:
    """Every check-in, one row each: machine-readable English column names (the table's
    own), ISO dates, booleans as true/false; a skipped session has outcome "skipped" and no
    pain, effort or symptoms (empty cells, not 0). Text cells are neutralised against
    formula injection. UTF-8 with a byte-order mark so spreadsheets open Cyrillic text
    correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in checkins:
        writer.writerow(
            [
                ""
                if is_skipped(row) and name in CSV_NOT_MEASURED_WHEN_SKIPPED
                else _csv_value(getattr(row, name))
                for name in CSV_COLUMNS
            ]
        )
    return buf.getvalue().encode("utf-8-sig")
