"""/delete: a confirmed deletion leaves no row about the runner anywhere; "no" keeps it all."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Base, Runner
from storage.runners import RUNNER_COLUMNS, count_rows_for
from tests.conftest import Chat, Clock, running_bot, settle
from tests.test_faults import drained
from tests.test_progress import seed_runner

YES = "Yes, delete everything"
NO = "No, keep my data"


async def counts(db, runner_id: int) -> dict[str, int]:
    async with db.session() as session:
        return await count_rows_for(session, runner_id)


async def seed_care_team(db, runner_id: int) -> None:
    """The runner's care team (a physio following them, with an alert and a delivery, and an
    open invitation), and a runner this one follows as a coach."""
    from datetime import UTC, date, datetime

    from storage import careteam

    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    async with db.session() as session:
        physio = Runner(telegram_user_id=2391, chat_id=2391, status="new")
        friend = Runner(telegram_user_id=2392, chat_id=2392, status="active")
        session.add_all([physio, friend])
        await session.flush()
        me = await session.get(Runner, runner_id)
        await careteam.add_link(session, runner_id, physio, "Ann", "Dr P", now)
        await careteam.add_link(session, friend.id, me, "Friend", "Ann", now)
        await careteam.create_invite(session, runner_id, "Ann", now)
        await careteam.add_event(session, runner_id, "red_flag", date(2026, 3, 1), {})
        await careteam.claim(session, physio.id, runner_id, "alert:1", now)


async def seed_intervals(db, runner_id: int) -> None:
    """A linked intervals.icu account (issue 29): its link, an open state, a synced run and a
    workout on the calendar."""
    from datetime import UTC, date, datetime

    from cryptography.fernet import Fernet

    from storage import sync

    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    vault = sync.Vault(Fernet.generate_key())
    async with db.session() as session:
        tokens = sync.Tokens("i1", "oauth", "access-secret", "refresh-secret", None)
        await sync.save_link(session, vault, runner_id, tokens, "Ann", now)
        await sync.new_state(session, runner_id, now)
        await sync.claim_activity(session, runner_id, "i99", "taken", now)
        await sync.event_written(session, runner_id, date(2026, 3, 4), "e1", "f" * 64)


async def runner_of(db, user_id: int) -> Runner | None:
    async with db.session() as session:
        return await session.scalar(select(Runner).where(Runner.telegram_user_id == user_id))


async def total_rows(db) -> dict[str, int]:
    async with db.session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def test_every_table_about_a_runner_is_reached_by_delete_runner():
    """delete_runner walks the tables with a runner_id (or a care team's member_id) column:
    every reference to a runner must be called that, or a new table would survive a
    deletion."""
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "runners":
                assert fk.parent.name in RUNNER_COLUMNS, f"{table.name}.{fk.parent.name}"


async def test_confirmed_delete_removes_every_row_and_the_runner_starts_over(
    double, db, clock: Clock
):
    seeded = await seed_runner(db, 2301)
    await seed_care_team(db, seeded.runner_id)
    await seed_intervals(db, seeded.runner_id)
    before = await counts(db, seeded.runner_id)
    assert all(before[name] > 0 for name in before), before  # a row in every table
    others = await total_rows(db)

    chat = Chat(double, 2301)
    fresh = Chat(double, 2399)  # someone the bot has never seen, to compare with
    async with running_bot(double, db, clock=clock):
        [question] = await chat.say("/delete")
        assert "cannot be undone" in (question.text or "")
        assert [label for row in question.buttons() for label, _ in row] == [YES, NO]
        [done] = await chat.press(YES)
        assert "all your data is deleted" in (done.text or "")
        await drained(db)  # the goodbye and the care team's notices sent and recorded

        assert await counts(db, seeded.runner_id) == {name: 0 for name in before}
        assert await runner_of(db, 2301) is None
        after = await total_rows(db)
        # the one row left: the intervals.icu token, encrypted and with no runner, until the
        # poller has revoked it (tests/test_intervals.py: then nothing at all)
        assert after.pop("sync_revocations") == others.pop("sync_revocations") + 1
        assert after == {name: others[name] - before.get(name, 0) for name in others}

        # Treated as new: /start gives exactly what a first-time user gets.
        [again] = await chat.say("/start")
        [first_time] = await fresh.say("/start")
        assert again.text == first_time.text
    runner = await runner_of(db, 2301)
    assert runner is not None
    assert runner.status == "new" and runner.injury is None and runner.level == 0
    async with db.session() as session:
        assert (await count_rows_for(session, runner.id))["checkins"] == 0


async def test_no_keeps_everything(double, db, clock: Clock):
    seeded = await seed_runner(db, 2302)
    before = await counts(db, seeded.runner_id)
    chat = Chat(double, 2302)
    async with running_bot(double, db, clock=clock):
        await chat.say("/delete")
        [reply] = await chat.press(NO)
    assert "Nothing was deleted" in (reply.text or "")
    after = await counts(db, seeded.runner_id)
    # only the inbox grew (the two updates just handled)
    assert {k: v for k, v in after.items() if k != "inbox"} == {
        k: v for k, v in before.items() if k != "inbox"
    }
    assert after["inbox"] == before["inbox"] + 2
    runner = await runner_of(db, 2302)
    assert runner is not None and runner.status == "active"


async def test_an_old_yes_button_deletes_nothing(double, db, clock: Clock):
    seeded = await seed_runner(db, 2303)
    chat = Chat(double, 2303)
    async with running_bot(double, db, clock=clock):
        await chat.say("/delete")
        clock.advance(hours=1)
        [reply] = await chat.press(YES)
    assert "closed" in (reply.text or "")
    assert (await counts(db, seeded.runner_id))["checkins"] == seeded.checkins


async def test_delete_for_a_runner_with_nothing_yet(double, db, clock: Clock):
    chat = Chat(double, 2304)
    async with running_bot(double, db, clock=clock):
        await chat.say("/delete")
        runner = await runner_of(db, 2304)
        assert runner is not None
        await chat.press(YES)
        await settle(0.2)
    assert await runner_of(db, 2304) is None
    assert set((await counts(db, runner.id)).values()) == {0}


async def test_after_delete_any_message_points_to_start(double, db, clock: Clock):
    await seed_runner(db, 2305)
    chat = Chat(double, 2305)
    async with running_bot(double, db, clock=clock):
        [menu] = await chat.say("/settings")  # a live keyboard from before the deletion
        await chat.say("/delete")
        [done] = await chat.press(YES)
        assert "all your data is deleted" in (done.text or "") and "/start" in (done.text or "")
        for text in ["hello", "/today", "/checkin", "/settings", "/progress", "/export", "/nope"]:
            [reply] = await chat.say(text)
            assert "/start" in (reply.text or ""), (text, reply.text)
        label, data = menu.buttons()[0][0]
        assert data is not None
        [reply] = await chat.press_data(menu.message_id, data)
        assert "/start" in (reply.text or ""), (label, reply.text)
        mark = double.mark(2305)
        double.send_sticker(chat.token, 2305)
        [reply] = await double.wait_for(2305, 1, since=mark)
        assert "/start" in (reply.text or "")
        [help_reply] = await chat.say("/help")  # commands that need no plan still work
        assert "Here is what I can do" in (help_reply.text or "")
        [start] = await chat.say("/start")
        assert "quick safety check" in (start.text or "")


async def test_a_deletion_leaves_nothing_in_the_sqlite_files_even_after_a_crash(
    double, tmp_path, clock: Clock
):
    """Issue 24, item 5: after /delete on SQLite the runner's words are in neither the
    database file nor its -wal. The process checkpoints (TRUNCATE) once the deletion
    commits; one that died before that leaves them in the files, and the next start-up
    checkpoints before anything else."""
    from pathlib import Path

    from storage import Database

    marker = "zebra-marker-2407"

    def on_disk(path: Path) -> bool:
        files = [path, Path(f"{path}-wal")]
        return any(marker.encode() in f.read_bytes() for f in files if f.exists())

    path = tmp_path / "delete.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    try:
        for uid, crashed in ((2311, False), (2312, True)):
            seeded = await seed_runner(db, uid)
            async with db.session() as session:
                runner = await session.get(Runner, seeded.runner_id)
                assert runner is not None
                runner.goal = f"{marker} {uid}"
            assert on_disk(path)
            real = db.checkpoint
            if crashed:  # the process dies between the deletion's commit and its checkpoint

                async def died() -> None:
                    return None

                db.checkpoint = died  # type: ignore[method-assign]
            chat = Chat(double, uid)
            async with running_bot(double, db, clock=clock):
                await chat.say("/delete")
                [done] = await chat.press(YES)
                assert "all your data is deleted" in (done.text or "")
                while await runner_of(db, uid) is not None:
                    await settle(0.05)
            db.checkpoint = real  # type: ignore[method-assign]
            if not crashed:
                assert not on_disk(path)
                continue
            assert on_disk(path)  # still there: the checkpoint never ran
            after = Database(f"sqlite+aiosqlite:///{path}")  # the next start-up
            try:
                await after.migrate()
                assert not on_disk(path)
            finally:
                await after.dispose()
    finally:
        await db.dispose()
