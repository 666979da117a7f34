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


def _redact_record(record: logging.LogRecord) -> None:
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


def configure_logging(level: str, token: str | None) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction(token)
    logging.getLogger("telegram.ext").addFilter(_not_a_start_up_failure)
    # httpx logs every request at INFO with its URL; redacted anyway, but it is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
