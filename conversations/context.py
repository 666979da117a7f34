"""What every handler works with: the services, and one context per update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from intervals.config import IntervalsConfig
from locales import Translator, pick_language, translator
from storage import Database
from storage.models import Runner

# ctx.extra keys set by the dispatcher: the sender's Telegram name, the bot's username (for a
# care-team invitation link); and contexts of other chats with replies to queue
SENDER_NAME = "sender_name"
BOT_USERNAME = "bot_username"
OTHERS = "others"
# a keyboard button's "callback data" that opens the Mini App at this URL instead
# (conversations/sender.markup makes it a web_app button)
WEB_APP = "webapp:"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Long-lived things the handlers need; the bot builds one and stores it in bot_data."""

    db: Database
    default_language: str = "en"
    clock: Callable[[], datetime] = system_clock
    # the care team's Mini App, its public https:// URL (MINIAPP_URL); empty: no Mini App
    miniapp_url: str = ""
    # the intervals.icu link (issue 29): None when this coach does not offer it
    intervals: IntervalsConfig | None = None


# A picture or document, or a function that renders one. A function runs after the
# transaction has committed, in a worker thread, so slow rendering holds no database lock.
Attachment = bytes | Callable[[], bytes]


@dataclass
class Out:
    """One reply, written to the outbox in the update's transaction and sent after it commits.

    ``edit_message_id`` makes it an edit of that bot message (its text, or only its buttons
    with ``markup_only``); ``question_version`` marks the message that asks the question of
    that conversation version (its message id is stored as the question's once sent)."""

    text: str
    keyboard: list[list[tuple[str, str]]] | None = None  # rows of (label, callback data)
    photo: Attachment | None = None
    document: Attachment | None = None
    filename: str | None = None
    edit_message_id: int | None = None
    markup_only: bool = False
    question_version: int | None = None
    # this chat's command menu (name, description) instead of a message; an empty list
    # gives the chat the menu everyone has again
    menu: list[tuple[str, str]] | None = None


@dataclass
class Ctx:
    """One update's view: the runner (loaded in this transaction), their language and time."""

    services: Services
    session: AsyncSession
    runner: Runner
    now: datetime
    out: list[Out] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tr(self) -> Translator:
        return translator(
            pick_language(
                self.runner.language, self.runner.telegram_language, self.services.default_language
            )
        )

    @property
    def lang(self) -> str:
        return self.tr.lang

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    def n_(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.runner.time_zone or "UTC")
        except (KeyError, ValueError):
            return ZoneInfo("UTC")

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def today(self) -> date:
        return self.local_now.date()

    def say(
        self, text: str, keyboard: list[list[tuple[str, str]]] | None = None, **kwargs: Any
    ) -> None:
        self.out.append(Out(text=self.tr.tidy(text), keyboard=keyboard, **kwargs))

    def other(self, runner: Runner) -> Ctx:
        """A context for another chat in this transaction (a runner's care team, or the
        runner a member acted for): what it says is queued to that chat, in that person's
        language, when this update's transaction commits."""
        other = Ctx(services=self.services, session=self.session, runner=runner, now=self.now)
        self.extra.setdefault(OTHERS, []).append(other)
        return other
