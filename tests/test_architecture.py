"""The house's rules, read from the code (imports inside functions included):

* imports run one way between packages: bot → sync → conversations → intervals, reports,
  activities, storage, locales, progression; intervals → progression; reports → storage
  (row types), locales, progression; storage → progression; progression, locales and
  activities import none of the others; nothing imports bot, and only bot imports sync;
* no two files of the product import each other, directly or through others;
* no product file is longer than 600 lines, and nothing in bot/ stands in for the Bot API:
  the Bot API double (bot_api_double/) imports none of runcoach's packages, and of the
  product only bot (the playground) imports it; tests and benches may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bot",
    "miniapp",
    "conversations",
    "reports",
    "activities",
    "storage",
    "locales",
    "progression",
    "bot_api_double",
    "intervals",
    "intervals_double",
    "sync",
)
ALLOWED = {
    "bot": {
        "miniapp",
        "sync",
        "intervals",
        "conversations",
        "reports",
        "activities",
        "storage",
        "locales",
        "progression",
        "bot_api_double",
    },
    "miniapp": {"conversations", "reports", "storage", "locales", "progression"},
    "conversations": {
        "reports", "activities", "storage", "locales", "progression", "intervals"
    },
    # intervals.icu in motion: the poller and the OAuth redirect (issue 29)
    "sync": {"conversations", "intervals", "storage", "locales", "progression"},
    "intervals": {"progression"},
    "intervals_double": set(),
    "reports": {"storage", "locales", "progression"},
    "activities": set(),
    "storage": {"progression"},
    "locales": set(),
    "progression": set(),
    "bot_api_double": set(),
}
MAX_LINES = 600


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the given packages: dotted name -> file (a package is its __init__)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            rel = path.relative_to(root)
            if "migrations" in rel.parts:
                continue
            found[".".join(rel.with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def imported(path: Path, module: str, is_package: bool) -> list[str]:
    """The dotted names a file imports anywhere in it (inside functions too), as written:
    ``from a import b`` gives ``a.b`` (a module, or a name of the package ``a``)."""
    here = module if is_package else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            names += [f"{base}.{a.name}" for a in node.names]
    return names


def import_graph(found: dict[str, Path]) -> dict[str, set[str]]:
    """File -> the files it imports. ``from pkg import x`` is an arrow to the module
    ``pkg.x`` when there is one, else to the package itself (its __init__, which imports
    what it hands on): a cycle through a package's face counts too."""
    graph: dict[str, set[str]] = {m: set() for m in found}
    for module, path in found.items():
        for name in imported(path, module, path.name == "__init__.py"):
            target = name
            while target and target not in found:
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of two files or more (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_two_product_files_import_each_other() -> None:
    found = modules(ROOT, PACKAGES)
    assert len(found) > 50
    assert cycles(import_graph(found)) == []


def test_a_circle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    """The finder itself: a deliberate circle (a → b at the top, b → c, c → a inside a
    function) is reported; the same files without the hidden import are not."""
    pkg = tmp_path / "house"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""A face that hands nothing on."""\n')
    (pkg / "a.py").write_text("from house import b\n\n\ndef go():\n    return b.run()\n")
    (pkg / "b.py").write_text("from house.c import helper\n\n\ndef run():\n    return helper()\n")
    hidden = "def helper():\n    from house import a\n\n    return a\n"
    (pkg / "c.py").write_text(hidden)
    assert cycles(import_graph(modules(tmp_path, ("house",)))) == [
        ["house.a", "house.b", "house.c"]
    ]
    (pkg / "c.py").write_text("def helper():\n    return None\n")
    assert cycles(import_graph(modules(tmp_path, ("house",)))) == []


def test_a_circle_through_a_package_face_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "house"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from house.core import decide\n")
    (pkg / "core.py").write_text("from house.rules import rule\n\ndef decide():\n    return rule\n")
    (pkg / "rules.py").write_text("def rule():\n    from house import decide\n    return decide\n")
    assert cycles(import_graph(modules(tmp_path, ("house",)))) == [
        ["house", "house.core", "house.rules"]
    ]


def test_imports_run_one_way_between_packages() -> None:
    found = modules(ROOT, PACKAGES)
    wrong: dict[str, set[str]] = {}
    for module, targets in import_graph(found).items():
        package = module.split(".", 1)[0]
        for target in targets:
            other = target.split(".", 1)[0]
            if other != package and other not in ALLOWED[package]:
                wrong.setdefault(f"{module} -> {other}", set()).add(target)
    assert wrong == {}


def test_pure_packages_reach_no_telegram_no_database_session() -> None:
    """progression, storage and locales know no Telegram; reports and activities neither,
    and they never open a database session (data in, bytes or text out)."""
    for package in (
        "progression", "storage", "locales", "reports", "activities", "bot_api_double",
        "intervals", "intervals_double",
    ):
        for path in (ROOT / package).rglob("*.py"):
            names = imported(path, package, False)
            assert not any(n.split(".")[0] == "telegram" for n in names), path
            if package != "storage":
                assert not any(n.split(".")[0] == "sqlalchemy" for n in names), path
                assert "storage.db" not in {n.rpartition(".")[0] for n in names}, path


def test_no_product_file_is_over_600_lines_and_bot_is_wiring() -> None:
    found = modules(ROOT, PACKAGES)
    long = {m: n for m, p in found.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
    names = " ".join(p.stem for p in (ROOT / "bot").rglob("*.py"))
    assert "double" not in names and "fake" not in names
