"""The runner's progress: the chart's data (pain, minutes, load, mornings, stage changes over
a window of days) and the milestones reached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from locales import Translator
from reports.charts import ChartCheckIn, ChartData, ChartMorning, ChartStage
from reports.labels import stage_name
from reports.measures import (
    continuous_minutes,
    is_skipped,
    running_minutes,
    session_load,
)
from reports.pain import pain_rule
from storage.models import CheckInRow, DecisionRow, MorningCheckRow
from storage.reports import Records

CHART_MIN_DAYS = 14  # the chart starts at the first check-in, or 14 days back at least
CHART_MAX_DAYS = 56  # and shows 8 weeks at most
HISTORY_DAYS = 14  # /history: the last two weeks
PAIN_FREE_DAYS = 7
PAIN_FREE_MIN_CHECKINS = 2
CONTINUOUS_MILESTONE_MIN = 10


# ---------------------------------------------------------------- chart data
def chart_window(today: date, first_checkin: date | None) -> tuple[date, date]:
    """The chart's days: from the first check-in (at least 14 days back, so day 3 is not a
    chart of three bars) up to today, and at most 8 weeks."""
    earliest = today - timedelta(days=CHART_MAX_DAYS - 1)
    latest_start = today - timedelta(days=CHART_MIN_DAYS - 1)
    start = latest_start if first_checkin is None else min(latest_start, first_checkin)
    return max(earliest, start), today


def stage_changes(decisions: Iterable[DecisionRow]) -> list[DecisionRow]:
    """The decisions that moved the runner to another stage (the first one included)."""
    changes: list[DecisionRow] = []
    for row in decisions:
        if not changes or row.stage != changes[-1].stage:
            changes.append(row)
    return changes


def chart_data(
    records: Records,
    first: date,
    last: date,
    injury: str | None = None,
    audience: str = "runner",
    locale: str | None = None,
) -> ChartData:
    rule = pain_rule(injury)
    green, ceiling = rule.green, rule.ceiling
    return ChartData(
        first=first,
        last=last,
        checkins=tuple(
            ChartCheckIn(
                day=c.day,
                minutes=0 if is_skipped(c) else c.minutes,
                running_minutes=running_minutes(c),
                load=session_load(c),
                pain_during=None if is_skipped(c) else c.pain_during,
                pain_after=None if is_skipped(c) else c.pain_after,
                skipped=is_skipped(c),
                measured=bool(getattr(c, "measured_minutes", None)),
                cadence_spm=getattr(c, "cadence_spm", None),
            )
            for c in records.checkins
            if first <= c.day <= last
        ),
        mornings=tuple(
            ChartMorning(day=m.day, pain=morning_state(m))
            for m in records.mornings
            if first <= m.day <= last
        ),
        stages=tuple(
            ChartStage(day=d.day, stage=d.stage)
            for d in stage_changes(records.decisions)
            if first <= d.day <= last
        ),
        green_pain_max=green,
        pain_ceiling=ceiling,
        audience=audience,
        locale=locale,
    )


def morning_state(m: MorningCheckRow) -> str:
    """A morning check for the chart: "good" (no worse, no swelling, no night pain: what All
    good records), else "worse" when anything got worse, else the pain's comparison."""
    if m.pain == "same" and m.stiffness == "same" and m.swelling == "none" and not m.night_pain:
        return "good"
    if "worse" in (m.pain, m.stiffness) or m.swelling != "none" or m.night_pain:
        return "worse"
    return m.pain


# ---------------------------------------------------------------- milestones
@dataclass(frozen=True)
class Milestone:
    day: date
    kind: str  # "continuous10" | "pain_free_week" | "stage" | "start"
    stage: int = 0


def first_continuous_run(checkins: Iterable[CheckInRow]) -> date | None:
    """The first session done in full whose level asks for 10 minutes of running in one go."""
    for c in checkins:
        if c.outcome == "done" and continuous_minutes(c.level) >= CONTINUOUS_MILESTONE_MIN:
            return c.day
    return None


def first_pain_free_week(checkins: Sequence[CheckInRow], today: date) -> date | None:
    """The last day of the first 7 days in a row whose sessions (at least two, skipped ones
    not counted) all had no pain during or after."""
    by_day: dict[date, list[CheckInRow]] = {}
    for c in checkins:
        if not is_skipped(c):
            by_day.setdefault(c.day, []).append(c)
    if not by_day:
        return None
    day = min(by_day)
    while day + timedelta(days=PAIN_FREE_DAYS - 1) <= today:
        window = [
            c
            for offset in range(PAIN_FREE_DAYS)
            for c in by_day.get(day + timedelta(days=offset), ())
        ]
        if len(window) >= PAIN_FREE_MIN_CHECKINS and all(
            c.pain_during == 0 and c.pain_after == 0 for c in window
        ):
            return day + timedelta(days=PAIN_FREE_DAYS - 1)
        day += timedelta(days=1)
    return None


def milestones(records: Records, today: date) -> list[Milestone]:
    found: list[Milestone] = []
    highest: int | None = None
    for d in records.decisions:
        if highest is None:
            found.append(Milestone(d.day, "start", d.stage))
            highest = d.stage
        elif d.stage > highest:
            found.append(Milestone(d.day, "stage", d.stage))
            highest = d.stage
    continuous = first_continuous_run(records.checkins)
    if continuous is not None:
        found.append(Milestone(continuous, "continuous10"))
    pain_free = first_pain_free_week(records.checkins, today)
    if pain_free is not None:
        found.append(Milestone(pain_free, "pain_free_week"))
    order = {"start": 0, "stage": 1, "continuous10": 2, "pain_free_week": 3}
    return sorted(found, key=lambda m: (m.day, order[m.kind], m.stage))


def milestone_text(tr: Translator, m: Milestone) -> str:
    if m.kind == "start":
        text = tr.gettext("Started at stage {n}: {name}")
    elif m.kind == "stage":
        text = tr.gettext("Reached stage {n}: {name}")
    elif m.kind == "continuous10":
        text = tr.gettext("First 10 minutes of continuous running")
    else:
        text = tr.gettext("First pain-free week")
    return text.format(n=m.stage, name=stage_name(tr, m.stage))
