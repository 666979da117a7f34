"""The one-glance summary a clinician reads first (stage, sessions this week, pain trend,
adherence, open red flags, escalation) and the weekly running minutes against the cap."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from progression import ReasonCode, weekly_cap
from reports.measures import is_skipped, running_minutes, stage_of
from reports.report_input import ReportInput
from storage.models import CheckInRow, DecisionRow, RedFlagRow
from storage.reports import Records

TREND_DAYS = 14  # pain trend: the last 14 days against the 14 before
TREND_SAME = 0.5  # a change of less than half a point is "about the same"
REPORT_WEEKS = 8  # weekly running minutes: the last 8 weeks
ESCALATION_DAYS = 28  # a clinician review advised in the last 4 weeks is shown at the top


# ---------------------------------------------------------------- the one-glance summary
def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def planned_sessions(records: Records) -> set[date]:
    """The days the plan had a session, as the runner was told (the plan kept day by day;
    before it was kept, each decision's session day)."""
    kept = {p.day for p in records.plan if p.session}
    since = min((p.day for p in records.plan), default=None)
    told = {d for d in planned_days(records.decisions) if since is None or d < since}
    return kept | told


def planned_days(decisions: Iterable[DecisionRow]) -> set[date]:
    """The days sessions were planned for: each decision's session day, unless it said rest
    or referred the runner (the same rule as /history)."""
    return {d.session_date for d in decisions if d.action not in ("rest", "refer")}


def done_days(checkins: Iterable[CheckInRow]) -> set[date]:
    return {c.day for c in checkins if not is_skipped(c)}


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Glance:
    """What a clinician reads first."""

    stage: int
    level: int
    days_since_injury: tuple[int, int | None] | None
    done_this_week: int  # the last 7 days, today included
    planned_this_week: int
    pain_recent: float | None  # mean worst pain, last 14 days (skipped sessions not counted)
    pain_before: float | None  # the 14 days before
    adherence: float | None  # sessions done / planned so far (0-1)
    open_red_flags: list[RedFlagRow] = field(default_factory=list)
    escalation: DecisionRow | None = None  # the latest "clinician review advised"

    @property
    def trend(self) -> str | None:
        """ "better" | "worse" | "same" (pain went down / up / hardly moved), None = unknown."""
        if self.pain_recent is None or self.pain_before is None:
            return None
        change = self.pain_recent - self.pain_before
        if abs(change) < TREND_SAME:
            return "same"
        return "better" if change < 0 else "worse"


def open_red_flags(flags: Sequence[RedFlagRow], status: str) -> list[RedFlagRow]:
    """Red-flag screens with flags that no later clinician clearance closed (a clearance is a
    row with ``cleared_to_stage`` set, when the schema has it). A referred runner whose
    flagged screen is not in the records still has an open referral: shown by status."""
    open_: list[RedFlagRow] = []
    for row in flags:
        if getattr(row, "cleared_to_stage", None) is not None:
            open_ = []
        elif row.flags:
            open_.append(row)
    return open_ if open_ or status == "referred" else []


def escalation(decisions: Sequence[DecisionRow], today: date) -> DecisionRow | None:
    for d in reversed(decisions):
        if (today - d.day).days > ESCALATION_DAYS:
            break
        if any(r.get("code") == ReasonCode.CLINICIAN_REVIEW_ADVISED for r in d.reasons or []):
            return d
    return None


def glance(data: ReportInput) -> Glance:
    records, today = data.records, data.today
    felt = [c for c in records.checkins if not is_skipped(c) and c.day <= today]

    def pain_between(first: date, last: date) -> float | None:
        worst = [float(max(c.pain_during, c.pain_after)) for c in felt if first <= c.day <= last]
        return mean(worst)

    recent_first = today - timedelta(days=TREND_DAYS - 1)
    planned = {d for d in planned_sessions(records) if d >= data.start}
    done = done_days(c for c in records.checkins if c.day >= data.start)
    this_week = {today - timedelta(days=i) for i in range(7)}  # the last 7 days
    planned_so_far = {d for d in planned if d <= today}
    adherence = (
        min(1.0, len({d for d in done if d <= today}) / len(planned_so_far))
        if planned_so_far
        else None
    )
    return Glance(
        stage=stage_of(data.level),
        level=data.level,
        days_since_injury=data.injury_date.days_since(today),
        done_this_week=len(done & this_week),
        planned_this_week=len(planned & this_week),
        pain_recent=pain_between(recent_first, today),
        pain_before=pain_between(
            recent_first - timedelta(days=TREND_DAYS), recent_first - timedelta(days=1)
        ),
        adherence=adherence,
        open_red_flags=open_red_flags(records.red_flags, data.status),
        escalation=escalation(records.decisions, today),
    )


@dataclass(frozen=True)
class Week:
    monday: date
    done: int
    planned: int
    skipped: int
    running: int  # minutes run
    cap: int  # progression's weekly cap from the week before's running minutes
    cadence: int | None = None  # measured running cadence (steps a minute), when recorded


def weeks(data: ReportInput) -> list[Week]:
    """Running minutes per calendar week (Monday first), the last REPORT_WEEKS weeks since
    onboarding, against progression's weekly cap (from the week before)."""
    records = data.records
    running: dict[date, int] = {}
    for c in records.checkins:
        running[week_start(c.day)] = running.get(week_start(c.day), 0) + running_minutes(c)
    planned = planned_sessions(records)
    done = done_days(records.checkins)
    skipped = [c.day for c in records.checkins if is_skipped(c)]
    last = week_start(data.today)
    first = max(week_start(data.start), last - timedelta(weeks=REPORT_WEEKS - 1))
    out: list[Week] = []
    monday = first
    while monday <= last:
        days = {monday + timedelta(days=i) for i in range(7)}
        out.append(
            Week(
                monday=monday,
                done=len(done & days),
                planned=len(planned & days),
                skipped=sum(1 for d in skipped if d in days),
                running=running.get(monday, 0),
                cap=weekly_cap(running.get(monday - timedelta(weeks=1), 0)),
                cadence=week_cadence([c for c in records.checkins if c.day in days]),
            )
        )
        monday += timedelta(weeks=1)
    return out


def week_cadence(checkins: Sequence[CheckInRow]) -> int | None:
    """The measured running cadence of the week, weighted by the minutes run."""
    pairs: list[tuple[int, int]] = [
        (int(getattr(c, "cadence_spm", None) or 0), max(1, running_minutes(c)))
        for c in checkins
        if not is_skipped(c)
    ]
    pairs = [(v, w) for v, w in pairs if v > 0]
    total = sum(w for _, w in pairs)
    return round(sum(v * w for v, w in pairs) / total) if total else None
