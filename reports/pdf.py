"""The clinician's PDF report (fpdf2): what a physiotherapist reads in two minutes.

Rules the report keeps (docs/report.md):

* a skipped session is shown as skipped, never as 0 pain (a gap in the chart's pain line);
* the injury date is printed as the runner gave it ("1-2 weeks before 25 Nov 2026");
* every date goes through Babel in the runner's locale;
* a reassessment item that was not asked or measured reads "not tested", never "passed";
* a question a check-in did not ask reads "not asked".
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

from locales import Translator
from reports.charts import render_progress_chart
from reports.csv_export import checkins_csv, not_asked
from reports.dates import date_locale, format_day
from reports.labels import (
    ACTIONS,
    GATE_CODES,
    INJURY_CODES,
    NOT_A_DIAGNOSIS,
    NOT_ASKED,
    NOT_TESTED,
    OUTCOMES,
    RED_FLAGS,
    SIDES,
    STATUSES,
    SWELLING,
    label,
    stage_name,
)
from reports.measures import is_skipped, running_minutes
from reports.pain import pain_rule, pain_rule_text
from reports.progress import milestone_text, milestones
from reports.reasons import Voice, reasons
from reports.reassessments import gate_results, result_lines
from reports.report_input import ReportInput
from reports.summary import glance, weeks
from storage.models import CheckInRow, DecisionRow

PDF_NAME = "runcoach-report.pdf"
CSV_NAME = "runcoach-checkins.csv"
KEY_WIDTH = 62  # mm for the summary's labels: long enough for German and Russian
REPORT_DECISIONS = 15  # decisions with their reasons: the latest 15


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
    """The part of an update's Ctx that the reasons read, for a report built outside one."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self._ = tr.gettext
        self.n_ = tr.ngettext


def decision_reasons(tr: Translator, d: DecisionRow) -> list[str]:
    """A decision's reasons as the runner saw them (reports.reasons), as plain text."""
    voice = cast(Voice, _Voice(tr))
    return [html.unescape(text) for text in reasons(voice, d.reasons or [])]


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
                _("Sessions in the last 7 days"),
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
    injury = label(tr, INJURY_CODES, data.injury)
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
        # the runner's pain rule in the words every screen uses, then what the chart shows
        line(
            pain_rule_text(_Voice(tr), pain_rule(data.injury))
            + " "
            + _(
                "The band and the dash-dot line show it. Open squares: skipped sessions (no "
                "pain recorded)."
            ),
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
                    lines.append((title, ", ".join(label(tr, GATE_CODES, c) for c in results[key])))
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
        _(NOT_ASKED) if not_asked(c, "sharp_or_limp") else _("Yes") if c.sharp_or_limp else _("No"),
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


def documents(data: ReportInput, tr: Translator) -> tuple[bytes, bytes]:
    """The PDF (with its chart) and the CSV (run in a worker thread: rendering takes a
    moment)."""
    chart = data.chart(tr)
    if chart is not None:
        data.chart_png = render_progress_chart(chart, tr)
    return build_pdf(data, tr), checkins_csv(data.records.checkins, tr)
