"""FIT recordings, as watches and phone apps write them, read with fitdecode.

Every record that can be read is kept: a file that ends in damaged data (cut short while
saving or sending, a byte lost by the app that wrote it, a wrong checksum) keeps what came
before, and the file's own session summary when it was read before the damage and covers
more. Developer fields, compressed timestamps, a missing sport, laps without records, pauses
(timer stop and start events) and multisport files (only the legs on foot count) are read as
they come. Refused only when nothing timed can be read (``CORRUPT``, ``NO_TIMES``), when the
for what ``summary.summarize`` refuses. A file timed only from the watch's power-on (its clock
never set) is read with ``dated=False``: the conversation asks which day it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import fitdecode

from activities.summary import (
    CORRUPT,
    NO_TIMES,
    NOT_RUN,
    PAUSE_GAP,
    UNDATED,
    Activity,
    Sample,
    Totals,
    Unreadable,
    combine,
    from_totals,
    number,
    on_foot,
    summarize,
    with_totals,
)

SEMICIRCLE = 180 / 2**31
STOPS = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})


@dataclass
class _Read:
    """What one pass over the file gathered."""

    samples: list[Sample] = field(default_factory=list)
    relative: list[Sample] = field(default_factory=list)  # timed from the watch's power-on
    sessions: list[Totals] = field(default_factory=list)
    laps: list[Totals] = field(default_factory=list)
    sports: list[tuple[str | None, str | None]] = field(default_factory=list)
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    cut: bool = False


def read_fit(data: bytes) -> Activity:
    got = _gather(data)
    if not got.samples and got.relative:
        # a watch whose clock was never set: its times count from power-on, the day is not
        # in the file (the conversation asks the runner)
        return replace(read_fit_relative(got), dated=False)
    if not got.samples:
        return _from_totals_only(got)
    samples = _outside_pauses(got.samples, got.pauses)
    sessions = [s for s in got.sessions if s.start is not None and s.elapsed_s]
    legs = [(s, _session_on_foot(s)) for s in sessions]
    if len(legs) > 1 and any(foot is not None for _, foot in legs):
        return _multisport(samples, legs, cut=got.cut)
    sport = _sport(got)
    hint = sum(float(s.elapsed_s or 0) for s in sessions) or None
    activity = summarize("fit", sport, samples, per_leg=True, elapsed_hint=hint)
    if got.cut:
        return _salvaged(activity, sessions)
    return activity


def _gather(data: bytes) -> _Read:
    got = _Read()
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            # quirks devices are known for (an odd field size, a developer field without
            # its description) are passed over, as Garmin Connect does, and quietly: a
            # warning per record would flood the log from a worker thread
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    _take(got, frame)
    except (fitdecode.FitError, ValueError, TypeError, KeyError, IndexError, OverflowError) as e:
        if not got.samples and not got.relative:
            if got.sessions or got.laps:
                got.cut = True  # a summary was read before the damage: _from_totals_only
                return got
            raise Unreadable(CORRUPT) from e
        got.cut = True
    return got


def _take(got: _Read, frame: Any) -> None:
    name = frame.name
    if name == "record":
        t = _value(frame, "timestamp")
        if isinstance(t, datetime):
            got.samples.append(_sample(frame, t))
        elif isinstance(t, int) and t >= 0:
            got.relative.append(_sample(frame, UNDATED + timedelta(seconds=t)))
    elif name in ("session", "lap"):
        (got.sessions if name == "session" else got.laps).append(_totals(frame))
    elif name == "sport":
        got.sports.append((_text(frame, "sport"), _text(frame, "sub_sport")))
    elif name == "event" and _value(frame, "event") == "timer":
        t = _value(frame, "timestamp")
        kind = _value(frame, "event_type")
        if not isinstance(t, datetime):
            return
        if kind in STOPS and (not got.pauses or got.pauses[-1][1] is not None):
            got.pauses.append((_utc(t), None))
        elif kind == "start" and got.pauses and got.pauses[-1][1] is None:
            got.pauses[-1] = (got.pauses[-1][0], _utc(t))


def read_fit_relative(got: _Read) -> Activity:
    """The session of a file timed only from the watch's power-on, placed at ``UNDATED``."""
    sport = _sport(got)
    hint = sum(float(s.elapsed_s or 0) for s in got.sessions) or None
    activity = summarize("fit", sport, got.relative, per_leg=True, elapsed_hint=hint)
    return replace(activity, cut=got.cut)


def _value(frame: Any, name: str) -> Any:
    if not frame.has_field(name):
        return None
    return frame.get_value(name)


def _text(frame: Any, name: str) -> str | None:
    value = _value(frame, name)
    return value.lower() if isinstance(value, str) else None


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _sample(frame: Any, t: datetime) -> Sample:
    speed = _value(frame, "enhanced_speed")
    if speed is None:
        speed = _value(frame, "speed")
    cadence = _value(frame, "cadence")
    fraction = _value(frame, "fractional_cadence")
    if isinstance(cadence, int | float) and isinstance(fraction, int | float):
        cadence = float(cadence) + float(fraction)
    lat, lon = _value(frame, "position_lat"), _value(frame, "position_long")
    return Sample(
        t=_utc(t),
        distance=number(_value(frame, "distance")),
        lat=lat * SEMICIRCLE if isinstance(lat, int) else None,
        lon=lon * SEMICIRCLE if isinstance(lon, int) else None,
        speed=number(speed),
        cadence=number(cadence),
        hr=number(_value(frame, "heart_rate")),
    )


def _totals(frame: Any) -> Totals:
    start = _value(frame, "start_time")
    speed = _value(frame, "enhanced_avg_speed")
    if speed is None:
        speed = _value(frame, "avg_speed")
    cadence = _value(frame, "avg_running_cadence")
    if cadence is None:
        cadence = _value(frame, "avg_cadence")
    return Totals(
        start=_utc(start) if isinstance(start, datetime) else None,
        elapsed_s=number(_value(frame, "total_elapsed_time")),
        timer_s=number(_value(frame, "total_timer_time")),
        distance_m=number(_value(frame, "total_distance")),
        speed=number(speed),
        cadence=number(cadence),
        hr=number(_value(frame, "avg_heart_rate")),
        sport=_text(frame, "sport"),
        sub_sport=_text(frame, "sub_sport"),
    )


def _session_on_foot(t: Totals) -> bool | None:
    """FIT names its sports from a fixed list: one named and not on foot is another sport."""
    verdicts = [on_foot(name) for name in (t.sub_sport, t.sport)]
    if False in verdicts:
        return False
    if True in verdicts:
        return True
    named = [n for n in (t.sport, t.sub_sport) if n and on_foot(n) is None]
    if any(n not in ("generic", "all", "invalid", "multisport") for n in named):
        return False  # training, fitness equipment, tennis, ...
    return None


def _sport(got: _Read) -> str | None:
    """The sport of a one-session file: its session's (or sport message's) name, on foot or
    unnamed; ``NOT_RUN`` when it names another sport."""
    named = [(s.sport, s.sub_sport) for s in got.sessions] + got.sports
    verdicts = [(sport, _session_on_foot(Totals(None, None, sport=sport, sub_sport=sub)))
                for sport, sub in named]
    for (sport, sub), (_, foot) in zip(named, verdicts, strict=True):
        if foot:
            return sub if on_foot(sub) else sport  # a treadmill, say, more than its machine
    if any(foot is False for _, foot in verdicts):
        raise Unreadable(NOT_RUN)
    return None


def _outside_pauses(samples: list[Sample], pauses: list[tuple[datetime, datetime | None]]
                    ) -> list[Sample]:
    """Records a device kept writing while its timer was stopped are not the session's
    movement: they are left out (the pause still counts in the session's length)."""
    closed = [(a, b) for a, b in pauses if b is not None and (b - a).total_seconds() > 1]
    if not closed:
        return samples
    return [s for s in samples if not any(a < s.t < b for a, b in closed)]


def _within(samples: list[Sample], t: Totals) -> list[Sample]:
    start, end = t.start, t.end
    if start is None or end is None:
        return []
    return [s for s in samples if start <= s.t <= end]


def _multisport(samples: list[Sample], legs: list[tuple[Totals, bool | None]], *, cut: bool
                ) -> Activity:
    """Only the legs on foot count (a triathlon's run, not its swim or ride)."""
    explicit = any(foot for _, foot in legs)
    chosen = [t for t, foot in legs if foot or (foot is None and not explicit)]
    left = [t.sport or "?" for t, foot in legs if t not in chosen and t.sport != "transition"]
    parts: list[Activity] = []
    refused: list[str] = []
    for t in chosen:
        try:
            part = summarize("fit", t.sport, _within(samples, t), per_leg=True,
                             elapsed_hint=t.elapsed_s)
        except Unreadable as bad:
            refused.append(bad.reason)
            if bad.reason == NOT_RUN:
                left.append(t.sport or "?")
            continue
        parts.append(part)
    if not parts:  # the legs on foot were too short, say, or there were none
        raise Unreadable(next((r for r in refused if r != NOT_RUN), NOT_RUN))
    whole = combine(parts, left_out=left)
    return replace(whole, cut=True) if cut else whole


def _salvaged(kept: Activity, sessions: list[Totals]) -> Activity:
    """A file cut short: the samples kept, or its own session summary when that was read
    before the damage, starts with the samples and covers more."""
    for t in sessions:
        if (t.start is not None and t.elapsed_s
                and abs((t.start - kept.start).total_seconds()) <= PAUSE_GAP
                and t.elapsed_s > kept.elapsed_s + PAUSE_GAP):
            return with_totals(kept, t, per_leg=True)
    return replace(kept, cut=True, kept_s=kept.elapsed_s)


def _from_totals_only(got: _Read) -> Activity:
    """No timed record: the session's (or else the laps') own totals, when they say when and
    how long; a file of settings, a workout or a course has none."""
    summaries = got.sessions or got.laps
    if not summaries:
        raise Unreadable(NO_TIMES)
    foot = [t for t in summaries if _session_on_foot(t) is not False]
    if not foot:
        raise Unreadable(NOT_RUN)
    sport = next((t.sport for t in foot if t.sport and on_foot(t.sport)), None)
    return replace(from_totals("fit", sport, foot, per_leg=True), cut=got.cut)
