"""Dates in the runner's locale, and the injury date as the runner gave it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from locales import N_, Translator
from storage.reports import Records

# The onboarding buttons for "When did it happen?": the days before the answer each one
# stores (conversations/common.injury_date_parse).
INJURY_DATE_PRESETS = {"week": 3, "2weeks": 10, "6weeks": 28, "older": 60}
# The onboarding buttons for "When did it happen?" (conversations/common.injury_date_parse
# stores today minus these days): how the report says what the runner chose, and how many
# days since the injury that can mean (low, high; None = open).
INJURY_PRESETS: Mapping[int, tuple[str, int, int | None]] = {
    3: (N_("in the week before {date}"), 0, 7),
    10: (N_("1-2 weeks before {date}"), 7, 14),
    28: (N_("2-6 weeks before {date}"), 14, 42),
    60: (N_("over 6 weeks before {date}"), 42, None),
}


# ---------------------------------------------------------------- dates in the runner's locale
# Babel's "en" is American English; a runner who writes English from these zones reads dates
# the way their country writes them ("25 Nov 2026", not "Nov 25, 2026").
ENGLISH_BY_ZONE: tuple[tuple[str, str], ...] = (
    ("Europe/Dublin", "en_IE"),
    ("Europe/", "en_GB"),
    ("Australia/", "en_AU"),
    ("Pacific/Auckland", "en_NZ"),
    ("Asia/Kolkata", "en_IN"),
    ("Asia/Singapore", "en_SG"),
    ("Africa/Johannesburg", "en_ZA"),
    ("America/Toronto", "en_CA"),
    ("America/Vancouver", "en_CA"),
)


def date_locale(lang: str, time_zone: str | None) -> str:
    """The Babel locale for the runner's dates: their language, and for English their region
    as their time zone suggests."""
    if lang == "en" and time_zone:
        for prefix, locale in ENGLISH_BY_ZONE:
            if time_zone.startswith(prefix):
                return locale
    return lang


def format_day(value: date | None, locale: str, skeleton: str = "yMMMd") -> str:
    """A date as the locale writes it, the month as a word (never 11/30/26)."""
    from babel.dates import format_skeleton

    if value is None:
        return "–"
    return format_skeleton(skeleton, value, locale=locale)



# ---------------------------------------------------------------- the injury date, as told
def onboarding_day(records: Records, joined: date) -> date:
    """The day the runner finished onboarding: its decision is the first one stored."""
    return records.decisions[0].day if records.decisions else joined


@dataclass(frozen=True)
class InjuryDate:
    """The injury date as the runner gave it: a button ("1-2 weeks ago", pressed on
    ``answered``) or a typed date (``exact``), or nothing."""

    stored: date | None
    answered: date | None = None  # the day a button was pressed (None: typed or unknown)
    preset: int = 0  # days before ``answered`` that the button stored

    @property
    def exact(self) -> bool:
        return self.stored is not None and self.answered is None

    def text(self, tr: Translator, locale: str) -> str:
        if self.stored is None:
            return tr.gettext("not known (the runner was not sure)")
        if self.answered is None:
            return format_day(self.stored, locale)
        msgid = INJURY_PRESETS[self.preset][0]
        return tr.gettext(msgid).format(date=format_day(self.answered, locale))

    def days_since(self, today: date) -> tuple[int, int | None] | None:
        """Days from the injury to ``today``: exact (low == high), a range, or open-ended."""
        if self.stored is None:
            return None
        if self.answered is None:
            days = (today - self.stored).days
            return days, days
        _, low, high = INJURY_PRESETS[self.preset]
        base = (today - self.answered).days
        return base + low, None if high is None else base + high


def injury_date_as_told(
    injury_date: date | None,
    records: Records,
    joined: date,
    answer: str | None = None,
    told_on: date | None = None,
) -> InjuryDate:
    """How the runner gave the injury date. Since migration 0006 the answer itself is kept
    (``answer``: the button, or "date" for a typed date; ``told_on``: the day of the answer)
    and is printed as said. For runners who onboarded before, the onboarding buttons stored
    a fixed number of days before the day they were pressed (see INJURY_PRESETS): a stored
    date that is exactly such a number of days before an onboarding day (its first decision,
    or a clear red-flag screen, which onboarding records) is read as that button."""
    if injury_date is None:
        return InjuryDate(None)
    if answer is not None and told_on is not None:
        if answer == "date":
            return InjuryDate(injury_date)
        preset = INJURY_DATE_PRESETS.get(answer)
        if preset in INJURY_PRESETS and (told_on - injury_date).days == preset:
            return InjuryDate(injury_date, told_on, preset)
    candidates = {onboarding_day(records, joined), joined}
    candidates |= {f.day for f in records.red_flags if not f.flags}
    for day in sorted(candidates, reverse=True):
        preset = (day - injury_date).days
        if preset in INJURY_PRESETS:
            return InjuryDate(injury_date, day, preset)
    return InjuryDate(injury_date)
