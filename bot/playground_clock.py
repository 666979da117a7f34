"""The playground's movable clock: real time plus an offset that ``/clock`` moves.

``/clock +1d``, ``/clock 07:00``, ``/clock next monday``, ``/clock 2026-03-02 08:00``: the
forms are read in the current person's time zone (the one they chose in onboarding, UTC
before). The grammar is four small forms, forward only, relative to a person's zone, so it
is read here with a few regular expressions rather than a natural-language date library
(dateparser and the like read "next monday" but not "+1d", and bring their own idea of the
time zone and of "now").

The offset outlives a run next to a SQLite database (``<file>.clock``), so a later run
picks up at the playground's time, not the real one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_STEP = re.compile(r"(\d+)\s*([wdhm])")
_RELATIVE = re.compile(r"^\+\s*(?:\d+\s*[wdhm]\s*)+$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

FORMS = (
    "+1d, +2h, +30m, +1w (or +1d2h); 07:00 (the next 07:00); "
    "monday or next monday, maybe with a time (next monday 07:00); tomorrow; "
    "2026-03-02 or 2026-03-02 08:00"
)


class Clock:
    """``Services.clock`` for the playground: now plus an offset; ``set`` moves it."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, when: datetime) -> None:
        self.offset = when.astimezone(UTC) - datetime.now(UTC)

    @classmethod
    def load(cls, path: Path | None) -> Clock:
        """The clock saved next to a database; the real time when there is none."""
        if path is None or not path.exists():
            return cls()
        try:
            seconds = float(json.loads(path.read_text())["offset_seconds"])
        except (ValueError, KeyError, TypeError, OSError):
            return cls()
        return cls(timedelta(seconds=seconds))

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        if not self.offset:
            path.unlink(missing_ok=True)
            return
        path.write_text(json.dumps({"offset_seconds": self.offset.total_seconds()}) + "\n")


def _at(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time).replace(tzinfo=zone)


def _time_of(text: str) -> time:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time like 07:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return time(hour, minute)


def when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment a ``/clock`` argument names, read in ``zone``; ValueError when it names
    none. A day without a time keeps the time of day; a time alone is its next occurrence."""
    words = text.strip().lower().split()
    if not words:
        raise ValueError("say where to move the clock")
    local = now.astimezone(zone)
    if _RELATIVE.match(text.strip()):
        delta = timedelta()
        for amount, unit in _STEP.findall(text):
            delta += timedelta(**{UNITS[unit]: int(amount)})
        return now + delta
    clock_time: time | None = None
    if len(words) > 1 and _TIME.match(words[-1]):
        clock_time = _time_of(words.pop())
    elif len(words) == 1 and _TIME.match(words[0]):
        target = _at(local.date(), _time_of(words[0]), zone)
        if target <= local:
            target = _at(local.date() + timedelta(days=1), _time_of(words[0]), zone)
        return target.astimezone(UTC)
    keep = clock_time or local.time().replace(tzinfo=None)
    if words[0] == "next" and len(words) == 2:
        words = words[1:]
    if len(words) != 1:
        raise ValueError(f"cannot read {text!r}")
    word = words[0]
    day: date | None = None
    if word == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif word == "today":
        day = local.date()
    elif (match := _DATE.match(word)) is not None:
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as exc:
            raise ValueError(f"{word!r} is not a date") from exc
    else:
        names = [name for name in WEEKDAYS if len(word) >= 3 and name.startswith(word)]
        if len(names) == 1:
            ahead = (WEEKDAYS.index(names[0]) - local.weekday() - 1) % 7 + 1  # 1..7 days on
            day = local.date() + timedelta(days=ahead)
    if day is None:
        raise ValueError(f"cannot read {text!r}")
    return _at(day, keep, zone).astimezone(UTC)


def describe(moment: datetime, zone: ZoneInfo) -> str:
    """``Mon 2 Mar 2026 09:00 Europe/Berlin``: the playground's own line, not the bot's."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {zone.key}"
