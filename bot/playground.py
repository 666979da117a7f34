"""`runcoach playground`: the bot and the loopback Bot API double in one process, and you in
the terminal, as one person or several (``/as NAME``), with a clock you move (``/clock``)
and files you send (``/send``). ``--script FILE`` replays a file of the same lines.

The bot is the real one (``build_application``, the poller, the outbox's sender, the
scheduler); only Telegram is the double. Every line waits until the bot has handled it and
sent every reply, then runs the scheduler's tick once, so a care-team alert arrives after
the line that caused it. A moved clock steps through each moment something falls due (a
runner's reminder time, a member's Monday summary) and ticks there, so prompts arrive as
they would have."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import re
import sys
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import build_application, serving
from bot.playground_clock import FORMS, Clock, describe, when
from bot.playground_screen import Button, Person, Screen, find
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot_api_double import BotApiDouble
from conversations import Services
from storage import Database, outbox, schedule
from storage import careteam as care_store
from storage import runners as runner_store
from storage.db import normalize_url

PLAYGROUND_TOKEN = "100000:PLAYGROUNDplaygroundPLAYGROUNDplay"
USER_ID = 4242  # the person you are until ``/as NAME``
DEFAULT_NAME = "Runner"
MAX_STEPS = 1000  # moments one /clock move stops at, at most

HELP = """\
runcoach playground — you are chatting with the real bot through a local Telegram double.
Type a message or a /command and press Enter. Buttons show as [1] [2] …: #2 presses
button 2 of the latest message with buttons, [Accept] the button labelled Accept.
  /as NAME [LANG]   be someone else (another Telegram user: a physio, a coach, a runner)
  /clock WHEN       move the clock (+1d, 07:00, next monday, 2026-03-02 08:00); prompts,
                    morning checks, reassessments and Monday summaries arrive on the way
  /send PATH        send a file as a document (a run from a watch: .fit, .gpx, .tcx)
  /open             open the latest t.me link the bot sent (a care-team invitation)
Ctrl-D or /quit leaves.
"""

DEFAULT_DATABASE = "runcoach-playground.sqlite3"
DEFAULT_FILES = "runcoach-playground-files"
_LINK = re.compile(r"https?://t\.me/(\w+)\?start=([A-Za-z0-9_-]{1,64})")
_PRESS_NUMBER = re.compile(r"^#([0-9]{1,4})$")
_PRESS_LABEL = re.compile(r"^\[(.+)\]$")

log = logging.getLogger(__name__)


def database_url(value: str) -> str:
    """A SQLAlchemy URL as typed, or a plain file path for a SQLite database."""
    if "://" in value:
        return normalize_url(value)
    return "sqlite+aiosqlite:///" + str(Path(value).expanduser().resolve())


def clock_file(url: str) -> Path | None:
    """Where the clock is kept between runs: next to a SQLite file (nowhere for a server)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(f"{parsed.database}.clock")


def user_id_of(name: str) -> int:
    """A person's Telegram user id: the same name is the same user in every run."""
    if name.casefold() == DEFAULT_NAME.casefold():
        return USER_ID
    return 100_000 + zlib.crc32(name.casefold().encode()) % 900_000_000


class Failed(Exception):
    """A line could not be carried out (a button that is not there, a missing file)."""


class _ErrorCount(logging.Handler):
    """Counts what the bot logs as an error (a script fails on one)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class Session:
    """One playground session: the people, the clock, and carrying out typed lines."""

    def __init__(
        self,
        *,
        double: BotApiDouble,
        db: Database,
        poller: Any,
        scheduler: Scheduler,
        clock: Clock,
        screen: Screen,
        here: Path,
        timeout: float,
    ) -> None:
        self.double = double
        self.db = db
        self.poller = poller
        self.scheduler = scheduler
        self.clock = clock
        self.screen = screen
        self.here = here  # relative /send paths: a script's folder, else the working directory
        self.timeout = timeout
        self.holding = False  # a line is being carried out: its output waits for it

    @property
    def person(self) -> Person:
        return self.screen.current

    # ------------------------------------------------------------------ waiting

    async def settle(self) -> None:
        """Wait until the bot has fetched and handled every update sent so far and sent
        every reply (a chart or PDF renders before it is sent)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while loop.time() < deadline:
            if not (self.double.pending_updates(PLAYGROUND_TOKEN) or self.poller.busy):
                async with self.db.session() as session:
                    waiting, _ = await outbox.backlog(session)
                if not waiting:
                    return
            await asyncio.sleep(0.03)
        raise Failed(f"the bot did not finish within {self.timeout:.0f} s")

    async def tick(self, header: str | None = None) -> None:
        """The scheduler's tick at the clock's time, then what it sent on the screen."""
        await self.settle()
        await self.scheduler.tick()
        await self.settle()
        self.screen.flush(header)

    # ------------------------------------------------------------------ lines

    async def do(self, line: str) -> bool:
        """Carry out one line; False when it asks to leave. Raises Failed."""
        if line in ("/quit", "/exit"):
            return False
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        if command == "/as":
            self.switch(rest)
            return True
        if command == "/clock":
            await self.move_clock(rest)
            return True
        if command == "/send":
            self.send_file(rest)
        elif command == "/open":
            self.open_link(rest)
        elif (match := _PRESS_NUMBER.match(line)) is not None:
            self.press(self.numbered(int(match.group(1))))
        elif (match := _PRESS_LABEL.match(line)) is not None:
            self.press(self.labelled(match.group(1)))
        elif (link := self._link(line)) is not None:
            self._text(f"/start {link}")
        else:
            self._text(line)
        await self.tick()
        return True

    def _text(self, text: str) -> None:
        p = self.person
        self.double.send_text(
            PLAYGROUND_TOKEN, p.user_id, text, language_code=p.language, first_name=p.name
        )

    def describe_line(self, line: str) -> str:
        """A line as the transcript shows it: a number press names its button."""
        match = _PRESS_NUMBER.match(line)
        if match is not None:
            with contextlib.suppress(Failed):
                return f"{line} [{self.numbered(int(match.group(1))).label}]"
        return line

    # ------------------------------------------------------------------ people

    def switch(self, text: str) -> None:
        words = text.split()
        language: str | None = None
        if len(words) > 1 and re.fullmatch(r"[a-z]{2}(?:-[A-Za-z]{2})?", words[-1]):
            language = words.pop()
        if not words:
            raise Failed("/as needs a name: /as Pia (and a language if you like: /as Pia de)")
        name = " ".join(words)
        user_id = user_id_of(name)
        known = self.screen.people.get(user_id)
        if language is None:
            language = known.language if known is not None else self.screen.default.language
        person = Person(name, user_id, language)
        self.screen.people[user_id] = person
        self.screen.current = person
        self.screen.write(f"(you are {person.name} now, Telegram language {person.language})")

    # ------------------------------------------------------------------ buttons

    def numbered(self, number: int) -> Button:
        buttons = self.screen.buttons.get(self.person.user_id, [])
        for button in buttons:
            if button.number == number:
                return button
        if not buttons:
            raise Failed(f"no button #{number}: the latest message has no buttons")
        shown = "  ".join(
            f"[{b.number}]" if b.label.strip() == str(b.number) else f"[{b.number}] {b.label}"
            for b in buttons
        )
        raise Failed(f"no button #{number} here; the buttons are {shown}")

    def labelled(self, label: str) -> Button:
        messages = self.double.screen(self.person.user_id, PLAYGROUND_TOKEN)
        try:
            button = find(messages, label)
        except ValueError as exc:
            raise Failed(str(exc)) from exc
        if button is None:
            buttons = self.screen.buttons.get(self.person.user_id, [])
            shown = " ".join(f"[{b.label}]" for b in buttons) or "none"
            raise Failed(f"no button [{label}] in this chat; the latest buttons are {shown}")
        return button

    def press(self, button: Button) -> None:
        p = self.person
        try:
            self.double.press(
                PLAYGROUND_TOKEN,
                p.user_id,
                button.message_id,
                button.data,
                language_code=p.language,
                first_name=p.name,
            )
        except KeyError as exc:
            raise Failed(f"the message of [{button.label}] is gone") from exc

    # ------------------------------------------------------------------ files and links

    def send_file(self, text: str) -> None:
        name = text.strip().strip("'\"")
        if not name:
            raise Failed("/send needs a file: /send run.gpx")
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = self.here / path if (self.here / path).exists() else Path.cwd() / path
        if not path.is_file():
            raise Failed(f"no file {name} (looked for {path})")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Failed(f"cannot read {path} ({exc.strerror or exc})") from exc
        p = self.person
        mime, _ = mimetypes.guess_type(path.name)
        self.double.send_document_msg(
            PLAYGROUND_TOKEN,
            p.user_id,
            data,
            path.name,
            mime_type=mime or "application/octet-stream",
            language_code=p.language,
            first_name=p.name,
        )

    def _link(self, text: str) -> str | None:
        """The start parameter of a link to this bot (opening it sends /start PARAM)."""
        match = _LINK.fullmatch(text.strip().strip("<>"))
        username = self.double.bot_username(PLAYGROUND_TOKEN)
        if match is None or match.group(1).casefold() != username.casefold():
            return None
        return match.group(2)

    def open_link(self, text: str) -> None:
        if text:
            param = self._link(text)
            if param is None:
                raise Failed(f"{text} is not a link to this bot")
        else:
            param = self._latest_link()
        self.screen.write(f"(opens https://t.me/{self.double.bot_username(PLAYGROUND_TOKEN)}"
                          f"?start={param})")
        self._text(f"/start {param}")

    def _latest_link(self) -> str:
        found: tuple[float, str] | None = None
        for chat in self.double.chats():
            for message in self.double.screen(chat, PLAYGROUND_TOKEN):
                for match in _LINK.finditer(message.text or ""):
                    param = self._link(match.group(0))
                    if param is not None and (found is None or message.date >= found[0]):
                        found = (message.date, param)
        if found is None:
            raise Failed("the bot has sent no t.me link to open")
        return found[1]

    # ------------------------------------------------------------------ the clock

    async def zone(self) -> ZoneInfo:
        async with self.db.session() as session:
            runner = await runner_store.get_runner(session, self.person.user_id)
        return schedule.zone_of(runner) if runner is not None else ZoneInfo("UTC")

    async def move_clock(self, text: str) -> None:
        zone = await self.zone()
        now = self.clock()
        if not text:
            self.screen.write(f"(clock: {describe(now, zone)})")
            return
        try:
            target = when(text, now, zone)
        except ValueError as exc:
            raise Failed(f"/clock: {exc}; the forms are {FORMS}") from exc
        if target < now - timedelta(minutes=1):
            async with self.db.session() as session:
                started = await runner_store.anyone(session)
            if started:
                raise Failed(
                    f"/clock: {describe(target, zone)} is before now ({describe(now, zone)}); "
                    "the clock moves back only before anybody has talked to the bot"
                )
            self.clock.set(target)
        else:
            await self._step_to(target, zone)
        self.screen.write(f"(clock: {describe(self.clock(), zone)})")

    async def _step_to(self, target: datetime, zone: ZoneInfo) -> None:
        """Move to ``target``, stopping at each moment something falls due on the way."""
        for _ in range(MAX_STEPS):
            now = self.clock()
            async with self.db.session() as session:
                moments = [
                    await schedule.next_due_after(session, now),
                    await care_store.next_summary_after(session, now),
                ]
            due = min((m for m in moments if m is not None), default=None)
            if due is None or due > target:
                break
            self.clock.set(due)
            await self.tick(header=f"-- {describe(due, zone)} --")
        self.clock.set(target)
        await self.tick(header=f"-- {describe(target, zone)} --")


async def play(
    settings: Settings,
    *,
    database_url: str,
    language: str = "en",
    files: str | Path = DEFAULT_FILES,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    script: Path | None = None,
    clock_path: Path | None = None,
    timeout: float = 120.0,
) -> int:
    """The interactive playground, or a script's replay (``script``): 0 when every line was
    carried out, 1 when one could not be (the reason on stderr)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    folder = Path(files)  # the command line passes an absolute path
    db = Database(database_url)
    errors = _ErrorCount()
    root = logging.getLogger()
    console = None if root.handlers else logging.StreamHandler(sys.stderr)
    for handler in (errors, console):
        if handler is not None:
            root.addHandler(handler)
    if console is not None:
        console.setLevel(logging.WARNING)
    clock = Clock.load(clock_path)
    try:
        async with BotApiDouble() as double:
            local = Settings(
                token=PLAYGROUND_TOKEN,
                api_url=double.base_url,
                database_url=database_url,
                default_language=settings.default_language,
                log_level="WARNING",
                tick_seconds=settings.tick_seconds,
            )
            services = Services(db=db, default_language=local.default_language, clock=clock)
            # a script ticks only after its lines, so its replay does not depend on timing
            app = build_application(
                local, services=services, rate_limit=False, with_scheduler=script is None
            )
            async with serving(app, poll_timeout=1) as poller:
                scheduler = app.bot_data.get("scheduler") or Scheduler(
                    app.bot, services, rate=None
                )
                screen = Screen(double, stdout, folder, Person(DEFAULT_NAME, USER_ID, language))
                session = Session(
                    double=double,
                    db=db,
                    poller=poller,
                    scheduler=scheduler,
                    clock=clock,
                    screen=screen,
                    here=script.parent if script is not None else Path.cwd(),
                    timeout=timeout,
                )
                if script is None:
                    stdout.write(HELP)
                stdout.write(f"Charts, reports and exports are saved in {folder}\n")
                stdout.flush()
                if script is not None:
                    return await _replay(session, script, errors)
                return await _interact(session, stdin)
    finally:
        clock.save(clock_path)
        for handler in (errors, console):
            if handler is not None:
                root.removeHandler(handler)
        await db.dispose()


async def _interact(session: Session, stdin: TextIO) -> int:
    loop = asyncio.get_running_loop()

    async def printer() -> None:  # messages that arrive on their own (a scheduled prompt)
        while True:
            if not session.holding:
                session.screen.flush()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(printer())
    try:
        while True:
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line or _comment(line):
                continue
            session.holding = True
            try:
                if not await session.do(line):
                    break
            except Failed as exc:
                session.screen.flush()
                session.screen.write(f"({exc})")
            finally:
                session.holding = False
        await session.settle()  # the last replies (a PDF takes a moment) arrive before leaving
        session.screen.flush()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return 0


async def _replay(session: Session, script: Path, errors: _ErrorCount) -> int:
    screen = session.screen
    lines = (await asyncio.to_thread(script.read_text, encoding="utf-8")).splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or _comment(line):
            screen.write(line)  # the script's paragraphs and comments read in the transcript
            continue
        if line.split()[0] in ("/as", "/clock"):  # the playground's, not a message
            screen.write(f"» {line}")
        else:
            screen.write(f"{session.person.name}> {session.describe_line(line)}")
        before = errors.count
        try:
            if not await session.do(line):
                break
            if errors.count > before:
                raise Failed("the bot logged an error (above)")
        except Failed as exc:
            screen.flush()
            print(f"runcoach playground: {script}:{number}: {exc}", file=sys.stderr)
            return 1
    await session.settle()
    screen.flush()
    saved = len(screen.saved)
    screen.write(f"(end of {script.name}: {saved} file(s) saved in {screen.files})")
    return 0


def _comment(line: str) -> bool:
    return line == "#" or line.startswith("# ")
