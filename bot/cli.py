"""The `runcoach` command line: run, migrate, playground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import SettingsError, load_settings

log = logging.getLogger("runcoach")


def _fail(message: str) -> int:
    print(f"runcoach: {message}", file=sys.stderr)
    return 2


def cmd_run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    from bot.app import build_application, run_until_signalled
    from bot.logs import configure_logging

    configure_logging(settings.log_level, settings.token)
    application = build_application(settings, with_scheduler=True, freeze_heap=True)
    log.info("runcoach is starting (database: %s)", settings.database_url.split("@")[-1])
    asyncio.run(run_until_signalled(application))
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

    asyncio.run(migrate())
    print("runcoach: the database is up to date.")
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(require_token=False)
    except SettingsError as exc:
        return _fail(str(exc))
    from bot.playground import play

    return asyncio.run(play(settings, database_url=args.database, language=args.language))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="runcoach",
        description="A Telegram coach for returning to running after a soft-tissue injury.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling); applies migrations first")
    run.set_defaults(fn=cmd_run)
    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(fn=cmd_migrate)
    play = sub.add_parser(
        "playground", help="chat with the bot in this terminal, no Telegram account needed"
    )
    play.add_argument(
        "--database",
        default="sqlite+aiosqlite:///runcoach-playground.sqlite3",
        help="database for the playground (default: runcoach-playground.sqlite3 here)",
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
