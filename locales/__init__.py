"""Gettext catalogs and the small translator that speaks a runner's language.

Catalogs live beside this file as ``<lang>/LC_MESSAGES/runcoach.po``. They are compiled
in memory with Babel the first time a language is used, so there is no ``.mo`` file to
build, ship or forget to rebuild (see docs/i18n.md).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

DOMAIN = "runcoach"
SUPPORTED: tuple[str, ...] = ("en", "ru", "es", "de")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "es": "Español",
    "de": "Deutsch",
}
CATALOG_DIR = Path(__file__).resolve().parent
# A sentence's full stop right after an abbreviation's ("2 мар. 2026 г." + "."), also across a
# closing tag; an ellipsis is left alone.
_DOUBLE_STOP = re.compile(r"(\w\.(?:</[a-z]+>)*)\.(?!\.)")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural message pair for extraction without translating it now."""
    return singular, plural


def normalize(code: str | None) -> str | None:
    """Map a Telegram ``language_code`` (``ru``, ``de-AT``, ``pt-br``) to a supported language."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED else None


def pick_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """The runner's stored choice, else Telegram's language, else the configured default."""
    return normalize(stored) or normalize(telegram_code) or normalize(default) or "en"


def po_path(lang: str) -> Path:
    return CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(lang: str) -> NullTranslations:
    path = po_path(lang)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def warm() -> None:
    """Read every catalog now (the bot's start), not on the first reply in each language:
    a catalog is parsed from its .po file, a few hundred milliseconds of CPU each."""
    for lang in SUPPORTED:
        _translations(lang)


@dataclass(frozen=True)
class Translator:
    """Everything language-specific a handler needs: gettext plus Babel formatting."""

    lang: str

    @property
    def _t(self) -> NullTranslations:
        return _translations(self.lang)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return str(self._t.pgettext(context, message))

    # Formatting goes through Babel so that dates and numbers read naturally.
    def date(self, value: dt.date, fmt: str = "medium") -> str:
        return format_date(value, format=fmt, locale=self.lang)

    def weekday(self, value: dt.date) -> str:
        return format_date(value, format="EEEE", locale=self.lang)

    def day_month(self, value: dt.date) -> str:
        """Day and short month as the locale writes them: Nov 30, 30 нояб., 30 nov, 30. Nov."""
        return format_skeleton("MMMd", value, locale=self.lang)

    def weekday_day_month(self, value: dt.date) -> str:
        """Short weekday, day and month: Mon, Nov 30 · пн, 30 нояб. · lun, 30 nov · Mo., 30. Nov."""
        return format_skeleton("MMMEd", value, locale=self.lang)

    def datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        return format_datetime(value, format=fmt, locale=self.lang)

    def time(self, value: dt.time) -> str:
        return format_time(value, format="short", locale=self.lang)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.lang)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.lang)

    @staticmethod
    def tidy(text: str) -> str:
        """One full stop where a sentence ends in an abbreviation (Russian "г.", German "Nov.")."""
        return _DOUBLE_STOP.sub(r"\1", text)

    def weekday_name(self, weekday: int, width: str = "wide") -> str:
        """Name of weekday 0=Monday..6=Sunday in this language."""
        names = self.locale.days["format"][width]
        return str(names[weekday])


@cache
def translator(lang: str) -> Translator:
    return Translator(normalize(lang) or "en")


def reload_catalogs() -> None:
    """Forget compiled catalogs (tests and the language workflow use this)."""
    _translations.cache_clear()
