"""The container files, checked without a Docker engine (none runs where the suite runs): the
Dockerfile's commands exist in the CLI, it is non-root with a pinned base and a health check,
the compose file parses and sets only settings the app reads, and the entrypoint script itself
migrates and then serves the webhook, and stops with 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import sys
from pathlib import Path

import yaml

from bot.cli import parser
from bot_api_double import BotApiDouble
from tests.conftest import TOKEN
from tests.webhooks import ROOT, SECRET, free_port, get, wait_ready

DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _instructions(name: str) -> list[str]:
    text = DOCKERFILE.replace("\\\n", " ")
    return [
        line.split(None, 1)[1] if " " in line else ""
        for line in text.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def _cli_commands() -> set[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return set(sub.choices)  # type: ignore[arg-type]


def _settings_read() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    return set(re.findall(r'(?:env\.get|_port)\((?:env, )?"([A-Z_]+)"', source))


def test_the_dockerfile_runs_migrate_then_run_as_a_non_root_user_on_a_pinned_base() -> None:
    [base] = _instructions("FROM")
    image, _, tag = base.strip().partition(":")
    assert image == "python" and "slim" in tag and re.match(r"\d+\.\d+\.\d+", tag), base
    assert re.search(r"@sha256:[0-9a-f]{64}$", base.strip()), "the base is pinned by digest"
    [user] = _instructions("USER")
    assert user.strip() not in ("root", "0")
    [entry] = _instructions("ENTRYPOINT")
    assert "runcoach-entrypoint" in entry
    assert any("docker/entrypoint.sh /usr/local/bin/runcoach-entrypoint" in c
               for c in _instructions("COPY"))
    script = [
        shlex.split(line)
        for line in ENTRYPOINT.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    commands = [words for words in script if "runcoach" in words]
    assert commands[0][:2] == ["runcoach", "migrate"]
    assert commands[1][:3] == ["exec", "runcoach", "run"]
    [health] = _instructions("HEALTHCHECK")
    assert '"runcoach", "healthcheck"' in health
    for words in (commands[0][1:2], commands[1][2:3], ["healthcheck"]):
        assert words[0] in _cli_commands()


def test_the_compose_file_parses_and_sets_only_settings_the_app_reads() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    names = set(bot["environment"])
    assert names <= _settings_read() | {"PORT"}, names - _settings_read()
    wanted = {"TELEGRAM_BOT_TOKEN_FILE", "DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET_FILE"}
    assert wanted <= names
    # secrets as Docker secrets (files), none as a plain variable
    assert not {"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_PASSWORD"} & names
    assert set(bot["secrets"]) <= set(compose["secrets"])
    for value in bot["environment"].values():
        if str(value).startswith("/run/secrets/"):
            assert str(value).rsplit("/", 1)[1] in bot["secrets"]
    assert ":" not in bot["environment"]["DATABASE_URL"].split("@")[0].split("//")[1]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert compose["services"]["db"]["image"].startswith("postgres:1")
    assert re.search(r"@sha256:[0-9a-f]{64}$", compose["services"]["db"]["image"])
    assert "8080" in bot["ports"][0]
    # the example environment names the same settings
    example = (ROOT / ".env.example").read_text()
    for name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "POSTGRES_PASSWORD"):
        assert f"{name}=" in example


async def test_the_entrypoint_script_migrates_serves_the_webhook_and_stops_with_0(
    tmp_path: Path,
) -> None:
    port = free_port()
    database = tmp_path / "container.sqlite3"
    async with BotApiDouble() as double:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=double.base_url,
            DATABASE_URL=f"sqlite:///{database}",
            WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            WEBHOOK_SECRET=SECRET,
            PORT=str(port),
            LISTEN_HOST="127.0.0.1",
            TICK_SECONDS="3600",
        )
        process = await asyncio.create_subprocess_exec(
            "sh", str(ENTRYPOINT), env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)
            assert (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 200
            health = await asyncio.create_subprocess_exec(
                "runcoach", "healthcheck", env=env, cwd=tmp_path
            )
            assert await health.wait() == 0
            for _ in range(100):
                if double.bot(TOKEN).webhook_url:
                    break
                await asyncio.sleep(0.1)
            double.send_text(TOKEN, 7501, "/start")
            [reply] = await double.wait_for(7501, 1, timeout=30)
            assert "quick safety check" in (reply.text or "")
            process.send_signal(signal.SIGTERM)  # exec: the bot itself gets it
            out, err = await asyncio.wait_for(process.communicate(), timeout=10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, err.decode()[-2000:]
    assert "the database is up to date" in out.decode()
    assert database.exists()


def test_the_image_installs_the_locked_hashes_and_compose_is_hardened() -> None:
    """Issue 24, item 10: two builds of one commit install the same bytes; the bot runs
    read-only, without capabilities or new privileges, within a memory limit."""
    [*_, lock_install] = [c for c in _instructions("RUN") if "requirements.lock" in c]
    assert "--require-hashes" in lock_install and "-r requirements.lock" in lock_install
    assert any("--no-deps" in c and "--no-build-isolation" in c for c in _instructions("RUN"))
    lock = (ROOT / "requirements.lock").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, flags=re.MULTILINE)
    assert {"python-telegram-bot", "sqlalchemy", "setuptools"} <= {p.lower() for p in pins}
    blocks = re.split(r"^(?=[A-Za-z0-9_.-]+==)", lock, flags=re.MULTILINE)[1:]
    assert blocks and all("--hash=sha256:" in block for block in blocks)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--require-hashes -r requirements-dev.lock" in ci
    dev = (ROOT / "requirements-dev.lock").read_text()
    assert "--hash=sha256:" in dev and "pytest==" in dev
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    assert bot["read_only"] is True and "/tmp" in bot["tmpfs"]
    assert bot["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in bot["security_opt"]
    assert bot["mem_limit"]
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith(
        "/run/secrets/"
    )
