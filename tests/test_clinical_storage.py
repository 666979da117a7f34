"""Storage for the clinical-safety work, on SQLite and PostgreSQL (the suite runs both): the
minutes actually run, reassessment results that were not asked, clinician clearances, the
decisions stored earlier with the events they acted on, and the last day with running."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from progression import (
    Action,
    CheckIn,
    Outcome,
    ReasonCode,
    Reassessment,
    RedFlag,
    RedFlagReport,
    Swelling,
    first_level_of_stage,
    running_minutes_of,
)
from storage import Database, records
from storage import runners as store
from storage.models import CheckInRow, DecisionRow

TODAY = date(2026, 6, 1)


async def _runner(db: Database, user_id: int) -> int:
    async with db.session() as session:
        runner = await store.get_or_create_runner(session, user_id, user_id, "en")
        runner.status = "active"
        runner.injury = "calf_strain"
        runner.level = first_level_of_stage(2)
        runner.level_since = TODAY - timedelta(days=3)
        runner.cadence_spm = 164
        return runner.id


def _checkin_row(runner_id: int, day: date, **fields: Any) -> CheckInRow:
    values: dict[str, Any] = {
        "runner_id": runner_id,
        "day": day,
        "outcome": "done",
        "minutes": 30,
        "pain_during": 0,
        "pain_after": 0,
        "sharp_or_limp": False,
        "stiffness": 0,
        "swelling": "none",
        "rpe": 3,
        "mood": 4,
        "level": first_level_of_stage(2),
    }
    values.update(fields)
    return CheckInRow(**values)


async def _history(db: Database, runner_id: int) -> Any:
    from storage.models import Runner

    async with db.session() as session:
        runner = await session.get(Runner, runner_id)
        assert runner is not None
        return await records.load_history(session, runner, TODAY)


async def test_new_columns_round_trip(db: Database) -> None:
    rid = await _runner(db, 7101)
    cut_short = CheckIn(
        day=TODAY - timedelta(days=1), outcome=Outcome.SHORTER, minutes=12, pain_during=1,
        pain_after=0, sharp_or_limp=False, stiffness=1, swelling=Swelling.MILD, rpe=3, mood=4,
        sleep_hours=None, level=first_level_of_stage(2) + 2, running_minutes=5,
    )
    partial = Reassessment(
        day=TODAY - timedelta(days=2), heel_raises_left=None, heel_raises_right=None,
        hops_left=None, hops_right=None, hop_pain=None, knee_to_wall_left_cm=None,
        knee_to_wall_right_cm=None, morning_stiffness_min=None, walk_pain=None, readiness=None,
        daily_pain=1, rest_pain=0, swelling=Swelling.VISIBLE,
    )
    async with db.session() as session:
        await records.add_checkin(session, rid, cut_short, None)
        await records.add_reassessment(session, rid, partial, ())
    history = await _history(db, rid)
    assert history.checkins == (cut_short,)
    assert history.reassessments == (partial,)
    assert history.profile.cadence_spm == 164


async def test_red_flags_come_back_in_the_order_recorded_with_clearances(db: Database) -> None:
    rid = await _runner(db, 7102)
    day = TODAY - timedelta(days=5)
    async with db.session() as session:
        # recorded out of day order on purpose: the order of recording is what counts
        await records.add_red_flags(session, rid, day, frozenset({RedFlag.NIGHT_PAIN}))
        await records.add_red_flags(session, rid, day - timedelta(days=1), frozenset())
        await records.add_clearance(session, rid, day, 1)
        await records.add_clearance(session, rid, day + timedelta(days=1), 0)
    history = await _history(db, rid)
    assert history.red_flags == (
        RedFlagReport(day, frozenset({RedFlag.NIGHT_PAIN})),
        RedFlagReport(day - timedelta(days=1), frozenset()),
        RedFlagReport(day, frozenset(), cleared_to_stage=1),
        RedFlagReport(day + timedelta(days=1), frozenset(), cleared_to_stage=0),
    )


async def test_past_decisions_carry_the_events_they_acted_on(db: Database) -> None:
    rid = await _runner(db, 7103)
    event_day = TODAY - timedelta(days=3)
    async with db.session() as session:
        for offset, action, reasons in (
            (100, "repeat", [{"code": "green_sessions", "values": {"count": 1}}]),  # too old
            (
                4,
                "step_back",
                [{"code": "night_pain_resolved", "values": {"event_day": event_day.isoformat()}}],
            ),
            (2, "repeat", [{"code": "no_such_code_any_more", "values": {}},
                           {"code": "weekly_minutes_cap", "values": {"limit": 60, "used": 40}}]),
        ):
            session.add(
                DecisionRow(
                    runner_id=rid, day=TODAY - timedelta(days=offset), action=action, level=3,
                    stage=1, session_date=TODAY, check_again="24h", check_again_date=TODAY,
                    reasons=reasons,
                )
            )
    history = await _history(db, rid)
    assert [p.day for p in history.past] == [TODAY - timedelta(days=4), TODAY - timedelta(days=2)]
    first, second = history.past
    assert first.action is Action.STEP_BACK and first.level == 3
    assert first.events == frozenset({(ReasonCode.NIGHT_PAIN_RESOLVED, event_day)})
    assert second.codes == frozenset({ReasonCode.WEEKLY_MINUTES_CAP}) and not second.events


async def test_last_run_day_looks_beyond_the_window(db: Database) -> None:
    rid = await _runner(db, 7104)
    running = first_level_of_stage(2)
    assert running_minutes_of(running) > 0 and running_minutes_of(running - 1) == 0
    long_ago = TODAY - timedelta(days=120)  # outside the 84 days loaded
    async with db.session() as session:
        session.add_all(
            [
                _checkin_row(rid, long_ago - timedelta(days=9), running_minutes=8),
                _checkin_row(rid, long_ago, running_minutes=None),  # derived from its level
                # none of these ran:
                _checkin_row(rid, TODAY - timedelta(days=60), running_minutes=0, level=running + 5),
                _checkin_row(rid, TODAY - timedelta(days=50), level=running - 1),  # a walk
                _checkin_row(rid, TODAY - timedelta(days=40), outcome="skipped", minutes=0),
                _checkin_row(rid, TODAY - timedelta(days=30), outcome="cross"),
            ]
        )
    history = await _history(db, rid)
    assert history.last_run_day == long_ago
    async with db.session() as session:
        session.add(_checkin_row(rid, TODAY - timedelta(days=2), outcome="shorter",
                                 running_minutes=3, level=running - 1))
    assert (await _history(db, rid)).last_run_day == TODAY - timedelta(days=2)


async def test_no_running_ever_means_no_last_run_day(db: Database) -> None:
    rid = await _runner(db, 7105)
    assert (await _history(db, rid)).last_run_day is None


async def test_migration_0003_down_and_up_keeps_every_record(db: Database) -> None:
    """Downgrading 0003 and upgrading again keeps runners and their records (on SQLite a
    copy of `runners` would cascade-delete them); results not asked come back down as 0."""
    from alembic import command
    from sqlalchemy import func, select, text

    from storage.db import alembic_config
    from storage.models import ReassessmentRow

    rid = await _runner(db, 7106)
    async with db.session() as session:
        session.add(_checkin_row(rid, TODAY, running_minutes=12))
        session.add(ReassessmentRow(runner_id=rid, day=TODAY, walk_pain=0, gates=[]))

    def run(conn: Any, step: Any, revision: str) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        step(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.downgrade, "0002")
    async with db.engine.begin() as conn:
        assert (await conn.execute(text("select heel_raises_left from reassessments"))).all() == [
            (0,)
        ]
    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.upgrade, "head")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(CheckInRow)) == 1
        assert await session.scalar(select(func.count()).select_from(ReassessmentRow)) == 1
    assert (await _history(db, rid)).profile.cadence_spm is None


async def test_migration_0005_maps_stored_levels_to_the_faster_ladder(db: Database) -> None:
    """Stage 3 went from six levels (continuous 5 ... 30 min) to three (10, 20, 30): a runner
    and their records keep the session they were on, rounded down to the safer level."""
    from alembic import command
    from sqlalchemy import text

    from progression import LADDER
    from storage.db import alembic_config

    rid = await _runner(db, 7107)
    async with db.session() as session:
        session.add(_checkin_row(rid, TODAY))
        session.add(_checkin_row(rid, TODAY))

    def run(conn: Any, step: Any, revision: str) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        step(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.downgrade, "0004")
        # levels as the old ladder stored them: continuous 30, continuous 10, easy 60 min
        await conn.execute(text("update runners set level = 17 where id = :id"), {"id": rid})
        ids = [i for (i,) in await conn.execute(
            text("select id from checkins where runner_id = :id order by id"), {"id": rid})]
        await conn.execute(text("update checkins set level = 13 where id = :id"), {"id": ids[0]})
        await conn.execute(text("update checkins set level = 25 where id = :id"), {"id": ids[1]})
    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.upgrade, "head")
        level = (await conn.execute(text("select level from runners where id = :id"),
                                    {"id": rid})).scalar_one()
        levels = [lv for (lv,) in await conn.execute(
            text("select level from checkins where runner_id = :id order by id"), {"id": rid})]
    assert LADDER[level].code == "s3_continuous30"
    assert [LADDER[lv].code for lv in levels] == ["s3_continuous10", "s4_easy60"]


async def test_migration_0006_down_and_up_keeps_records_and_not_asked_reads_as_nothing(
    db: Database,
) -> None:
    """Symptoms not asked are NULL since 0006; progression reads them as nothing reported.
    Downgrading to 0005 (where they were NOT NULL) and back keeps every runner and record."""
    from alembic import command
    from sqlalchemy import func, select

    from progression import Swelling
    from storage.db import alembic_config

    rid = await _runner(db, 7107)
    async with db.session() as session:
        session.add(_checkin_row(rid, TODAY, stiffness=None, swelling=None, mood=None))
    [c] = (await _history(db, rid)).checkins
    assert (c.stiffness, c.swelling, c.mood) == (0, Swelling.NONE, 3)

    def run(conn: Any, step: Any, revision: str) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        step(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.downgrade, "0005")
    async with db.engine.begin() as conn:
        await conn.run_sync(run, command.upgrade, "head")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(CheckInRow)) == 1
        row = (await session.execute(select(CheckInRow))).scalar_one()
    assert (row.stiffness, row.swelling, row.mood) == (0, "none", 3)


async def test_the_history_read_in_one_statement_is_the_tables_read_one_at_a_time(
    db: Database,
) -> None:
    """storage/history_read.py reads the history as JSON in one statement: every column of
    every row comes back as the table's own read gives it (dates, times in UTC, booleans,
    floats to the last digit, NULLs, JSON lists), in the same order, on both databases."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage import careteam
    from storage.models import (
        CareLinkRow,
        MorningCheckRow,
        ReassessmentRow,
        RedFlagRow,
        Runner,
    )

    rid = await _runner(db, 7106)
    other = await _runner(db, 7107)  # nothing of theirs may show up
    first = TODAY - timedelta(days=records.HISTORY_DAYS)
    stamp = datetime(2026, 5, 30, 6, 15, 42, 123456, tzinfo=UTC)
    async with db.session() as session:
        for who in (rid, other):
            session.add_all(
                [  # out of day order on purpose; one just outside the window, one on its edge
                    _checkin_row(who, TODAY - timedelta(days=2), sleep_hours=0.1 + 0.2,
                                 distance_m=5234.567891234567, note="ok, \"quoted\" ✓",
                                 running_minutes=12, measured_minutes=11, cadence_spm=171,
                                 avg_hr=150, created_at=stamp),
                    _checkin_row(who, TODAY - timedelta(days=9), sharp_or_limp=True,
                                 stiffness=None, swelling=None, mood=None, pain_during=4),
                    _checkin_row(who, first - timedelta(days=1), running_minutes=9),
                    _checkin_row(who, first),
                    _checkin_row(who, TODAY - timedelta(days=9), outcome="shorter"),
                ]
            )
            session.add_all(
                [
                    MorningCheckRow(runner_id=who, day=TODAY - timedelta(days=1),
                                    run_day=TODAY - timedelta(days=2), pain="none",
                                    stiffness="less", swelling="none", night_pain=True),
                    ReassessmentRow(runner_id=who, day=TODAY - timedelta(days=3),
                                    heel_raises_left=18, knee_to_wall_left_cm=9.7,
                                    swelling="mild", gates=[{"gate": "heel", "passed": True}]),
                    ReassessmentRow(runner_id=who, day=first - timedelta(days=3), gates=[]),
                    DecisionRow(runner_id=who, day=TODAY - timedelta(days=1), action="repeat",
                                level=5, stage=2, reduced=True, session_date=TODAY,
                                check_again="24h", check_again_date=TODAY,
                                reasons=[{"code": "green_sessions", "values": {"count": 2}}]),
                    RedFlagRow(runner_id=who, day=first - timedelta(days=30), flags="night_pain"),
                    RedFlagRow(runner_id=who, day=TODAY - timedelta(days=4), flags="",
                               cleared_to_stage=1),
                ]
            )
        member = await store.get_or_create_runner(session, 7108, 7108, "en")
        await session.flush()
        await careteam.add_link(session, rid, member, "R", "M", stamp)
    async with db.session() as session:
        link = (await session.execute(select(CareLinkRow))).scalar_one()
        link.hold_since, link.stage_cap = TODAY, 2

    def same(new: list[Any], old: list[Any]) -> None:
        assert len(new) == len(old)
        for n, o in zip(new, old, strict=True):
            columns = [c.key for c in o.__table__.columns]
            assert {c: getattr(n, c) for c in columns} == {c: getattr(o, c) for c in columns}

    async with db.session() as session:
        checkins, mornings, reassessments, decisions, flags, controls, last_run = (
            await records._history_rows(session, rid, TODAY)
        )
        same(checkins, await records.checkins_between(session, rid, first, TODAY))
        same(mornings, await records.mornings_between(session, rid, first, TODAY))
        reassessed = await session.execute(
            select(ReassessmentRow)
            .where(ReassessmentRow.runner_id == rid, ReassessmentRow.day >= first)
            .order_by(ReassessmentRow.day, ReassessmentRow.id)
        )
        same(reassessments, list(reassessed.scalars()))
        same(decisions, await records.all_decisions(session, rid, first))
        same(flags, await records.all_red_flags(session, rid))
        assert controls == (True, 2) == await careteam.controls(session, rid)
        ran = await session.scalar(records._LAST_RUN_DAY, {"runner": rid})
        assert last_run == TODAY - timedelta(days=2) == ran
        assert checkins[0].day == first and checkins[-1].sleep_hours == 0.1 + 0.2
        assert checkins[-1].distance_m == 5234.567891234567
        assert checkins[-1].created_at == stamp and checkins[-1].note == "ok, \"quoted\" ✓"
        assert [c.outcome for c in checkins[1:3]] == ["done", "shorter"]  # same day: by id
        # a runner with nothing recorded
        empty = await session.get(Runner, other)
        assert empty is not None
        assert (await records._history_rows(session, member.id, TODAY))[:5] == ([],) * 5
