"""What /progress, /history and /export show: the runner's records turned into chart data,
milestones, a clinician's PDF report (fpdf2) and a CSV of every check-in.

Everything here is pure (no database, no Telegram): the commands read the records with
``storage.reports`` and pass them in, so the PDF and CSV can be built in a worker thread.

Rules the report keeps (issue 13, docs/report.md):

* a skipped session is shown as skipped, never as 0 pain (a gap in the chart's pain line);
* the injury date is printed as the runner gave it ("1-2 weeks before 25 Nov 2026");
* every date goes through Babel in the runner's locale;
* a reassessment item that was not asked or measured reads "not tested", never "passed";
* CSV text cells that a spreadsheet would run as a formula are neutralised (OWASP).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from conversations import render
from conversations.charts import ChartCheckIn, ChartData, ChartMorning, ChartStage
from conversations.common import INJURY_DATE_PRESETS
from locales import N_, Translator
from storage.models import CheckInRow, DecisionRow, ReassessmentRow, RedFlagRow, Runner
from storage.reports import Records

if TYPE_CHECKING:
    from conversations.context import Ctx

CHART_MIN_DAYS = 14  # the chart starts at the first check-in, or 14 days back at least
CHART_MAX_DAYS = 56  # and shows 8 weeks at most
HISTORY_DAYS = 14
KEY_WIDTH = 62  # mm for the summary's labels: long enough for German and Russian
PAIN_FREE_DAYS = 7
PAIN_FREE_MIN_CHECKINS = 2
CONTINUOUS_MILESTONE_MIN = 10
TREND_DAYS = 14  # pain trend: the last 14 days against the 14 before
TREND_SAME = 0.5  # a change of less than half a point is "about the same"
REPORT_WEEKS = 8  # weekly running minutes: the last 8 weeks
REPORT_DECISIONS = 15  # decisions with their reasons: the latest 15
ESCALATION_DAYS = 28  # a clinician review advised in the last 4 weeks is shown at the top
SKIPPED = "skipped"

# Labels: stages, injuries and gates come from render.py, the rest are the report's own.
STAGES: Sequence[str] = render.STAGES
INJURIES: Mapping[str, str] = {k.value: v for k, v in render.INJURIES.items()}
SIDES: Mapping[str, str] = {"left": N_("Left"), "right": N_("Right"), "both": N_("Both")}
OUTCOMES: Mapping[str, str] = {
    "done": N_("Session done"),
    "shorter": N_("Shorter session"),
    "skipped": N_("Session skipped"),
    "cross": N_("Cross-training"),
}
SWELLING: Mapping[str, str] = {
    "none": N_("no swelling"),
    "mild": N_("mild swelling"),
    "visible": N_("visible swelling"),
}
MORNING: Mapping[str, str] = {
    "better": N_("better next morning"),
    "same": N_("same next morning"),
    "worse": N_("worse next morning"),
}
ACTIONS: Mapping[str, str] = {
    "progress": N_("Moved up"),
    "repeat": N_("Repeated"),
    "step_back": N_("Stepped back"),
    "rest": N_("Rest"),
    "refer": N_("Referred to a clinician"),
}
STATUSES: Mapping[str, str] = {
    "new": N_("Setting up"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "referred": N_("Plan stopped: referred to a clinician"),
}
GATES: Mapping[str, str] = {k.value: v for k, v in render.GATES.items()}
RED_FLAGS: Mapping[str, str] = {
    "clot_signs": N_("Signs of a blood clot in the leg"),
    "chest_or_breath": N_("Chest pain or sudden breathlessness"),
    "cannot_bear_weight": N_("Could not bear weight"),
    "bony_tenderness": N_("Pinpoint bone tenderness"),
    "numb_tingling": N_("Intense pain with numbness or tingling"),
    "night_pain": N_("Night pain"),
}
# The onboarding buttons for "When did it happen?" (conversations/common.injury_date_parse
# stores today minus these days): how the report says what the runner chose, and how many
# days since the injury that can mean (low, high; None = open).
INJURY_PRESETS: Mapping[int, tuple[str, int, int | None]] = {
    3: (N_("in the week before {date}"), 0, 7),
    10: (N_("1-2 weeks before {date}"), 7, 14),
    28: (N_("2-6 weeks before {date}"), 14, 42),
    60: (N_("over 6 weeks before {date}"), 42, None),
}
NOT_TESTED = N_("not tested")
# A check-in after a symptom-free session does not ask stiffness and swelling (stored NULL)
NOT_ASKED = N_("not asked")

NOT_A_DIAGNOSIS = N_(
    "runcoach is a running coach, not a clinician: nothing in this report is a diagnosis. "
    "All values are reported by the runner (pain on a 0-10 scale, effort as RPE 0-10)."
)


def label(tr: Translator, table: Mapping[str, str], code: str | None) -> str:
    """The translated label of a stored code (the code itself when it is unknown)."""
    if not code:
        return "–"
    msgid = table.get(code)
    return tr.gettext(msgid) if msgid else code


def stage_name(tr: Translator, stage: int) -> str:
    return tr.gettext(STAGES[max(0, min(stage, len(STAGES) - 1))])


# ---------------------------------------------------------------- dates in the runner's locale
# Babel's "en" is American English; a runner who writes English from these zones reads dates
# the way their country writes them ("25 Nov 2026", not "Nov 25, 2026").
ENGLISH_BY_ZONE: tuple[tuple[str, str], ...] = (
    ("Europe/Dublin", "en_IE"),
    ("Europe/", "en_GB"),
    ("Australia/", "en_AU"),
    ("Pacific/Auckland", "en_NZ"),
    ("Asia/Kolkata", "en_IN"),
    ("Asia/Singapore", "en_SG"),
    ("Africa/Johannesburg", "en_ZA"),
    ("America/Toronto", "en_CA"),
    ("America/Vancouver", "en_CA"),
)


def date_locale(lang: str, time_zone: str | None) -> str:
    """The Babel locale for the runner's dates: their language, and for English their region
    as their time zone suggests."""
    if lang == "en" and time_zone:
        for prefix, locale in ENGLISH_BY_ZONE:
            if time_zone.startswith(prefix):
                return locale
    return lang


def format_day(value: date | None, locale: str, skeleton: str = "yMMMd") -> str:
    """A date as the locale writes it, the month as a word (never 11/30/26)."""
    from babel.dates import format_skeleton

    if value is None:
        return "–"
    return format_skeleton(skeleton, value, locale=locale)


# ---------------------------------------------------------------- the ladder (progression)
def stage_of(level: int) -> int:
    from progression.ladder import stage_of as ladder_stage_of

    return ladder_stage_of(level)


def continuous_minutes(level: int) -> float:
    """The longest single block of running a level's session asks for."""
    from progression.ladder import LADDER, clamp_level

    segments = LADDER[clamp_level(level)].segments
    blocks = [s.minutes for s in segments if s.activity in ("run", "easy") and s.repeats == 1]
    return max(blocks, default=0.0)


def is_skipped(row: CheckInRow) -> bool:
    return row.outcome == SKIPPED


def running_minutes(row: CheckInRow) -> int:
    """Minutes actually run in a check-in: what the runner said when the check-in asked
    (a ``running_minutes`` column, when there is one), else progression's estimate from the
    level. A skipped session ran nothing."""
    if is_skipped(row):
        return 0
    told = getattr(row, "running_minutes", None)
    if told is not None and row.outcome != "cross":
        return max(0, min(int(told), max(0, row.minutes)))
    from progression.load import running_minutes_done
    from storage.records import checkin_of

    try:
        checkin = checkin_of(row)
    except ValueError:  # a code this version does not know: count nothing as running
        return 0
    return min(max(0, row.minutes), running_minutes_done(checkin))


def session_load(row: CheckInRow) -> float:
    """Session-RPE load (Foster): effort x minutes; a skipped session carries none."""
    if is_skipped(row):
        return 0.0
    return float(max(0, row.rpe) * max(0, row.minutes))


def worst_pain(row: CheckInRow) -> int | None:
    """The worse of pain during and after; None for a skipped session (nothing was felt)."""
    if is_skipped(row):
        return None
    return max(row.pain_during, row.pain_after)


def pain_limits(injury: str | None) -> tuple[int, int]:
    """(green limit, ceiling) for the runner's tissue (progression.rules_for)."""
    from progression import Injury, rules_for

    try:
        rules = rules_for(Injury(injury or Injury.OTHER))
    except ValueError:
        rules = rules_for(Injury.OTHER)
    return rules.green_pain_max, rules.pain_ceiling


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
    green, ceiling = pain_limits(injury)
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
            ChartMorning(day=m.day, pain=m.pain) for m in records.mornings if first <= m.day <= last
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


# ---------------------------------------------------------------- the injury date, as told
def onboarding_day(records: Records, joined: date) -> date:
    """The day the runner finished onboarding: its decision is the first one stored."""
    return records.decisions[0].day if records.decisions else joined


@dataclass(frozen=True)
class InjuryDate:
    """The injury date as the runner gave it: a button ("1-2 weeks ago", pressed on
    ``answered``) or a typed date (``exact``), or nothing."""

    stored: date | None
    answered: date | None = None  # the day a button was pressed (None: typed or unknown)
    preset: int = 0  # days before ``answered`` that the button stored

    @property
    def exact(self) -> bool:
        return self.stored is not None and self.answered is None

    def text(self, tr: Translator, locale: str) -> str:
        if self.stored is None:
            return tr.gettext("not known (the runner was not sure)")
        if self.answered is None:
            return format_day(self.stored, locale)
        msgid = INJURY_PRESETS[self.preset][0]
        return tr.gettext(msgid).format(date=format_day(self.answered, locale))

    def days_since(self, today: date) -> tuple[int, int | None] | None:
        """Days from the injury to ``today``: exact (low == high), a range, or open-ended."""
        if self.stored is None:
            return None
        if self.answered is None:
            days = (today - self.stored).days
            return days, days
        _, low, high = INJURY_PRESETS[self.preset]
        base = (today - self.answered).days
        return base + low, None if high is None else base + high


def injury_date_as_told(
    injury_date: date | None,
    records: Records,
    joined: date,
    answer: str | None = None,
    told_on: date | None = None,
) -> InjuryDate:
    """How the runner gave the injury date. Since migration 0006 the answer itself is kept
    (``answer``: the button, or "date" for a typed date; ``told_on``: the day of the answer)
    and is printed as said. For runners who onboarded before, the onboarding buttons stored
    a fixed number of days before the day they were pressed (see INJURY_PRESETS): a stored
    date that is exactly such a number of days before an onboarding day (its first decision,
    or a clear red-flag screen, which onboarding records) is read as that button."""
    if injury_date is None:
        return InjuryDate(None)
    if answer is not None and told_on is not None:
        if answer == "date":
            return InjuryDate(injury_date)
        preset = INJURY_DATE_PRESETS.get(answer)
        if preset in INJURY_PRESETS and (told_on - injury_date).days == preset:
            return InjuryDate(injury_date, told_on, preset)
    candidates = {onboarding_day(records, joined), joined}
    candidates |= {f.day for f in records.red_flags if not f.flags}
    for day in sorted(candidates, reverse=True):
        preset = (day - injury_date).days
        if preset in INJURY_PRESETS:
            return InjuryDate(injury_date, day, preset)
    return InjuryDate(injury_date)


# ---------------------------------------------------------------- the one-glance summary
def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


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
    done_this_week: int
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
    from progression import ReasonCode

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
    planned = {d for d in planned_days(records.decisions) if d >= data.start}
    done = done_days(c for c in records.checkins if c.day >= data.start)
    monday = week_start(today)
    this_week = {monday + timedelta(days=i) for i in range(7)}
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
    from progression import weekly_cap

    records = data.records
    running: dict[date, int] = {}
    for c in records.checkins:
        running[week_start(c.day)] = running.get(week_start(c.day), 0) + running_minutes(c)
    planned = planned_days(records.decisions)
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


# ---------------------------------------------------------------- reassessment helpers
def symmetry(side: str | None, left: float | None, right: float | None) -> float | None:
    """Limb symmetry index: the injured side as a fraction of the other (weaker/stronger when
    both sides are injured or the side is unknown)."""
    if left is None or right is None:
        return None
    if side == "left":
        injured, other = left, right
    elif side == "right":
        injured, other = right, left
    else:
        injured, other = min(left, right), max(left, right)
    if other <= 0:
        return None
    return injured / other


def gate_results(row: ReassessmentRow) -> dict[str, list[str]]:
    """The stored gates by result: "passed", "failed", "untested". A gate stored with
    ``"tested": 0`` was not asked or measured: never passed, whatever else it says."""
    results: dict[str, list[str]] = {"passed": [], "failed": [], "untested": []}
    for gate in row.gates or []:
        if not isinstance(gate, dict) or "code" not in gate:
            continue
        if gate.get("tested") == 0:
            key = "untested"
        else:
            key = "passed" if gate.get("passed") else "failed"
        results[key].append(str(gate["code"]))
    return results


def gate_lists(row: ReassessmentRow) -> tuple[list[str], list[str]]:
    results = gate_results(row)
    return results["passed"], results["failed"]


# ---------------------------------------------------------------- CSV
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


# ---------------------------------------------------------------- PDF
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
        cls, runner: Runner, today: date, records: Records, chart_png: bytes | None
    ) -> ReportInput:
        return cls(
            injury=runner.injury,
            side=runner.side,
            injury_date_stored=runner.injury_date,
            status=runner.status,
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


# --- fonts: DejaVu Sans ships with matplotlib (a dependency, so nothing is downloaded at run
# time; its licence is in matplotlib's package). It covers Latin, Cyrillic and Greek. A
# character it cannot draw (emoji, CJK) is replaced by its code point, visibly: [U+1F600],
# and the report says so; nothing silently vanishes.
FONT = "DejaVu"
INVISIBLE = frozenset({0x200D, 0xFE0E, 0xFE0F})  # joiners and emoji variation selectors


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def font_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(_font_dir() / "DejaVuSans.ttf")) as font:
        return frozenset(font.getBestCmap())


def drawable(text: str) -> tuple[str, bool]:
    """The text with every character the font lacks shown as its code point; and whether
    anything was replaced."""
    chars = font_chars()
    out: list[str] = []
    replaced = False
    for ch in text:
        code = ord(ch)
        if code in chars or ch in "\n\t":
            out.append(ch)
        elif code in INVISIBLE:
            replaced = True
        else:
            out.append(f"[U+{code:04X}]")
            replaced = True
    return "".join(out), replaced


class _Voice:
    """The part of a Ctx that render.reasons reads, for a report built outside an update."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self._ = tr.gettext
        self.n_ = tr.ngettext


def decision_reasons(tr: Translator, d: DecisionRow) -> list[str]:
    """A decision's reasons as the runner saw them (render.reasons), as plain text."""
    voice = cast("Ctx", _Voice(tr))
    return [html.unescape(text) for text in render.reasons(voice, d.reasons or [])]


def build_pdf(data: ReportInput, tr: Translator) -> bytes:
    """A report a physiotherapist can read in two minutes: the one-glance summary, the
    baseline from onboarding, milestones, the chart, weekly running minutes, the decisions
    with their reasons, reassessments, red flags, then every check-in."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    _ = tr.gettext
    records = data.records
    locale = date_locale(tr.lang, data.time_zone)
    replaced: list[bool] = []

    def day(value: date | None) -> str:
        return format_day(value, locale)

    def num(value: float | int | None) -> str:
        return tr.number(value) if value is not None else _(NOT_TESTED)

    def safe(text: str) -> str:
        clean, changed = drawable(text)
        if changed:
            replaced.append(True)
        return clean

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(_("Return-to-running report"))
    pdf.set_creator("runcoach")
    pdf.set_lang(tr.lang)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "", height: float = 5.2) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, safe(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text: str) -> None:
        pdf.ln(3)
        if pdf.get_y() > pdf.h - pdf.b_margin - 30:  # never a heading alone at a page's foot
            pdf.add_page()
        line(text, 13, "B", 7)
        pdf.ln(1)

    def pairs(items: Sequence[tuple[str, str]]) -> None:
        for key, value in items:
            y = pdf.get_y()
            if y > pdf.h - pdf.b_margin - 11:
                pdf.add_page()
                y = pdf.get_y()
            pdf.set_font(FONT, "B", 10)
            pdf.multi_cell(KEY_WIDTH - 3, 5.4, key, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            after_key = pdf.get_y()
            pdf.set_xy(pdf.l_margin + KEY_WIDTH, y)
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(
                width - KEY_WIDTH,
                5.4,
                safe(value),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.set_y(max(pdf.get_y(), after_key))

    def table(
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        weights: Sequence[float],
        size: float = 8,
    ) -> None:
        rows = [[safe(cell) for cell in row] for row in rows]
        widths, size = column_widths(pdf, headings, rows, weights, width, size, whole=(0,))
        pdf.set_font(FONT, "", size)
        with pdf.table(
            col_widths=tuple(widths),
            width=width,
            line_height=size * 0.53,
            text_align="LEFT",
            first_row_as_headings=True,
        ) as t:
            head = t.row()
            for text in headings:
                head.cell(text)
            for values in rows:
                row = t.row()
                for text in values:
                    row.cell(text)

    # --- title
    line(_("Return-to-running report"), 17, "B", 9)
    line(_("Created {date} by runcoach").format(date=day(data.today)), 9, "I")
    pdf.ln(1)
    line(_(NOT_A_DIAGNOSIS), 9, "I", 4.6)

    # --- at a glance
    g = glance(data)
    heading(_("At a glance"))
    since = g.days_since_injury
    if since is None:
        since_text = _("not known")
    elif since[1] is None:
        since_text = _("more than {n} days").format(n=since[0])
    elif since[0] == since[1]:
        since_text = tr.ngettext("{n} day", "{n} days", since[0]).format(n=since[0])
    else:
        since_text = _("{low}-{high} days").format(low=since[0], high=since[1])
    trend = {
        "better": _("lower: {before} → {recent}"),
        "worse": _("higher: {before} → {recent}"),
        "same": _("about the same: {before} → {recent}"),
    }
    if g.trend is None:
        trend_text = _("not enough check-ins to compare")
    else:
        trend_text = trend[g.trend].format(
            before=tr.number(round(g.pain_before or 0, 1)),
            recent=tr.number(round(g.pain_recent or 0, 1)),
        )
    alerts: list[str] = []
    for f in g.open_red_flags:
        names = ", ".join(label(tr, RED_FLAGS, code) for code in f.flags.split(",") if code)
        alerts.append(_("Open red flag, {date}: {flags}").format(date=day(f.day), flags=names))
    if data.status == "referred" and not g.open_red_flags:
        alerts.append(label(tr, STATUSES, "referred"))
    if g.escalation is not None:
        alerts.append(_("Clinician review advised, {date}").format(date=day(g.escalation.day)))
    pairs(
        [
            (
                _("Stage and level now"),
                _("Stage {n}: {name} (level {level})").format(
                    n=g.stage, name=stage_name(tr, g.stage), level=g.level
                ),
            ),
            (_("Status"), label(tr, STATUSES, data.status)),
            (_("Days since injury"), since_text),
            (
                _("Sessions this week"),
                _("{done} done of {planned} planned").format(
                    done=g.done_this_week, planned=g.planned_this_week
                ),
            ),
            (_("Pain trend (last 2 weeks vs the 2 before)"), trend_text),
            (
                _("Adherence"),
                _("{percent} of planned sessions done").format(percent=tr.percent(g.adherence))
                if g.adherence is not None
                else _("no sessions planned yet"),
            ),
            (_("Red flags and escalations"), "\n".join(alerts) if alerts else _("None open.")),
        ]
    )

    # --- baseline (onboarding)
    heading(_("Baseline at onboarding"))
    injury = label(tr, INJURIES, data.injury)
    if data.side:
        injury = _("{injury}, side: {side}").format(injury=injury, side=label(tr, SIDES, data.side))
    pre_injury = (
        _("{runs} runs and {minutes} minutes a week").format(
            runs=data.runs_per_week_before, minutes=data.minutes_per_week_before
        )
        if data.runs_per_week_before is not None and data.minutes_per_week_before is not None
        else _("not asked")
    )
    pairs(
        [
            (_("Injury"), injury),
            (_("Injury date (as reported)"), data.injury_date.text(tr, locale)),
            (_("Onboarding"), day(data.start)),
            (_("Running before the injury"), pre_injury),
            (_("Pain at rest"), f"{data.rest_pain}/10" if data.rest_pain is not None else "–"),
            (
                _("Pain in daily life"),
                f"{data.walk_pain}/10" if data.walk_pain is not None else "–",
            ),
            (_("Goal"), data.goal or "–"),
        ]
    )
    entry = [r for r in records.reassessments if r.day == data.start]
    if entry:
        r = entry[0]
        pairs([(_("Entry tests"), "")])
        pairs(result_lines(tr, data.side, r))
    else:
        pairs([(_("Entry tests"), _("not done at onboarding"))])

    # --- milestones
    found = milestones(records, data.today)
    heading(_("Milestones"))
    if found:
        for m in found:
            line(f"{day(m.day)} — {milestone_text(tr, m)}")
    else:
        line(_("None yet."))

    # --- chart
    if data.chart_png:
        chart_height = width * 0.75
        if pdf.get_y() + 25 + chart_height > pdf.h - pdf.b_margin:  # heading, note, chart
            pdf.add_page()
        heading(_("Pain and running"))
        green, ceiling = pain_limits(data.injury)
        line(
            _(
                "Shaded band: this tissue's pain limits (green up to {green}/10, limit up to "
                "{ceiling}/10). Open squares: skipped sessions (no pain recorded)."
            ).format(green=green, ceiling=ceiling),
            8.5,
            "I",
            4.4,
        )
        pdf.image(io.BytesIO(data.chart_png), w=width, h=chart_height)

    # --- weekly running minutes
    heading(_("Weekly running minutes"))
    before = data.minutes_per_week_before
    table(
        [
            _("Week of"),
            _("Sessions done / planned"),
            _("Skipped"),
            _("Minutes run"),
            _("Weekly cap"),
            _("Share of pre-injury minutes"),
            _("Cadence (watch)"),
        ],
        [
            [
                day(w.monday),
                f"{w.done} / {w.planned}",
                str(w.skipped),
                str(w.running),
                str(w.cap),
                tr.percent(w.running / before) if before else "–",
                tr.number(w.cadence) if w.cadence else "–",
            ]
            for w in weeks(data)
        ],
        (1.4, 1.2, 0.8, 1.0, 1.0, 1.3, 1.0),
    )
    pdf.ln(1)
    line(
        _(
            "Weekly cap: the most running minutes the plan allows in a week, from the week "
            "before's. Before the injury: {minutes} minutes a week."
        ).format(minutes=before if before is not None else "–"),
        8.5,
        "I",
        4.4,
    )

    # --- decisions
    heading(_("Decisions and their reasons"))
    decisions = records.decisions[-REPORT_DECISIONS:]
    if decisions:
        earlier = len(records.decisions) - len(decisions)
        if earlier:
            line(
                tr.ngettext(
                    "The latest {n} decisions ({earlier} earlier one not shown).",
                    "The latest {n} decisions ({earlier} earlier ones not shown).",
                    earlier,
                ).format(n=len(decisions), earlier=earlier),
                8.5,
                "I",
                4.4,
            )
        table(
            [_("Date"), _("Decision"), _("Stage"), _("Why (as the runner saw it)")],
            [
                [
                    day(d.day),
                    label(tr, ACTIONS, d.action),
                    _("Stage {n}, level {level}").format(n=d.stage, level=d.level),
                    "\n".join(decision_reasons(tr, d)) or "–",
                ]
                for d in decisions
            ],
            (1.1, 1.0, 1.0, 4.0),
        )
    else:
        line(_("No decisions recorded yet."))

    # --- reassessments
    heading(_("Reassessments"))
    if records.reassessments:
        for r in records.reassessments:
            line(_("Reassessment on {date}").format(date=day(r.day)), 10, "B")
            results = gate_results(r)
            lines = result_lines(tr, data.side, r)
            for key, title in (
                ("passed", _("Gates passed")),
                ("failed", _("Gates not passed")),
                ("untested", _("Gates not tested")),
            ):
                if results[key]:
                    lines.append((title, ", ".join(label(tr, GATES, c) for c in results[key])))
            pairs(lines)
            pdf.ln(1)
    else:
        line(_("No reassessments yet."))

    # --- red flags
    heading(_("Red flags raised"))
    raised = [f for f in records.red_flags if f.flags]
    if raised:
        for f in raised:
            names = ", ".join(label(tr, RED_FLAGS, code) for code in f.flags.split(",") if code)
            line(f"{day(f.day)} — {names}")
    else:
        line(_("None reported."))

    # --- check-ins
    heading(_("Check-ins"))
    checkins = records.checkins
    if checkins:
        table(
            [
                _("Date"),
                _("Session"),
                _("Minutes (running)"),
                _("Pain during / after"),
                _("RPE"),
                _("Stiffness"),
                _("Swelling"),
                _("Sharp pain or limp"),
                _("Note"),
            ],
            [checkin_cells(tr, c, day) for c in checkins],
            (1.3, 1.3, 1.0, 1.0, 0.6, 1.0, 1.1, 0.9, 1.8),
            size=7.5,
        )
        if any(getattr(c, "measured_minutes", None) for c in checkins):
            pdf.ln(1)
            line(
                _(
                    "Minutes with a distance under them were measured by the runner's watch "
                    "(the running minutes too); cadence in steps a minute while running."
                ),
                8.5,
                "I",
                4.4,
            )
    else:
        line(_("No check-ins yet."))

    if replaced:
        pdf.ln(2)
        line(
            _(
                "Some characters in the runner's notes (emoji, Chinese, Japanese or Korean "
                "script) cannot be drawn with this report's font: they are shown as their "
                "Unicode code in brackets, like [U+4E2D]."
            ),
            8.5,
            "I",
            4.4,
        )
    return bytes(pdf.output())


def result_lines(tr: Translator, side: str | None, r: ReassessmentRow) -> list[tuple[str, str]]:
    """A reassessment's results, each "not tested" when it was not asked or measured."""
    _ = tr.gettext
    not_tested = _(NOT_TESTED)

    def pair(left: float | None, right: float | None, unit: str = "") -> str:
        if left is None or right is None:
            return not_tested
        text = (
            _("left {left}, right {right}").format(left=tr.number(left), right=tr.number(right))
            + unit
        )
        lsi = symmetry(side, left, right)
        if lsi is not None:
            text += " · " + _("symmetry {percent}").format(percent=tr.percent(lsi))
        return text

    def pain(value: int | None) -> str:
        return f"{value}/10" if value is not None else not_tested

    rest = getattr(r, "rest_pain", None)
    daily = getattr(r, "daily_pain", None)
    swelling = getattr(r, "swelling", None)
    out = [
        (_("Single-leg heel raises"), pair(r.heel_raises_left, r.heel_raises_right)),
        (_("Single-leg hops"), pair(r.hops_left, r.hops_right)),
        (_("Pain on hopping"), pain(r.hop_pain)),
        (_("30-minute walk, pain"), pain(r.walk_pain)),
        (
            _("Morning stiffness"),
            _("{n} min").format(n=r.morning_stiffness_min)
            if r.morning_stiffness_min is not None
            else not_tested,
        ),
    ]
    if r.knee_to_wall_left_cm is not None or r.knee_to_wall_right_cm is not None:
        out.append(
            (
                _("Knee to wall"),
                pair(r.knee_to_wall_left_cm, r.knee_to_wall_right_cm, " " + _("cm")),
            )
        )
    if daily is not None or rest is not None:
        out.append((_("Pain in daily life / at rest"), f"{pain(daily)} / {pain(rest)}"))
    if swelling is not None:
        out.append((_("Swelling"), label(tr, SWELLING, str(swelling))))
    out.append((_("Readiness"), f"{r.readiness}/60" if r.readiness is not None else not_tested))
    return out


def checkin_cells(tr: Translator, c: CheckInRow, day: Any) -> list[str]:
    """One row of the check-in table. A skipped session has no pain, effort or symptoms."""
    _ = tr.gettext
    if is_skipped(c):
        skipped = _("skipped")
        return [
            day(c.day),
            label(tr, OUTCOMES, c.outcome),
            "–",
            skipped,
            "–",
            "–",
            "–",
            "–",
            c.note or "",
        ]
    minutes = f"{c.minutes} ({running_minutes(c)})"
    measured = measured_text(tr, c)
    if measured:
        minutes += "\n" + measured
    return [
        day(c.day),
        label(tr, OUTCOMES, c.outcome),
        minutes,
        f"{c.pain_during} / {c.pain_after}",
        str(c.rpe),
        _(NOT_ASKED) if c.stiffness is None else str(c.stiffness),
        _(NOT_ASKED) if c.swelling is None else label(tr, SWELLING, c.swelling),
        _("Yes") if c.sharp_or_limp else _("No"),
        c.note or "",
    ]


def measured_text(tr: Translator, c: CheckInRow) -> str:
    """What a watch measured for the session: "4.8 km, cadence 164, heart rate 137"; ""
    when nothing was measured."""
    if not getattr(c, "measured_minutes", None):
        return ""
    parts = []
    if c.distance_m:
        parts.append(tr.gettext("{km} km").format(km=tr.number(round(c.distance_m / 1000, 1))))
    if c.cadence_spm:
        parts.append(tr.gettext("cadence {spm}").format(spm=tr.number(c.cadence_spm)))
    if c.avg_hr:
        parts.append(tr.gettext("heart rate {bpm}").format(bpm=tr.number(c.avg_hr)))
    return ", ".join(parts) or tr.gettext("measured")


def column_widths(
    pdf: Any,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    total: float,
    size: float,
    smallest: float = 6.0,
    longest_word: float = 0.3,
    whole: Sequence[int] = (),
) -> tuple[list[float], float]:
    """Column widths (mm) and a font size at which no heading or cell word breaks in the
    middle ("Скованность", not "Скованно|сть"): each column is at least as wide as its
    longest word (a word longer than ``longest_word`` of the table may still break), and
    what is left is shared by the weights. The font shrinks down to ``smallest`` points
    when the words do not fit. Cells of the ``whole`` columns (dates) are not wrapped."""
    padding = 2 * pdf.c_margin + 0.6
    while True:
        needed = []
        for i in range(len(headings)):
            pdf.set_font(FONT, "B", size)
            head = max((pdf.get_string_width(w) for w in headings[i].split()), default=0.0)
            pdf.set_font(FONT, "", size)
            cell = max(
                (
                    pdf.get_string_width(w)
                    for row in rows
                    for w in ([row[i]] if i in whole else row[i].split())
                ),
                default=0.0,
            )
            needed.append(min(max(head, cell) + padding, total * longest_word))
        if sum(needed) <= total or size <= smallest:
            break
        size -= 0.5
    spare = max(0.0, total - sum(needed))
    share = sum(weights)
    return [n + spare * w / share for n, w in zip(needed, weights, strict=True)], size
