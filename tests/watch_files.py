"""Real FIT, GPX and TCX recordings for the tests, written by libraries that write each
format: fit-tool (FIT, with its CRC), gpxpy (GPX with Garmin's TrackPointExtension) and the
standard library's ElementTree (TCX, Garmin's schema with the RunCadence extension).

A recording is a list of ``Part``s: so many seconds at a speed, with a cadence in steps a
minute (both legs; FIT, GPX and TCX store one leg's count, so the files hold half) and a
heart rate, each optional. One sample a second, moving due north.
"""

from __future__ import annotations

import functools
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import gpxpy
import gpxpy.gpx
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport


@dataclass(frozen=True)
class Part:
    seconds: int
    speed: float  # m/s
    cadence: int | None = None  # steps a minute, both legs
    hr: int | None = None


START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, the suite's clock day
LAT0, LON0 = 52.5, 13.4
METRES_PER_DEGREE = 111_195.0


def walk_run(
    repeats: int = 6,
    run_s: int = 240,
    walk_s: int = 60,
    *,
    cadence: bool = True,
    hr: bool = True,
    warmup_s: int = 300,
) -> list[Part]:
    """A walk/run session: a brisk-walk warm-up, then run/walk intervals."""
    def part(seconds: int, speed: float, spm: int, bpm: int) -> Part:
        return Part(seconds, speed, spm if cadence else None, bpm if hr else None)

    parts = [part(warmup_s, 1.5, 112, 105)]
    for _ in range(repeats):
        parts.append(part(run_s, 2.7, 164, 148))
        parts.append(part(walk_s, 1.4, 110, 120))
    return parts


def continuous(minutes: int = 30, *, cadence: bool = True, hr: bool = True) -> list[Part]:
    return [Part(minutes * 60, 2.8, 166 if cadence else None, 150 if hr else None)]


def cycling(minutes: int = 40) -> list[Part]:
    return [Part(minutes * 60, 8.0, 85, 135)]  # 29 km/h, pedalling at 85 rpm


def _points(parts: list[Part], start: datetime) -> list[tuple[datetime, float, Part]]:
    """(time, cumulative metres, part) once a second."""
    out: list[tuple[datetime, float, Part]] = []
    t, distance = 0, 0.0
    for part in parts:
        for _ in range(part.seconds):
            out.append((start + timedelta(seconds=t), distance, part))
            distance += part.speed
            t += 1
    out.append((start + timedelta(seconds=t), distance, parts[-1]))
    return out


def _lat(distance: float) -> float:
    return LAT0 + distance / METRES_PER_DEGREE


def fit_file(parts: list[Part], start: datetime = START, sport: str = "running") -> bytes:
    """A FIT recording of ``parts``; built once per process for the same arguments (the
    builder takes about a millisecond a record, and the suite sends the same runs often)."""
    return _fit_file(tuple(parts), start, sport)


@functools.lru_cache(maxsize=256)
def _fit_file(parts: tuple[Part, ...], start: datetime, sport: str) -> bytes:
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    ms = round(start.timestamp() * 1000)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.GARMIN.value
    file_id.product = 0
    file_id.time_created = ms
    file_id.serial_number = 0x1234
    builder.add(file_id)
    event = EventMessage()
    event.event = Event.TIMER
    event.event_type = EventType.START
    event.timestamp = ms
    builder.add(event)
    points = _points(list(parts), start)
    for when, distance, part in points:
        record = RecordMessage()
        record.timestamp = round(when.timestamp() * 1000)
        record.position_lat = _lat(distance)
        record.position_long = LON0
        record.distance = distance
        record.speed = part.speed
        if part.cadence is not None:
            record.cadence = part.cadence // 2  # one leg: strides a minute
        if part.hr is not None:
            record.heart_rate = part.hr
        builder.add(record)
    end_ms = round(points[-1][0].timestamp() * 1000)
    stop = EventMessage()
    stop.event = Event.TIMER
    stop.event_type = EventType.STOP
    stop.timestamp = end_ms
    builder.add(stop)
    session = SessionMessage()
    session.timestamp = end_ms
    session.start_time = ms
    session.sport = Sport[sport.upper()]
    session.total_elapsed_time = (end_ms - ms) / 1000
    session.total_timer_time = (end_ms - ms) / 1000
    session.total_distance = points[-1][1]
    builder.add(session)
    return bytes(builder.build().to_bytes())


GPXTPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def gpx_file(parts: list[Part], start: datetime = START, kind: str | None = "running") -> bytes:
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = GPXTPX
    track = gpxpy.gpx.GPXTrack(name="Morning run")
    track.type = kind
    segment = gpxpy.gpx.GPXTrackSegment()
    for when, distance, part in _points(parts, start):
        point = gpxpy.gpx.GPXTrackPoint(_lat(distance), LON0, elevation=35.0, time=when)
        if part.hr is not None or part.cadence is not None:
            ext = ET.Element(f"{{{GPXTPX}}}TrackPointExtension")
            if part.hr is not None:
                ET.SubElement(ext, f"{{{GPXTPX}}}hr").text = str(part.hr)
            if part.cadence is not None:
                ET.SubElement(ext, f"{{{GPXTPX}}}cad").text = str(part.cadence // 2)
            point.extensions.append(ext)
        segment.points.append(point)
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml().encode()


TCX = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


def tcx_file(parts: list[Part], start: datetime = START, sport: str = "Running") -> bytes:
    ET.register_namespace("", TCX)
    ET.register_namespace("ax", AX)
    root = ET.Element(f"{{{TCX}}}TrainingCenterDatabase")
    activity = ET.SubElement(ET.SubElement(root, f"{{{TCX}}}Activities"), f"{{{TCX}}}Activity")
    activity.set("Sport", sport)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    ET.SubElement(activity, f"{{{TCX}}}Id").text = stamp
    lap = ET.SubElement(activity, f"{{{TCX}}}Lap", StartTime=stamp)
    points = _points(parts, start)
    ET.SubElement(lap, f"{{{TCX}}}TotalTimeSeconds").text = str(len(points) - 1)
    ET.SubElement(lap, f"{{{TCX}}}DistanceMeters").text = f"{points[-1][1]:.1f}"
    track = ET.SubElement(lap, f"{{{TCX}}}Track")
    for when, distance, part in points:
        tp = ET.SubElement(track, f"{{{TCX}}}Trackpoint")
        ET.SubElement(tp, f"{{{TCX}}}Time").text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        position = ET.SubElement(tp, f"{{{TCX}}}Position")
        ET.SubElement(position, f"{{{TCX}}}LatitudeDegrees").text = f"{_lat(distance):.7f}"
        ET.SubElement(position, f"{{{TCX}}}LongitudeDegrees").text = f"{LON0:.7f}"
        ET.SubElement(tp, f"{{{TCX}}}DistanceMeters").text = f"{distance:.1f}"
        if part.hr is not None:
            bpm = ET.SubElement(tp, f"{{{TCX}}}HeartRateBpm")
            ET.SubElement(bpm, f"{{{TCX}}}Value").text = str(part.hr)
        if part.cadence is not None:
            ext = ET.SubElement(ET.SubElement(tp, f"{{{TCX}}}Extensions"), f"{{{AX}}}TPX")
            ET.SubElement(ext, f"{{{AX}}}RunCadence").text = str(part.cadence // 2)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


WRITERS = {"fit": fit_file, "gpx": gpx_file, "tcx": tcx_file}


def expected_running_s(parts: list[Part]) -> int:
    return sum(p.seconds for p in parts if p.speed >= 2.0)


def total_km(parts: list[Part]) -> float:
    return sum(p.seconds * p.speed for p in parts) / 1000


def hr_mean(parts: list[Part]) -> float:
    timed = [(p.seconds, p.hr) for p in parts if p.hr is not None]
    return sum(s * h for s, h in timed) / sum(s for s, _ in timed) if timed else math.nan
