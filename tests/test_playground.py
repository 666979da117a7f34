"""The playground as a newcomer, a physiotherapist or a script drives it (issue 28): several
people in one session, a care-team invitation opened by another person, a clock that moves
and delivers what falls due on the way, files sent as documents, buttons pressed by the
number they show or by their label, and ``--script`` replays that fail on a line they cannot
carry out. The bot is the real one over the Bot API double; the checks read the database
and the playground's own lines, not the bot's words."""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.playground import USER_ID, play, user_id_of
from bot.playground_clock import Clock, when
from bot.playground_screen import find, number
from bot.settings import Settings
from bot_api_double import SentMessage
from storage import Database
from storage.db import is_sqlite, normalize_url
from storage.models import ActivityFileRow, CareLinkRow, DeliveryRow, Runner
from tests.conftest import TEST_DATABASE_URL

ONBOARD = """\
/start
[None of these: let's start]
[Calf strain]
[Left]
[2-6 weeks ago]
[0]
[0]
[3× a week, 150 min]
[No, but I walk 30 minutes briskly without pain]
[Mon Wed Fri]
[07:00]
Europe/Berlin
[Skip]
"""
MONDAY = "/clock 2026-03-02 08:00\n"  # Monday 2 March 2026, 09:00 in Berlin
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "playground"


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    """The playground's database: a SQLite file, or a fresh PostgreSQL schema when the suite
    runs on PostgreSQL."""
    if not TEST_DATABASE_URL or is_sqlite(TEST_DATABASE_URL):
        yield f"sqlite+aiosqlite:///{tmp_path}/playground.sqlite3"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(TEST_DATABASE_URL))
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{normalize_url(TEST_DATABASE_URL)}?search_path={schema}"
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def replay(
    tmp_path: Path, url: str, script: str, *, name: str = "script.txt"
) -> tuple[int, str]:
    """Run ``script`` with ``--script``; the exit status and the transcript."""
    path = tmp_path / name
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    status = await play(
        Settings(token=""),
        database_url=url,
        files=tmp_path / "files",
        stdout=out,
        script=path,
    )
    return status, out.getvalue()


async def rows(url: str, model: type, *where: object) -> list:
    db = Database(url)
    try:
        async with db.session() as session:
            return list((await session.execute(select(model).where(*where))).scalars())
    finally:
        await db.dispose()


# ------------------------------------------------------------------ buttons


async def test_a_numbered_label_is_pressed_by_its_own_number(tmp_path: Path, url: str) -> None:
    """The safety screen's questions are buttons 1 to 6: #1 answers question 1 (chest pain:
    the plan stops), not the "None of these" button printed first."""
    status, out = await replay(tmp_path, url, "/start\n#1\n")
    assert status == 0
    assert "[1]   [2]   [3]   [4]   [5]   [6]" in out
    [runner] = await rows(url, Runner, Runner.telegram_user_id == USER_ID)
    assert runner.status == "referred"


def _message(*rows: list[str]) -> SentMessage:
    keyboard = [[{"text": label, "callback_data": f"d.{label}"} for label in row] for row in rows]
    return SentMessage(1, 1, "sendMessage", "?", reply_markup={"inline_keyboard": keyboard})


def test_buttons_are_found_by_their_label_or_its_first_words() -> None:
    swelling = _message(["None", "A little", "Clearly visible"])
    assert find([swelling], "none") is not None
    assert find([swelling], "No") is None  # "No" is not "None"
    assert find([swelling], "a little").label == "A little"  # type: ignore[union-attr]
    safety = _message(["None of these: let's start"], ["1", "2"], ["Not now"])
    assert find([safety], "None of these").label.startswith("None of these")  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        find([_message(["Open Ann", "Open Ann Lee"])], "Open")
    assert [(b.number, b.label) for b in number(safety)] == [
        (3, "None of these: let's start"),
        (1, "1"),
        (2, "2"),
        (4, "Not now"),
    ]


async def test_a_label_press_and_a_whole_onboarding(tmp_path: Path, url: str) -> None:
    status, out = await replay(tmp_path, url, MONDAY + "/as Ann\n" + ONBOARD)
    assert status == 0, out
    [runner] = await rows(url, Runner, Runner.telegram_user_id == user_id_of("Ann"))
    assert runner.status == "active" and runner.time_zone == "Europe/Berlin"
    assert runner.injury == "calf_strain" and runner.preferred_days == "0,2,4"


# ------------------------------------------------------------------ failing lines


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[Fly to the moon]", "no button [Fly to the moon]"),
        ("#42", "no button #42"),
        ("/send no-such-run.gpx", "no file no-such-run.gpx"),
        ("/clock someday", "/clock: cannot read"),
        ("/clock 2026-03-01 08:00", "the clock moves back only before"),
        ("/as", "/as needs a name"),
    ],
)
async def test_a_line_that_cannot_be_carried_out_stops_the_script_with_status_1(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str], line: str, reason: str
) -> None:
    script = MONDAY + "/start\n" + line + "\n/help\n"
    status, out = await replay(tmp_path, url, script)
    err = capsys.readouterr().err
    assert status == 1
    assert "script.txt:3: " in err and reason in err, err
    assert "Traceback" not in err + out
    assert "Runner> /help" not in out  # the lines after it are not run


# ------------------------------------------------------------------ the clock


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("+1d", datetime(2026, 3, 3, 9, 30)),
        ("+2h30m", datetime(2026, 3, 2, 12, 0)),
        ("+1w", datetime(2026, 3, 9, 9, 30)),
        ("07:00", datetime(2026, 3, 3, 7, 0)),  # already past today: tomorrow's
        ("18:00", datetime(2026, 3, 2, 18, 0)),
        ("tomorrow", datetime(2026, 3, 3, 9, 30)),
        ("next monday", datetime(2026, 3, 9, 9, 30)),
        ("monday 07:00", datetime(2026, 3, 9, 7, 0)),
        ("Fri 18:00", datetime(2026, 3, 6, 18, 0)),
        ("2026-03-29 03:00", datetime(2026, 3, 29, 3, 0)),  # summer time began at 02:00
    ],
)
def test_clock_forms_are_read_in_the_persons_time_zone(argument: str, expected: datetime) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 2, 9, 30, tzinfo=berlin)  # a Monday
    assert when(argument, now, berlin) == expected.replace(tzinfo=berlin).astimezone(UTC)


@pytest.mark.parametrize("argument", ["", "someday", "25:00", "2026-02-30", "next", "+1y"])
def test_a_clock_form_that_names_no_moment_is_refused(argument: str) -> None:
    with pytest.raises(ValueError):
        when(argument, datetime(2026, 3, 2, 9, 30, tzinfo=UTC), ZoneInfo("UTC"))


async def test_a_moved_clock_delivers_each_days_prompt_at_its_time(
    tmp_path: Path, url: str
) -> None:
    """Three days on in one move: each day's 07:00 message arrives (none dropped as missed),
    and a check-in's morning check comes with the next day's."""
    script = (
        MONDAY
        + "/as Ann\n"
        + ONBOARD
        + "/clock 18:00\n/checkin\n[Done as planned]\n[0]\n[0]\n[3]\n[Skip]\n[Skip]\n"
        + "/clock +3d\n"
    )
    status, out = await replay(tmp_path, url, script)
    assert status == 0, out
    for day in ("Tue 3 Mar", "Wed 4 Mar", "Thu 5 Mar"):
        assert f"-- {day} 2026 07:00 Europe/Berlin --\nbot> " in out
    assert "(clock: Thu 5 Mar 2026 18:00 Europe/Berlin)" in out
    [runner] = await rows(url, Runner, Runner.telegram_user_id == user_id_of("Ann"))
    deliveries = await rows(url, DeliveryRow, DeliveryRow.runner_id == runner.id)
    assert {d.status for d in deliveries} == {"sent"}
    kinds = {(d.kind, d.local_date) for d in deliveries}
    assert {
        ("daily", date(2026, 3, 3)),
        ("morning", date(2026, 3, 3)),  # after Monday's check-in
        ("daily", date(2026, 3, 4)),
        ("daily", date(2026, 3, 5)),
    } <= kinds


async def test_the_clock_outlives_the_run_next_to_its_database(tmp_path: Path) -> None:
    database = tmp_path / "mine.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    clock_file = Path(f"{database}.clock")

    async def session(lines: str) -> str:
        out = io.StringIO()
        await play(
            Settings(token=""),
            database_url=url,
            files=tmp_path / "files",
            stdin=io.StringIO(lines),
            stdout=out,
            clock_path=clock_file,
        )
        return out.getvalue()

    await session("/clock +3d\n/quit\n")
    shown = await session("/clock\n/quit\n")
    match = re.search(r"\(clock: \w+ (\d+ \w+ \d{4}) (\d\d:\d\d) UTC\)", shown)
    assert match, shown
    moved = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%d %b %Y %H:%M")
    ahead = moved.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < ahead < timedelta(days=3, minutes=1)
    assert Clock.load(clock_file).offset > timedelta(days=2, hours=23)


# ------------------------------------------------------------------ people and links


class Typist:
    """A person at the keyboard: each line may look at what the terminal shows so far (to
    copy a link from it)."""

    def __init__(self, out: io.StringIO, lines: Iterator[object]) -> None:
        self.out = out
        self.lines = lines

    def readline(self) -> str:
        line = next(self.lines, "")
        if callable(line):
            line = line(self.out.getvalue())
        return f"{line}\n" if line else ""


async def test_an_invitation_link_pasted_by_another_person_makes_them_a_member(
    tmp_path: Path, url: str
) -> None:
    """Ann invites her physio; Pia pastes the link Ann was given, accepts and answers her
    time zone: Pia follows Ann, and Ann's chat is told in it."""

    def pasted_link(shown: str) -> str:
        links = re.findall(r"https://t\.me/\w+\?start=[\w-]+", shown)
        assert links, shown
        return links[-1]

    lines = [
        MONDAY.strip(),
        "/as Ann",
        *ONBOARD.splitlines(),
        "/careteam",
        "[Invite a physio or coach]",
        "/as Pia",
        pasted_link,
        "[Accept]",
        "Europe/Berlin",
        "/quit",
    ]
    out = io.StringIO()
    status = await play(
        Settings(token=""),
        database_url=url,
        files=tmp_path / "files",
        stdin=Typist(out, iter(lines)),  # type: ignore[arg-type]
        stdout=out,
    )
    assert status == 0
    [link] = await rows(url, CareLinkRow)
    [ann] = await rows(url, Runner, Runner.telegram_user_id == user_id_of("Ann"))
    [pia] = await rows(url, Runner, Runner.telegram_user_id == user_id_of("Pia"))
    assert (link.runner_id, link.member_id) == (ann.id, pia.id)
    assert pia.time_zone == "Europe/Berlin"
    assert "bot → Ann> " in out.getvalue()  # Ann is told, in her own chat


# ------------------------------------------------------------------ the examples


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of examples/playground, so the charts and reports saved beside the scripts
    land in the test's folder."""
    folder = tmp_path / "examples"
    folder.mkdir()
    for path in EXAMPLES.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_there_are_at_least_three_examples() -> None:
    assert len(list(EXAMPLES.glob("*.txt"))) >= 3


async def run_example(name: str, examples: Path, url: str) -> str:
    import asyncio
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "playground", "--script", str(examples / name),
         "--database", url],
        capture_output=True,
        text=True,
        env=env,
        cwd=examples.parent,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def saved(examples: Path, name: str) -> list[str]:
    return sorted(p.name for p in (examples / f"{name}-files").iterdir())


async def test_example_first_two_weeks(examples: Path, url: str) -> None:
    from storage.models import DecisionRow, MorningCheckRow, ReassessmentRow

    await run_example("first-two-weeks.txt", examples, url)
    files = saved(examples, "first-two-weeks")
    assert any(f.endswith(".png") for f in files) and any(f.endswith(".pdf") for f in files)
    [ann] = await rows(url, Runner, Runner.telegram_user_id == user_id_of("Ann"))
    mornings = await rows(url, MorningCheckRow, MorningCheckRow.runner_id == ann.id)
    assert "worse" in {m.pain for m in mornings}  # the bad morning
    assert await rows(url, ReassessmentRow, ReassessmentRow.runner_id == ann.id)
    decisions = await rows(url, DecisionRow, DecisionRow.runner_id == ann.id)
    assert max(d.stage for d in decisions) == 2  # on to walk/run in the second week


async def test_example_care_team(examples: Path, url: str) -> None:
    from storage.models import CareDeliveryRow

    out = await run_example("care-team.txt", examples, url)
    files = saved(examples, "care-team")
    assert any(f.startswith("DrPia-") and f.endswith(".png") for f in files)  # Monday's chart
    assert any(f.startswith("DrPia-") and f.endswith(".pdf") for f in files)
    # the summary arrives at her Monday 08:00, in her chat, with the chart
    assert re.search(
        r"-- Mon 9 Mar 2026 08:00 Europe/Berlin --\nbot → Dr Pia> \[photo: ", out
    ), out[-3000:]
    deliveries = await rows(url, CareDeliveryRow)
    keys = {(d.key.split(":")[0], d.status) for d in deliveries}
    assert ("alert", "sent") in keys and ("weekly", "sent") in keys


async def test_example_watch_upload(examples: Path, url: str) -> None:
    await run_example("watch-upload.txt", examples, url)
    files = saved(examples, "watch-upload")
    assert any(f.endswith(".png") for f in files) and any(f.endswith(".pdf") for f in files)
    [recording] = await rows(url, ActivityFileRow)  # sent twice, kept once
    assert recording.checkin_id is not None and recording.cadence_spm == 164
