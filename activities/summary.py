"""What a recording says, once its format is read: timed samples (or, where a file has none,
the device's own totals) in, an :class:`Activity` out. Pure: no I/O, no clock.

The reasons a file is refused are here too, one code each; the conversation says each one in
the runner's language. docs/watch-import.md says how running is told from walking.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from gpxpy.geo import haversine_distance

MAX_BYTES = 20 * 1024 * 1024  # Telegram lets a bot download files up to 20 MB

# Reasons a file is refused, each true to what the file holds.
FORMAT = "format"  # not FIT, GPX or TCX
CORRUPT = "corrupt"  # says it is one of them, but is damaged before any timed record
EMPTY = "empty"  # no bytes at all
NO_TIMES = "no_times"  # records or points, but no times: a route, a workout, settings
TOO_SHORT = "too_short"  # timed, but less than a minute of movement
NOT_RUN = "not_run"  # cycling, swimming, rowing, ...
TOO_LARGE = "too_large"
REASONS = (FORMAT, CORRUPT, EMPTY, NO_TIMES, TOO_SHORT, NOT_RUN, TOO_LARGE)

RUN_SPEED = 2.0  # m/s (7.2 km/h): faster than this is running when no cadence is recorded
RUN_CADENCE = 140  # steps/min: walking is 100-130, even a slow jog is 150+
MOVING_SPEED = 0.5  # m/s: slower than this (and no steps) is standing still
MOVING_CADENCE = 60
MIN_MOVING_S = 60.0  # less movement than a minute is not a session
PAUSE_GAP = 120.0  # s between two samples: the recording was paused
SPEED_WINDOW = 15.0  # s either side of an interval, to smooth GPS noise
CYCLING_SPEED = 7.0  # m/s (25 km/h): a typical moving speed above this is not on foot
PER_LEG_BELOW = 120  # a median cadence under this counts one leg (strides a minute): double it
MAX_SPEED = 60.0  # m/s: a recorded speed above this is a misread value, not a speed
# A time before this is a placeholder (GPSBabel writes 1901 for "no time"), not a recording.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Where the times of a recording that has no date (times from the watch's power-on) start.
UNDATED = datetime(2000, 1, 1, tzinfo=UTC)
MAX_SPAN = timedelta(hours=12)  # a sample this far from most others is a misread time

# Sports, as FIT's profile, GPX's <type> or TCX's Sport name them (lower case).
ON_FOOT_WORDS = ("run", "walk", "hik", "trail", "treadmill", "track", "jog", "trek", "mountaineer")
WALKING_WORDS = ("walk", "hik", "trek", "mountaineer")
NOT_ON_FOOT_WORDS = (
    "cycl", "bik", "ride", "swim", "row", "ski", "paddl", "kayak", "canoe", "skat", "surf",
    "sail", "elliptical", "stair", "transition", "golf", "driv", "motor", "fly", "boat",
)  # fmt: skip
UNNAMED = frozenset({"", "generic", "other", "all", "unknown", "multisport", "none", "invalid"})


class Unreadable(Exception):
    """A file runcoach does not take; ``reason`` is one of the codes above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Activity:
    """What a recording says about a session (times in seconds, distance in metres)."""

    format: str  # fit / gpx / tcx
    sport: str | None  # as the file names it, lower case; None when it does not say
    start: datetime  # UTC
    elapsed_s: float
    moving_s: float
    distance_m: float
    running_s: float
    walking_s: float
    cadence_spm: int | None  # average while running, steps a minute (both legs)
    avg_hr: int | None  # average heart rate while moving, beats a minute
    # The file ends in damaged data: what was readable before it was kept. ``kept_s`` is the
    # span of the samples read (None when whole).
    cut: bool = False
    kept_s: float | None = None
    from_totals: bool = False  # times and distance are the device's own totals, not samples
    left_out: tuple[str, ...] = field(default=())  # legs of a multisport file not on foot
    # False: the watch's clock was never set, its times count from power-on; ``start`` is
    # then a placeholder (UNDATED + the offset) and the runner says which day it was
    dated: bool = True
    from_label: bool = False  # no distance, speed or steps: running as the sport names it

    @property
    def minutes(self) -> int:
        """The whole session, start to end, in minutes (at least 1)."""
        return max(1, round(self.elapsed_s / 60))

    @property
    def running_minutes(self) -> int:
        return min(self.minutes, round(self.running_s / 60))


@dataclass
class Sample:
    t: datetime
    distance: float | None = None  # cumulative metres, when the device recorded it
    lat: float | None = None
    lon: float | None = None
    speed: float | None = None  # m/s, when the device recorded it
    cadence: float | None = None  # as recorded (per leg or steps, see ``per_leg``)
    hr: float | None = None


@dataclass(frozen=True)
class Totals:
    """A device's own summary of a session or lap (FIT session/lap, TCX Lap)."""

    start: datetime | None
    elapsed_s: float | None
    timer_s: float | None = None
    distance_m: float | None = None
    speed: float | None = None  # average, m/s
    cadence: float | None = None  # average, as recorded (one leg in FIT and TCX)
    hr: float | None = None
    sport: str | None = None
    sub_sport: str | None = None

    @property
    def end(self) -> datetime | None:
        if self.start is None or self.elapsed_s is None:
            return None
        return self.start + timedelta(seconds=self.elapsed_s)


def on_foot(name: str | None) -> bool | None:
    """True for a run or walk, False for another sport, None when the name says nothing."""
    n = (name or "").strip().lower()
    if n in UNNAMED or n.isdigit():
        return None
    if any(word in n for word in NOT_ON_FOOT_WORDS):
        return False
    if any(word in n for word in ON_FOOT_WORDS):
        return True
    return None


def walking(sport: str | None) -> bool:
    """A sport on foot that is not running: a walk, a hike."""
    return any(word in (sport or "") for word in WALKING_WORDS)


def on_foot_sport(sports: Sequence[str]) -> str | None:
    """The first sport the file names that is on foot (None when it names none);
    ``Unreadable(NOT_RUN)`` when every sport it names is another one."""
    named = [s for s in sports if on_foot(s) is not None]
    for sport in named:
        if on_foot(sport):
            return sport
    if named:
        raise Unreadable(NOT_RUN)
    return None


def number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        n = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return n if n == n and abs(n) != float("inf") else None


def plausible(samples: Sequence[Sample]) -> list[Sample]:
    """The samples in time order, each once. A sample far from the session (a misread time,
    as in the damaged tail of a file) is left out, and so is a misread speed."""
    ordered = sorted((s for s in samples if s.t >= EARLIEST), key=lambda s: s.t)
    if not ordered:
        return []
    middle = ordered[len(ordered) // 2].t  # the session is where most samples are
    unique: list[Sample] = []
    for s in ordered:
        if abs(s.t - middle) > MAX_SPAN or (unique and s.t <= unique[-1].t):
            continue
        if s.speed is not None and not 0 <= s.speed <= MAX_SPEED:
            s = replace(s, speed=None)
        unique.append(s)
    return unique


def summarize(
    fmt: str,
    sport: str | None,
    raw: Sequence[Sample],
    *,
    per_leg: bool | None,
    elapsed_hint: float | None = None,
) -> Activity:
    """Times, distance, running vs walking, cadence and heart rate from timed samples.

    ``per_leg``: True when the format stores cadence per leg (FIT), None to tell by the
    values (a median under 120 a minute is one leg's count)."""
    unique = plausible(raw)
    if len(unique) < 2 or (len(raw) > 10 and (unique[-1].t - unique[0].t).total_seconds() < 2):
        # one time for many points (a drawn route's placeholder) is no time at all
        raise Unreadable(TOO_SHORT if len(raw) == 1 else NO_TIMES)
    times = [(s.t - unique[0].t).total_seconds() for s in unique]
    if not any(s.speed is not None or s.distance is not None or s.lat is not None
               or s.cadence for s in unique):
        return _by_label(fmt, sport, unique, times)
    dist = _cumulative(unique)
    cadences = [s.cadence for s in unique if s.cadence]
    if per_leg is None:
        per_leg = bool(cadences) and statistics.median(cadences) < PER_LEG_BELOW
    factor = 2.0 if per_leg else 1.0

    moving = running = 0.0
    cadence_time = cadence_sum = hr_time = hr_sum = 0.0
    speeds: list[float] = []
    for i in range(1, len(unique)):
        dt = times[i] - times[i - 1]
        if dt <= 0 or dt > PAUSE_GAP:
            continue
        here = unique[i]
        speed = here.speed if here.speed is not None else _window_speed(times, dist, i)
        steps = here.cadence * factor if here.cadence else None
        if speed < MOVING_SPEED and not (steps and steps >= MOVING_CADENCE):
            continue
        moving += dt
        speeds.append(speed)
        is_running = steps >= RUN_CADENCE if steps else speed >= RUN_SPEED
        if is_running:
            running += dt
            if steps:
                cadence_time += dt
                cadence_sum += steps * dt
        if here.hr and here.hr > 0:
            hr_time += dt
            hr_sum += here.hr * dt
    if moving < MIN_MOVING_S:
        raise Unreadable(TOO_SHORT)
    if statistics.median(speeds) > CYCLING_SPEED:  # whatever the file calls it
        raise Unreadable(NOT_RUN)
    elapsed = times[-1]
    if elapsed_hint and elapsed < elapsed_hint <= elapsed + PAUSE_GAP:
        elapsed = elapsed_hint  # the device's own total (it may count a last second or two)
    return Activity(
        format=fmt,
        sport=sport,
        start=unique[0].t.astimezone(UTC),
        elapsed_s=elapsed,
        moving_s=moving,
        distance_m=max(0.0, dist[-1] - dist[0]),
        running_s=running,
        walking_s=moving - running,
        cadence_spm=round(cadence_sum / cadence_time) if cadence_time >= 60 else None,
        avg_hr=round(hr_sum / hr_time) if hr_time >= 60 else None,
    )


def _by_label(fmt: str, sport: str | None, unique: Sequence[Sample], times: Sequence[float]
              ) -> Activity:
    """Times but no distance, speed, position or steps (a heart-rate strap alone): counted
    as the file names the session, a run or a walk; refused when it names none."""
    if sport is None or not on_foot(sport):
        raise Unreadable(TOO_SHORT)
    gaps = [b - a for a, b in pairwise(times) if 0 < b - a <= PAUSE_GAP]
    moving = float(sum(gaps))
    if moving < MIN_MOVING_S:
        raise Unreadable(TOO_SHORT)
    runs = not walking(sport)
    hr = _Mean()
    for i in range(1, len(unique)):
        dt = times[i] - times[i - 1]
        if 0 < dt <= PAUSE_GAP:
            hr.add(unique[i].hr, dt)
    return Activity(
        format=fmt,
        sport=sport,
        start=unique[0].t.astimezone(UTC),
        elapsed_s=times[-1],
        moving_s=moving,
        distance_m=0.0,
        running_s=moving if runs else 0.0,
        walking_s=0.0 if runs else moving,
        cadence_spm=None,
        avg_hr=hr.value(),
        from_label=True,
    )


def from_totals(
    fmt: str, sport: str | None, totals: Sequence[Totals], *, per_leg: bool
) -> Activity:
    """A session the device summed up but recorded no timed samples of (laps without
    records, a treadmill lap): its own times, distance and averages."""
    timed = [t for t in totals if t.start is not None and (t.elapsed_s or t.timer_s)]
    if not timed:
        raise Unreadable(NO_TIMES)
    elapsed = moving = distance = running = 0.0
    cadence = _Mean()
    hr = _Mean()
    for t in timed:
        span = float(t.elapsed_s or t.timer_s or 0.0)
        timer = float(t.timer_s or span)
        metres = float(t.distance_m or 0.0)
        speed = t.speed if t.speed is not None else (metres / timer if timer > 0 else 0.0)
        steps = t.cadence * (2.0 if per_leg else 1.0) if t.cadence else None
        if speed < MOVING_SPEED and not (steps and steps >= MOVING_CADENCE):
            continue
        if speed > CYCLING_SPEED:
            raise Unreadable(NOT_RUN)
        runs = (steps >= RUN_CADENCE if steps else speed >= RUN_SPEED) and not walking(
            t.sport or sport)
        elapsed, moving, distance = elapsed + span, moving + timer, distance + metres
        if runs:
            running += timer
            cadence.add(steps, timer)
        hr.add(t.hr, timer)
    if moving < MIN_MOVING_S:
        raise Unreadable(TOO_SHORT)
    start = min(t.start for t in timed if t.start is not None)
    return Activity(
        format=fmt,
        sport=sport,
        start=start.astimezone(UTC),
        elapsed_s=max(elapsed, moving),
        moving_s=moving,
        distance_m=distance,
        running_s=running,
        walking_s=moving - running,
        cadence_spm=cadence.value(),
        avg_hr=hr.value(),
        from_totals=True,
    )


def combine(parts: Sequence[Activity], *, left_out: Sequence[str] = ()) -> Activity:
    """The on-foot legs of a multisport file as one session (their times and distances
    added, cadence and heart rate weighted by time)."""
    first = min(parts, key=lambda a: a.start)
    cadence, hr = _Mean(), _Mean()
    for a in parts:
        cadence.add(a.cadence_spm, a.running_s)
        hr.add(a.avg_hr, a.moving_s)
    return replace(
        first,
        elapsed_s=sum(a.elapsed_s for a in parts),
        moving_s=sum(a.moving_s for a in parts),
        distance_m=sum(a.distance_m for a in parts),
        running_s=sum(a.running_s for a in parts),
        walking_s=sum(a.walking_s for a in parts),
        cadence_spm=cadence.value(),
        avg_hr=hr.value(),
        cut=any(a.cut for a in parts),
        from_totals=any(a.from_totals for a in parts),
        left_out=tuple(dict.fromkeys(left_out)),
    )


def with_totals(kept: Activity, totals: Totals, *, per_leg: bool) -> Activity:
    """A file cut short whose own summary, read before the damage, covers more than the
    samples kept: the summary's times and distance, the samples' share of running."""
    total = float(totals.elapsed_s or 0.0)
    timer = float(totals.timer_s or total)
    share = kept.running_s / kept.moving_s if kept.moving_s else 0.0
    cadence = kept.cadence_spm
    if cadence is None and totals.cadence and share:
        cadence = round(totals.cadence * (2.0 if per_leg else 1.0))
    hr = kept.avg_hr if kept.avg_hr is not None else (round(totals.hr) if totals.hr else None)
    return replace(
        kept,
        elapsed_s=total,
        moving_s=timer,
        distance_m=float(totals.distance_m) if totals.distance_m else kept.distance_m,
        running_s=timer * share,
        walking_s=timer * (1 - share),
        cadence_spm=cadence,
        avg_hr=hr,
        kept_s=kept.elapsed_s,
        cut=True,
        from_totals=True,
    )


class _Mean:
    """A time-weighted mean of the values that are known."""

    def __init__(self) -> None:
        self.total = self.weight = 0.0

    def add(self, value: float | None, weight: float) -> None:
        if value and weight > 0:
            self.total += value * weight
            self.weight += weight

    def value(self) -> int | None:
        return round(self.total / self.weight) if self.weight >= 60 else None


def _distance(a: Sample, b: Sample) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return 0.0
    return float(haversine_distance(a.lat, a.lon, b.lat, b.lon))


def _cumulative(samples: Sequence[Sample]) -> list[float]:
    """Cumulative distance: the device's own where it recorded one, else from positions."""
    recorded = [s.distance for s in samples]
    if sum(d is not None for d in recorded) >= len(samples) // 2 + 1:
        # the device's increments: a count that starts again (each leg of a multisport
        # file) adds on, never subtracts
        out: list[float] = []
        total = 0.0
        last: float | None = None
        for d in recorded:
            if d is not None:
                if last is not None and d > last:
                    total += d - last
                last = d
            out.append(total)
        return out
    total = 0.0
    out = [0.0]
    previous = samples[0]
    for s in samples[1:]:
        if s.lat is not None and s.lon is not None:
            if previous.lat is not None:
                total += _distance(previous, s)
            previous = s
        out.append(total)
    return out


def _window_speed(times: Sequence[float], dist: Sequence[float], i: int) -> float:
    """Speed over the interval ending at sample ``i``, smoothed over about 30 s."""
    mid = (times[i - 1] + times[i]) / 2
    lo = min(bisect.bisect_left(times, mid - SPEED_WINDOW), i - 1)
    hi = max(bisect.bisect_right(times, mid + SPEED_WINDOW) - 1, i)
    span = times[hi] - times[lo]
    return (dist[hi] - dist[lo]) / span if span > 0 else 0.0
