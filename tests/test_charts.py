"""The /progress chart, rendered without the bot: empty, one day, 90 days, other languages."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from conversations.charts import (
    OTHER_BARS,
    RUN_BARS,
    ChartCheckIn,
    ChartData,
    ChartMorning,
    ChartStage,
    build_figure,
    render_progress_chart,
    tick_positions,
    to_png,
)
from locales import translator

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
