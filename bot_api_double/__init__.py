"""A loopback Telegram Bot API double.

Runs an aiohttp server on 127.0.0.1 that speaks enough of the Bot API for a real
python-telegram-bot ``Application`` to poll it, reply, edit, upload and answer callback
queries. Tests (and the terminal playground) drive the *user* side through the Python
control API (:meth:`BotApiDouble.send_text`, :meth:`BotApiDouble.press`, ...) and read the
*bot* side back with :meth:`BotApiDouble.sent` / :meth:`BotApiDouble.wait_for`.

Usage::

    async with BotApiDouble() as d:
        app = (
            ApplicationBuilder()
            .token("123456:TEST")
            .base_url(d.base_url)
            .base_file_url(d.base_file_url)
            .build()
        )
        ...
        n = d.mark(42)
        d.send_text("123456:TEST", 42, "/start")
        msgs = await d.wait_for(42, since=n)

Notes on wire formats (python-telegram-bot 22, ``HTTPXRequest``):

* PTB joins ``base_url + token`` (no separator) and then ``/<method>``, so
  ``base_url`` must end in ``/bot``.
* Requests are ``POST`` with ``application/x-www-form-urlencoded`` bodies, or
  ``multipart/form-data`` when a file is uploaded. String values are sent raw, everything
  else (ints, bools, lists, dicts) as JSON text. JSON bodies and ``GET`` query strings are
  accepted as well (other clients use them).

The double never logs request paths (they contain the bot token): aiohttp's access log is
disabled.

The parts: ``server`` (:class:`BotApiDouble`: serving, dispatch, getMe, getUpdates),
``messages`` (sending, editing, deleting, callback answers, menus), ``files`` (uploads,
getFile, downloads), ``webhooks`` (webhook mode and delivery), ``faults`` (injected
failures, blocked chats, rate limits), ``client`` (the user side and reading back what the
bot did), ``formatting`` (HTML / MarkdownV2), ``model`` and ``state`` (what it keeps).
The double imports nothing of runcoach: only the playground (``bot/playground.py``), the
tests and the benches use it.
"""

from bot_api_double.errors import ApiError
from bot_api_double.faults import DROP, HANG, LATE
from bot_api_double.files import BOT_DOWNLOAD_LIMIT
from bot_api_double.model import SentMessage
from bot_api_double.server import SEND_METHODS, BotApiDouble

__all__ = [
    "BOT_DOWNLOAD_LIMIT",
    "DROP",
    "HANG",
    "LATE",
    "SEND_METHODS",
    "ApiError",
    "BotApiDouble",
    "SentMessage",
]
