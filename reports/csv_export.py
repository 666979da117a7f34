"""Every check-in as a CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from locales import N_, Translator
from reports.labels import OUTCOMES, SWELLING, label
from reports.measures import is_skipped
from storage.models import CheckInRow

CSV_EXCLUDED = ("id", "runner_id")
CSV_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in CheckInRow.__table__.columns if c.name not in CSV_EXCLUDED
)
# The header row, in the runner's language (the columns keep the table's order).
HEADERS = {
    "day": N_("Date"),
    "outcome": N_("Session"),
    "minutes": N_("Minutes"),
    "pain_during": N_("Pain during (0-10)"),
    "pain_after": N_("Pain after (0-10)"),
    "sharp_or_limp": N_("Sharp pain or limp"),
    "stiffness": N_("Stiffness (0-10)"),
    "swelling": N_("Swelling"),
    "rpe": N_("Effort (0-10)"),
    "mood": N_("Mood (1-5)"),
    "sleep_hours": N_("Sleep (hours)"),
    "note": N_("Note"),
    "level": N_("Level"),
    "running_minutes": N_("Running minutes"),
    "measured_minutes": N_("Minutes measured by a watch"),
    "distance_m": N_("Distance (m)"),
    "cadence_spm": N_("Cadence (steps a minute)"),
    "avg_hr": N_("Heart rate (average)"),
    "created_at": N_("Recorded at (UTC)"),
}
# Coded values said in words (the same words as the report's).
WORDS = {"outcome": OUTCOMES, "swelling": SWELLING}
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


def _csv_value(value: Any, tr: Translator | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        if tr is not None:
            return tr.gettext("Yes") if value else tr.gettext("No")
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def not_asked(row: CheckInRow, name: str) -> bool:
    """A question the check-in did not ask: nothing of a skipped session, and sharp pain or a
    limp when nothing hurt (it is asked only then)."""
    if is_skipped(row):
        return name in CSV_NOT_MEASURED_WHEN_SKIPPED
    return name == "sharp_or_limp" and not (row.pain_during or row.pain_after or row.sharp_or_limp)


def checkins_csv(checkins: Iterable[CheckInRow], tr: Translator) -> bytes:
    """Every check-in, one row each, in the runner's language: the column names and coded
    values (session, swelling, yes/no) in words; ISO dates and plain numbers; a question the
    check-in did not ask is an empty cell, never 0 or "no". Text cells are neutralised
    against formula injection. UTF-8 with a byte-order mark so spreadsheets open Cyrillic
    text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([tr.gettext(HEADERS[n]) if n in HEADERS else n for n in CSV_COLUMNS])
    for row in checkins:
        cells = []
        for name in CSV_COLUMNS:
            value = getattr(row, name)
            if not_asked(row, name):
                cells.append("")
            elif name in WORDS and value is not None:
                cells.append(neutralise(label(tr, WORDS[name], str(value))))
            else:
                cells.append(_csv_value(value, tr))
        writer.writerow(cells)
    return buf.getvalue().encode("utf-8-sig")
