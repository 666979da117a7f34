"""Building the machine-readable reasons a Decision carries (codes with values)."""

from __future__ import annotations

from datetime import date

from .enums import ReasonCode, RedFlag
from .models import Gate, Reason, Value


def _r(code: ReasonCode, **values: Value) -> Reason:
    return Reason(code, tuple(values.items()))


def _ev(code: ReasonCode, event_day: date, **values: Value) -> Reason:
    """A reason that acts on an event: carries the event's day so it is acted on once."""
    return Reason(code, (*values.items(), ("event_day", event_day.isoformat())))


def _gate_reason(code: ReasonCode, g: Gate) -> Reason:
    return Reason(code, (("gate", str(g.code)), *g.values))


def _flags_value(flags: frozenset[RedFlag]) -> str:
    return ",".join(sorted(str(f) for f in flags))
