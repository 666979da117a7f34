"""The `runcoach` command line: run, migrate, playground."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
import threading
from typing import Any

from bot.settings import SettingsError, load_settings

log = logging.getLogger("runcoach")


# Exit statuses: 2 a missing or malformed setting (the token among them); 3 Telegram refused
# the token; 4 Telegram could not be reached; 5 the database could not be opened; 6 the port
# for the webhook or the probes is taken or not allowed; 1 anything else at start-up.
BAD_SETTING, TOKEN_REFUSED, NO_NETWORK, NO_DATABASE, NO_PORT = 2, 3, 4, 5, 6


def _fail(message: str, status: int = BAD_SETTING) -> int:
    from bot.logs import redact

    print(f"runcoach: {redact(message)}", file=sys.stderr)
    return status


def _quiet_after_the_loop(args: threading.ExceptHookArgs) -> None:
    """A database worker thread (aiosqlite's) that finishes a call after the event loop
    closed, as a start-up that failed exits: nothing is left to tell, and its traceback
    would break the one-line failure. Anything else goes to Python's own hook."""
    if isinstance(args.exc_value, RuntimeError) and "Event loop is closed" in str(
        args.exc_value
    ):
        log.debug("a worker thread finished after the event loop closed", exc_info=args.exc_value)
        return
    threading.__excepthook__(args)


def _safe_url(url: str) -> str:
    """A database URL without its password, for a message."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(DATABASE_URL)"


def _database_hint(url: str) -> str:
    from storage.db import is_sqlite

    if is_sqlite(url):
        return "Check DATABASE_URL and that its folder exists and is writable."
    return "Check DATABASE_URL and that the database server is running and reachable."


def _reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def _try_bind(host: str, port: int) -> None:
    """Raise OSError when ``host:port`` cannot be listened on (taken, or not allowed)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        sock.bind((host, port))


def _no_port(settings: Any, port: int | None, exc: OSError) -> int:
    name = "PORT" if settings.webhook_url else "HEALTH_PORT"
    return _fail(
        f"cannot listen on {settings.listen_host}:{port} ({exc.strerror or _reason(exc)}). "
        f"Stop what uses that port, or set {name} to a free one.",
        NO_PORT,
    )


def cmd_run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(webhook_url=args.webhook)
    except SettingsError as exc:
        return _fail(str(exc))
    from urllib.parse import urlsplit

    from telegram.error import InvalidToken, NetworkError

    from bot.app import DatabaseUnavailable, build_application, run_until_signalled
    from bot.logs import configure_logging

    port = settings.port if settings.webhook_url else settings.health_port
    if port is not None:  # before anything starts or logs: a taken port is one line
        try:
            _try_bind(settings.listen_host, port)
        except OSError as exc:
            return _no_port(settings, port, exc)
    configure_logging(
        settings.log_level, settings.token, settings.log_format, settings.webhook_secret
    )
    application = build_application(settings, with_scheduler=True, freeze_heap=True)
    threading.excepthook = _quiet_after_the_loop
    try:
        asyncio.run(run_until_signalled(application))
    except InvalidToken:
        # PTB's message repeats the token: never print it.
        return _fail(
            "Telegram refused the token: it was revoked, or mistyped. "
            "Get the current one from @BotFather (/token) and set TELEGRAM_BOT_TOKEN.",
            TOKEN_REFUSED,
        )
    except NetworkError as exc:
        host = urlsplit(settings.api_url).netloc or settings.api_url
        return _fail(
            f"cannot reach the Telegram Bot API at {host} ({_reason(exc)}). Check the network "
            "connection, a proxy or firewall, or TELEGRAM_API_URL.",
            NO_NETWORK,
        )
    except DatabaseUnavailable as exc:
        return _fail(
            f"cannot open the database {_safe_url(settings.database_url)} ({exc}). "
            + _database_hint(settings.database_url),
            NO_DATABASE,
        )
    except OSError as exc:  # the listening socket: a taken port, a port below 1024
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            log.debug("start-up failed", exc_info=exc)
            return _fail(f"could not start ({type(exc).__name__}: {_reason(exc)}).", 1)
        return _no_port(settings, port, exc)
    except Exception as exc:  # any other start-up failure: one line (the trace at DEBUG)
        log.debug("start-up failed", exc_info=exc)
        return _fail(f"could not start ({type(exc).__name__}: {_reason(exc)}).", 1)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(require_token=False)
    except SettingsError as exc:
        return _fail(str(exc))
    from storage import Database

    async def migrate() -> None:
        db = Database(settings.database_url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    try:
        asyncio.run(migrate())
    except Exception as exc:
        return _fail(
            f"cannot open the database {_safe_url(settings.database_url)} ({_reason(exc)}). "
            + _database_hint(settings.database_url),
            NO_DATABASE,
        )
    print("runcoach: the database is up to date.")
    return 0


def cmd_healthcheck(args: argparse.Namespace) -> int:
    """The container's HEALTHCHECK: GET /healthz of the bot in this container (PORT in
    webhook mode, HEALTH_PORT in polling mode); 0 when it answers 200."""
    import os
    import urllib.request

    port = os.environ.get("HEALTH_PORT") or os.environ.get("PORT") or "8080"
    if not os.environ.get("WEBHOOK_URL") and not os.environ.get("HEALTH_PORT"):
        print("runcoach: polling mode without HEALTH_PORT serves no probe", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            healthy = response.status == 200
    except OSError as exc:
        print(f"runcoach: /healthz on port {port} did not answer ({exc})", file=sys.stderr)
        return 1
    return 0 if healthy else 1


def cmd_playground(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(require_token=False)
    except SettingsError as exc:
        return _fail(str(exc))
    import tempfile
    from pathlib import Path

    from bot.app import DatabaseUnavailable
    from bot.playground import DEFAULT_DATABASE, DEFAULT_FILES, clock_file, database_url, play
    from bot.playground_screen import clear_saved

    script: Path | None = None
    if args.script is not None:
        script = Path(args.script).expanduser().absolute()
        if not script.is_file():
            return _fail(f"playground: no script {args.script}")
    if args.files is not None:
        files = Path(args.files).expanduser().absolute()
    elif script is not None:  # a script's charts and reports are saved beside it
        files = script.with_name(f"{script.stem}-files")
        clear_saved(files)  # the last replay's
    else:
        files = Path(DEFAULT_FILES).absolute()
    with tempfile.TemporaryDirectory(prefix="runcoach-playground-") as scratch:
        # a script replays from the start on a fresh database unless one is named
        database = args.database or (
            str(Path(scratch) / "playground.sqlite3") if script is not None else DEFAULT_DATABASE
        )
        if "://" not in database:  # a plain file path: make its folder if need be
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        url = database_url(database)
        try:
            return asyncio.run(
                play(
                    settings,
                    database_url=url,
                    language=args.language,
                    files=files,
                    script=script,
                    clock_path=clock_file(url),
                )
            )
        except DatabaseUnavailable as exc:
            return _fail(
                f"cannot open the database {_safe_url(url)} ({exc}). " + _database_hint(url),
                NO_DATABASE,
            )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="runcoach",
        description="A Telegram coach for returning to running after a soft-tissue injury.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the bot (long polling, or a webhook); applies migrations first",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        default=None,
        help="serve a webhook at this public https:// URL instead of long polling "
        "(or set WEBHOOK_URL); needs WEBHOOK_SECRET; listens on PORT (default 8080)",
    )
    run.set_defaults(fn=cmd_run)
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(fn=cmd_migrate)
    health = sub.add_parser(
        "healthcheck", help="exit 0 when the bot running here answers /healthz (containers)"
    )
    health.set_defaults(fn=cmd_healthcheck)
    play = sub.add_parser(
        "playground", help="chat with the bot in this terminal, no Telegram account needed"
    )
    play.add_argument(
        "--database",
        default=None,
        help="a SQLite file path or a database URL (default: runcoach-playground.sqlite3 "
        "here; with --script, a fresh one for the replay)",
    )
    play.add_argument(
        "--files",
        default=None,
        help="folder for the charts, reports and exports the bot sends "
        "(default: runcoach-playground-files here; with --script, FILE's name + -files "
        "beside it)",
    )
    play.add_argument(
        "--script",
        metavar="FILE",
        default=None,
        help="replay FILE's lines as typed (text, #N or [label] presses, /as, /clock, "
        "/send, /open), print the transcript, and exit 1 at a line that cannot be carried out",
    )
    play.add_argument(
        "--language", default="en", help="your Telegram language code (en, ru, es, de)"
    )
    play.set_defaults(fn=cmd_playground)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
