"""The command line an operator meets first: help, a missing or bad token, migrations, and
the playground a newcomer tries without a Telegram account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def runcoach(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=base,
        input=stdin,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


def test_help_lists_the_subcommands() -> None:
    result = runcoach("--help")
    assert result.returncode == 0
    for word in ("run", "migrate", "playground"):
        assert word in result.stdout


@pytest.mark.parametrize("token", ["", "not-a-token", "12:short"])
def test_run_without_a_valid_token_says_so_in_one_line_and_exits_2(
    token: str, tmp_path: Path
) -> None:
    result = runcoach("run", env={"TELEGRAM_BOT_TOKEN": token}, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_a_token_from_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=oops\n")
    result = runcoach("run", cwd=tmp_path)
    assert result.returncode == 2 and "does not look like a bot token" in result.stderr


def test_migrate_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = runcoach("migrate", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.sqlite3").exists()


def test_playground_chats_in_the_terminal(tmp_path: Path) -> None:
    script = "/help\n/language\n#4\n/help\n/quit\n"
    result = runcoach(
        "playground",
        "--database",
        f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3",
        stdin=script,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot> Here is what I can do" in out
    assert "[4] Deutsch" in out
    assert "Hier ist, was ich kann" in out  # the language button was pressed by number


def test_the_playground_shows_the_living_message_as_it_is_edited(tmp_path: Path) -> None:
    """A pressed button edits the question in place: the playground prints the edited
    message with its new buttons, and their numbers press the new question's buttons (the
    safety screen's "None of these" is #7: #1 to #6 are its questions 1 to 6)."""
    result = runcoach("playground", stdin="/start\n#7\n#1\n/quit\n", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot (edited)> ✓ Safety check: None of these: let's start" in out
    assert "Getting started · 2/12" in out
    assert "✓ Which injury are you coming back from? Calf strain" in out  # #1 on the edit
    assert "Getting started · 3/12" in out


def test_a_second_playground_run_in_the_same_folder_is_answered(tmp_path: Path) -> None:
    """The database outlives a run; the double's message ids must not repeat, or the bot
    takes the new /start for one it already handled and stays silent."""
    for _ in range(2):
        result = runcoach("playground", stdin="/start\n/help\n/quit\n", cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "quick safety check" in result.stdout
        assert "bot> Here is what I can do" in result.stdout
    assert (tmp_path / "runcoach-playground.sqlite3").exists()


async def test_playground_takes_a_file_path_and_saves_what_the_bot_sends(tmp_path: Path) -> None:
    import asyncio

    from bot.playground import USER_ID
    from storage import Database
    from tests.test_progress import seed_runner

    (tmp_path / "data").mkdir()
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/data/mine.sqlite3")
    await db.migrate()
    await seed_runner(db, USER_ID)  # five weeks of check-ins: a chart and a report to send
    await db.dispose()
    result = await asyncio.to_thread(
        runcoach,
        "playground",
        "--database",
        "data/mine.sqlite3",
        "--files",
        "out",
        stdin="/progress\n/export\n/quit\n",
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    folder = (tmp_path / "out").resolve()
    assert f"saved in {folder}" in result.stdout
    saved = sorted(p.name for p in folder.iterdir())
    assert any(name.endswith(".png") for name in saved), saved
    assert any(name.endswith(".pdf") for name in saved), saved
    assert any(name.endswith(".csv") for name in saved), saved
    for name in saved:
        assert str(folder / name) in result.stdout  # each file's path is printed
    assert (tmp_path / "data" / "mine.sqlite3").exists()


async def test_run_serves_runners_through_the_configured_api_url(tmp_path: Path) -> None:
    """`runcoach run` as an operator starts it: settings from the environment, migrations on
    start, long polling against TELEGRAM_API_URL (here the loopback double), a clean stop."""
    import asyncio
    import signal

    from bot_api_double import BotApiDouble
    from tests.conftest import TOKEN

    async with BotApiDouble() as double:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=double.base_url,
            DATABASE_URL=f"sqlite:///{tmp_path}/run.sqlite3",
            LOG_LEVEL="INFO",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            double.send_text(TOKEN, 7001, "/start")
            [reply] = await double.wait_for(7001, 1, timeout=60)
            assert "quick safety check" in (reply.text or "")
            assert double.commands(TOKEN, language_code="de")  # menus published on start
        finally:
            process.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    assert (tmp_path / "run.sqlite3").exists()
    log = out.decode() + err.decode()  # logs go to stdout; one-line failures to stderr
    assert "runcoach is starting" in log and "Application" in log  # the log lines are there
    # the start-up heap is frozen, so full garbage collections do not stall the fan-out
    assert "objects left out of garbage collection" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log  # the token is not


def _free_port() -> int:
    """A local port nothing listens on: connections to it are refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run_until_exit(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    import asyncio

    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN")}
    base.update(LOG_LEVEL="INFO", **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=base, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


def _one_line_without_the_token(output: str) -> str:
    from tests.conftest import TOKEN

    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[-3000:]
    assert "Traceback" not in output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    return lines[0]


async def test_run_with_a_revoked_token_says_so_in_one_line(tmp_path: Path) -> None:
    from bot_api_double import BotApiDouble
    from tests.conftest import TOKEN

    async with BotApiDouble() as double:
        double.revoke_token(TOKEN)  # getMe answers 401 Unauthorized
        status, output = await _run_until_exit(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": double.base_url,
                "DATABASE_URL": f"sqlite:///{tmp_path}/run.sqlite3",
            },
            tmp_path,
        )
    line = _one_line_without_the_token(output)
    assert status == 3
    assert "refused the token" in line and "@BotFather" in line


@pytest.mark.parametrize("where", ["refused", "dns"])
async def test_run_without_network_says_so_in_one_line(where: str, tmp_path: Path) -> None:
    from tests.conftest import TOKEN

    api = {
        "refused": f"http://127.0.0.1:{_free_port()}/bot",
        "dns": "http://api.telegram.invalid/bot",  # .invalid never resolves (RFC 2606)
    }[where]
    status, output = await _run_until_exit(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api,
            "DATABASE_URL": f"sqlite:///{tmp_path}/run.sqlite3",
        },
        tmp_path,
    )
    line = _one_line_without_the_token(output)
    assert status == 4
    assert "cannot reach the Telegram Bot API" in line


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
async def test_run_with_the_database_unreachable_says_so_in_one_line(
    database: str, tmp_path: Path
) -> None:
    from bot_api_double import BotApiDouble
    from tests.conftest import TOKEN

    url = {
        "postgresql": f"postgresql://runcoach:s3cret@127.0.0.1:{_free_port()}/runcoach",
        "sqlite": f"sqlite:///{tmp_path}/no/such/folder/run.sqlite3",
    }[database]
    async with BotApiDouble() as double:
        status, output = await _run_until_exit(
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": double.base_url, "DATABASE_URL": url},
            tmp_path,
        )
    line = _one_line_without_the_token(output)
    assert status == 5
    assert "cannot open the database" in line and "s3cret" not in line


def test_migrate_with_the_database_unreachable_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql://runcoach:s3cret@127.0.0.1:{_free_port()}/runcoach"
    result = runcoach("migrate", env={"DATABASE_URL": url}, cwd=tmp_path)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 5 and len(lines) == 1 and "cannot open the database" in lines[0]
    assert "s3cret" not in lines[0]


def test_a_worker_thread_after_the_loop_closed_does_not_break_the_one_line(capsys) -> None:
    """A failed start closes the event loop while aiosqlite's thread may still finish a
    call: its "Event loop is closed" stays out of the one-line message; other thread
    errors are printed as Python prints them."""
    import threading

    from bot.cli import _quiet_after_the_loop

    closed = RuntimeError("Event loop is closed")
    _quiet_after_the_loop(threading.ExceptHookArgs((RuntimeError, closed, None, None)))
    assert capsys.readouterr().err == ""
    other = ValueError("a real problem")
    _quiet_after_the_loop(threading.ExceptHookArgs((ValueError, other, None, None)))
    assert "a real problem" in capsys.readouterr().err
