"""What the report, the summary and the chart need about one runner, copied out of the
database session (so the PDF can be built in a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from locales import Translator
from reports.charts import ChartData
from reports.dates import InjuryDate, date_locale, injury_date_as_told, onboarding_day
from reports.progress import chart_data, chart_window
from storage.models import Runner
from storage.reports import Records


@dataclass
class ReportInput:
    """What the PDF needs, copied out of the database session."""

    injury: str | None
    side: str | None
    injury_date_stored: date | None
    status: str
    level: int
    joined: date
    today: date
    records: Records
    chart_png: bytes | None = None
    time_zone: str | None = None
    rest_pain: int | None = None
    walk_pain: int | None = None
    runs_per_week_before: int | None = None
    minutes_per_week_before: int | None = None
    goal: str | None = None
    injury_date_answer: str | None = None
    injury_date_told_on: date | None = None

    @classmethod
    def of(
        cls,
        runner: Runner,
        today: date,
        records: Records,
        chart_png: bytes | None,
        status: str | None = None,
    ) -> ReportInput:
        """``status``: the plan's status as the runner is told it (held or capped by the care
        team included; conversations/view.status); the runner's own status by default."""
        return cls(
            injury=runner.injury,
            side=runner.side,
            injury_date_stored=runner.injury_date,
            status=status or runner.status,
            level=runner.level,
            joined=(runner.consent_at or runner.created_at or datetime.now(UTC)).date(),
            today=today,
            records=records,
            chart_png=chart_png,
            time_zone=runner.time_zone,
            rest_pain=runner.rest_pain,
            walk_pain=runner.walk_pain,
            runs_per_week_before=runner.runs_per_week_before,
            minutes_per_week_before=runner.minutes_per_week_before,
            goal=runner.goal,
            injury_date_answer=runner.injury_date_answer,
            injury_date_told_on=runner.injury_date_told_on,
        )

    @property
    def start(self) -> date:
        """The onboarding day (the first decision's)."""
        return onboarding_day(self.records, self.joined)

    @property
    def injury_date(self) -> InjuryDate:
        return injury_date_as_told(
            self.injury_date_stored,
            self.records,
            self.joined,
            self.injury_date_answer,
            self.injury_date_told_on,
        )

    def chart(self, tr: Translator) -> ChartData | None:
        """The clinician's chart: the window fitted to the check-ins."""
        checkins = self.records.checkins
        if not checkins:
            return None
        first, last = chart_window(self.today, checkins[0].day)
        locale = date_locale(tr.lang, self.time_zone)
        return chart_data(self.records, first, last, self.injury, "clinician", locale)
