"""progression/ must stay pure: no telegram, sqlalchemy, network, clock or file access."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "progression"

FORBIDDEN_MODULES = (
    "telegram", "sqlalchemy", "socket", "ssl", "http", "urllib", "asyncio", "aiohttp",
    "requests", "logging", "storage", "bot", "conversations", "random", "time", "os",
    "pathlib", "subprocess", "sqlite3", "asyncpg", "aiosqlite", "select", "selectors",
    "email", "shutil", "tempfile", "io",
)
FORBIDDEN_CALLS = {
    ("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
    ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"),
}
FORBIDDEN_NAMES = {"open", "print", "input", "eval", "exec", "__import__"}


def test_import_does_not_pull_in_io_modules() -> None:
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import progression\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(json.dumps(new))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    new = json.loads(out.stdout.strip().splitlines()[-1])
    roots = {m.split(".")[0] for m in new}
    bad = sorted(roots & set(FORBIDDEN_MODULES))
    assert not bad, f"importing progression imported {bad}"


def _sources() -> list[Path]:
    files = sorted(PKG.rglob("*.py"))
    assert files
    return files


def test_source_never_reads_the_clock_or_touches_files() -> None:
    problems: list[str] = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""])
                for n in names:
                    if n.split(".")[0] in FORBIDDEN_MODULES:
                        problems.append(f"{path.name}:{node.lineno} imports {n}")
            elif isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (
                        f.value.id, f.attr) in FORBIDDEN_CALLS:
                    problems.append(f"{path.name}:{node.lineno} calls {f.value.id}.{f.attr}")
                if isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
                    problems.append(f"{path.name}:{node.lineno} calls {f.id}()")
        text = path.read_text(encoding="utf-8")
        for needle in ("date.today(", "datetime.now(", "time.time(", "open("):
            for i, line in enumerate(text.splitlines(), 1):
                if needle in line and not line.lstrip().startswith("#"):
                    problems.append(f"{path.name}:{i} contains {needle}")
    assert not problems, problems


def test_decide_is_deterministic_across_processes() -> None:
    code = (
        "import random, json\n"
        "from tests.progression.prog_helpers import random_history\n"
        "from progression import decide\n"
        "rng = random.Random(99)\n"
        "out = []\n"
        "for _ in range(50):\n"
        "    h, t = random_history(rng)\n"
        "    d = decide(h, t)\n"
        "    out.append([d.action, d.level, str(d.session_date), [r.code for r in d.reasons]])\n"
        "print(json.dumps(out))\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1]
