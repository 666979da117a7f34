"""A prescribed session as an intervals.icu planned workout (pure: no I/O).

intervals.icu reads a workout from the event's ``description`` in its text workout syntax: a
section header line (``Warmup``, ``Cooldown``, or any text ending in ``Nx`` for a repeat), then
one ``- <cue> <duration>`` line per step (durations like ``5m``, ``30s``, ``1m30s``); text
before the duration is the step's cue, which the watch shows. Free text before the first
section stays as the workout's notes (here the pain rule and the effort limit). No pace or
heart-rate targets are set: the plan's intensity is by feel (RPE), said in the notes.

``workout`` gives None for a day without running: only run and walk/run sessions go to the
watch (a rest, cross-training or strength day stays off the calendar).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from progression import Prescription, Segment, SessionKind

RUNNING_KINDS = frozenset(
    {SessionKind.WALK_RUN, SessionKind.CONTINUOUS, SessionKind.BUILD, SessionKind.INTENSITY}
)
EASY = frozenset({"walk", "easy"})  # a first or last block like this is a warm-up/cool-down


def duration(minutes: float) -> str:
    """intervals.icu's duration: 5m, 30s, 1m30s."""
    seconds = max(1, round(minutes * 60))
    whole, rest = divmod(seconds, 60)
    if not whole:
        return f"{rest}s"
    return f"{whole}m{rest}s" if rest else f"{whole}m"


def _steps(s: Segment, label: Callable[[str], str]) -> list[str]:
    lines = [f"- {label(s.activity)} {duration(s.minutes)}"]
    if s.recovery_minutes and s.recovery_activity:
        lines.append(f"- {label(s.recovery_activity)} {duration(s.recovery_minutes)}")
    return lines


def steps_text(p: Prescription, label: Callable[[str], str], main: str) -> str:
    """The sections: warm-up, the main set (``main`` names it; repeats as ``Nx``), cool-down."""
    blocks: list[list[str]] = []
    segments = list(p.segments)
    for i, s in enumerate(segments):
        edge = len(segments) > 1 and s.repeats == 1 and s.activity in EASY
        if edge and i == 0:
            header = "Warmup"
        elif edge and i == len(segments) - 1:
            header = "Cooldown"
        elif s.repeats > 1:
            header = f"{main} {s.repeats}x"
        else:
            header = main
        blocks.append([header, *_steps(s, label)])
    return "\n\n".join("\n".join(b) for b in blocks)


def workout(
    p: Prescription,
    day: date,
    *,
    name: str,
    notes: str,
    label: Callable[[str], str],
    main: str,
    external_id: str,
) -> dict[str, Any] | None:
    """The calendar event of ``day``'s session (category WORKOUT, a run), or None when the
    session has no running. ``label`` names an activity (run, walk…) in the runner's words;
    ``notes`` (the pain rule, effort) come first in the description."""
    if p.kind not in RUNNING_KINDS or p.running_minutes <= 0 or not p.segments:
        return None
    description = notes.strip() + "\n\n" + steps_text(p, label, main)
    return {
        "category": "WORKOUT",
        "type": "Run",
        "start_date_local": f"{day.isoformat()}T00:00:00",
        "name": name,
        "description": description,
        "moving_time": int(p.total_minutes * 60),
        "external_id": external_id,
    }


def fingerprint(event: dict[str, Any]) -> str:
    """What changes when the session changes (the event is rewritten only then)."""
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
