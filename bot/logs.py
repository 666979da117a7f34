"""Logging set-up that never lets the bot token reach a log line."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# Bot API URLs carry the token: /bot<token>/method and /file/bot<token>/path.
_TOKEN_IN_URL = re.compile(r"(/(?:file/)?bot)\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN = re.compile(r"\b\d{3,20}:[A-Za-z0-9_-]{20,}\b")
_secrets: set[str] = set()


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "<token>")
    text = _TOKEN_IN_URL.sub(r"\1<token>", text)
    return _BARE_TOKEN.sub("<token>", text)


# Loggers of libraries that put whole updates or request bodies (what runners wrote, their
# health answers) into their DEBUG records.
_CHATTY = ("telegram", "httpx", "httpcore", "hpack", "aiosqlite", "asyncpg", "sqlalchemy")


def _withhold_user_text(record: logging.LogRecord) -> None:
    """Keep what runners wrote out of the logs, at every level: a library's DEBUG record
    keeps its template and loses its arguments ("Processing update %s" without the
    update); Telegram objects given to any record (an Update, a Message) are replaced by
    their type and id."""
    if not record.args:
        return
    if record.levelno <= logging.DEBUG and record.name.startswith(_CHATTY):
        record.msg = str(record.msg).replace("%s", "<withheld>").replace("%r", "<withheld>")
        record.args = None
        return
    from telegram import TelegramObject, Update

    def clean(value: Any) -> Any:
        if isinstance(value, Update):
            return f"<Update {value.update_id}>"
        if isinstance(value, TelegramObject):
            return f"<{type(value).__name__}>"
        return value

    if isinstance(record.args, tuple):
        record.args = tuple(clean(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: clean(v) for k, v in record.args.items()}


def _redact_record(record: logging.LogRecord) -> None:
    _withhold_user_text(record)
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        message = message + "\n" + "".join(traceback.format_exception(*record.exc_info))
        record.exc_info = None
        record.exc_text = None
    clean = redact(message)
    record.msg = clean
    record.args = None


_installed = False


def install_redaction(token: str | None = None) -> None:
    """Mask the token in every log record as it is created, whichever logger or handler.

    A record factory (not a handler filter) is used so that records from httpx, PTB and
    APScheduler are clean before any handler, pytest's capture included, sees them.
    """
    global _installed
    if token:
        _secrets.add(token)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _not_a_start_up_failure(record: logging.LogRecord) -> bool:
    """PTB logs a failed start (a refused token, no network) with a long traceback, then
    raises; `runcoach run` turns the raised error into one line, so the log record goes."""
    return "Network Retry Loop (Bootstrap" not in record.getMessage()


def configure_logging(
    level: str, token: str | None, log_format: str = "text", secret: str | None = None
) -> None:
    """Logs go to stdout (a container's log). ``log_format="json"``: one JSON object per line
    (python-json-logger), with the same redaction: the token and the webhook secret masked,
    what runners wrote withheld."""
    import sys

    handler = logging.StreamHandler(sys.stdout)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    install_redaction(token)
    if secret:
        install_redaction(secret)
    logging.getLogger("telegram.ext").addFilter(_not_a_start_up_failure)
    # httpx logs every request at INFO with its URL; redacted anyway, but it is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
