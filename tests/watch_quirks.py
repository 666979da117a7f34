"""Recordings with the quirks real devices and apps write, made with the libraries that write
each format (fit-tool for FIT, gpxpy for GPX, ElementTree for TCX; tests/watch_files.py):
developer fields, compressed timestamps, no sport, laps without records, pause events, a
session summary written before the records and a file cut or missing a byte after it (as
Strava's Android app does), a triathlon, a treadmill, a GPX with only times and positions,
a TCX with no heart rate or with laps only. Each is a function returning the file's bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime, timedelta

from fit_tool.base_type import BaseType
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import (
    Event,
    EventType,
    FileType,
    Manufacturer,
    Sport,
    SubSport,
)
from fit_tool.wire.crc import crc16
from fit_tool.wire.decoder import decode_bytes
from fit_tool.wire.model import RawDataRecord

from tests.watch_files import (
    LON0,
    START,
    Part,
    _lat,
    _points,
    continuous,
    gpx_file,
    tcx_file,
    walk_run,
)

FIT_EPOCH = 631065600  # 1989-12-31T00:00:00Z, FIT's zero
RECORD, TIMESTAMP = 20, 253  # the record message and its timestamp field


def _ms(t: datetime) -> int:
    return round(t.timestamp() * 1000)


class Fit:
    """A FIT activity written with fit-tool, one message at a time, in the order given."""

    def __init__(self, start: datetime = START, file_type: FileType = FileType.ACTIVITY) -> None:
        self.builder = FitFileBuilder(auto_define=True, min_string_size=50)
        self.start = start
        file_id = FileIdMessage()
        file_id.type = file_type
        file_id.manufacturer = Manufacturer.GARMIN.value
        file_id.product = 0
        file_id.time_created = _ms(start)
        file_id.serial_number = 0x1234
        self.builder.add(file_id)

    def timer(self, kind: EventType, at: datetime) -> Fit:
        event = EventMessage()
        event.event = Event.TIMER
        event.event_type = kind
        event.timestamp = _ms(at)
        self.builder.add(event)
        return self

    def developer_power(self) -> Fit:
        """A running-power developer field, as a Stryd pod or an app adds one."""
        ident = DeveloperDataIdMessage()
        ident.developer_data_index = 0
        ident.application_id = [7] * 16
        self.builder.add(ident)
        field = FieldDescriptionMessage()
        field.developer_data_index = 0
        field.field_definition_number = 0
        field.fit_base_type_id = BaseType.UINT16.value
        field.field_name = "Power"
        field.units = "Watts"
        self.builder.add(field)
        return self

    def records(self, parts: list[Part], start: datetime | None = None, *,
                positions: bool = True, power: bool = False, metres: float = 0.0,
                frozen: bool = False) -> Fit:
        """One record a second; ``metres`` already run before these; ``frozen``: the
        device's distance does not move (its timer is paused), the positions do."""
        for when, distance, part in _points(parts, start or self.start):
            record = RecordMessage()
            record.timestamp = _ms(when)
            if positions:
                record.position_lat = _lat(metres + distance)
                record.position_long = LON0
            record.distance = metres + (0.0 if frozen else distance)
            record.speed = part.speed
            if part.cadence is not None:
                record.cadence = part.cadence // 2
            if part.hr is not None:
                record.heart_rate = part.hr
            if power:
                watts = DeveloperField(field_id=0, developer_data_index=0, name="Power",
                                       base_type=BaseType.UINT16, size=2)
                watts.set_value(0, 240)
                record.developer_fields = [watts]
            self.builder.add(record)
        return self

    def summary(self, kind: type[SessionMessage] | type[LapMessage], parts: list[Part],
                start: datetime | None = None, sport: Sport = Sport.RUNNING,
                sub_sport: SubSport | None = None) -> Fit:
        begin = start or self.start
        seconds = sum(p.seconds for p in parts)
        message = kind()
        message.timestamp = _ms(begin + timedelta(seconds=seconds))
        message.start_time = _ms(begin)
        message.sport = sport
        if sub_sport is not None:
            message.sub_sport = sub_sport
        message.total_elapsed_time = float(seconds)
        message.total_timer_time = float(seconds)
        message.total_distance = sum(p.seconds * p.speed for p in parts)
        message.avg_speed = message.total_distance / seconds
        cadence = [p for p in parts if p.cadence]
        if cadence:
            message.avg_running_cadence = round(
                sum(p.cadence * p.seconds for p in cadence if p.cadence) / seconds / 2)
        timed = [p for p in parts if p.hr]
        if timed:
            message.avg_heart_rate = round(sum(p.hr * p.seconds for p in timed if p.hr) / seconds)
        self.builder.add(message)
        return self

    def bytes(self) -> bytes:
        return bytes(self.builder.build().to_bytes())


def _end(parts: list[Part], start: datetime = START) -> datetime:
    return start + timedelta(seconds=sum(p.seconds for p in parts))


def _whole(parts: list[Part], **records: bool) -> Fit:
    fit = Fit().timer(EventType.START, START).records(parts, **records)
    return fit.timer(EventType.STOP_ALL, _end(parts))


def developer_fields() -> bytes:
    parts = continuous(30)
    fit = Fit().developer_power().timer(EventType.START, START).records(parts, power=True)
    return fit.timer(EventType.STOP_ALL, _end(parts)).summary(SessionMessage, parts).bytes()


def no_sport() -> bytes:
    """No session or sport message at all: the speed tells a run."""
    return _whole(continuous(20)).bytes()


def laps_without_records() -> bytes:
    """A session and its laps, no record: a treadmill run saved by an app that keeps totals."""
    laps = [Part(600, 2.8, 166, 150)] * 3
    fit = Fit().timer(EventType.START, START)
    for i, lap in enumerate(laps):
        fit.summary(LapMessage, [lap], START + timedelta(seconds=600 * i))
    return fit.summary(SessionMessage, laps).bytes()


def pause_events() -> bytes:
    """10 min running, the timer paused for 5 min while the watch went on writing records
    (a walk home), then 10 min running: the paused records are not the session's movement."""
    run = continuous(10)
    paused = [Part(300, 1.4, 110, 110)]
    pause_at = _end(run)
    resume_at = pause_at + timedelta(seconds=300)
    first = sum(p.seconds * p.speed for p in run)
    fit = Fit().timer(EventType.START, START).records(run)
    fit.timer(EventType.STOP_ALL, pause_at)
    fit.records(paused, pause_at + timedelta(seconds=1), metres=first, frozen=True)
    fit.timer(EventType.START, resume_at).records(run, resume_at, metres=first)
    whole = run + paused + run
    return fit.timer(EventType.STOP_ALL, _end(whole)).summary(SessionMessage, whole).bytes()


def summary_first_then_cut() -> bytes:
    """As Strava's Android app writes it: the session summary before the records; the file
    then stops part-way (an upload or a save cut short)."""
    parts = continuous(30)
    data = Fit().summary(SessionMessage, parts).timer(EventType.START, START).records(parts)
    whole = data.bytes()
    return whole[: int(len(whole) * 0.4)]


def byte_lost() -> bytes:
    """The same, with one byte lost in the middle of the records (the defect of the real
    Strava file in the corpus): nothing after it can be read, the summary before it can."""
    parts = continuous(30)
    whole = Fit().summary(SessionMessage, parts).timer(EventType.START, START).records(parts)
    data = bytearray(whole.bytes())
    del data[len(data) // 3]
    header = data[0]
    struct.pack_into("<I", data, 4, len(data) - header - 2)  # the size, as the app wrote it
    if header == 14:
        struct.pack_into("<H", data, 12, crc16(bytes(data[:12])))
    return bytes(data[:-2]) + struct.pack("<H", crc16(bytes(data[:-2])))


def cut_without_summary() -> bytes:
    """Cut short with the summary still to come at the end: the records before the cut."""
    whole = _whole(continuous(20)).summary(SessionMessage, continuous(20)).bytes()
    return whole[: len(whole) // 2]


def compressed_timestamps() -> bytes:
    """Records whose times are 5-bit offsets in their headers (FIT's compressed timestamp
    header), as some devices write to save space; a full timestamp every 30 records."""
    parts = walk_run()
    fit = Fit().timer(EventType.START, START)
    points = _points(parts, START)
    for i, (when, distance, part) in enumerate(points):
        record = RecordMessage()
        if i % 30 == 0:
            record.timestamp = _ms(when)
        record.position_lat = _lat(distance)
        record.position_long = LON0
        record.distance = distance
        record.speed = part.speed
        record.cadence = (part.cadence or 0) // 2
        record.heart_rate = part.hr
        fit.builder.add(record)
    fit.timer(EventType.STOP_ALL, _end(parts)).summary(SessionMessage, parts)
    base = round(START.timestamp()) - FIT_EPOCH
    times = [base + round((when - START).total_seconds()) for when, _, _ in points]
    return _compress_headers(fit.bytes(), times)


def _compress_headers(data: bytes, times: list[int]) -> bytes:
    """fit-tool writes a normal header on each record defined without a timestamp; here that
    header becomes a compressed one carrying the record's time (the low 5 bits)."""
    out = bytearray(data)
    index = -1
    for record in decode_bytes(data).segments[0].records:
        if not isinstance(record, RawDataRecord) or record.definition.global_id != RECORD:
            continue
        index += 1
        fields = {f.field_id for f in record.definition.field_definitions}
        if TIMESTAMP not in fields:
            assert record.local_id <= 3  # a compressed header has 2 bits for it
            out[record.source_offset] = 0x80 | (record.local_id << 5) | (times[index] & 0x1F)
    body = bytes(out[:-2])
    return body + struct.pack("<H", crc16(body))


def triathlon() -> bytes:
    """A swim, a transition and a run in one file (a multisport watch): the run counts."""
    swim = [Part(900, 0.9, None, 130)]
    t1 = [Part(120, 1.2, None, 140)]
    run = continuous(25)
    t_t1 = _end(swim)
    t_run = _end(t1, t_t1)
    fit = Fit().timer(EventType.START, START)
    fit.records(swim, positions=False).summary(SessionMessage, swim, sport=Sport.SWIMMING,
                                               sub_sport=SubSport.OPEN_WATER)
    fit.records(t1, t_t1).summary(SessionMessage, t1, t_t1, sport=Sport.TRANSITION)
    fit.records(run, t_run).summary(SessionMessage, run, t_run)
    return fit.timer(EventType.STOP_ALL, _end(run, t_run)).bytes()


def treadmill() -> bytes:
    """Indoors: no positions, the watch's own speed and distance, sport fitness equipment,
    sub-sport treadmill."""
    parts = walk_run()
    fit = Fit().timer(EventType.START, START).records(parts, positions=False)
    return fit.summary(SessionMessage, parts, sport=Sport.FITNESS_EQUIPMENT,
                       sub_sport=SubSport.TREADMILL).bytes()


def indoor_rowing() -> bytes:
    parts = [Part(1200, 2.5, 56, 140)]
    fit = Fit().timer(EventType.START, START).records(parts, positions=False)
    return fit.summary(SessionMessage, parts, sport=Sport.FITNESS_EQUIPMENT,
                       sub_sport=SubSport.INDOOR_ROWING).bytes()


def forty_seconds() -> bytes:
    parts = [Part(40, 2.8, 166, 130)]
    return _whole(parts).summary(SessionMessage, parts).bytes()


def settings_only() -> bytes:
    """A settings file from the watch: a FIT file, no recording in it."""
    return Fit(file_type=FileType.SETTINGS).bytes()


def gpx_times_and_positions() -> bytes:
    """Nothing but positions and times: no elevation, no heart rate, no cadence, no type."""
    data = gpx_file(continuous(25, cadence=False, hr=False), kind=None)
    return data.replace(b"<ele>35.0</ele>", b"")


def gpx_cut() -> bytes:
    data = gpx_file(walk_run())
    return data[: int(len(data) * 0.6)]


def tcx_no_heart_rate() -> bytes:
    return tcx_file(walk_run(hr=False))


def tcx_cut() -> bytes:
    data = tcx_file(walk_run())
    return data[: int(len(data) * 0.6)]


def tcx_laps_only() -> bytes:
    """Laps with their totals and no track (a treadmill run exported by Garmin Connect)."""
    data = tcx_file(continuous(20))
    head, rest = data.split(b"<ns0:Track>" if b"<ns0:Track>" in data else b"<Track>", 1)
    closing = b"</ns0:Track>" if b"</ns0:Track>" in rest else b"</Track>"
    return head + rest.split(closing, 1)[1]


QUIRKS: dict[str, Callable[[], bytes]] = {
    "quirk-developer-fields.fit": developer_fields,
    "quirk-no-sport.fit": no_sport,
    "quirk-laps-without-records.fit": laps_without_records,
    "quirk-pause-events.fit": pause_events,
    "quirk-summary-first-then-cut.fit": summary_first_then_cut,
    "quirk-byte-lost.fit": byte_lost,
    "quirk-cut-without-summary.fit": cut_without_summary,
    "quirk-compressed-timestamps.fit": compressed_timestamps,
    "quirk-triathlon.fit": triathlon,
    "quirk-treadmill.fit": treadmill,
    "quirk-indoor-rowing.fit": indoor_rowing,
    "quirk-forty-seconds.fit": forty_seconds,
    "quirk-settings.fit": settings_only,
    "quirk-times-and-positions.gpx": gpx_times_and_positions,
    "quirk-cut.gpx": gpx_cut,
    "quirk-no-heart-rate.tcx": tcx_no_heart_rate,
    "quirk-cut.tcx": tcx_cut,
    "quirk-laps-only.tcx": tcx_laps_only,
}
