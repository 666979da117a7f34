"""Reading run recordings (issue 17): real FIT, GPX and TCX files written by libraries that
write each format (tests/watch_files.py), read by activities/reader.py."""

from __future__ import annotations

import gzip
import re

import pytest

from activities import reader as af
from tests.watch_files import (
    START,
    WRITERS,
    Part,
    continuous,
    cycling,
    expected_running_s,
    fit_file,
    gpx_file,
    tcx_file,
    total_km,
    walk_run,
)

FORMATS = sorted(WRITERS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_walk_run_intervals_tell_running_from_walking(fmt: str) -> None:
    parts = walk_run(repeats=6, run_s=240, walk_s=60)  # 5 min walk, 6 x (4 min run, 1 walk)
    a = af.read(WRITERS[fmt](parts), f"morning.{fmt}")
    assert a.format == fmt
    assert a.start == START
    assert a.minutes == 35
    assert a.running_minutes == expected_running_s(parts) // 60 == 24
    assert abs(a.running_s - 24 * 60) <= 60  # the smoothing blurs each change by seconds
    assert round(a.walking_s / 60) == 11
    assert abs(a.distance_m / 1000 - total_km(parts)) < 0.05
    assert a.cadence_spm == 164  # running only, both legs (the file holds 82 a leg)
    assert a.avg_hr == 137  # while moving, warm-up and walks included
    assert a.sport == "running"


@pytest.mark.parametrize("fmt", FORMATS)
def test_continuous_run(fmt: str) -> None:
    a = af.read(WRITERS[fmt](continuous(30)), f"run.{fmt}")
    assert (a.minutes, a.running_minutes) == (30, 30)
    assert a.walking_s < 30
    assert a.cadence_spm == 166 and a.avg_hr == 150
    assert abs(a.distance_m - 5040) < 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_without_cadence_or_heart_rate_speed_decides(fmt: str) -> None:
    parts = walk_run(cadence=False, hr=False)
    a = af.read(WRITERS[fmt](parts), f"run.{fmt}")
    assert a.cadence_spm is None and a.avg_hr is None
    assert a.running_minutes == 24 and a.minutes == 35


@pytest.mark.parametrize("fmt", FORMATS)
def test_cadence_decides_over_speed(fmt: str) -> None:
    """A slow jog (1.8 m/s, slower than the speed rule) at 158 steps a minute is running;
    a brisk walk at 2.1 m/s and 125 steps is walking."""
    parts = [Part(600, 1.8, 158, 140), Part(600, 2.1, 125, 120)]
    a = af.read(WRITERS[fmt](parts), f"run.{fmt}")
    assert a.running_minutes == 10
    assert a.cadence_spm == 158


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_walk_has_no_running(fmt: str) -> None:
    a = af.read(WRITERS[fmt]([Part(1800, 1.4, 110, 100)]), f"walk.{fmt}")
    assert a.minutes == 30 and a.running_minutes == 0 and a.cadence_spm is None


@pytest.mark.parametrize(
    ("fmt", "named"),
    [("fit", {"sport": "cycling"}), ("gpx", {"kind": "cycling"}), ("tcx", {"sport": "Biking"})],
)
def test_a_ride_named_cycling_is_not_a_run(fmt: str, named: dict[str, str]) -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(WRITERS[fmt](cycling(), **named), f"ride.{fmt}")
    assert bad.value.reason == af.NOT_RUN


@pytest.mark.parametrize(
    ("fmt", "unnamed"),
    [("fit", {"sport": "generic"}), ("gpx", {"kind": None}), ("tcx", {"sport": "Other"})],
)
def test_a_ride_with_no_sport_named_is_told_by_its_speed(fmt: str, unnamed: dict) -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(WRITERS[fmt](cycling(), **unnamed), f"ride.{fmt}")
    assert bad.value.reason == af.NOT_RUN


def test_a_run_named_running_at_running_speed_is_taken_whatever_the_name() -> None:
    a = af.read(gpx_file(continuous(20), kind=None), "run.gpx")
    assert a.sport is None and a.running_minutes == 20


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_file(fmt: str) -> None:
    for data in (b"", b"   \n"):
        with pytest.raises(af.Unreadable) as bad:
            af.read(data, f"x.{fmt}")
        assert bad.value.reason == af.EMPTY


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_cut_short_keeps_what_came_before_the_cut(fmt: str) -> None:
    """A download or an export stopped half-way: the first half of the run is read, and
    the summary says the file was cut."""
    data = WRITERS[fmt](continuous(20))
    a = af.read(data[: len(data) // 2], f"x.{fmt}")
    assert a.cut
    assert 8 <= a.minutes <= 11 and a.running_minutes == a.minutes
    assert a.start == START
    assert not af.read(data, f"x.{fmt}").cut


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_cut_before_any_record_is_corrupt(fmt: str) -> None:
    data = WRITERS[fmt](continuous(20))
    point = {"fit": b"", "gpx": b"<trkpt", "tcx": b"Trackpoint>"}[fmt]
    cut = data.index(point) + 20 if point else 60
    with pytest.raises(af.Unreadable) as bad:
        af.read(data[:cut], f"x.{fmt}")
    assert bad.value.reason == af.CORRUPT


def test_a_fit_file_with_one_byte_changed_keeps_its_records_and_says_so() -> None:
    """The checksum fails at the end: every record before it was read, and the summary says
    the file was damaged (never a silent half-read)."""
    data = bytearray(fit_file(continuous(20)))
    data[len(data) // 2] ^= 0x55
    a = af.read(bytes(data), "x.fit")
    assert a.cut
    assert a.minutes == 20 and a.running_minutes == 20


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_recording_with_no_movement_is_too_short(fmt: str) -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(WRITERS[fmt]([Part(600, 0.0)]), f"x.{fmt}")
    assert bad.value.reason == af.TOO_SHORT


def test_a_gpx_route_without_times_has_no_times() -> None:
    data = gpx_file(continuous(10)).replace(b"<time>", b"<!-- ").replace(b"</time>", b" -->")
    with pytest.raises(af.Unreadable) as bad:
        af.read(data, "route.gpx")
    assert bad.value.reason == af.NO_TIMES


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.7 not a run", "plan.pdf"),
        (b"\x89PNG\r\n\x1a\n....", "photo.png"),
        (b"<html><body>hello</body></html>", "page.html"),
        (gzip.compress(b"%PDF-1.7 not a run", mtime=0), "plan.pdf.gz"),
    ],
)
def test_other_formats_are_refused(data: bytes, name: str) -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(data, name)
    assert bad.value.reason == af.FORMAT


def test_garbage_named_like_a_recording_is_corrupt() -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(b"this is not a fit file at all", "run.fit")
    assert bad.value.reason == af.CORRUPT


def test_xml_entities_are_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>'
    )
    with pytest.raises(af.Unreadable) as bad:
        af.read(bomb, "run.gpx")
    assert bad.value.reason == af.CORRUPT


def test_too_large() -> None:
    with pytest.raises(af.Unreadable) as bad:
        af.read(b"<" + b" " * af.MAX_BYTES, "run.gpx")
    assert bad.value.reason == af.TOO_LARGE


def test_a_tcx_file_in_another_time_zone_reads_utc() -> None:
    data = re.sub(rb"T06:(\d\d):(\d\d)Z", rb"T07:\1:\2+01:00", tcx_file(continuous(10)))
    assert b"+01:00" in data and b"Z<" not in data
    a = af.read(data, "run.tcx")
    assert a.start == START and a.minutes == 10


def test_a_pause_counts_in_the_session_but_not_as_moving() -> None:
    """Two 10-minute runs with the watch paused for 5 minutes between them."""
    first = fit_file(continuous(10))
    assert af.read(first, "a.fit").minutes == 10
    from datetime import timedelta

    from tests.watch_files import _points

    parts = continuous(10)
    points = _points(parts, START) + [
        (when + timedelta(minutes=15), d + 1680, p) for when, d, p in _points(parts, START)
    ]
    samples = [af.Sample(t=when, distance=d, speed=p.speed) for when, d, p in points]
    a = af.summarize("fit", "running", samples, per_leg=True)
    assert a.minutes == 25 and round(a.moving_s / 60) == 20 and a.running_minutes == 20


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_gzipped_recording_is_read(fmt: str) -> None:
    """As in a Strava or Garmin bulk export: run.fit.gz."""
    parts = walk_run()
    a = af.read(gzip.compress(WRITERS[fmt](parts)), f"run.{fmt}.gz")
    assert (a.format, a.minutes, a.running_minutes, a.cadence_spm) == (fmt, 35, 24, 164)


def test_a_gzip_bomb_stops_at_the_size_limit() -> None:
    bomb = gzip.compress(b"<" + b" " * (af.MAX_BYTES + 10))
    assert len(bomb) < 100_000
    with pytest.raises(af.Unreadable) as bad:
        af.read(bomb, "run.gpx.gz")
    assert bad.value.reason == af.TOO_LARGE


def test_a_damaged_gzip_is_corrupt() -> None:
    packed = gzip.compress(fit_file(continuous(10)))
    with pytest.raises(af.Unreadable) as bad:
        af.read(packed[: len(packed) // 2], "run.fit.gz")
    assert bad.value.reason == af.CORRUPT
