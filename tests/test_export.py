"""/export end to end: a PDF that parses and holds the check-ins, and a CSV that round-trips."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

import reports.dates
from locales import SUPPORTED, translator
from reports import csv_export, labels, measures
from reports.pdf import CSV_NAME, PDF_NAME
from storage.models import CheckInRow
from tests.conftest import Chat, Clock, running_bot
from tests.test_progress import NOTE, TODAY, records_of, seed_runner

FORMULA = '=HYPERLINK("http://example.com","click")'


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[ \t]+", " ", text)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    """The rows keyed by the table's column names (the header row is in the runner's
    language: it is checked apart)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [dict(zip(csv_export.CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


def csv_header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def as_csv(value: Any, name: str = "", lang: str = "en") -> str:
    """A stored value as the CSV says it, in the runner's language."""
    tr = translator(lang)
    if value is None:
        return ""
    if isinstance(value, bool):
        return tr.gettext("Yes") if value else tr.gettext("No")
    if name in csv_export.WORDS:
        return labels.label(tr, csv_export.WORDS[name], str(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


async def export(double, db, clock: Clock, user_id: int, language: str = "en") -> tuple[Any, Any]:
    async with running_bot(double, db, clock=clock):
        pdf, sheet = await Chat(double, user_id, language=language).say("/export", count=2)
    assert pdf.method == sheet.method == "sendDocument"
    assert pdf.filename == PDF_NAME and sheet.filename == CSV_NAME
    assert pdf.document is not None and sheet.document is not None
    return pdf, sheet


async def test_export_sends_a_readable_pdf_and_a_csv_that_round_trips(double, db, clock: Clock):
    seeded = await seed_runner(db, 2201)
    pdf, sheet = await export(double, db, clock, 2201)
    records = await records_of(db, seeded.runner_id)

    assert pdf.document.startswith(b"%PDF-")
    text = pdf_text(pdf.document)
    assert "Return-to-running report" in text
    assert "not a clinician" in text and "diagnosis" in text
    assert "Calf strain, side: Left" in text
    assert "Stage 3: Continuous easy running (level 13)" in text
    # every check-in is in the table: its date, and for one of them every value in order
    for c in records.checkins:
        assert reports.dates.format_day(c.day, "en") in text
    painful = records.checkins[0]
    assert painful.pain_during == 1 and painful.pain_after == 1
    when = reports.dates.format_day(painful.day, "en")
    run = measures.running_minutes(painful)
    assert f"{when} Session done {painful.minutes} ({run}) 1 / 1 {painful.rpe}" in text
    skipped = records.checkins[2]
    assert f"{reports.dates.format_day(skipped.day, 'en')} Session skipped – skipped" in text
    assert "Ноги устали" in text  # the runner's own note, in Cyrillic
    # reassessment with limb symmetry (left injured: 18 / 25 = 72%), gates, red flags
    assert "left 18, right 25 · symmetry 72%" in text
    assert "left 10, right 12 · symmetry 83%" in text
    assert "Gates passed Single-leg hops without pain" in text
    assert "Gates not passed Single-leg heel raises" in text
    assert "Night pain" in text
    assert "First pain-free week" in text

    rows = csv_rows(sheet.document)
    assert len(rows) == seeded.checkins == len(records.checkins)
    header = csv_header(sheet.document)
    assert header[:5] == ["Date", "Session", "Minutes", "Pain during (0-10)", "Pain after (0-10)"]
    for row, stored in zip(rows, records.checkins, strict=True):
        assert row == {
            name: "" if csv_export.not_asked(stored, name) else as_csv(getattr(stored, name), name)
            for name in csv_export.CSV_COLUMNS
        }
    assert rows[2]["outcome"] == "Session skipped"
    assert rows[2]["pain_during"] == rows[2]["rpe"] == ""
    assert rows[3]["note"] == NOTE
    assert rows[0]["day"] == seeded.checkin_days[0].isoformat()


async def test_the_pdf_carries_the_chart(double, db, clock: Clock):
    await seed_runner(db, 2202)
    pdf, _ = await export(double, db, clock, 2202)
    reader = PdfReader(io.BytesIO(pdf.document))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    assert images[0].image is not None and images[0].image.size == (1200, 900)


async def test_export_in_russian_keeps_cyrillic(double, db, clock: Clock):
    await seed_runner(db, 2203, language="ru")
    pdf, sheet = await export(double, db, clock, 2203, language="ru")
    text = pdf_text(pdf.document)
    assert reports.dates.format_day(TODAY, "ru") in text  # "2 мар. 2026 г."
    assert "мар." in text
    assert "Ноги устали" in csv_rows(sheet.document)[3]["note"]


async def test_export_with_no_checkins_still_sends_both(double, db, clock: Clock):
    await seed_runner(db, 2204, checkins=False)
    pdf, sheet = await export(double, db, clock, 2204)
    assert "No check-ins yet." in pdf_text(pdf.document)
    assert csv_rows(sheet.document) == []
    assert len(csv_header(sheet.document)) == len(csv_export.CSV_COLUMNS)


@pytest.mark.parametrize("lang", ["en", "ru", "es", "de"])
async def test_export_end_to_end_in_every_language(double, db, clock: Clock, lang):
    """Over the bot: the PDF (parsed with pypdf) shows the skipped day as skipped and the
    baseline, dates in the runner's locale; the CSV neutralises a formula note."""
    user_id = 2210 + SUPPORTED.index(lang)
    seeded = await seed_runner(db, user_id, language=lang)
    fifth = (await records_of(db, seeded.runner_id)).checkins[5].id
    async with db.session() as session:
        row = await session.get(CheckInRow, fifth)
        assert row is not None
        row.note = FORMULA
    pdf, sheet = await export(double, db, clock, user_id, language=lang)
    tr = translator(lang)
    text = pdf_text(pdf.document).replace("\xa0", " ").replace("\u202f", " ")
    skipped_day = reports.dates.format_day(seeded.checkin_days[2], lang).replace("\u202f", " ")
    [skipped] = [
        line
        for line in text.splitlines()
        if line.startswith(skipped_day) and tr.gettext("Session skipped") in line
    ]
    assert tr.gettext("skipped") in skipped and "0 / 0" not in skipped
    assert tr.gettext("Baseline at onboarding") in text
    assert tr.gettext("At a glance") in text
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", text)

    rows = csv_rows(sheet.document)
    assert rows[5]["note"] == "'" + FORMULA and csv_export.restore(rows[5]["note"]) == FORMULA
    assert rows[2]["outcome"] == tr.gettext("Session skipped") and rows[2]["pain_during"] == ""
    # the CSV speaks the runner's language: the header and the coded values (issue 22)
    assert csv_header(sheet.document)[1] == tr.gettext("Session")
