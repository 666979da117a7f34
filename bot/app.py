"""The application factory: PTB wired to runcoach's handlers, storage and scheduler."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

import locales
from bot import metrics
from bot.delivery import PacedRateLimiter
from bot.health import Probes, bound_port, start_site
from bot.http import AiohttpRequest
from bot.logs import install_redaction
from bot.polling import OUTCOME, Poller, is_transient
from bot.settings import Settings
from bot.webhook import WebhookServer
from conversations import Services
from conversations.basics import DESCRIPTION, SHORT_DESCRIPTION
from conversations.common import RUNNER_MENU, menu
from conversations.handlers import build_handlers
from conversations.sender import Sender
from locales import SUPPORTED, pick_language, translator
from miniapp.server import MiniApp, mount_path
from storage import Database
from storage import runners as store
from sync import job as sync_job
from sync import web as sync_web

log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or migrated at start; the message is one line."""


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A passing database error: the update stays unconfirmed and is tried again (the
    poller backs off), and the runner is told nothing. Any other error: the update's
    transaction was rolled back, so nothing from it was kept; log it (no traceback to the
    runner) and ask the runner to send it again."""
    outcome = OUTCOME.get()
    if is_transient(context.error) and outcome is not None:
        outcome.retry = True
        log.warning(
            "the database is unavailable (%s); the update waits", type(context.error).__name__
        )
        return
    if outcome is not None:
        outcome.failed = True
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services: Services = context.application.bot_data["services"]
    user = update.effective_user
    stored = None
    try:
        async with services.db.session() as session:
            runner = await store.get_runner(session, user.id) if user else None
            stored = runner.language if runner else None
    except Exception:  # the database may be the reason we are here
        log.debug("could not read the runner's language", exc_info=True)
    tr = translator(
        pick_language(stored, user.language_code if user else None, services.default_language)
    )
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            tr.gettext(
                "Sorry, something went wrong on my side, and I could not take your last "
                "message. Please send it again in a moment."
            ),
        )
    except Exception:
        log.debug("could not tell the runner about the error", exc_info=True)


async def publish_descriptions(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What the empty chat and the bot's profile say, in every supported language (and the
    default language for others)."""
    services: Services = application.bot_data["services"]
    for code in (None, *SUPPORTED):
        tr = translator(code or services.default_language)
        await application.bot.set_my_description(tr.gettext(DESCRIPTION), language_code=code)
        await application.bot.set_my_short_description(
            tr.gettext(SHORT_DESCRIPTION), language_code=code
        )


async def publish_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The runner's command menu in every supported language (and the default language for
    others); a care-team member's chat gets its own (conversations/common.member_menu)."""
    services: Services = application.bot_data["services"]
    for code in (None, *SUPPORTED):
        tr = translator(code or services.default_language)
        await application.bot.set_my_commands(
            [BotCommand(name, tr.gettext(text)) for name, text in menu(RUNNER_MENU)],
            language_code=code,
        )


def build_application(
    settings: Settings,
    *,
    db: Database | None = None,
    services: Services | None = None,
    rate_limit: bool = True,
    with_scheduler: bool = False,
    freeze_heap: bool = False,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the bot. ``db``/``services`` let tests and the playground share one database.
    ``freeze_heap``: for the long-running bot process, :func:`settle_heap` once started."""
    install_redaction(settings.token)
    db = db or (services.db if services else Database(settings.database_url))
    services = services or Services(
        db=db, default_language=settings.default_language, intervals=settings.intervals
    )
    if settings.miniapp_url and not services.miniapp_url:
        services.miniapp_url = settings.miniapp_url
    requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1))
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # aiohttp under PTB: a request costs a tenth of httpx's CPU (bot/http.py)
        .request(requests[0])
        .get_updates_request(requests[1])
        # bot/polling.Poller fetches updates and confirms them only once stored
        .updater(None)
        .post_init(_post_init)
    )
    if rate_limit:
        # Telegram's ~30 messages/s, spaced evenly and paused whole on a 429. PTB's
        # AIORateLimiter bursts from idle and releases its queue at once after a 429, which
        # earns the next 429 (measured in bench/scheduler.py; see docs/performance.md).
        # SEND_RATE: with several processes, Telegram's limit per bot is shared among them
        builder = builder.rate_limiter(
            PacedRateLimiter(  # type: ignore[arg-type]
                rate=settings.send_rate,
                max_retries=3,
                paid_rate=settings.paid_broadcast_rate if settings.paid_broadcast else None,
            )
        )
    application = builder.build()
    application.bot_data["services"] = services
    sender = Sender(db, application.bot)
    sender.observe = metrics.count_reply
    application.bot_data["sender"] = sender
    application.bot_data["settings"] = settings
    application.bot_data["with_scheduler"] = with_scheduler
    application.bot_data["freeze_heap"] = freeze_heap
    application.bot_data["requests"] = requests
    for handler in build_handlers():
        application.add_handler(handler)
    application.add_error_handler(on_error)
    return application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = application.bot_data["services"]
    locales.warm()  # the catalogs, parsed before the first update rather than during it
    try:
        await services.db.migrate()
    except Exception as exc:
        raise DatabaseUnavailable(_first_line(exc)) from exc
    if application.bot_data.get("with_scheduler"):  # `runcoach run`, not a test or playground
        log.info(
            "runcoach is starting as @%s (database: %s)",
            application.bot.username,
            services.db.engine.url.render_as_string(hide_password=True),
        )
    try:
        await publish_commands(application)
    except Exception:
        log.warning("could not publish the command menu", exc_info=True)
    try:
        await publish_descriptions(application)
    except Exception:
        log.warning("could not publish the bot's description", exc_info=True)
    if application.bot_data.get("with_scheduler"):
        from bot.scheduler_job import install

        install(application)
        sync_job.install(application)  # intervals.icu: runs in, sessions out (sync/job.py)
    if application.bot_data.get("freeze_heap"):
        settle_heap()


def _first_line(exc: BaseException) -> str:
    """The gist of an error for one log or console line (SQLAlchemy appends a URL and the
    statement on later lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    cause = exc.__cause__ or exc.__context__
    if not lines and cause is not None:
        return _first_line(cause)
    return lines[0][:200] if lines else type(exc).__name__


def settle_heap() -> None:
    """Collect once, then leave everything still alive (imported modules, the catalogs, the
    application) out of later cyclic garbage collections (``gc.freeze``).

    A started bot holds ~125,000 objects that live as long as the process. Python's full
    (generation 2) collection walks all of them and stalls the event loop for 70-80 ms on a
    small machine. A request held back that long arrives right before the next ones, and 31
    messages then reach Telegram within one second: a 429 for an evenly paced fan-out
    (measured in bench/scheduler.py). Frozen, a full collection walks only what was made
    since, about 10 ms. Reference counting still frees frozen objects that are dropped."""
    gc.collect()
    gc.freeze()
    log.info("start-up done: %d objects left out of garbage collection", gc.get_freeze_count())


# The stop must end within 10 s (SIGTERM, then an orchestrator's SIGKILL): updates in flight
# get STOP_GRACE, the outbox FLUSH_GRACE, the rest (the scheduler, the engine) what is left.
STOP_GRACE = 5.0
FLUSH_GRACE = 2.5


@asynccontextmanager
async def _started(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Migrations and menus (post_init), then the outbox sender (unsent replies first); on
    the way out, the replies this process still holds are sent once more before it stops."""
    sender: Sender = application.bot_data["sender"]
    try:
        await application.initialize()
    except BaseException:  # PTB shuts down only what initialized: close the HTTP sessions
        for request in application.bot_data.get("requests", ()):
            await request.shutdown()
        raise
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await sender.start()
        try:
            yield
        finally:
            if not await sender.finish(FLUSH_GRACE):
                log.warning("some replies stay in the outbox; they go out on the next start")
            await sender.stop()
            await application.stop()
    finally:
        await application.shutdown()


async def _leave_webhook_mode(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Telegram refuses getUpdates while a webhook is set (as PTB's run_polling does, the
    webhook goes: polling was asked for). Pending updates stay with Telegram."""
    try:
        info = await application.bot.get_webhook_info()
        if info.url:
            log.warning("a webhook was set; deleting it to poll (its updates are kept)")
            await application.bot.delete_webhook(drop_pending_updates=False)
    except Exception as exc:  # polling reports a lasting problem itself
        log.warning("could not check for a webhook: %s", type(exc).__name__)


def add_miniapp(
    application: Application[Any, Any, Any, Any, Any, Any], web_app: web.Application
) -> None:
    """The care team's Mini App on this server, when its URL is set (docs/care-team.md)."""
    services: Services = application.bot_data["services"]
    if not services.miniapp_url:
        return
    sender = application.bot_data.get("sender")
    MiniApp(
        services,
        bot_token=application.bot.token,
        sender=sender if isinstance(sender, Sender) else None,
        bot_id=lambda: application.bot.id,
        path=mount_path(services.miniapp_url),
    ).add_routes(web_app)


@asynccontextmanager
async def serving(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: float = 10.0,
    health: tuple[str, int] | None = None,
) -> AsyncIterator[Poller]:
    """Start the bot with long polling (and the probes on ``health`` = (host, port) when
    given); stop in the reverse order."""
    services: Services = application.bot_data["services"]
    poller = Poller(application, services.db, timeout=poll_timeout)
    async with _started(application):
        probes_runner = None
        if health is not None:
            probes = Probes(services.db)
            web_app = web.Application()
            probes.add_routes(web_app)
            add_miniapp(application, web_app)
            sync_web.add_routes(web_app, application)  # the intervals.icu OAuth redirect
            probes_runner = await start_site(web_app, *health)
            application.bot_data["web_port"] = bound_port(probes_runner)
        await _leave_webhook_mode(application)
        await poller.start()
        try:
            yield poller
        finally:
            if probes_runner is not None:
                probes.stopping.set()  # /readyz 503 from the first moment of the stop
            await poller.stop(grace=STOP_GRACE)
            if probes_runner is not None:
                await probes_runner.cleanup()


@asynccontextmanager
async def serving_webhook(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    url: str,
    secret: str,
    host: str = "0.0.0.0",
    port: int = 8080,
) -> AsyncIterator[WebhookServer]:
    """Start the bot in webhook mode: the server (webhook, probes, metrics) on ``port``,
    then ``setWebhook``. On the way out: stop taking updates, finish those in flight, flush
    the outbox, close the server. The webhook stays set (other processes serve it)."""
    services: Services = application.bot_data["services"]
    server = WebhookServer(application, services.db, url=url, secret=secret)
    async with _started(application):
        web_app = server.web_app()
        add_miniapp(application, web_app)
        runner = await start_site(web_app, host, port)
        server.port = bound_port(runner)
        try:
            await server.set_webhook()
            yield server
        finally:
            await server.drain(STOP_GRACE)
            await runner.cleanup()


async def run_until_signalled(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """``runcoach run``: serve (long polling, or a webhook when WEBHOOK_URL is set) until
    SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    services: Services = application.bot_data["services"]
    settings: Settings = application.bot_data["settings"]
    try:
        if settings.webhook_url:
            async with serving_webhook(
                application,
                url=settings.webhook_url,
                secret=settings.webhook_secret,
                host=settings.listen_host,
                port=settings.port,
            ) as server:
                log.info("runcoach is serving its webhook on port %d", server.port)
                await stop.wait()
                log.info("runcoach is stopping")
        else:
            health = (
                (settings.listen_host, settings.health_port) if settings.health_port else None
            )
            async with serving(application, health=health):
                log.info("runcoach is polling")
                await stop.wait()
                log.info("runcoach is stopping")
    finally:
        await services.db.dispose()
