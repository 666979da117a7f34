"""The example report pages in docs/: a made-up runner's clinician PDF, rendered to PNG.

    .venv/bin/python -m bench.report_pages    # writes docs/report-{en,ru}-<page>.png

Needs ``pdftoppm`` (Debian/Ubuntu: ``apt-get install poppler-utils``) to turn the PDF's pages
into pictures. The same runner is used by the report tests (tests/test_report.py), so what
the pictures show is what the tests check.

The runner: a left calf strain "1-2 weeks" before onboarding on Wed 28 Oct 2026, in London;
entry tests at onboarding (no walk test); four weeks of check-ins with a skipped session,
a note that looks like a spreadsheet formula and one with emoji and Chinese; a reassessment
that tested only some gates; and a decision that advised a clinician's review.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import reports.pdf
import reports.report_input
from locales import translator
from reports.charts import render_progress_chart
from storage.models import (
    CheckInRow,
    DecisionRow,
    MorningCheckRow,
    ReassessmentRow,
    RedFlagRow,
    Runner,
)
from storage.reports import Records

ONBOARDING = date(2026, 10, 28)  # a Wednesday
TODAY = date(2026, 11, 25)
INJURY_DATE = ONBOARDING - timedelta(days=10)  # the "1-2 weeks ago" button
SKIPPED_DAY = date(2026, 11, 12)  # a Thursday
FORMULA_NOTE = '=HYPERLINK("http://example.com","click")'
WORLD_NOTE = "Felt great 😀 跑步"
DOCS = Path(__file__).resolve().parent.parent / "docs"


def example_runner() -> Runner:
    return Runner(
        telegram_user_id=1,
        chat_id=1,
        language="en",
        time_zone="Europe/London",
        status="active",
        injury="calf_strain",
        side="left",
        injury_date=INJURY_DATE,
        rest_pain=1,
        walk_pain=2,
        runs_per_week_before=4,
        minutes_per_week_before=180,
        run_days_per_week=3,
        goal="Parkrun in under 25 minutes by spring",
        level=9,
        level_since=date(2026, 11, 20),
        consent_at=datetime(2026, 10, 28, 19, 5, tzinfo=UTC),
    )


def _decision(day: date, action: str, level: int, stage: int, reasons: list) -> DecisionRow:
    return DecisionRow(
        day=day,
        action=action,
        level=level,
        stage=stage,
        session_date=day + timedelta(days=1),
        check_again="24h",
        check_again_date=day + timedelta(days=2),
        reasons=reasons,
    )


def example_records() -> Records:
    """Four weeks after onboarding: three runs a week, pain coming down."""
    checkins: list[CheckInRow] = []
    decisions = [
        _decision(ONBOARDING, "progress", 6, 1, [{"code": "starting_level", "values": {}}])
    ]
    run_days = []
    day = ONBOARDING + timedelta(days=1)
    while day <= TODAY:
        if day.weekday() in (0, 3, 5):  # Mon, Thu, Sat
            run_days.append(day)
        day += timedelta(days=1)
    for i, day in enumerate(run_days):
        level = 6 + i // 3
        skipped = day == SKIPPED_DAY
        pain = max(0, 3 - i // 3)
        checkins.append(
            CheckInRow(
                day=day,
                outcome="skipped" if skipped else ("shorter" if i == 4 else "done"),
                minutes=0 if skipped else 24 + 2 * i,
                pain_during=0 if skipped else pain,
                pain_after=0 if skipped else max(0, pain - 1),
                sharp_or_limp=False,
                stiffness=0 if skipped else 1 + (i % 2),
                swelling="mild" if i == 1 else "none",
                rpe=0 if skipped else 4 + i % 2,
                mood=4,
                sleep_hours=7.0,
                note=FORMULA_NOTE if i == 2 else (WORLD_NOTE if i == 7 else None),
                level=level,
            )
        )
        if skipped:
            decisions.append(
                _decision(
                    day,
                    "repeat",
                    level,
                    1 if level < 8 else 2,
                    [{"code": "clinician_review_advised", "values": {}}],
                )
            )
        else:
            decisions.append(
                _decision(
                    day,
                    "progress" if i % 3 == 2 else "repeat",
                    level + (i % 3 == 2),
                    1 if level + (i % 3 == 2) < 8 else 2,
                    [{"code": "green_sessions", "values": {"count": 2}}]
                    if i % 3 == 2
                    else [
                        {"code": "more_green_sessions_needed", "values": {"count": 1, "needed": 2}}
                    ],
                )
            )
    mornings = [
        MorningCheckRow(
            day=d + timedelta(days=1), run_day=d, pain=pain, stiffness="same", swelling="none"
        )
        for d, pain in zip(
            run_days[::2], ("better", "same", "worse", "better", "better", "same"), strict=False
        )
        if d != SKIPPED_DAY
    ]
    reassessments = [
        ReassessmentRow(  # at onboarding: the entry tests, without the walk test
            day=ONBOARDING,
            heel_raises_left=18,
            heel_raises_right=26,
            hops_left=8,
            hops_right=12,
            hop_pain=2,
            knee_to_wall_left_cm=None,
            knee_to_wall_right_cm=None,
            morning_stiffness_min=15,
            walk_pain=None,
            readiness=None,
            gates=[
                {"code": "heel_raises", "passed": False, "left": 18, "right": 26, "min": 30},
                {"code": "limb_symmetry", "passed": False, "percent": 69, "min_percent": 90},
                {"code": "hops_pain_free", "passed": False},
                {"code": "morning_stiffness", "passed": False, "minutes": 15},
                {"code": "walk_test", "passed": False, "tested": 0},
            ],
        ),
        ReassessmentRow(  # a week ago: hops and readiness not asked
            day=TODAY - timedelta(days=7),
            heel_raises_left=27,
            heel_raises_right=28,
            hops_left=None,
            hops_right=None,
            hop_pain=None,
            knee_to_wall_left_cm=10.0,
            knee_to_wall_right_cm=11.5,
            morning_stiffness_min=5,
            walk_pain=0,
            readiness=None,
            gates=[
                {"code": "heel_raises", "passed": False, "left": 27, "right": 28, "min": 30},
                {"code": "limb_symmetry", "passed": True, "percent": 96, "min_percent": 90},
                {"code": "hops_pain_free", "passed": False, "tested": 0},
                {"code": "morning_stiffness", "passed": True, "minutes": 5},
                {"code": "walk_test", "passed": True, "pain": 0},
            ],
        ),
    ]
    red_flags = [RedFlagRow(day=ONBOARDING, flags="")]
    return Records(checkins, mornings, reassessments, red_flags, decisions)


def example_input(lang: str = "en") -> reports.report_input.ReportInput:
    runner = example_runner()
    runner.language = lang
    data = reports.report_input.ReportInput.of(runner, TODAY, example_records(), None)
    chart = data.chart(translator(lang))
    if chart is not None:
        data.chart_png = render_progress_chart(chart, translator(lang))
    return data


def example_pdf(lang: str = "en") -> bytes:
    return reports.pdf.build_pdf(example_input(lang), translator(lang))


def main() -> int:
    for lang in ("en", "ru"):
        for old in DOCS.glob(f"report-{lang}-*.png"):
            old.unlink()
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "report.pdf"
            pdf.write_bytes(example_pdf(lang))
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", str(pdf), str(DOCS / f"report-{lang}")],
                check=True,
            )
        for page in sorted(DOCS.glob(f"report-{lang}-*.png")):
            print(page.relative_to(DOCS.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
