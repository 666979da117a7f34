"""Imports run one way: bot → conversations → storage/locales/progression; storage may use
progression's types; progression and locales import none of the others; nothing imports bot.
The Bot API double (bot_api_double) imports none of them, and of the product only bot (the
playground) imports it; tests and benches may import anything."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations", "storage", "locales", "progression", "bot_api_double")
ALLOWED = {
    "bot": {"conversations", "storage", "locales", "progression", "bot_api_double"},
    "conversations": {"storage", "locales", "progression"},
    "storage": {"progression"},
    "locales": set(),
    "progression": set(),
    "bot_api_double": set(),
}


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".", 1)[0]
                if top in PACKAGES and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_imports_run_one_way() -> None:
    wrong = {
        package: {other: sorted(files) for other, files in imports_of(package).items()
                  if other not in ALLOWED[package]}
        for package in PACKAGES
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_progression_and_storage_do_not_import_telegram() -> None:
    for package in ("progression", "storage", "locales"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert "import telegram" not in text and "from telegram" not in text, path
