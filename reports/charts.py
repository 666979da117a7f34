"""The /progress chart (and the one in the clinician's report): pain against running minutes
and session load, as PNG bytes.

Matplotlib is imported inside the render functions (the bot starts without it) and used
through its object API with the Agg canvas, so no global pyplot state is shared between
updates and a render can run in a worker thread.

Layout (1200 x 900 px, fonts sized for a phone screen), sharing one day axis:

* top panel: pain during and after (0-10) for each day with a check-in, over a band that
  shows the runner's pain limits (green up to their tissue's green limit, amber up to the
  ceiling); skipped sessions break the lines and carry a marker of their own (they are never
  drawn as 0 pain); a row of markers for the next-morning check (better / same / worse);
* bottom panel: one stacked bar per day with a check-in (minutes run, then other minutes:
  walking, cross-training) and the session load (RPE x minutes) on a second scale; a day a
  watch measured has its bar outlined and its running cadence (steps a minute) above it;
* dashed vertical lines where the stage changed, labelled with the new stage;
* one legend for the whole figure, below both panels (constrained layout keeps it clear of
  every label).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from locales import Translator

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 6.0, 150  # 1200 x 900 px
MAX_TICKS = 6
# Artist labels and ids (internal, never shown) so tests and callers can find what is drawn.
RUN_BARS = "run-bars"
OTHER_BARS = "other-bars"
PAIN_DURING = "pain-during"
PAIN_AFTER = "pain-after"
SKIPPED = "skipped"
GREEN_BAND = "green-band"
LIMIT_BAND = "limit-band"
CEILING = "pain-ceiling"
MORNING_GID = "morning-{}"
LEGEND = "legend"
MEASURED_BARS = "measured-bars"  # outlines of the bars a watch measured
CADENCE_GID = "cadence-{}"  # the cadence written above a day's bar (day offset)

COLOR_DURING = "#d62728"
COLOR_AFTER = "#ff7f0e"
COLOR_RUN = "#1f77b4"
COLOR_OTHER = "#aec7e8"
COLOR_LOAD = "#2ca02c"
COLOR_STAGE = "#7f7f7f"
COLOR_SKIPPED = "#555555"
COLOR_GREEN_BAND = "#e5f5e0"
COLOR_LIMIT_BAND = "#fdebd0"
# Next-morning symbols that cannot be misread: plus = better, circle = same, cross = worse.
MORNING_STYLE = {  # marker, colour
    "good": ("o", "#2ca02c"),
    "better": ("P", "#2ca02c"),
    "same": ("o", "#7f7f7f"),
    "worse": ("X", "#d62728"),
}
MORNING_Y = 11.4
SKIPPED_Y = 11.4  # skipped days carry no morning check: the same row, another symbol


@dataclass(frozen=True)
class ChartCheckIn:
    day: date
    minutes: int  # the whole session
    running_minutes: int  # the part of it that was running
    load: float  # RPE x minutes
    pain_during: int | None  # None for a skipped session: nothing was felt, nothing is drawn
    pain_after: int | None
    skipped: bool = False
    measured: bool = False  # the minutes came from a watch recording
    cadence_spm: int | None = None  # measured running cadence, steps a minute


@dataclass(frozen=True)
class ChartMorning:
    day: date
    # as answered: good ("All good"), better, same or worse (pain or stiffness worse,
    # swelling or night pain)
    pain: str


@dataclass(frozen=True)
class ChartStage:
    day: date
    stage: int


@dataclass(frozen=True)
class ChartData:
    first: date
    last: date
    checkins: tuple[ChartCheckIn, ...] = ()
    mornings: tuple[ChartMorning, ...] = ()
    stages: tuple[ChartStage, ...] = ()  # stage changes (the new stage from that day)
    green_pain_max: int | None = None  # the runner's tissue: highest pain of a green session
    pain_ceiling: int | None = None  # and the highest acceptable pain
    audience: str = "runner"  # "runner" (/progress) or "clinician" (the PDF): sets the title
    locale: str | None = None  # Babel locale of the title's dates (None: the language's)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class _Day:
    x: int
    minutes: int
    running: int
    load: float
    pain_during: float  # NaN on a skipped day: a gap in the line
    pain_after: float
    skipped: bool
    measured: bool = False
    cadence: int | None = None


def _per_day(data: ChartData) -> list[_Day]:
    """One entry per day with a check-in inside the window (several check-ins are summed,
    pain is the worst of the day). A day whose only check-ins were skipped is a skipped day."""
    grouped: dict[date, list[ChartCheckIn]] = defaultdict(list)
    for c in data.checkins:
        if data.first <= c.day <= data.last:
            grouped[c.day].append(c)
    days = []
    for day in sorted(grouped):
        items = grouped[day]
        felt = [c for c in items if not c.skipped]
        during = [c.pain_during for c in felt if c.pain_during is not None]
        after = [c.pain_after for c in felt if c.pain_after is not None]
        days.append(
            _Day(
                x=(day - data.first).days,
                minutes=sum(max(0, c.minutes) for c in felt),
                running=sum(max(0, min(c.running_minutes, c.minutes)) for c in felt),
                load=sum(c.load for c in felt),
                pain_during=float(max(during)) if during else math.nan,
                pain_after=float(max(after)) if after else math.nan,
                skipped=not felt,
                measured=any(c.measured for c in felt),
                cadence=_day_cadence(felt),
            )
        )
    return days


def broken(days: list[_Day], value: str) -> tuple[list[float], list[float]]:
    """A series over the days with data, with a gap (NaN) wherever a day without data lies
    between two points: a line never runs across days nothing was recorded."""
    xs: list[float] = []
    ys: list[float] = []
    for d in days:
        if xs and d.x - xs[-1] > 1:
            xs.append(xs[-1] + 0.5)
            ys.append(math.nan)
        xs.append(d.x)
        ys.append(float(getattr(d, value)))
    return xs, ys


def _day_cadence(items: list[ChartCheckIn]) -> int | None:
    """The day's measured cadence, weighted by the minutes run."""
    known = [(c.cadence_spm, max(1, c.running_minutes)) for c in items if c.cadence_spm]
    total = sum(w for _, w in known)
    return round(sum((v or 0) * w for v, w in known) / total) if total else None


def tick_positions(n_days: int, max_ticks: int = MAX_TICKS) -> list[int]:
    """Day offsets to label: the last day always, then back in whole steps (weeks when long)."""
    if n_days <= 0:
        return []
    step = max(1, -(-n_days // max_ticks))
    if step > 7:
        step = 7 * -(-step // 7)
    elif step > 3:
        step = 7 if n_days > 3 * max_ticks else step
    last = n_days - 1
    return sorted(range(last, -1, -step))


def title(data: ChartData, tr: Translator) -> str:
    """The chart's title: by audience, always with its dates."""
    from babel.dates import format_skeleton

    locale = data.locale or tr.lang
    first = format_skeleton("MMMd", data.first, locale=locale)
    last = format_skeleton("yMMMd", data.last, locale=locale)
    if data.audience == "clinician":
        return tr.gettext("Pain and running, {first} – {last}").format(first=first, last=last)
    return tr.gettext("Your progress, {first} – {last}").format(first=first, last=last)


def build_figure(data: ChartData, tr: Translator) -> Figure:
    """The chart as a Matplotlib figure (not yet rendered)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    _ = tr.gettext
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=(1.15, 1.0))
    ax_pain = fig.add_subplot(grid[0])
    ax_min = fig.add_subplot(grid[1], sharex=ax_pain)
    ax_load = ax_min.twinx()

    n = max(1, data.days)
    days = _per_day(data)
    fig.suptitle(title(data, tr), fontsize=16, fontweight="bold")
    handles: list[Artist] = []
    labels: list[str] = []

    # --- the runner's pain limits, behind everything
    if data.green_pain_max is not None and data.pain_ceiling is not None:
        # the pain rule exactly as the runner reads it: aim for the green limit or less,
        # above the ceiling (the dash-dot line) we step back
        green, ceiling = data.green_pain_max, data.pain_ceiling
        ax_pain.axhspan(-0.5, green, color=COLOR_GREEN_BAND, zorder=0, gid=GREEN_BAND)
        if ceiling > green:
            ax_pain.axhspan(green, ceiling, color=COLOR_LIMIT_BAND, zorder=0, gid=LIMIT_BAND)
        ax_pain.axhline(ceiling, color=COLOR_DURING, linewidth=1.2, linestyle="-.", gid=CEILING)
        handles += [
            Patch(facecolor=COLOR_GREEN_BAND, edgecolor="#a1d99b"),
            Patch(facecolor=COLOR_LIMIT_BAND, edgecolor=COLOR_DURING, linestyle="-.")
            if ceiling > green
            else Line2D([], [], color=COLOR_DURING, linewidth=1.2, linestyle="-."),
        ]
        labels += [
            _("Aim for {n}/10 or less").format(n=green) if green else _("Aim for no pain"),
            _("Above {n}/10: step back").format(n=ceiling),
        ]

    # --- pain (NaN on skipped days and over days without data: the lines break there)
    xs = [d.x for d in days]
    ax_pain.plot(
        *broken(days, "pain_during"),
        marker="o",
        markersize=7,
        linewidth=2,
        color=COLOR_DURING,
        gid=PAIN_DURING,
    )
    ax_pain.plot(
        *broken(days, "pain_after"),
        marker="s",
        markersize=6,
        linewidth=2,
        color=COLOR_AFTER,
        linestyle="--",
        gid=PAIN_AFTER,
    )
    handles += [
        Line2D([], [], color=COLOR_DURING, marker="o", linewidth=2),
        Line2D([], [], color=COLOR_AFTER, marker="s", linewidth=2, linestyle="--"),
    ]
    labels += [_("Pain during"), _("Pain after")]
    skipped = [d.x for d in days if d.skipped]
    if skipped:
        ax_pain.plot(
            skipped,
            [SKIPPED_Y] * len(skipped),
            linestyle="none",
            marker="s",
            markersize=10,
            markerfacecolor="white",
            markeredgecolor=COLOR_SKIPPED,
            markeredgewidth=1.8,
            gid=SKIPPED,
        )
        for gap in skipped:
            for ax in (ax_pain, ax_min):
                ax.axvspan(gap - 0.45, gap + 0.45, color="#eeeeee", zorder=0)
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="s",
                markersize=9,
                markerfacecolor="white",
                markeredgecolor=COLOR_SKIPPED,
                markeredgewidth=1.8,
            )
        )
        labels.append(_("session skipped"))
    seen_mornings: dict[str, list[int]] = defaultdict(list)
    for m in data.mornings:
        if data.first <= m.day <= data.last and m.pain in MORNING_STYLE:
            seen_mornings[m.pain].append((m.day - data.first).days)
    morning_names = {
        "good": _("next morning all good"),
        "better": _("next morning better"),
        "same": _("next morning same"),
        "worse": _("next morning worse"),
    }
    for key in ("good", "better", "same", "worse"):
        if key not in seen_mornings:
            continue
        marker, color = MORNING_STYLE[key]
        ax_pain.plot(
            seen_mornings[key],
            [MORNING_Y] * len(seen_mornings[key]),
            linestyle="none",
            marker=marker,
            markersize=10,
            color=color,
            gid=MORNING_GID.format(key),
        )
        handles.append(Line2D([], [], linestyle="none", marker=marker, color=color, markersize=9))
        labels.append(morning_names[key])
    ax_pain.set_ylim(-0.5, 12.3)
    ax_pain.set_yticks([0, 2, 4, 6, 8, 10])
    ax_pain.set_ylabel(_("Pain (0–10)"), fontsize=12)
    ax_pain.grid(axis="y", alpha=0.3)

    # --- minutes and load
    ax_min.bar(xs, [d.running for d in days], width=0.8, color=COLOR_RUN, label=RUN_BARS)
    ax_min.bar(
        xs,
        [d.minutes - d.running for d in days],
        bottom=[d.running for d in days],
        width=0.8,
        color=COLOR_OTHER,
        label=OTHER_BARS,
    )
    measured = [d for d in days if d.measured]
    if measured:
        ax_min.bar(
            [d.x for d in measured],
            [d.minutes for d in measured],
            width=0.8,
            fill=False,
            edgecolor="#000000",
            linewidth=1.6,
            label=MEASURED_BARS,
        )
        for d in measured:
            if d.cadence:
                ax_min.text(
                    d.x,
                    d.minutes,
                    tr.number(d.cadence),
                    fontsize=8,
                    ha="center",
                    va="bottom",
                    color="#000000",
                    gid=CADENCE_GID.format(d.x),
                )
    felt = [d for d in days if not d.skipped]
    ax_load.plot(
        *broken(felt, "load"),
        marker="D",
        markersize=5,
        linewidth=1.5,
        color=COLOR_LOAD,
    )
    top_minutes = max([d.minutes for d in days] + [10])
    ax_min.set_ylim(0, top_minutes * 1.15)
    ax_load.set_ylim(0, max([d.load for d in days] + [50]) * 1.15)
    ax_min.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax_load.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax_min.set_ylabel(_("Minutes"), fontsize=12)
    ax_load.set_ylabel(_("Load (RPE × min)"), fontsize=12, color=COLOR_LOAD)
    ax_load.tick_params(axis="y", labelsize=11, colors=COLOR_LOAD)
    ax_min.grid(axis="y", alpha=0.3)
    handles += [
        Patch(facecolor=COLOR_RUN),
        Patch(facecolor=COLOR_OTHER),
        Line2D([], [], color=COLOR_LOAD, marker="D"),
    ]
    labels += [_("Minutes run"), _("Other minutes"), _("Load")]
    if measured:
        handles.append(Patch(facecolor="white", edgecolor="#000000", linewidth=1.6))
        labels.append(
            _("Measured by a watch (cadence above)")
            if any(d.cadence for d in measured)
            else _("Measured by a watch")
        )

    # --- stage changes
    last_label = -10.0
    for change in data.stages:
        if not data.first <= change.day <= data.last:
            continue
        x = (change.day - data.first).days - 0.5
        for ax in (ax_pain, ax_min):
            ax.axvline(x, color=COLOR_STAGE, linestyle=":", linewidth=1.5)
        if x - last_label >= max(3, n / 12):
            ax_pain.text(
                x + 0.2,
                9.9,
                _("Stage {n}").format(n=change.stage),
                fontsize=10,
                color="#404040",
                va="top",
                ha="left",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
            last_label = x

    # --- the day axis: few ticks, dates in the runner's language
    ticks = tick_positions(n)
    ax_min.set_xlim(-0.7, n - 0.3)
    ax_min.set_xticks(ticks)
    ax_min.set_xticklabels([tr.day_month(data.first + timedelta(days=t)) for t in ticks])
    for ax in (ax_pain, ax_min):
        ax.tick_params(axis="both", labelsize=11)
    ax_pain.tick_params(axis="x", labelbottom=False)

    if not days:
        ax_pain.text(
            (n - 1) / 2,
            5,
            _("No check-ins yet"),
            fontsize=16,
            ha="center",
            va="center",
            color="#404040",
        )
    legend = fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=3 if len(labels) > 8 else 2 if len(labels) > 3 else len(labels),
        frameon=False,
        fontsize=10,
        handletextpad=0.4,
        columnspacing=1.2,
    )
    legend.set_gid(LEGEND)
    return fig


def to_png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def render_progress_chart(data: ChartData, tr: Translator) -> bytes:
    """The chart as PNG bytes (about 1200 x 900 px)."""
    return to_png(build_figure(data, tr))
