"""Catalogs are complete in every language, and no user-facing text bypasses gettext."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from locales import SUPPORTED, pick_language, translator
from locales.catalog import code_problems, problems, source_problems

ROOT = Path(__file__).resolve().parent.parent
USER_FACING = [ROOT / "conversations", ROOT / "bot", ROOT / "reports"]
SEND_CALLS = {"say", "send_message", "reply_text", "edit_message_text", "answer", "send_photo",
              "send_document", "set_my_commands", "set_my_description",
              "set_my_short_description"}
# Strings that are allowed as they are: markup and punctuation only.
LETTERS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@pytest.mark.parametrize("lang", SUPPORTED)
def test_catalog_has_no_missing_fuzzy_or_mismatched_entries(lang: str) -> None:
    assert problems(lang) == []


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v) for v in node.values)
    return ""


def _python_files() -> list[Path]:
    files: list[Path] = []
    for folder in USER_FACING:
        files += list(folder.rglob("*.py"))
    return files


def test_every_gettext_call_is_visible_to_extraction() -> None:
    """No gettext call inside an f-string, and every message is a literal (or a lookup of one
    marked with N_ elsewhere): anything else never reaches the catalogs."""
    assert code_problems() == []


@pytest.mark.parametrize(
    "source",
    [
        'x = f"<b>{ctx._(\'Your settings\')}</b>"',
        'x = f"{_(name)}"',
        'x = ctx._(f"Hello {name}")',
        'x = _("Hello " + name)',
        'x = _("Hello %s" % name)',
        'x = _("Hello {n}".format(n=1))',
        'x = ctx.n_(f"{n} day", "{n} days", n)',
        'x = ctx.n_("{n} day", "{n} days" + s, n)',
        'x = N_(name)',
        'x = _("a" if flag else "b")',
    ],
)
def test_extraction_check_catches_hidden_messages(source: str) -> None:
    assert len(source_problems(source, "example.py")) == 1


@pytest.mark.parametrize(
    "source",
    [
        'x = "<b>" + ctx._("Your settings") + "</b>"',
        'x = ctx._(KINDS[kind])',
        'x = ctx._(step.hint)',
        'x = ctx._(GATES.get(code, code.value))',
        'x = ctx.n_("{n} day", "{n} days", n).format(n=n)',
        'x = N_("Weekly reassessment")',
        'x = pgettext("button", "Done")',
    ],
)
def test_extraction_check_accepts_visible_messages(source: str) -> None:
    assert source_problems(source, "example.py") == []


def test_no_literal_text_is_sent_without_gettext() -> None:
    offenders = []
    for path in _python_files():
        if path.name == "playground.py":  # the terminal's own help text, not a bot message
            continue
        for call in _calls(ast.parse(path.read_text())):
            if _name(call) not in SEND_CALLS:
                continue
            for arg in call.args[:2]:
                if LETTERS.search(_literal_text(arg)):
                    offenders.append(f"{path.name}:{call.lineno}")
    assert offenders == []


def test_language_is_the_choice_then_telegram_then_default() -> None:
    assert pick_language("de", "ru", "en") == "de"
    assert pick_language(None, "ru-RU", "en") == "ru"
    assert pick_language(None, "pt-br", "es") == "es"
    assert pick_language(None, None, "xx") == "en"


def test_dates_and_numbers_follow_the_locale() -> None:
    from datetime import date

    assert translator("de").date(date(2026, 3, 2)) == "02.03.2026"
    assert translator("en").number(1234.5) == "1,234.5"
    assert translator("ru").number(1234.5).replace("\xa0", " ") == "1 234,5"
    assert translator("es").weekday_name(0) == "lunes"


def test_short_dates_follow_the_locale() -> None:
    from datetime import date

    day = date(2026, 11, 30)
    assert translator("de").day_month(day) == "30. Nov."
    assert translator("en").day_month(day) == "Nov 30"
    assert translator("ru").day_month(day) == "30 нояб."
    assert translator("es").day_month(day) == "30 nov"
    assert translator("de").weekday_day_month(day) == "Mo., 30. Nov."


def test_no_double_full_stop_after_an_abbreviation() -> None:
    from datetime import date

    ru = translator("ru")
    sentence = ru.tidy(f"Пауза до {ru.date(date(2026, 3, 2))}.")
    assert sentence.replace("\u202f", " ") == "Пауза до 2 мар. 2026 г."
    assert ru.tidy("<b>2026 г.</b>.") == "<b>2026 г.</b>"
    assert ru.tidy("Подожди... Готово.") == "Подожди... Готово."
    assert ru.tidy("v1.2.") == "v1.2."


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("ru", ["Москва", "Калининград", "Екатеринбург", "Новосибирск", "Владивосток", "Минск"]),
        (
            "es",
            ["Madrid", "Ciudad de México", "Bogotá", "Buenos Aires", "Lima", "Santiago de Chile"],
        ),
        ("de", ["Berlin", "Wien", "Zürich", "London", "New York", "Dubai"]),
        ("en", ["London", "New York", "Chicago", "Los Angeles", "Sydney", "Kolkata"]),
    ],
)
def test_time_zone_buttons_are_in_the_runners_language(lang: str, labels: list[str]) -> None:
    from locales.timezones import SHORT_LISTS, zone_label

    assert [zone_label(name, lang) for name in SHORT_LISTS[lang]] == labels


def test_time_zone_labels_and_local_city_names() -> None:
    from locales.timezones import resolve, zone_label

    assert zone_label("Asia/Kolkata", "de") == "Kalkutta"
    assert zone_label("Etc/GMT-3", "ru") == "UTC+3"
    assert zone_label("Etc/GMT+5", "es") == "UTC-5"
    assert resolve("Калькутта") == "Asia/Kolkata"
    assert resolve("Kiew") == "Europe/Kyiv"
    assert resolve("Viena") == "Europe/Vienna"
