"""The weekly chart and the clinician's report show what a watch measured (issue 17): the
measured days outlined with their running cadence above, and in the PDF the distance,
cadence and heart rate under the minutes, and the week's cadence."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

import reports.pdf
import reports.report_input
from bench.report_pages import TODAY, example_records, example_runner
from locales import SUPPORTED, translator
from reports.charts import (
    CADENCE_GID,
    LEGEND,
    MEASURED_BARS,
    ChartCheckIn,
    ChartData,
    build_figure,
)


def _chart(measured: bool, cadence: int | None) -> ChartData:
    first = date(2026, 3, 1)
    return ChartData(
        first=first,
        last=first + timedelta(days=13),
        checkins=(
            ChartCheckIn(first + timedelta(days=2), 30, 20, 120.0, 1, 0),
            ChartCheckIn(
                first + timedelta(days=5), 35, 24, 140.0, 1, 0,
                measured=measured, cadence_spm=cadence,
            ),
        ),
    )


def _texts(fig) -> dict[str, str]:
    return {t.get_gid(): t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid()}


def _bars(fig) -> list:
    return [c for ax in fig.axes for c in ax.containers if c.get_label() == MEASURED_BARS]


def _legend(fig) -> list[str]:
    legend = next(a for a in fig.legends if a.get_gid() == LEGEND)
    return [t.get_text() for t in legend.get_texts()]


def test_a_measured_day_is_outlined_with_its_cadence_above():
    fig = build_figure(_chart(True, 164), translator("en"))
    assert _texts(fig) == {CADENCE_GID.format(5): "164"}
    outlined = [p for c in _bars(fig) for p in c]
    assert [round(p.get_x() + p.get_width() / 2) for p in outlined] == [5]
    assert [p.get_height() for p in outlined] == [35]
    assert "Measured by a watch (cadence above)" in _legend(fig)


def test_measured_without_cadence_says_only_measured():
    fig = build_figure(_chart(True, None), translator("en"))
    assert not _texts(fig)
    assert "Measured by a watch" in _legend(fig)


def test_nothing_measured_draws_nothing_more():
    fig = build_figure(_chart(False, None), translator("en"))
    assert not _texts(fig)
    assert not _bars(fig)
    assert not any("watch" in label for label in _legend(fig))


def _measured_pdf(lang: str) -> str:
    records = example_records()
    runs = [c for c in records.checkins if c.outcome == "done"]
    last = runs[-1]
    last.measured_minutes = last.minutes
    last.distance_m = 4842.0
    last.cadence_spm = 164
    last.avg_hr = 137
    runner = example_runner()
    runner.language = lang
    data = reports.report_input.ReportInput.of(runner, TODAY, records, None)
    reader = PdfReader(io.BytesIO(reports.pdf.build_pdf(data, translator(lang))))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[ \t\xa0\u202f]+", " ", text)


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_report_shows_what_the_watch_measured(lang):
    tr = translator(lang)
    text = _measured_pdf(lang)
    km = tr.gettext("{km} km").format(km=tr.number(4.8)).replace("\xa0", " ")
    cadence = tr.gettext("cadence {spm}").format(spm=164)
    assert km in text and cadence in text.replace("\n", " ")
    assert tr.gettext("Cadence (watch)").split()[0] in text
    weekly = text[text.index(tr.gettext("Weekly running minutes")) :]
    assert "164" in weekly.split(tr.gettext("Decisions and their reasons"))[0]


def test_a_report_with_nothing_measured_has_no_watch_note():
    records = example_records()
    data = reports.report_input.ReportInput.of(example_runner(), TODAY, records, None)
    reader = PdfReader(io.BytesIO(reports.pdf.build_pdf(data, translator("en"))))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert "measured by the runner's watch" not in text
