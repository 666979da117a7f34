"""Time zones a runner can pick or type: a short list per language, IANA names, cities, offsets."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global

from locales import SUPPORTED

SHORT_LISTS: dict[str, tuple[str, ...]] = {
    "en": (
        "Europe/London",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Australia/Sydney",
        "Asia/Kolkata",
    ),
    "ru": (
        "Europe/Moscow",
        "Europe/Kaliningrad",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Vladivostok",
        "Europe/Minsk",
    ),
    "es": (
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
        "America/Lima",
        "America/Santiago",
    ),
    "de": (
        "Europe/Berlin",
        "Europe/Vienna",
        "Europe/Zurich",
        "Europe/London",
        "America/New_York",
        "Asia/Dubai",
    ),
}

# Zones for offsets that are not whole hours, and city names as people type them at home.
HALF_HOURS: dict[str, str] = {
    "+03:30": "Asia/Tehran",
    "+04:30": "Asia/Kabul",
    "+05:30": "Asia/Kolkata",
    "+05:45": "Asia/Kathmandu",
    "+06:30": "Asia/Yangon",
    "+09:30": "Australia/Darwin",
    "-03:30": "America/St_Johns",
    "-09:30": "Pacific/Marquesas",
}
ALIASES: dict[str, str] = {
    "москва": "Europe/Moscow",
    "санкт-петербург": "Europe/Moscow",
    "питер": "Europe/Moscow",
    "спб": "Europe/Moscow",
    "новосибирск": "Asia/Novosibirsk",
    "екатеринбург": "Asia/Yekaterinburg",
    "владивосток": "Asia/Vladivostok",
    "калининград": "Europe/Kaliningrad",
    "минск": "Europe/Minsk",
    "киев": "Europe/Kyiv",
    "казань": "Europe/Moscow",
    "самара": "Europe/Samara",
    "омск": "Asia/Omsk",
    "красноярск": "Asia/Krasnoyarsk",
    "иркутск": "Asia/Irkutsk",
    "алматы": "Asia/Almaty",
    "münchen": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "köln": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "wien": "Europe/Vienna",
    "zürich": "Europe/Zurich",
    "genf": "Europe/Zurich",
    "nueva york": "America/New_York",
    "londres": "Europe/London",
    "ciudad de méxico": "America/Mexico_City",
    "cdmx": "America/Mexico_City",
    "barcelona": "Europe/Madrid",
    "sevilla": "Europe/Madrid",
    "valencia": "Europe/Madrid",
    "buenos aires": "America/Argentina/Buenos_Aires",
    "bogotá": "America/Bogota",
    "new york city": "America/New_York",
    "nyc": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "seattle": "America/Los_Angeles",
}

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")


@cache
def _by_city() -> dict[str, str]:
    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").casefold()
        cities.setdefault(city, name)
    return cities


@cache
def _by_local_city() -> dict[str, str]:
    """City names in every supported language, as CLDR spells them (Мюнхен, Viena, Kiew)."""
    aliases: dict[str, str] = dict(get_global("zone_aliases"))
    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
            continue
        for lang in SUPPORTED:
            city = _cldr_city(name, lang)
            if city:
                cities.setdefault(city.casefold(), aliases.get(name, name))
    return cities


@cache
def _by_lower() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def city_label(name: str) -> str:
    return name.rsplit("/", 1)[-1].replace("_", " ")


@cache
def _cldr_keys() -> dict[str, str]:
    """IANA name → the (older) name CLDR keys its city names by (Asia/Kolkata → Asia/Calcutta)."""
    aliases: dict[str, str] = dict(get_global("zone_aliases"))
    return {canonical: old for old, canonical in aliases.items()}


def _cldr_city(name: str, lang: str) -> str | None:
    zones = Locale.parse(lang).time_zones
    for key in (name, _cldr_keys().get(name, name)):
        city = zones.get(key, {}).get("city")
        if city:
            return str(city)
    return None


@cache
def zone_label(name: str, lang: str) -> str:
    """A zone as a runner reads it in their language: Берлин, Múnich → Berlín, UTC+3."""
    if name in ("UTC", "Etc/UTC", "Etc/GMT"):
        return "UTC"
    fixed = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", name)
    if fixed:
        # Etc/GMT-3 is UTC+3: the POSIX sign convention.
        return f"UTC{'+' if fixed.group(1) == '-' else '-'}{fixed.group(2)}"
    return _cldr_city(name, lang) or city_label(name)


def resolve(text: str) -> str | None:
    """An IANA name for what the runner typed, or None.

    Accepts ``Europe/Berlin`` (any case), a city (``berlin``, ``new york``), ``UTC`` and
    offsets such as ``UTC+3``, ``+05:30`` or ``-4``. Whole-hour offsets map to the fixed
    ``Etc/GMT`` zones (whose sign is inverted by convention); others are refused.
    """
    raw = " ".join(text.strip().split())
    if not raw or len(raw) > 64:
        return None
    folded = raw.casefold()
    if folded in ("utc", "gmt", "z"):
        return "UTC"
    if folded in _by_lower():
        return _by_lower()[folded]
    if folded in ALIASES:
        return ALIASES[folded]
    match = _OFFSET.match(folded.replace(" ", ""))
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if minutes:
            return HALF_HOURS.get(f"{sign}{hours:02d}:{minutes:02d}")
        if hours > 14:
            return None
        if hours == 0:
            return "UTC"
        # Etc/GMT-3 is UTC+3: the POSIX sign convention.
        return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
    city = folded.replace("_", " ")
    if city in _by_city():
        return _by_city()[city]
    return _by_local_city().get(folded)


def valid(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return False
    return True
