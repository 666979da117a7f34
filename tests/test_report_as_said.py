"""The report prints what the runner said and what was asked (issue 13): the injury date as
answered at onboarding (a button or a typed date, kept since migration 0006), and stiffness
and swelling that a symptom-free check-in did not ask as "not asked", never as 0 / none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import reports.dates
from bench import taps
from locales import translator
from reports.dates import format_day
from storage.models import CheckInRow, Runner
from tests.conftest import Chat, onboard, running_bot
from tests.test_export import csv_rows, export, pdf_text


async def _runner(db, user_id: int) -> Runner:
    async with db.session() as session:
        return (
            await session.execute(select(Runner).where(Runner.telegram_user_id == user_id))
        ).scalar_one()


async def test_a_typed_date_is_printed_exactly_even_when_it_matches_a_button(double, db, clock):
    today = clock().date()
    typed = today - timedelta(days=10)  # what the "1-2 weeks ago" button would also store
    async with running_bot(double, db, clock=clock):
        await onboard(Chat(double, 8301), tests="no", injury_date=typed.isoformat())
    runner = await _runner(db, 8301)
    assert runner.injury_date == typed
    assert (runner.injury_date_answer, runner.injury_date_told_on) == ("date", today)
    pdf, _ = await export(double, db, clock, 8301)
    text = pdf_text(pdf.document)
    locale = reports.dates.date_locale("en", runner.time_zone)
    assert format_day(typed, locale) in text
    assert "1-2 weeks before" not in text


@pytest.mark.parametrize(
    ("button", "said"),
    [("2weeks", "1-2 weeks before {date}"), ("older", "over 6 weeks before {date}")],
)
async def test_a_button_is_printed_as_said_on_the_day_it_was_pressed(
    double, db, clock, button, said
):
    today = clock().date()
    async with running_bot(double, db, clock=clock):
        await onboard(Chat(double, 8302), tests="no", injury_date=button)
    clock.advance(days=9)  # the report is read later: it still says when the runner told it
    runner = await _runner(db, 8302)
    assert (runner.injury_date_answer, runner.injury_date_told_on) == (button, today)
    pdf, _ = await export(double, db, clock, 8302)
    text = pdf_text(pdf.document)
    locale = reports.dates.date_locale("en", runner.time_zone)
    assert said.format(date=format_day(today, locale)) in text
    assert format_day(runner.injury_date, locale) not in text  # never a made-up exact day


async def test_symptoms_not_asked_are_stored_and_shown_as_not_asked(double, db, clock):
    async with running_bot(double, db, clock=clock):
        chat = Chat(double, 8303)
        await onboard(chat, tests="no")
        run = await taps.checkin(chat, db, taps.SYMPTOM_FREE)
        clock.advance(days=1)
        hurt = await taps.checkin(chat, db, taps.A_LITTLE_PAIN)
    assert "stiffness" not in run.steps and "stiffness" in hurt.steps
    async with db.session() as session:
        rows = (await session.execute(select(CheckInRow).order_by(CheckInRow.day))).scalars()
        free, painful = list(rows)
    assert (free.stiffness, free.swelling, free.mood) == (None, None, None)
    assert painful.stiffness is not None and painful.swelling is not None

    pdf, sheet = await export(double, db, clock, 8303)
    tr = translator("en")
    text = pdf_text(pdf.document)
    locale = reports.dates.date_locale("en", "Europe/Berlin")
    [row] = [
        line for line in text.splitlines() if line.startswith(format_day(free.day, locale))
        and "0 / 0" in line
    ]
    # stiffness, swelling, and sharp pain or a limp: none asked after a pain-free session
    assert row.count(tr.gettext("not asked")) == 3, row
    assert tr.gettext("no swelling") not in row
    cells = {r["day"]: r for r in csv_rows(sheet.document)}
    first = cells[free.day.isoformat()]
    assert (first["stiffness"], first["swelling"], first["mood"]) == ("", "", "")
    second = cells[painful.day.isoformat()]
    assert second["stiffness"] != "" and second["swelling"] != ""
