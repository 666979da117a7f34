"""Reading a run recorded by a watch or phone: FIT, GPX or TCX bytes in, a summary out.

Pure: no Telegram, no database, no clock. ``read(data, filename)`` returns an
:class:`Activity` or raises :class:`Unreadable` with a reason code the conversation turns
into words; a gzipped file (``run.fit.gz``) is unpacked first, up to the size limit.
Parsers are well-kept libraries: fitdecode (FIT, checks the file's CRC), gpxpy (GPX) and
defusedxml's ElementTree (TCX, and a guard in front of gpxpy: no DTD, no entities).
docs/watch-import.md says why, and how running is told from walking.
"""

from __future__ import annotations

import bisect
import gzip
import io
import statistics
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
import fitdecode
import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException
from gpxpy.geo import haversine_distance

MAX_BYTES = 20 * 1024 * 1024  # Telegram lets a bot download files up to 20 MB

# Reasons a file is refused (the conversation says each one in the runner's language).
FORMAT = "format"  # not FIT, GPX or TCX
CORRUPT = "corrupt"  # says it is one of them but cannot be read
EMPTY = "empty"  # readable, but no timed movement in it
NOT_RUN = "not_run"  # cycling, swimming, ...
TOO_LARGE = "too_large"

RUN_SPEED = 2.0  # m/s (7.2 km/h): faster than this is running when no cadence is recorded
RUN_CADENCE = 140  # steps/min: walking is 100-130, even a slow jog is 150+
MOVING_SPEED = 0.5  # m/s: slower than this (and no steps) is standing still
MOVING_CADENCE = 60
PAUSE_GAP = 120.0  # s between two samples: the recording was paused
SPEED_WINDOW = 15.0  # s either side of an interval, to smooth GPS noise
CYCLING_SPEED = 7.0  # m/s (25 km/h): a typical moving speed above this is not on foot
PER_LEG_BELOW = 120  # a median cadence under this counts one leg (strides a minute): double it

NOT_ON_FOOT_WORDS = ("cycl", "bik", "ride", "swim", "row", "ski", "paddl", "kayak", "skat")


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


def read(data: bytes, filename: str | None = None) -> Activity:
    """The summary of a FIT, GPX or TCX recording; ``Unreadable`` otherwise."""
    if not data or not data.strip():
        raise Unreadable(EMPTY)
    if len(data) > MAX_BYTES:
        raise Unreadable(TOO_LARGE)
    name = filename or ""
    if data[:2] == GZIP_MAGIC:  # run.fit.gz, as in a Strava or Garmin bulk export
        data = _gunzip(data)
        name = name[:-3] if name.lower().endswith(".gz") else name
        if data[:2] == GZIP_MAGIC:
            raise Unreadable(FORMAT)
        return read(data, name)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return _read_fit(data)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        root = _xml_root(data)
        name = _local(root.tag)
        if name == "gpx":
            return _read_gpx(data)
        if name == "TrainingCenterDatabase":
            return _read_tcx(root)
        raise Unreadable(FORMAT)
    if ext in ("fit", "gpx", "tcx"):
        raise Unreadable(CORRUPT)
    raise Unreadable(FORMAT)


GZIP_MAGIC = b"\x1f\x8b"


def _gunzip(data: bytes) -> bytes:
    """A gzipped file's content, read no further than the size limit (a gzip bomb stops
    there)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            content = unpacked.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise Unreadable(CORRUPT) from exc
    if len(content) > MAX_BYTES:
        raise Unreadable(TOO_LARGE)
    return content


# ---------------------------------------------------------------- FIT
def _read_fit(data: bytes) -> Activity:
    samples: list[Sample] = []
    sports: list[str] = []
    elapsed: float | None = None
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,  # a damaged file is refused, not half-read
            # quirks devices are known for (an odd field size) are passed over, as Garmin
            # Connect does; a file cut short still raises (FitEOFError)
            error_handling=fitdecode.ErrorHandling.WARN,
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    sample = _fit_sample(frame)
                    if sample is not None:
                        samples.append(sample)
                elif frame.name in ("session", "sport"):
                    sport = _fit_value(frame, "sport")
                    if sport is not None:
                        sports.append(str(sport).lower())
                    if frame.name == "session":
                        total = _fit_value(frame, "total_elapsed_time")
                        if isinstance(total, int | float):
                            elapsed = (elapsed or 0.0) + float(total)
    except fitdecode.FitError as exc:
        raise Unreadable(CORRUPT) from exc
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise Unreadable(CORRUPT) from exc
    sport = _on_foot_sport(sports)
    # FIT stores a runner's cadence per leg (strides a minute): steps are twice that.
    return summarize("fit", sport, samples, per_leg=True, elapsed_hint=elapsed)


def _fit_value(frame: Any, name: str) -> Any:
    if not frame.has_field(name):
        return None
    return frame.get_value(name)


def _fit_sample(frame: Any) -> Sample | None:
    t = _fit_value(frame, "timestamp")
    if not isinstance(t, datetime):
        return None
    speed = _fit_value(frame, "enhanced_speed")
    if speed is None:
        speed = _fit_value(frame, "speed")
    cadence = _fit_value(frame, "cadence")
    fraction = _fit_value(frame, "fractional_cadence")
    if isinstance(cadence, int | float) and isinstance(fraction, int | float):
        cadence = float(cadence) + float(fraction)
    lat, lon = _fit_value(frame, "position_lat"), _fit_value(frame, "position_long")
    return Sample(
        t=t if t.tzinfo else t.replace(tzinfo=UTC),
        distance=_number(_fit_value(frame, "distance")),
        lat=lat * 180 / 2**31 if isinstance(lat, int) else None,
        lon=lon * 180 / 2**31 if isinstance(lon, int) else None,
        speed=_number(speed),
        cadence=_number(cadence),
        hr=_number(_fit_value(frame, "heart_rate")),
    )


# ---------------------------------------------------------------- GPX
def _read_gpx(data: bytes) -> Activity:
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as exc:
        raise Unreadable(CORRUPT) from exc
    samples: list[Sample] = []
    sports: list[str] = []
    for track in gpx.tracks:
        if track.type:
            sports.append(track.type.strip().lower())
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                t = point.time if point.time.tzinfo else point.time.replace(tzinfo=UTC)
                values = _extension_values(point.extensions)
                samples.append(
                    Sample(
                        t=t.astimezone(UTC),
                        lat=point.latitude,
                        lon=point.longitude,
                        speed=_number(values.get("speed")),
                        cadence=_number(values.get("cad") or values.get("cadence")),
                        hr=_number(values.get("hr") or values.get("heartrate")),
                    )
                )
    return summarize("gpx", _on_foot_sport(sports), samples, per_leg=None)


def _extension_values(elements: Iterable[Element]) -> dict[str, str]:
    """Leaf values of GPX extensions by local name (gpxtpx:hr, gpxtpx:cad, ...)."""
    values: dict[str, str] = {}
    for element in elements:
        for node in element.iter():
            if len(node) == 0 and node.text and node.text.strip():
                values.setdefault(_local(node.tag).lower(), node.text.strip())
    return values


# ---------------------------------------------------------------- TCX
def _read_tcx(root: Element) -> Activity:
    samples: list[Sample] = []
    sports: list[str] = []
    try:
        for activity in _children(root, "Activities", "Activity"):
            if activity.get("Sport"):
                sports.append(str(activity.get("Sport")).lower())
            for point in activity.iter():
                if _local(point.tag) != "Trackpoint":
                    continue
                sample = _tcx_sample(point)
                if sample is not None:
                    samples.append(sample)
    except ValueError as exc:
        raise Unreadable(CORRUPT) from exc
    # RunCadence (Garmin's extension) counts one leg; Cadence on a run is read the same way.
    return summarize("tcx", _on_foot_sport(sports), samples, per_leg=None)


def _children(root: Element, *path: str) -> list[Element]:
    found = [root]
    for name in path:
        found = [c for parent in found for c in parent if _local(c.tag) == name]
    return found


def _tcx_sample(point: Element) -> Sample | None:
    leaves: dict[str, str] = {}
    for node in point.iter():
        if len(node) == 0 and node.text and node.text.strip():
            leaves.setdefault(_local(node.tag), node.text.strip())
    if "Time" not in leaves:
        return None
    t = datetime.fromisoformat(leaves["Time"])
    return Sample(
        t=(t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC),
        distance=_number(leaves.get("DistanceMeters")),
        lat=_number(leaves.get("LatitudeDegrees")),
        lon=_number(leaves.get("LongitudeDegrees")),
        speed=_number(leaves.get("Speed")),
        cadence=_number(leaves.get("RunCadence") or leaves.get("Cadence")),
        hr=_number(leaves.get("Value")),  # HeartRateBpm/Value
    )


# ---------------------------------------------------------------- shared
def _xml_root(data: bytes) -> Element:
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise Unreadable(CORRUPT) from exc
    if root is None:
        raise Unreadable(CORRUPT)
    return root


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _on_foot_sport(sports: Sequence[str]) -> str | None:
    """The sport the file names; ``Unreadable(NOT_RUN)`` when it names only other sports."""
    named = [s for s in sports if s and not s.isdigit()]
    if not named:
        return None
    for sport in named:
        if not any(word in sport for word in NOT_ON_FOOT_WORDS):
            return sport
    raise Unreadable(NOT_RUN)


def _distance(a: Sample, b: Sample) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return 0.0
    return float(haversine_distance(a.lat, a.lon, b.lat, b.lon))


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
    samples = sorted((s for s in raw), key=lambda s: s.t)
    unique: list[Sample] = []
    for s in samples:
        if unique and s.t <= unique[-1].t:
            continue
        unique.append(s)
    if len(unique) < 2:
        raise Unreadable(EMPTY)
    times = [(s.t - unique[0].t).total_seconds() for s in unique]
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
    if moving < 60:
        raise Unreadable(EMPTY)
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


def _cumulative(samples: Sequence[Sample]) -> list[float]:
    """Cumulative distance: the device's own where it recorded one, else from positions."""
    recorded = [s.distance for s in samples]
    if sum(d is not None for d in recorded) >= len(samples) // 2 + 1:
        out: list[float] = []
        last = 0.0
        for d in recorded:
            last = max(last, d) if d is not None else last
            out.append(last)
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
