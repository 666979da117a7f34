"""The clinician's report (issue 13), parsed back: the PDF with pypdf and the CSV with csv,
in all four languages. The runner is bench/report_pages.py's, the one in docs/'s pictures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from fpdf import FPDF
from pypdf import PdfReader

import reports.dates
import reports.measures
import reports.pdf
import reports.progress
import reports.reassessments
import reports.summary
from bench.report_pages import (
    FORMULA_NOTE,
    INJURY_DATE,
    ONBOARDING,
    SKIPPED_DAY,
    TODAY,
    example_input,
    example_pdf,
    example_records,
)
from locales import SUPPORTED, translator
from reports import csv_export
from reports.dates import InjuryDate, format_day
from storage.models import CheckInRow, DecisionRow, ReassessmentRow, RedFlagRow
from storage.reports import Records

LANGS = pytest.mark.parametrize("lang", SUPPORTED)


@pytest.fixture(scope="module")
def pdfs() -> dict[str, str]:
    """Each language's example PDF as text (rendered once: a PDF takes a moment)."""
    texts = {}
    for lang in SUPPORTED:
        reader = PdfReader(io.BytesIO(example_pdf(lang)))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        texts[lang] = norm(text)
    return texts


def norm(text: str) -> str:
    """Text as pypdf gives it back: no-break spaces are spaces, runs of spaces one."""
    return re.sub(r"[ \t\xa0\u202f]+", " ", text)


def locale_of(lang: str) -> str:
    return reports.dates.date_locale(lang, "Europe/London")


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


# ---------------------------------------------------------------- PDF
@LANGS
def test_a_skipped_day_shows_as_skipped_never_as_zero_pain(pdfs, lang):
    tr = translator(lang)
    when = norm(format_day(SKIPPED_DAY, locale_of(lang)))
    [row] = [
        line
        for line in lines_with(pdfs[lang], tr.gettext("Session skipped"))
        if line.startswith(when)
    ]
    assert f"{tr.gettext('Session skipped')} – {tr.gettext('skipped')}" in row
    assert "0 / 0" not in row and " 0 (" not in row


@LANGS
def test_the_baseline_block_is_there(pdfs, lang):
    tr = translator(lang)
    text = pdfs[lang]
    assert tr.gettext("Baseline at onboarding") in text
    assert (
        tr.gettext("{runs} runs and {minutes} minutes a week").format(runs=4, minutes=180) in text
    )
    assert f"{tr.gettext('Pain at rest')} 1/10" in text
    assert f"{tr.gettext('Pain in daily life')} 2/10" in text
    assert "Parkrun in under 25 minutes by spring" in text
    # the entry tests: heel raises per side with the limb symmetry index (left injured: 18/26)
    heel = tr.gettext("left {left}, right {right}").format(left=18, right=26)
    assert heel in text
    assert norm(tr.gettext("symmetry {percent}").format(percent=tr.percent(18 / 26))) in text


@LANGS
def test_the_injury_date_is_printed_as_the_runner_gave_it(pdfs, lang):
    tr = translator(lang)
    locale = locale_of(lang)
    told = tr.gettext("1-2 weeks before {date}").format(date=format_day(ONBOARDING, locale))
    assert norm(told) in pdfs[lang]
    assert norm(format_day(INJURY_DATE, locale)) not in pdfs[lang]  # never the made-up exact day
    days = tr.gettext("{low}-{high} days").format(low=35, high=42)
    assert days in pdfs[lang]  # 28 days since onboarding, plus 1-2 weeks


@LANGS
def test_dates_follow_the_runners_locale(pdfs, lang):
    text = pdfs[lang]
    expected = {
        "en": "25 Nov 2026",
        "ru": "25 нояб. 2026 г.",
        "es": "25 nov 2026",
        "de": "25. Nov. 2026",
    }[lang]
    assert norm(expected) in text  # a London runner writing English reads British dates
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", text)  # never 11/25/26


@LANGS
def test_no_reassessment_item_passes_unless_it_was_asked(pdfs, lang):
    tr = translator(lang)
    text = pdfs[lang]
    walk = tr.gettext("30-minute brisk walk without pain")
    hops = tr.gettext("Single-leg hops without pain")
    flat = " ".join(text.split())
    labels = [tr.gettext(k) for k in ("Gates passed", "Gates not passed", "Gates not tested")]
    after = "|".join(re.escape(x) for x in [*labels, tr.gettext("Red flags raised")])
    found = {
        label: re.findall(re.escape(label) + r" (.*?)(?= (?:" + after + "))", flat)
        for label in labels
    }
    passed, _, untested = (found[label] for label in labels)
    assert walk in untested[0]  # onboarding: no walk test
    assert hops in untested[1]  # a week ago: hops not asked
    assert len(passed) == 1 and hops not in passed[0]
    assert walk in passed[0]  # the walk a week ago was done, pain-free
    not_tested = tr.gettext("not tested")
    assert f"{tr.gettext('Single-leg hops')} {not_tested}" in text
    assert f"{tr.gettext('Readiness')} {not_tested}" in text


@LANGS
def test_the_one_glance_summary(pdfs, lang):
    tr = translator(lang)
    text = pdfs[lang]
    g = reports.summary.glance(example_input(lang))
    assert g.stage == 2 and g.level == 9
    assert g.trend == "better" and g.pain_recent is not None and g.pain_before is not None
    assert g.pain_recent < g.pain_before
    assert tr.gettext("At a glance") in text
    review = tr.gettext("Clinician review advised, {date}")
    assert norm(review.format(date=format_day(SKIPPED_DAY, locale_of(lang)))) in text
    adherence = tr.gettext("{percent} of planned sessions done")
    assert norm(adherence.format(percent=tr.percent(g.adherence or 0))) in text
    assert tr.gettext("Weekly running minutes") in text
    assert tr.gettext("Decisions and their reasons") in text


@LANGS
def test_characters_the_font_lacks_are_substituted_visibly(pdfs, lang):
    text = pdfs[lang]
    assert "Felt great" in text and "[U+8DD1][U+6B65]" in text  # 跑步
    assert "[U+4E2D]" in text  # the note that says so
    assert FORMULA_NOTE.replace(" ", "") in text.replace(" ", "").replace("\n", "")


def test_table_headings_break_only_between_words():
    """Russian headings never break mid-word: every column is as wide as its longest word."""
    tr = translator("ru")
    headings = [
        tr.gettext(h)
        for h in (
            "Date",
            "Session",
            "Minutes (running)",
            "Pain during / after",
            "RPE",
            "Stiffness",
            "Swelling",
            "Sharp pain or limp",
            "Note",
        )
    ]
    pdf = FPDF()
    pdf.add_font(reports.pdf.FONT, "", str(reports.pdf._font_dir() / "DejaVuSans.ttf"))
    pdf.add_font(reports.pdf.FONT, "B", str(reports.pdf._font_dir() / "DejaVuSans-Bold.ttf"))
    rows = [
        reports.pdf.checkin_cells(tr, c, lambda d: format_day(d, "ru"))
        for c in example_records().checkins
    ]
    widths, size = reports.pdf.column_widths(
        pdf, headings, rows, (1.3, 1.3, 1.0, 1.0, 0.6, 1.0, 1.1, 0.9, 1.8), 182, 7.5, whole=(0,)
    )
    assert sum(widths) == pytest.approx(182)
    pdf.set_font(reports.pdf.FONT, "B", size)
    for heading, width in zip(headings, widths, strict=True):
        for word in heading.split():
            assert pdf.get_string_width(word) + 2 * pdf.c_margin <= width, word
    assert "Скованность" in headings


def test_russian_pdf_headings_come_out_whole(pdfs):
    for word in ("Скованность", "хромота", "Заметка"):
        assert word in pdfs["ru"]


# ---------------------------------------------------------------- CSV
@LANGS
def test_csv_neutralises_formulas_and_marks_skipped_days(lang):
    records = example_records()
    notes = [FORMULA_NOTE, "+1 more", "-2 km", "@SUM(A1)", "\tTab", "'quoted", "plain =x"]
    for c, note in zip(records.checkins, notes, strict=False):
        c.note = note
    records.checkins[-1].note = "Ноги устали " + lang
    data = csv_export.checkins_csv(records.checkins, translator(lang))
    rows = [
        dict(zip(csv_export.CSV_COLUMNS, row, strict=True))
        for row in list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]
    ]
    for row, note in zip(rows, notes, strict=False):
        if note[0] in "=+-@\t'":
            assert row["note"] == "'" + note
        else:
            assert row["note"] == note
        assert csv_export.restore(row["note"]) == note  # docs/report.md: drop the apostrophe
    assert rows[-1]["note"] == "Ноги устали " + lang
    [skipped] = [r for r in rows if r["day"] == SKIPPED_DAY.isoformat()]
    assert skipped["outcome"] == translator(lang).gettext("Session skipped")
    for name in ("pain_during", "pain_after", "rpe", "stiffness"):
        assert skipped[name] == ""  # not measured, never 0
    assert all(r["pain_during"] != "" for r in rows if r is not skipped)


# ---------------------------------------------------------------- pure parts
def test_the_injury_date_buttons_are_read_back():
    day = date(2026, 11, 25)

    def told(days_before: int | None) -> InjuryDate:
        stored = None if days_before is None else day - timedelta(days=days_before)
        decision = DecisionRow(
            day=day,
            action="progress",
            level=0,
            stage=0,
            session_date=day,
            check_again="24h",
            check_again_date=day,
            reasons=[],
        )
        records = Records(decisions=[decision], red_flags=[RedFlagRow(day=day, flags="")])
        return reports.dates.injury_date_as_told(stored, records, day)

    en = translator("en")
    assert told(3).text(en, "en_GB") == "in the week before 25 Nov 2026"
    assert told(10).text(en, "en_GB") == "1-2 weeks before 25 Nov 2026"
    assert told(28).text(en, "en_GB") == "2-6 weeks before 25 Nov 2026"
    assert told(60).text(en, "en_GB") == "over 6 weeks before 25 Nov 2026"
    assert told(12).text(en, "en_GB") == "13 Nov 2026"  # typed: the exact day
    assert told(12).days_since(day + timedelta(days=2)) == (14, 14)
    assert told(10).days_since(day + timedelta(days=2)) == (9, 16)
    assert told(60).days_since(day) == (42, None)
    assert told(None).text(en, "en") == "not known (the runner was not sure)"


def test_gates_not_tested_are_never_passed():
    row = ReassessmentRow(
        gates=[
            {"code": "walk_test", "passed": True, "tested": 0},  # a bad row: still not tested
            {"code": "heel_raises", "passed": True},
            {"code": "hops_pain_free", "passed": False},
        ]
    )
    assert reports.reassessments.gate_results(row) == {
        "passed": ["heel_raises"],
        "failed": ["hops_pain_free"],
        "untested": ["walk_test"],
    }


def test_skipped_sessions_do_not_count_as_pain_free():
    days = [TODAY - timedelta(days=i) for i in range(7)]
    skipped = [
        CheckInRow(day=d, outcome="skipped", minutes=0, pain_during=0, pain_after=0, level=8)
        for d in days
    ]
    assert reports.progress.first_pain_free_week(skipped, TODAY) is None
    assert reports.measures.worst_pain(skipped[0]) is None


def test_date_locale_follows_the_time_zone_for_english_only():
    assert reports.dates.date_locale("en", "Europe/London") == "en_GB"
    assert reports.dates.date_locale("en", "America/New_York") == "en"
    assert reports.dates.date_locale("en", "Australia/Sydney") == "en_AU"
    assert reports.dates.date_locale("ru", "Europe/London") == "ru"
    assert format_day(date(2026, 11, 30), "en_GB") == "30 Nov 2026"


def test_columns_the_clinical_safety_work_adds_are_read_when_present():
    """check-ins.running_minutes and reassessments.daily_pain/rest_pain/swelling are about to
    be added: the report reads them when a row has them, and works without."""
    row = CheckInRow(
        day=TODAY, outcome="done", minutes=30, pain_during=1, pain_after=1, rpe=4, level=8
    )
    estimated = reports.measures.running_minutes(row)
    row.running_minutes = 17
    assert reports.measures.running_minutes(row) == 17 != estimated
    row.running_minutes = 99  # never more than the session
    assert reports.measures.running_minutes(row) == 30
    skipped = CheckInRow(day=TODAY, outcome="skipped", minutes=0, level=8)
    skipped.running_minutes = None
    assert reports.measures.running_minutes(skipped) == 0

    tr = translator("en")
    reassessment = ReassessmentRow(
        day=TODAY,
        heel_raises_left=None,
        heel_raises_right=None,
        hops_left=None,
        hops_right=None,
        hop_pain=None,
        knee_to_wall_left_cm=None,
        knee_to_wall_right_cm=None,
        morning_stiffness_min=None,
        walk_pain=None,
        readiness=None,
        gates=[],
    )
    lines = dict(reports.reassessments.result_lines(tr, "left", reassessment))
    assert set(lines.values()) == {"not tested"}
    reassessment.daily_pain = 1
    reassessment.rest_pain = None
    reassessment.swelling = "mild"
    lines = dict(reports.reassessments.result_lines(tr, "left", reassessment))
    assert lines["Pain in daily life / at rest"] == "1/10 / not tested"
    assert lines["Swelling"] == "mild swelling"
