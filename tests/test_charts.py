"""The /progress chart, rendered without the bot: empty, one day, 90 days, other languages."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PIL import Image

import reports.progress
from locales import translator
from reports.charts import (
    CEILING,
    GREEN_BAND,
    LEGEND,
    LIMIT_BAND,
    OTHER_BARS,
    PAIN_AFTER,
    PAIN_DURING,
    RUN_BARS,
    SKIPPED,
    ChartCheckIn,
    ChartData,
    ChartMorning,
    ChartStage,
    build_figure,
    render_progress_chart,
    tick_positions,
    to_png,
)
from storage.models import CheckInRow
from storage.reports import Records

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 3, 2)
EN = translator("en")


def bars(fig, label: str) -> list[float]:
    """Heights of the bars in the container called ``label`` (on any axes of the figure)."""
    for ax in fig.axes:
        for container in ax.containers:
            if container.get_label() == label:
                return [patch.get_height() for patch in container.patches]
    raise AssertionError(f"no bar container {label!r}")


def tick_labels(fig) -> list[str]:
    bottom = fig.axes[1]
    return [t.get_text() for t in bottom.get_xticklabels()]


def checkin(day: date, minutes: int = 20, running: int = 10, pain: int = 1) -> ChartCheckIn:
    return ChartCheckIn(
        day=day,
        minutes=minutes,
        running_minutes=running,
        load=4.0 * minutes,
        pain_during=pain,
        pain_after=max(0, pain - 1),
    )


def size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_empty_history_renders_a_labelled_empty_chart():
    data = ChartData(first=TODAY - timedelta(days=27), last=TODAY)
    fig = build_figure(data, EN)
    assert bars(fig, RUN_BARS) == []
    assert any(t.get_text() == "No check-ins yet" for t in fig.axes[0].texts)
    png = to_png(fig)
    assert png.startswith(PNG_SIGNATURE)
    assert size(png) == (1200, 900)


def test_a_single_day():
    data = ChartData(
        first=TODAY,
        last=TODAY,
        checkins=(checkin(TODAY, minutes=25, running=12, pain=3),),
        mornings=(ChartMorning(TODAY, "better"),),
        stages=(ChartStage(TODAY, 2),),
    )
    fig = build_figure(data, EN)
    assert bars(fig, RUN_BARS) == [12]
    assert bars(fig, OTHER_BARS) == [13]  # stacked: the rest of the 25 minutes
    assert tick_labels(fig) == ["Mar 2"]
    assert any("Stage 2" in t.get_text() for t in fig.axes[0].texts)
    png = render_progress_chart(data, EN)
    assert png.startswith(PNG_SIGNATURE)
    assert size(png) == (1200, 900)


def test_ninety_days_keep_few_ticks_and_one_bar_per_day():
    first = TODAY - timedelta(days=89)
    days = [first + timedelta(days=i) for i in range(90)]
    data = ChartData(
        first=first,
        last=TODAY,
        checkins=tuple(checkin(d, minutes=10 + i % 30, pain=i % 5) for i, d in enumerate(days)),
        mornings=tuple(
            ChartMorning(d, ("better", "same", "worse")[i % 3]) for i, d in enumerate(days)
        ),
        stages=tuple(ChartStage(days[i], 1 + i // 20) for i in range(0, 90, 20)),
    )
    fig = build_figure(data, EN)
    assert len(bars(fig, RUN_BARS)) == 90
    labels = tick_labels(fig)
    assert 2 <= len(labels) <= 6
    assert labels[-1] == "Mar 2"  # the last day is always labelled
    png = to_png(fig)
    assert png.startswith(PNG_SIGNATURE)
    assert size(png) == (1200, 900)


def test_several_checkins_on_one_day_make_one_bar_and_days_outside_are_left_out():
    data = ChartData(
        first=TODAY - timedelta(days=6),
        last=TODAY,
        checkins=(
            checkin(TODAY, minutes=10, running=5),
            checkin(TODAY, minutes=15, running=15),
            checkin(TODAY - timedelta(days=30)),  # before the window
        ),
    )
    fig = build_figure(data, EN)
    assert bars(fig, RUN_BARS) == [20]
    assert bars(fig, OTHER_BARS) == [5]


def test_dates_follow_the_runners_language():
    data = ChartData(first=TODAY - timedelta(days=13), last=TODAY, checkins=(checkin(TODAY),))
    labels = tick_labels(build_figure(data, translator("ru")))
    assert labels[-1].startswith("2 мар")
    labels = tick_labels(build_figure(data, translator("de")))
    assert labels[-1].startswith("2. März")


def test_tick_positions():
    assert tick_positions(0) == []
    assert tick_positions(1) == [0]
    assert tick_positions(5) == [0, 1, 2, 3, 4]
    for n in (7, 14, 28, 56, 90, 365):
        ticks = tick_positions(n)
        assert ticks[-1] == n - 1 and len(ticks) <= 6 and ticks[0] >= 0


# ---------------------------------------------------------------- issue 13: the plotted data
def line(fig, gid: str):
    for ax in fig.axes:
        for artist in ax.lines:
            if artist.get_gid() == gid:
                return artist
    raise AssertionError(f"no line {gid!r}")


def patch(fig, gid: str):
    for ax in fig.axes:
        for artist in ax.patches:
            if artist.get_gid() == gid:
                return artist
    return None


def skipped_checkin(day: date) -> ChartCheckIn:
    return ChartCheckIn(
        day=day,
        minutes=0,
        running_minutes=0,
        load=0.0,
        pain_during=None,
        pain_after=None,
        skipped=True,
    )


def segments_across_gaps(drawn) -> int:
    """Line segments joining two points more than a day apart (a line across days with no
    data)."""
    xs, ys = list(drawn.get_xdata()), list(drawn.get_ydata())
    return sum(
        1
        for (x0, y0), (x1, y1) in zip(
            zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=False
        )
        if not (math.isnan(y0) or math.isnan(y1)) and x1 - x0 > 1
    )


def test_lines_break_over_days_without_data():
    """Pain and load lines never run across days nothing was recorded (item 6 of issue 22:
    pain 5 -> 0 drawn through a gap looked like a smooth recovery)."""
    data = ChartData(
        first=TODAY - timedelta(days=13),
        last=TODAY,
        checkins=(
            checkin(TODAY - timedelta(days=10), pain=5),
            checkin(TODAY - timedelta(days=9), pain=4),
            checkin(TODAY - timedelta(days=2), pain=0),
        ),
    )
    fig = build_figure(data, EN)
    assert segments_across_gaps(line(fig, PAIN_DURING)) == 0
    assert segments_across_gaps(line(fig, PAIN_AFTER)) == 0
    load = next(a for ax in fig.axes for a in ax.lines if a.get_color() == "#2ca02c")
    assert segments_across_gaps(load) == 0
    during = line(fig, PAIN_DURING)
    drawn = [x for x, y in zip(during.get_xdata(), during.get_ydata(), strict=True)
             if not math.isnan(y)]
    assert drawn == [3, 4, 11]  # the two neighbouring days still join


def test_skipped_days_break_the_pain_line_and_are_never_drawn_as_zero():
    first = TODAY - timedelta(days=13)
    data = ChartData(
        first=first,
        last=TODAY,
        checkins=(
            checkin(TODAY - timedelta(days=4), pain=3),
            skipped_checkin(TODAY - timedelta(days=2)),
            checkin(TODAY, pain=2),
        ),
    )
    fig = build_figure(data, EN)
    during = line(fig, PAIN_DURING)
    xs, ys = list(during.get_xdata()), list(during.get_ydata())
    drawn = [(x, y) for x, y in zip(xs, ys, strict=True) if not math.isnan(y)]
    assert drawn == [(9, 3), (13, 2)]  # the skipped day is no point, never 0
    assert all(math.isnan(y) for x, y in zip(xs, ys, strict=True) if 9 < x < 13)
    assert not segments_across_gaps(during) and not segments_across_gaps(line(fig, PAIN_AFTER))
    marker = line(fig, SKIPPED)
    assert list(marker.get_xdata()) == [11]
    assert all(y > 10 for y in marker.get_ydata())  # a marker above the scale, not at 0
    assert bars(fig, RUN_BARS)[1] == 0 and bars(fig, OTHER_BARS)[1] == 0
    assert "session skipped" in legend_texts(fig)


def test_a_day_with_a_skip_and_a_session_shows_the_session():
    data = ChartData(
        first=TODAY - timedelta(days=13),
        last=TODAY,
        checkins=(skipped_checkin(TODAY), checkin(TODAY, pain=4)),
    )
    fig = build_figure(data, EN)
    assert list(line(fig, PAIN_DURING).get_ydata()) == [4]
    assert not any(a.get_gid() == SKIPPED for ax in fig.axes for a in ax.lines)


@pytest.mark.parametrize(
    "injury", ["calf_strain", "achilles_tendinopathy", "shin_pain", "ankle_sprain"]
)
def test_the_limit_band_is_at_the_runners_limit(injury):
    from progression import Injury, rules_for

    rules = rules_for(Injury(injury))
    green, ceiling = rules.green_pain_max, rules.pain_ceiling  # by tissue, from progression
    records = Records(
        checkins=[
            CheckInRow(
                day=TODAY, outcome="done", minutes=20, pain_during=1, pain_after=1, rpe=4, level=8
            )
        ]
    )
    data = reports.progress.chart_data(records, TODAY - timedelta(days=13), TODAY, injury)
    assert (data.green_pain_max, data.pain_ceiling) == (green, ceiling)
    fig = build_figure(data, EN)
    # the band and the line stand exactly where the pain rule says: aim for the green limit
    # or less, above the ceiling we step back (never a line at 3.5 for a rule of 3)
    band = patch(fig, GREEN_BAND)
    assert band is not None
    assert band.get_y() + band.get_height() == pytest.approx(green)
    amber = patch(fig, LIMIT_BAND)
    if ceiling > green:
        assert amber is not None
        assert amber.get_y() == pytest.approx(green)
        assert amber.get_y() + amber.get_height() == pytest.approx(ceiling)
    else:
        assert amber is None
    assert list(line(fig, CEILING).get_ydata()) == [ceiling, ceiling]
    texts = legend_texts(fig)
    aim = f"Aim for {green}/10 or less" if green else "Aim for no pain"
    assert aim in texts and f"Above {ceiling}/10: step back" in texts


@pytest.mark.parametrize(("first_day", "start"), [(3, 13), (13, 13), (30, 30), (200, 55)])
def test_the_window_starts_at_the_first_checkin_or_14_days_back(first_day, start):
    first_checkin = TODAY - timedelta(days=first_day)
    records = Records(
        checkins=[
            CheckInRow(
                day=first_checkin,
                outcome="done",
                minutes=20,
                pain_during=1,
                pain_after=1,
                rpe=4,
                level=8,
            )
        ]
    )
    first, last = reports.progress.chart_window(TODAY, first_checkin)
    assert (first, last) == (TODAY - timedelta(days=start), TODAY)
    fig = build_figure(reports.progress.chart_data(records, first, last), EN)
    assert fig.axes[1].get_xlim() == pytest.approx((-0.7, start + 1 - 0.3))
    assert tick_labels(fig)[-1] == EN.day_month(TODAY)
    plotted = list(line(fig, PAIN_DURING).get_xdata())
    assert plotted == ([start - first_day] if first_day <= start else [])


def test_morning_symbols_cannot_be_misread():
    data = ChartData(
        first=TODAY - timedelta(days=13),
        last=TODAY,
        checkins=(checkin(TODAY - timedelta(days=2)),),
        mornings=tuple(
            ChartMorning(TODAY - timedelta(days=i), pain)
            for i, pain in enumerate(("better", "same", "worse"))
        ),
    )
    fig = build_figure(data, EN)
    assert line(fig, "morning-better").get_marker() == "P"  # a plus
    assert line(fig, "morning-same").get_marker() == "o"
    assert line(fig, "morning-worse").get_marker() == "X"  # a cross
    assert list(line(fig, "morning-better").get_xdata()) == [13]


@pytest.mark.parametrize("lang", ["en", "ru", "es", "de"])
def test_the_legend_never_overlaps_the_panels_or_their_labels(lang):
    first = TODAY - timedelta(days=27)
    data = ChartData(
        first=first,
        last=TODAY,
        checkins=(
            *(checkin(first + timedelta(days=i), pain=i % 6) for i in range(0, 28, 2)),
            skipped_checkin(TODAY - timedelta(days=1)),
        ),
        mornings=tuple(
            ChartMorning(first + timedelta(days=i + 1), ("better", "same", "worse")[i % 3])
            for i in range(0, 26, 2)
        ),
        stages=(ChartStage(first + timedelta(days=10), 2),),
        green_pain_max=2,
        pain_ceiling=3,
    )
    fig = build_figure(data, translator(lang))
    to_png(fig)  # lay the figure out
    renderer = fig.canvas.get_renderer()
    legend = next(a for a in fig.legends if a.get_gid() == LEGEND)
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_tightbbox(renderer)), ax.get_ylabel()


def test_titles_by_audience_with_the_dates():
    data = ChartData(first=TODAY - timedelta(days=13), last=TODAY, checkins=(checkin(TODAY),))
    runner = build_figure(data, EN).get_suptitle()
    clinician = build_figure(replace(data, audience="clinician"), EN).get_suptitle()
    assert runner == "Your progress, Feb 17 – Mar 2, 2026"
    assert clinician == "Pain and running, Feb 17 – Mar 2, 2026"
    british = build_figure(replace(data, audience="clinician", locale="en_GB"), EN)
    assert british.get_suptitle() == "Pain and running, 17 Feb – 2 Mar 2026"
    assert "weeks" not in runner


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]
