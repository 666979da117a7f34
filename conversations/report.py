"""What /progress, /history and /export show: the runner's records turned into chart data,
milestones, a clinician's PDF report (fpdf2) and a CSV of every check-in.

Everything here is pure (no database, no Telegram): the commands read the records with
``storage.reports`` and pass them in, so the PDF and CSV can be built in a worker thread.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from conversations import render
from conversations.charts import ChartCheckIn, ChartData, ChartMorning, ChartStage
from locales import N_, Translator
from storage.models import CheckInRow, DecisionRow, ReassessmentRow, Runner
from storage.reports import Records

CHART_MIN_DAYS = 28  # the chart shows 4 to 8 weeks
CHART_MAX_DAYS = 56
HISTORY_DAYS = 14
KEY_WIDTH = 62  # mm for the summary's labels: long enough for German and Russian
PAIN_FREE_DAYS = 7
PAIN_FREE_MIN_CHECKINS = 2
CONTINUOUS_MILESTONE_MIN = 10

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


def running_minutes(row: CheckInRow) -> int:
    """Minutes actually run in a check-in (progression's estimate from the level)."""
    from progression.load import running_minutes_done
    from storage.records import checkin_of

    try:
        checkin = checkin_of(row)
    except ValueError:  # a code this version does not know: count nothing as running
        return 0
    return min(max(0, row.minutes), running_minutes_done(checkin))


def session_load(row: CheckInRow) -> float:
    """Session-RPE load (Foster): effort x minutes; a skipped session carries none."""
    if row.outcome == "skipped":
        return 0.0
    return float(max(0, row.rpe) * max(0, row.minutes))


# ---------------------------------------------------------------- chart data
def chart_window(today: date, first_checkin: date | None) -> tuple[date, date]:
    """The chart's days: from the first check-in, at least 4 and at most 8 weeks back."""
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


def chart_data(records: Records, first: date, last: date) -> ChartData:
    return ChartData(
        first=first,
        last=last,
        checkins=tuple(
            ChartCheckIn(
                day=c.day,
                minutes=c.minutes,
                running_minutes=running_minutes(c),
                load=session_load(c),
                pain_during=c.pain_during,
                pain_after=c.pain_after,
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
    """The last day of the first 7 days in a row whose check-ins (at least two) all had no
    pain during or after."""
    if not checkins:
        return None
    by_day: dict[date, list[CheckInRow]] = {}
    for c in checkins:
        by_day.setdefault(c.day, []).append(c)
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


def gate_lists(row: ReassessmentRow) -> tuple[list[str], list[str]]:
    passed: list[str] = []
    failed: list[str] = []
    for gate in row.gates or []:
        if not isinstance(gate, dict) or "code" not in gate:
            continue
        (passed if gate.get("passed") else failed).append(str(gate["code"]))
    return passed, failed


# ---------------------------------------------------------------- CSV
CSV_EXCLUDED = ("id", "runner_id")
CSV_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in CheckInRow.__table__.columns if c.name not in CSV_EXCLUDED
)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def checkins_csv(checkins: Iterable[CheckInRow]) -> bytes:
    """Every check-in, one row each: machine-readable English column names (the table's
    own), ISO dates, booleans as true/false. UTF-8 with a byte-order mark so spreadsheets
    open Cyrillic text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in checkins:
        writer.writerow([_csv_value(getattr(row, name)) for name in CSV_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- PDF
@dataclass
class ReportInput:
    """What the PDF needs, copied out of the database session."""

    injury: str | None
    side: str | None
    injury_date: date | None
    status: str
    level: int
    joined: date
    today: date
    records: Records
    chart_png: bytes | None = None

    @classmethod
    def of(
        cls, runner: Runner, today: date, records: Records, chart_png: bytes | None
    ) -> ReportInput:
        return cls(
            injury=runner.injury,
            side=runner.side,
            injury_date=runner.injury_date,
            status=runner.status,
            level=runner.level,
            joined=(runner.consent_at or runner.created_at or datetime.now(UTC)).date(),
            today=today,
            records=records,
            chart_png=chart_png,
        )


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


FONT = "DejaVu"


def build_pdf(data: ReportInput, tr: Translator) -> bytes:
    """A report a physiotherapist can read in two minutes: summary and milestones, the chart,
    the stage timeline, reassessments, red flags, then every check-in."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    _ = tr.gettext
    records = data.records

    def day(value: date | None) -> str:
        return tr.date(value) if value is not None else "–"

    def short(value: date) -> str:  # table cells: 28.01.2026 / 1/28/26, never wrapped
        return tr.date(value, "short")

    def num(value: float | int | None) -> str:
        return tr.number(value) if value is not None else "–"

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(_("Return-to-running report"))
    pdf.set_creator("runcoach")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "", height: float = 5.2) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text: str) -> None:
        pdf.ln(3)
        line(text, 13, "B", 7)
        pdf.ln(1)

    def table(
        headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        pdf.set_font(FONT, "", 8)
        with pdf.table(
            col_widths=tuple(widths),
            width=width,
            line_height=4.2,
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

    # --- summary
    line(_("Return-to-running report"), 17, "B", 9)
    line(_("Created {date} by runcoach").format(date=day(data.today)), 9, "I")
    pdf.ln(1)
    line(_(NOT_A_DIAGNOSIS), 9, "I", 4.6)
    pdf.ln(2)
    injury = label(tr, INJURIES, data.injury)
    if data.side:
        injury = _("{injury}, side: {side}").format(injury=injury, side=label(tr, SIDES, data.side))
    checkins = records.checkins
    summary = [
        (_("Injury"), injury),
        (_("Injury date"), day(data.injury_date)),
        (_("With runcoach since"), day(data.joined)),
        (_("Status"), label(tr, STATUSES, data.status)),
        (
            _("Current stage"),
            _("Stage {n}: {name} (level {level})").format(
                n=stage_of(data.level), name=stage_name(tr, stage_of(data.level)), level=data.level
            ),
        ),
        (
            _("Check-ins"),
            tr.ngettext(
                "{count} check-in, {first} to {last}",
                "{count} check-ins, {first} to {last}",
                len(checkins),
            ).format(count=len(checkins), first=day(checkins[0].day), last=day(checkins[-1].day))
            if checkins
            else "0",
        ),
    ]
    for key, value in summary:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(KEY_WIDTH, 5.6, key)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width - KEY_WIDTH, 5.6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    found = milestones(records, data.today)
    heading(_("Milestones"))
    if found:
        for m in found:
            line(f"{day(m.day)} — {milestone_text(tr, m)}")
    else:
        line(_("None yet."))

    # --- chart
    if data.chart_png:
        heading(_("The last weeks"))
        chart_height = width * 0.75
        if pdf.get_y() + chart_height > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(data.chart_png), w=width, h=chart_height)

    # --- stage timeline
    heading(_("Stage timeline"))
    changes = stage_changes(records.decisions)
    if changes:
        table(
            [_("Date"), _("Stage"), _("Decision")],
            [
                [
                    day(d.day),
                    _("Stage {n}: {name}").format(n=d.stage, name=stage_name(tr, d.stage)),
                    label(tr, ACTIONS, d.action),
                ]
                for d in changes
            ],
            (1, 2, 1.4),
        )
    else:
        line(_("No decisions recorded yet."))

    # --- reassessments
    heading(_("Reassessments"))
    if records.reassessments:
        rows = []
        for r in records.reassessments:
            heel_lsi = symmetry(data.side, r.heel_raises_left, r.heel_raises_right)
            hop_lsi = symmetry(data.side, r.hops_left, r.hops_right)
            rows.append(
                [
                    short(r.day),
                    f"{r.heel_raises_left} / {r.heel_raises_right}"
                    + (f" ({tr.percent(heel_lsi)})" if heel_lsi is not None else ""),
                    f"{r.hops_left} / {r.hops_right}"
                    + (f" ({tr.percent(hop_lsi)})" if hop_lsi is not None else ""),
                    f"{r.hop_pain}/10",
                    f"{num(r.knee_to_wall_left_cm)} / {num(r.knee_to_wall_right_cm)}",
                    num(r.morning_stiffness_min),
                    f"{r.walk_pain}/10" if r.walk_pain is not None else "–",
                    f"{r.readiness}/60" if r.readiness is not None else "–",
                ]
            )
        table(
            [
                _("Date"),
                _("Heel raises L / R (symmetry)"),
                _("Hops L / R (symmetry)"),
                _("Hop pain"),
                _("Knee to wall L / R, cm"),
                _("Morning stiffness, min"),
                _("Walk pain"),
                _("Readiness"),
            ],
            rows,
            (1.3, 1.4, 1.3, 0.8, 1.2, 1.0, 0.8, 0.9),
        )
        pdf.ln(1)
        for r in records.reassessments:
            passed, failed = gate_lists(r)
            if not passed and not failed:
                continue
            parts = []
            if passed:
                parts.append(
                    _("passed: {gates}").format(
                        gates=", ".join(label(tr, GATES, g) for g in passed)
                    )
                )
            if failed:
                parts.append(
                    _("not passed: {gates}").format(
                        gates=", ".join(label(tr, GATES, g) for g in failed)
                    )
                )
            line(
                _("Gates on {date}: {result}").format(date=day(r.day), result="; ".join(parts)),
                9,
                height=4.6,
            )
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
    if checkins:
        table(
            [
                _("Date"),
                _("Session"),
                _("Minutes"),
                _("Pain during"),
                _("Pain after"),
                _("RPE"),
                _("Stiffness"),
                _("Swelling"),
                _("Sharp pain or limp"),
                _("Note"),
            ],
            [
                [
                    short(c.day),
                    label(tr, OUTCOMES, c.outcome),
                    str(c.minutes),
                    str(c.pain_during),
                    str(c.pain_after),
                    str(c.rpe),
                    str(c.stiffness),
                    label(tr, SWELLING, c.swelling),
                    _("Yes") if c.sharp_or_limp else _("No"),
                    c.note or "",
                ]
                for c in checkins
            ],
            (1.35, 1.3, 1.0, 0.8, 0.8, 0.6, 1.05, 1.1, 0.8, 1.6),
        )
    else:
        line(_("No check-ins yet."))

    return bytes(pdf.output())
