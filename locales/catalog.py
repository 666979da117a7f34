"""The translation workflow: ``python -m locales.catalog extract|update|check``.

* ``extract`` collects every gettext call in the code into ``locales/runcoach.pot``.
* ``update`` merges the template into each language's ``.po`` (English is filled from the
  source text; the others keep their translations and get new entries to translate).
* ``check`` lists missing, fuzzy, untranslated and placeholder-mismatched entries, and every
  gettext call extraction cannot see: one inside an f-string, or one whose message is built
  (an f-string, ``+``, ``%``, ``.format``) rather than written as a literal (the test suite
  runs the same check).

Compiled ``.mo`` files are not kept: the translator compiles the ``.po`` in memory.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from locales import CATALOG_DIR, DOMAIN, SUPPORTED, po_path

ROOT = CATALOG_DIR.parent
POT = CATALOG_DIR / f"{DOMAIN}.pot"
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "n_": (1, 2),
    "N_plural": (1, 2),
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
PACKAGES = ("bot", "miniapp", "conversations", "storage", "locales", "reports", "sync")
PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?:[:!][^}]*)?\}")


def extract() -> Catalog:
    catalog = Catalog(project="runcoach", domain=DOMAIN, charset="utf-8")
    for package in PACKAGES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
        ):
            catalog.add(
                message,
                None,
                [(f"{package}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def _write(catalog: Catalog, path: Path, **kwargs: object) -> None:
    # Sorted by msgid and without source locations: moving code changes no catalog, and
    # two branches that add texts rarely touch the same lines.
    catalog.creation_date = FIXED_DATE  # the header stays as it is: no conflict on every update
    buf = io.BytesIO()
    write_po(
        buf, catalog, width=100, sort_output=True, no_location=True, **kwargs  # type: ignore[arg-type]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def update() -> None:
    template = extract()
    _write(template, POT, omit_header=False)
    for lang in SUPPORTED:
        catalog = read(lang)
        # Catalog.update shares new Message objects with the template: give each its own.
        catalog.update(extract(), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if lang == "en":
            for message in catalog:
                if not message.id:
                    continue
                if isinstance(message.id, tuple | list):
                    message.string = tuple(message.id)
                else:
                    message.string = message.id
                message.flags.discard("fuzzy")
        _write(catalog, po_path(lang), ignore_obsolete=True)


# A call that translates a value marked elsewhere (``N_``) is fine: ``_(KINDS[kind])``,
# ``_(step.hint)``, ``_(GATES.get(code, default))``. Only literals are extracted, though, so a
# marker (``N_``, ``N_plural``) must always be given literals.
_LOOKUPS = (ast.Name, ast.Attribute, ast.Subscript)
_MARKERS = {"N_", "N_plural"}


def _keyword(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_lookup(node: ast.AST) -> bool:
    if isinstance(node, _LOOKUPS):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
    )


def _message_args(call: ast.Call, name: str) -> list[ast.expr]:
    spec = KEYWORDS[name]
    if spec is None:
        return call.args[:1]
    indexes = [i if isinstance(i, int) else i[0] for i in spec]
    # pgettext's context is argument 1, its message argument 2 (1-based, as Babel counts).
    return [call.args[i - 1] for i in indexes if i - 1 < len(call.args)]


def source_problems(source: str, filename: str) -> list[str]:
    """Gettext calls in ``source`` whose message extraction would miss."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _keyword(inner) in KEYWORDS:
                    in_fstring.add(id(inner))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _keyword(node)
        if name not in KEYWORDS:
            continue
        where = f"{filename}:{node.lineno}"
        if id(node) in in_fstring:
            found.append(f"code: {where}: {name}() inside an f-string is invisible to extraction")
            continue
        for arg in _message_args(node, name):
            if _is_literal(arg):
                continue
            if name in _MARKERS or not _is_lookup(arg):
                found.append(f"code: {where}: {name}() needs a plain string literal as its message")
                break
    return found


def code_problems() -> list[str]:
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += source_problems(path.read_text(), str(path.relative_to(ROOT)))
    return found


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """What is wrong with one language's catalog, one line per problem."""
    template = template or extract()
    catalog = read(lang)
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        key = message.id if not message.context else (message.id, message.context)
        translated: Message | None = catalog.get(
            message.id if isinstance(message.id, str) else message.id[0], context=message.context
        )
        label = repr(key if isinstance(key, str) else key[0])[:70]
        if translated is None:
            found.append(f"{lang}: missing {label}")
            continue
        if translated.fuzzy:
            found.append(f"{lang}: fuzzy {label}")
        strings: list[str] = (
            list(translated.string)
            if isinstance(translated.string, tuple | list)
            else [translated.string or ""]
        )
        if not all(strings):
            found.append(f"{lang}: untranslated {label}")
            continue
        sources = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
        wanted = set().union(*(_placeholders(s) for s in sources))
        for s in strings:
            if _placeholders(s) - wanted or (
                not isinstance(message.id, tuple | list) and _placeholders(s) != wanted
            ):
                found.append(f"{lang}: placeholders differ in {label}")
                break
        if isinstance(message.id, tuple | list):
            expected = catalog.num_plurals
            if len(strings) != expected:
                found.append(f"{lang}: {len(strings)} plural forms, expected {expected}: {label}")
    return found


def check() -> list[str]:
    template = extract()
    found: list[str] = code_problems()
    for lang in SUPPORTED:
        found += problems(lang, template)
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        _write(extract(), POT, omit_header=False)
    elif command == "update":
        update()
    elif command == "check":
        found = check()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    else:
        print("usage: python -m locales.catalog extract|update|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
