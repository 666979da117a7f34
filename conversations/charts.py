"""The /progress chart: pain against running minutes and session load, as PNG bytes.

Matplotlib is imported inside the render functions (the bot starts without it) and used
through its object API with the Agg canvas, so no global pyplot state is shared between
updates and a render can run in a worker thread.

Layout (1200 x 900 px, fonts sized for a phone screen), sharing one day axis:

* top panel: pain during and after (0-10) for each day with a check-in, and a row of markers
  for the next-morning check (better / same / worse);
* bottom panel: one stacked bar per day with a check-in (minutes run, then other minutes:
  walking, cross-training) and the session load (RPE x minutes) on a second scale;
* dashed vertical lines where the stage changed, labelled with the new stage.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from locales import Translator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 6.0, 150  # 1200 x 900 px
MAX_TICKS = 6
# Container labels (internal, never shown) so tests and callers can find the bars.
RUN_BARS = "run-bars"
OTHER_BARS = "other-bars"

COLOR_DURING = "#d62728"
COLOR_AFTER = "#ff7f0e"
COLOR_RUN = "#1f77b4"
COLOR_OTHER = "#aec7e8"
COLOR_LOAD = "#2ca02c"
COLOR_STAGE = "#7f7f7f"
MORNING_STYLE = {  # marker, colour
    "better": ("v", "#2ca02c"),
    "same": ("o", "#7f7f7f"),
    "worse": ("^", "#d62728"),
}


@dataclass(frozen=True)
class ChartCheckIn:
    day: date
    minutes: int  # the whole session
    running_minutes: int  # the part of it that was running
    load: float  # RPE x minutes
    pain_during: int
    pain_after: int


@dataclass(frozen=True)
class ChartMorning:
    day: date
    pain: str  # better / same / worse, compared with the morning before the run


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

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class _Day:
    x: int
    minutes: int
    running: int
    load: float
    pain_during: int
    pain_after: int


def _per_day(data: ChartData) -> list[_Day]:
    """One entry per day with a check-in inside the window (several check-ins are summed,
    pain is the worst of the day)."""
    grouped: dict[date, list[ChartCheckIn]] = defaultdict(list)
    for c in data.checkins:
        if data.first <= c.day <= data.last:
            grouped[c.day].append(c)
    days = []
    for day in sorted(grouped):
        items = grouped[day]
        days.append(
            _Day(
                x=(day - data.first).days,
                minutes=sum(max(0, c.minutes) for c in items),
                running=sum(max(0, min(c.running_minutes, c.minutes)) for c in items),
                load=sum(c.load for c in items),
                pain_during=max(c.pain_during for c in items),
                pain_after=max(c.pain_after for c in items),
            )
        )
    return days


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


def build_figure(data: ChartData, tr: Translator) -> Figure:
    """The chart as a Matplotlib figure (not yet rendered)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    _ = tr.gettext
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    grid = fig.add_gridspec(2, 1, height_ratios=(1.1, 1.0), hspace=0.45)
    ax_pain = fig.add_subplot(grid[0])
    ax_min = fig.add_subplot(grid[1], sharex=ax_pain)
    ax_load = ax_min.twinx()

    n = max(1, data.days)
    days = _per_day(data)
    weeks = max(1, round(n / 7))
    fig.suptitle(
        tr.ngettext("Your last {n} week", "Your last {n} weeks", weeks).format(n=weeks)
        if n >= 7
        else tr.ngettext("Your last {n} day", "Your last {n} days", n).format(n=n),
        fontsize=17,
        fontweight="bold",
        y=0.995,
    )

    # --- pain
    xs = [d.x for d in days]
    ax_pain.plot(
        xs,
        [d.pain_during for d in days],
        marker="o",
        markersize=7,
        linewidth=2,
        color=COLOR_DURING,
        label=_("Pain during"),
    )
    ax_pain.plot(
        xs,
        [d.pain_after for d in days],
        marker="s",
        markersize=6,
        linewidth=2,
        color=COLOR_AFTER,
        linestyle="--",
        label=_("Pain after"),
    )
    morning_y = 11.3
    seen_mornings: set[str] = set()
    for m in data.mornings:
        if not data.first <= m.day <= data.last or m.pain not in MORNING_STYLE:
            continue
        marker, color = MORNING_STYLE[m.pain]
        ax_pain.plot(
            [(m.day - data.first).days],
            [morning_y],
            linestyle="none",
            marker=marker,
            markersize=10,
            color=color,
        )
        seen_mornings.add(m.pain)
    ax_pain.set_ylim(-0.5, 12.3)
    ax_pain.set_yticks([0, 5, 10])
    ax_pain.set_ylabel(_("Pain (0–10)"), fontsize=13)
    ax_pain.grid(axis="y", alpha=0.3)
    handles, labels = ax_pain.get_legend_handles_labels()
    morning_names = {
        "better": _("next morning better"),
        "same": _("next morning same"),
        "worse": _("next morning worse"),
    }
    for key in ("better", "same", "worse"):
        if key in seen_mornings:
            marker, color = MORNING_STYLE[key]
            handles.append(
                Line2D([], [], linestyle="none", marker=marker, color=color, markersize=9)
            )
            labels.append(morning_names[key])
    ax_pain.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=min(3, len(labels)),
        frameon=False,
        fontsize=11,
        handletextpad=0.3,
        columnspacing=1.0,
    )

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
    ax_load.plot(
        xs,
        [d.load for d in days],
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
    ax_min.set_ylabel(_("Minutes"), fontsize=13)
    ax_load.set_ylabel(_("Load (RPE × min)"), fontsize=13, color=COLOR_LOAD)
    ax_load.tick_params(axis="y", labelsize=12, colors=COLOR_LOAD)
    ax_min.grid(axis="y", alpha=0.3)
    ax_min.legend(
        [
            Line2D([], [], color=COLOR_RUN, linewidth=8),
            Line2D([], [], color=COLOR_OTHER, linewidth=8),
            Line2D([], [], color=COLOR_LOAD, marker="D"),
        ],
        [_("Minutes run"), _("Other minutes"), _("Load")],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=3,
        frameon=False,
        fontsize=11,
        handletextpad=0.3,
        columnspacing=1.0,
    )

    # --- stage changes
    last_label = -10
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
                fontsize=11,
                color="#404040",
                va="top",
                ha="left",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
            last_label = int(x)

    # --- the day axis: few ticks, dates in the runner's language
    ticks = tick_positions(n)
    ax_min.set_xlim(-0.7, n - 0.3)
    ax_min.set_xticks(ticks)
    ax_min.set_xticklabels([tr.day_month(data.first + timedelta(days=t)) for t in ticks])
    for ax in (ax_pain, ax_min):
        ax.tick_params(axis="both", labelsize=12)
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
    fig.subplots_adjust(left=0.1, right=0.88, top=0.84, bottom=0.07)
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
