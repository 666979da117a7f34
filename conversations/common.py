"""Parsers, keyboards, steps and texts that several conversations share."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

from conversations.actions import data
from conversations.context import Ctx, Out
from conversations.engine import Answers, Invalid, Option, Step, number_row
from locales import LANGUAGE_NAMES, N_, SUPPORTED
from locales.timezones import SHORT_LISTS, resolve, zone_label
from reports.dates import INJURY_DATE_PRESETS

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


# ------------------------------------------------------ steps that onboarding and settings share
# Day sets offered as buttons: never two days in a row, Sunday to Monday included (in stages
# 2-3 runs are never on back-to-back days; four days a week cannot all be apart, so four is
# "any 4 days" and the plan makes the extra day cross-training when it must).
WEEKDAY_SETS: dict[int, tuple[tuple[int, ...], ...]] = {
    2: ((1, 5), (2, 6), (0, 3)),
    3: ((0, 2, 4), (1, 3, 5), (1, 3, 6)),
}
ANY_DAYS = (2, 3, 4)


def days_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    rows = []
    for count in sorted(WEEKDAY_SETS):
        row = []
        for days in WEEKDAY_SETS[count]:
            label = " ".join(ctx.tr.weekday_name(d, "abbreviated") for d in days)
            row.append(Option(",".join(map(str, days)), label, literal=True))
        rows.append(row)
    label = ctx._("Any {n} days")
    rows.append([Option(f"any{n}", label.format(n=n), literal=True) for n in ANY_DAYS])
    return rows


def run_days_of(days: str) -> tuple[int, str]:
    """The days step's answer -> (runs a week, preferred days): "any3" or "0,2,4"."""
    if days.startswith("any"):
        return int(days[3:]), ""
    return len([d for d in days.split(",") if d]), days


def days_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    if text.startswith("any") and text[3:] in {str(n) for n in ANY_DAYS}:
        return text
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    if parts and all(p.isdigit() and 0 <= int(p) <= 6 for p in parts):
        if len(set(parts)) > 4:
            raise Invalid(N_("For now I plan at most 4 runs a week. Please pick up to 4 days."))
        return ",".join(sorted(set(parts), key=int))
    # typed weekday names in the runner's language
    names = {}
    for width in ("wide", "abbreviated"):
        for d in range(7):
            names[ctx.tr.weekday_name(d, width).casefold().rstrip(".")] = d
    chosen = []
    for word in text.replace(",", " ").split():
        key = word.casefold().rstrip(".")
        if key not in names:
            raise Invalid(N_("Please tap one of the buttons, or type days like: Mon Wed Fri."))
        chosen.append(names[key])
    if not chosen:
        raise Invalid(N_("Please tap one of the buttons, or type days like: Mon Wed Fri."))
    if len(set(chosen)) > 4:
        raise Invalid(N_("For now I plan at most 4 runs a week. Please pick up to 4 days."))
    return ",".join(str(d) for d in sorted(set(chosen)))


def zone_options(ctx: Ctx, answers: Answers) -> list[list[Option]]:
    names = SHORT_LISTS.get(ctx.lang, SHORT_LISTS["en"])
    items = [Option(n, zone_label(n, ctx.lang), literal=True) for n in names]
    rows = [items[i : i + 3] for i in range(0, len(items), 3)]
    rows.append([Option("UTC", "UTC", literal=True)])
    return rows


def zone_parse(ctx: Ctx, text: str, answers: Answers) -> str:
    zone = resolve(text)
    if zone is None:
        raise Invalid(
            N_(
                "I don't know that time zone. Type a big city near you (Berlin), a zone name "
                "(Europe/Berlin) or an offset (UTC+2)."
            )
        )
    return zone


DAYS_STEP = Step(
    "days",
    N_("On which days would you like to walk or run?"),
    days_parse,
    days_options,
    hint=N_(
        "In stages 2 and 3 runs are never on back-to-back days; with 4 days a week one "
        "of them becomes cross-training then."
    ),
)

REMINDER_STEP = Step(
    "reminder",
    N_("What time should I send your daily message?"),
    reminder_parse,
    reminder_options,
    hint=N_("Or type a time, like 06:45."),
)

TIME_ZONE_STEP = Step(
    "time_zone",
    N_("Which time zone are you in?"),
    zone_parse,
    zone_options,
    hint=N_("Or type a city, a zone like Europe/Berlin, or an offset like UTC+3."),
)


# Said at onboarding, in /help and wherever runcoach's limits matter.
DISCLAIMER = N_(
    "I am a running coach, not a clinician: I cannot diagnose an injury. If something feels "
    "wrong, or you are unsure, see a doctor or physiotherapist."
)


def language_keyboard() -> list[list[tuple[str, str]]]:
    return [[(LANGUAGE_NAMES[code], data("lang", code)) for code in SUPPORTED]]


def ask_language(ctx: Ctx) -> None:
    """/language, and the Language button of /settings."""
    ctx.say(ctx._("Which language should I use?"), language_keyboard())


# ---------------------------------------------------------------- command menus
# The command menu, in the order Telegram shows it. Descriptions are msgids.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("today", N_("Today's session")),
    ("checkin", N_("Check in after a run")),
    ("watch", N_("Send a run from your watch or phone")),
    ("connect", N_("Link intervals.icu: runs arrive by themselves")),
    ("disconnect", N_("Unlink intervals.icu")),
    ("plan", N_("The next 7 days")),
    ("why", N_("Why this session")),
    ("reassess", N_("Weekly reassessment")),
    ("progress", N_("Your progress as a chart")),
    ("history", N_("The last 14 days")),
    ("export", N_("A report for your physio")),
    ("careteam", N_("Your physio or coach: invite, see, remove")),
    ("patients", N_("Runners you follow as their physio or coach")),
    ("settings", N_("Reminder time, time zone, run days")),
    ("language", N_("Change language")),
    ("pause", N_("Pause the plan")),
    ("resume", N_("Resume the plan")),
    ("cancel", N_("Leave the current questions")),
    ("delete", N_("Delete all your data")),
    ("help", N_("What I can do")),
    ("start", N_("Start or restart")),
)

# The menu a runner sees (every command still works, and /help lists them all); a care-team
# member's chat gets MEMBER_MENU (and a member who is a runner too gets both).
RUNNER_MENU = ("today", "checkin", "plan", "progress", "history", "careteam", "settings", "help")
MEMBER_MENU = ("patients", "language", "help")


def menu(names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, description msgid) of the commands in ``names``, in the menu's order."""
    described = dict(COMMANDS)
    return [(name, described[name]) for name in names]


def member_menu(ctx: Ctx, runner_too: bool) -> Out:
    """The menu for a care-team member's chat, in their language (formal where the language
    has it: the descriptions are the same msgids a runner reads)."""
    names = (*MEMBER_MENU, *(n for n in RUNNER_MENU if n != "help")) if runner_too else MEMBER_MENU
    return Out(text="", menu=[(name, ctx._(text)) for name, text in menu(names)])
