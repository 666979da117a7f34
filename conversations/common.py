"""Parsers and keyboards that several conversations share."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

from conversations.context import Ctx
from conversations.engine import Answers, Invalid, Option, number_row
from locales import N_

SKIP = "skip"
_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)
_DATE_DMY = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})[./](\d{4})\s*$")


def parse_time(text: str) -> time | None:
    """``7``, ``07:30``, ``19.00``, ``7h``, ``7:30 pm`` -> a time of day."""
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def reminder_parse(ctx: Ctx, text: str, answers: Answers) -> int:
    value = parse_time(text)
    if value is None:
        raise Invalid(N_("Please send a time like 07:30, or tap one of the buttons."))
    return value.hour * 60 + value.minute


def reminder_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    times = ("07:00", "08:00", "12:00", "18:00", "20:00")
    return [[Option(t, t, literal=True) for t in times]]


def parse_date(text: str, today: date) -> date | None:
    raw = text.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    match = _DATE_DMY.match(raw)
    if match:
        try:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            return None
    return None


INJURY_DATE_PRESETS = {"week": 3, "2weeks": 10, "6weeks": 28, "older": 60}
# What the runner said, kept beside the date (the report prints it as said): the button, or
# "date" for a typed date, and the day of the answer.
INJURY_DATE_ANSWER = "injury_date_answer"
INJURY_DATE_TOLD_ON = "injury_date_told_on"


def injury_date_parse(ctx: Ctx, text: str, answers: Answers) -> str | None:
    """The injury date (ISO) from a button or a typed date. Also records in ``answers`` what
    was said and when (INJURY_DATE_ANSWER, INJURY_DATE_TOLD_ON), saved with the answer."""
    today = ctx.today
    presets = INJURY_DATE_PRESETS
    if text in presets:
        answers[INJURY_DATE_ANSWER] = text
        answers[INJURY_DATE_TOLD_ON] = today.isoformat()
        return (today - timedelta(days=presets[text])).isoformat()
    if text == "unknown":
        answers.pop(INJURY_DATE_ANSWER, None)
        answers.pop(INJURY_DATE_TOLD_ON, None)
        return None
    value = parse_date(text, today)
    if value is None:
        raise Invalid(N_("Please send a date like 2026-03-01 or 01.03.2026, or tap a button."))
    if value > today:
        raise Invalid(N_("That date is in the future. When did the injury happen?"))
    if value < today - timedelta(days=5 * 365):
        raise Invalid(N_("That is more than five years ago. Please check the date."))
    answers[INJURY_DATE_ANSWER] = "date"
    answers[INJURY_DATE_TOLD_ON] = today.isoformat()
    return value.isoformat()


def optional_text(limit: int) -> Callable[[Ctx, str, Answers], str | None]:
    def parse(ctx: Ctx, text: str, answers: Answers) -> str | None:
        if text == SKIP:
            return None
        clean = " ".join(text.split())
        if not clean:
            raise Invalid(N_("Please write a few words, or tap Skip."))
        if len(clean) > limit:
            raise Invalid(N_("Please keep it under {limit} characters."), limit=limit)
        return clean

    return parse


def optional(parse: Callable[[Ctx, str, Answers], Any]) -> Callable[[Ctx, str, Answers], Any]:
    """The same parser, with the Skip button (or typed "skip") meaning "no answer"."""

    def parse_or_skip(ctx: Ctx, text: str, answers: Answers) -> Any:
        return None if text == SKIP else parse(ctx, text, answers)

    return parse_or_skip


SWELLING_OPTIONS: list[list[Option]] = [
    [
        Option("none", N_("None")),
        Option("mild", N_("A little")),
        Option("visible", N_("Clearly visible")),
    ]
]


STIFFNESS_OPTIONS: list[list[Option]] = [number_row(0, 5, 10, 20, 30, 60)]  # minutes


def skip_row() -> list[Option]:
    return [Option(SKIP, N_("Skip"))]
