"""GPX and TCX recordings: XML read through defusedxml (no DTD, no entities), GPX with gpxpy.

A document cut short (a download or an export stopped part-way) keeps every point that
ended before the cut: it is closed after its last complete point and read again. A GPX with
only times and positions, a TCX with no heart rate or laps without a track are read as they
come; a track with no times (a planned route) is ``NO_TIMES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException

from activities.summary import (
    CORRUPT,
    FORMAT,
    NO_TIMES,
    Activity,
    Sample,
    Totals,
    Unreadable,
    from_totals,
    number,
    on_foot_sport,
    summarize,
)

GPX, TCX = "gpx", "TrainingCenterDatabase"
_POINT_END = {GPX: rb"</(?:[\w.-]+:)?trkpt\s*>", TCX: rb"</(?:[\w.-]+:)?Trackpoint\s*>"}
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)(?:\s[^<>]*?)?(/?)>")


def read_markup(data: bytes) -> Activity:
    """A GPX or TCX document, or what it holds before the point where it was cut."""
    try:
        root = _parse(data)
    except ParseError as broken:
        repaired = _closed_after_last_point(data)
        if repaired is None:
            raise Unreadable(CORRUPT) from broken
        try:
            root = _parse(repaired)
        except ParseError as still:
            raise Unreadable(CORRUPT) from still
        kept = _read(root, repaired)
        return replace(kept, cut=True, kept_s=kept.elapsed_s)
    return _read(root, data)


def _parse(data: bytes) -> Element:
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:  # a DTD or entities: never read, never repaired
        raise Unreadable(CORRUPT) from exc
    except ValueError as exc:
        raise Unreadable(CORRUPT) from exc
    if root is None:
        raise Unreadable(CORRUPT)
    return root


def _read(root: Element, data: bytes) -> Activity:
    kind = local(root.tag)
    if kind == GPX:
        return _read_gpx(data)
    if kind == TCX:
        return _read_tcx(root)
    raise Unreadable(FORMAT)


def _closed_after_last_point(data: bytes) -> bytes | None:
    """The document up to its last complete track point, with the elements still open there
    closed; None when no point ended before the cut (or it is not GPX or TCX)."""
    head = data[:4096]
    kind = GPX if re.search(rb"<(?:[\w.-]+:)?gpx[\s>]", head) else (
        TCX if b"TrainingCenterDatabase" in head else None)
    if kind is None:
        return None
    ends = list(re.finditer(_POINT_END[kind], data))
    if not ends:
        return None
    kept = data[: ends[-1].end()]
    open_tags: list[bytes] = []
    for m in _TAG.finditer(kept):
        closing, name, empty = m.group(1), m.group(2), m.group(3)
        if empty:
            continue
        if not closing:
            open_tags.append(name)
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
    return kept + b"".join(b"</" + name + b">" for name in reversed(open_tags))


def local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


# ---------------------------------------------------------------- GPX
def _read_gpx(data: bytes) -> Activity:
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as exc:
        raise Unreadable(CORRUPT) from exc
    samples: list[Sample] = []
    sports: list[str] = []
    points = 0
    for track in gpx.tracks:
        if track.type:
            sports.append(track.type.strip().lower())
        for segment in track.segments:
            points += len(segment.points)
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
                        speed=number(values.get("speed")),
                        cadence=number(values.get("cad") or values.get("cadence")),
                        hr=number(values.get("hr") or values.get("heartrate")),
                    )
                )
    if len(samples) * 10 < points or not samples:
        raise Unreadable(NO_TIMES)  # a route, or a track drawn with (almost) no times
    return summarize("gpx", on_foot_sport(sports), samples, per_leg=None)


def _extension_values(elements: Iterable[Element]) -> dict[str, str]:
    """Leaf values of GPX extensions by local name (gpxtpx:hr, gpxtpx:cad, ...)."""
    values: dict[str, str] = {}
    for element in elements:
        for node in element.iter():
            if len(node) == 0 and node.text and node.text.strip():
                values.setdefault(local(node.tag).lower(), node.text.strip())
    return values


# ---------------------------------------------------------------- TCX
def _read_tcx(root: Element) -> Activity:
    samples: list[Sample] = []
    sports: list[str] = []
    laps: list[Totals] = []
    try:
        for activity in _children(root, "Activities", "Activity"):
            if activity.get("Sport"):
                sports.append(str(activity.get("Sport")).lower())
            for node in activity.iter():
                name = local(node.tag)
                if name == "Trackpoint":
                    sample = _tcx_sample(node)
                    if sample is not None:
                        samples.append(sample)
                elif name == "Lap":
                    laps.append(_tcx_lap(node))
    except ValueError as exc:
        raise Unreadable(CORRUPT) from exc
    sport = on_foot_sport(sports)
    if not samples and laps:  # laps without a track: a treadmill, an entry typed in an app
        return from_totals("tcx", sport, laps, per_leg=True)
    # RunCadence (Garmin's extension) counts one leg; Cadence on a run is read the same way.
    return summarize("tcx", sport, samples, per_leg=None)


def _children(root: Element, *path: str) -> list[Element]:
    found = [root]
    for name in path:
        found = [c for parent in found for c in parent if local(c.tag) == name]
    return found


def _leaves(node: Element) -> dict[str, str]:
    leaves: dict[str, str] = {}
    for child in node.iter():
        if len(child) == 0 and child.text and child.text.strip():
            leaves.setdefault(local(child.tag), child.text.strip())
    return leaves


def _time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def _tcx_sample(point: Element) -> Sample | None:
    leaves = _leaves(point)
    if "Time" not in leaves:
        return None
    return Sample(
        t=_time(leaves["Time"]),
        distance=number(leaves.get("DistanceMeters")),
        lat=number(leaves.get("LatitudeDegrees")),
        lon=number(leaves.get("LongitudeDegrees")),
        speed=number(leaves.get("Speed")),
        cadence=number(leaves.get("RunCadence") or leaves.get("Cadence")),
        hr=number(leaves.get("Value")),  # HeartRateBpm/Value
    )


def _tcx_lap(lap: Element) -> Totals:
    """A lap's own totals (its direct children and the averages of its extension)."""
    own = {local(c.tag): (c.text or "").strip() for c in lap if len(c) == 0}
    extensions = lap.find("./{*}Extensions")
    extension = _leaves(extensions) if extensions is not None else {}
    hr = lap.find("./{*}AverageHeartRateBpm/{*}Value")
    start = lap.get("StartTime")
    return Totals(
        start=_time(start) if start else None,
        elapsed_s=number(own.get("TotalTimeSeconds")),
        distance_m=number(own.get("DistanceMeters")),
        speed=number(extension.get("AvgSpeed")),
        cadence=number(extension.get("AvgRunCadence") or own.get("Cadence")),
        hr=number(hr.text if hr is not None else None),
    )
