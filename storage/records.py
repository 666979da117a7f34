"""What runners record (check-ins, morning checks, reassessments, red flags) and the decisions
made from it, converted to and from progression's types."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, event, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from progression import (
    Action,
    CheckIn,
    Compare,
    Decision,
    Gate,
    History,
    Injury,
    LevelChange,
    MorningCheck,
    Outcome,
    Profile,
    Reason,
    ReasonCode,
    Reassessment,
    RedFlag,
    RedFlagReport,
    Side,
    Swelling,
    first_level_of_stage,
)
from progression.models import PastDecision  # not re-exported by the package
from storage import history_read
from storage.db import dialect_of
from storage.models import (
    ActivityFileRow,
    CheckInRow,
    DecisionRow,
    MorningCheckRow,
    ReassessmentRow,
    RedFlagRow,
    Runner,
)

# How far back the progression module reads; its longest rule looks back four weeks.
HISTORY_DAYS = 84


def profile_of(runner: Runner) -> Profile:
    return Profile(
        injury=Injury(runner.injury or Injury.OTHER),
        side=Side(runner.side or Side.BOTH),
        injury_date=runner.injury_date,
        rest_pain=runner.rest_pain or 0,
        walk_pain=runner.walk_pain or 0,
        runs_per_week_before=runner.runs_per_week_before or 0,
        minutes_per_week_before=runner.minutes_per_week_before or 0,
        run_days_per_week=runner.run_days_per_week or 3,
        preferred_days=frozenset(int(d) for d in runner.preferred_days.split(",") if d),
        cadence_spm=runner.cadence_spm,
    )


def _checkin(row: CheckInRow) -> CheckIn:
    return CheckIn(
        day=row.day,
        outcome=Outcome(row.outcome),
        minutes=row.minutes,
        pain_during=row.pain_during,
        pain_after=row.pain_after,
        sharp_or_limp=row.sharp_or_limp,
        # not asked (NULL) is what progression reads as nothing reported: no stiffness, no
        # swelling, a neutral mood (the mood rule acts only on a poor one)
        stiffness=row.stiffness or 0,
        swelling=Swelling(row.swelling or Swelling.NONE.value),
        rpe=row.rpe,
        mood=NEUTRAL_MOOD if row.mood is None else row.mood,
        sleep_hours=row.sleep_hours,
        level=row.level,
        running_minutes=row.running_minutes,
    )


def _morning(row: MorningCheckRow) -> MorningCheck:
    return MorningCheck(
        day=row.day,
        run_day=row.run_day,
        pain=Compare(row.pain),
        stiffness=Compare(row.stiffness),
        swelling=Swelling(row.swelling),
        night_pain=row.night_pain,
    )


def _reassessment(row: ReassessmentRow) -> Reassessment:
    return Reassessment(
        day=row.day,
        heel_raises_left=row.heel_raises_left,
        heel_raises_right=row.heel_raises_right,
        hops_left=row.hops_left,
        hops_right=row.hops_right,
        hop_pain=row.hop_pain,
        knee_to_wall_left_cm=row.knee_to_wall_left_cm,
        knee_to_wall_right_cm=row.knee_to_wall_right_cm,
        morning_stiffness_min=row.morning_stiffness_min,
        walk_pain=row.walk_pain,
        readiness=row.readiness,
        daily_pain=row.daily_pain,
        rest_pain=row.rest_pain,
        swelling=Swelling(row.swelling) if row.swelling else None,
    )


def _flags(text: str) -> frozenset[RedFlag]:
    return frozenset(RedFlag(f) for f in text.split(",") if f)


NEUTRAL_MOOD = 3
NOT_ASKABLE = frozenset({"stiffness", "swelling", "mood"})


async def add_checkin(
    session: AsyncSession,
    runner_id: int,
    c: CheckIn,
    note: str | None,
    not_asked: Collection[str] = (),
) -> CheckInRow:
    """Store a check-in. ``not_asked`` names the symptoms the runner was not asked
    (stiffness, swelling, mood): they are stored as NULL, never as a measured 0 or "none"."""
    unknown = set(not_asked) - NOT_ASKABLE
    if unknown:
        raise ValueError(f"cannot leave {sorted(unknown)} unasked")
    row = CheckInRow(
        runner_id=runner_id,
        day=c.day,
        outcome=c.outcome.value,
        minutes=c.minutes,
        pain_during=c.pain_during,
        pain_after=c.pain_after,
        sharp_or_limp=c.sharp_or_limp,
        stiffness=None if "stiffness" in not_asked else c.stiffness,
        swelling=None if "swelling" in not_asked else c.swelling.value,
        rpe=c.rpe,
        mood=None if "mood" in not_asked else c.mood,
        sleep_hours=c.sleep_hours,
        note=note,
        level=c.level,
        running_minutes=c.running_minutes,
    )
    session.add(row)
    return row


async def add_morning(session: AsyncSession, runner_id: int, m: MorningCheck) -> None:
    session.add(
        MorningCheckRow(
            runner_id=runner_id,
            day=m.day,
            run_day=m.run_day,
            pain=m.pain.value,
            stiffness=m.stiffness.value,
            swelling=m.swelling.value,
            night_pain=m.night_pain,
        )
    )


async def add_reassessment(
    session: AsyncSession, runner_id: int, r: Reassessment, gates: Sequence[Gate]
) -> None:
    session.add(
        ReassessmentRow(
            runner_id=runner_id,
            day=r.day,
            heel_raises_left=r.heel_raises_left,
            heel_raises_right=r.heel_raises_right,
            hops_left=r.hops_left,
            hops_right=r.hops_right,
            hop_pain=r.hop_pain,
            knee_to_wall_left_cm=r.knee_to_wall_left_cm,
            knee_to_wall_right_cm=r.knee_to_wall_right_cm,
            morning_stiffness_min=r.morning_stiffness_min,
            walk_pain=r.walk_pain,
            readiness=r.readiness,
            daily_pain=r.daily_pain,
            rest_pain=r.rest_pain,
            swelling=r.swelling.value if r.swelling is not None else None,
            gates=[{"code": g.code.value, "passed": g.passed, **dict(g.values)} for g in gates],
        )
    )


async def add_red_flags(
    session: AsyncSession, runner_id: int, day: date, flags: frozenset[RedFlag]
) -> None:
    session.add(
        RedFlagRow(runner_id=runner_id, day=day, flags=",".join(sorted(f.value for f in flags)))
    )


async def add_clearance(session: AsyncSession, runner_id: int, day: date, stage: int) -> None:
    """The runner confirmed that a clinician examined and cleared them: this closes an open
    referral, restarting at ``stage`` (1 = walking, 0 when the clinician asked for less)."""
    session.add(RedFlagRow(runner_id=runner_id, day=day, flags="", cleared_to_stage=stage))


def red_flag_report(row: RedFlagRow) -> RedFlagReport:
    return RedFlagReport(
        day=row.day, flags=_flags(row.flags), cleared_to_stage=row.cleared_to_stage
    )


def reasons_of(items: Sequence[dict[str, Any]]) -> tuple[Reason, ...]:
    """Stored reasons JSON back to progression's reasons (codes no longer known are skipped)."""
    reasons: list[Reason] = []
    for item in items or ():
        try:
            code = ReasonCode(str(item.get("code")))
        except ValueError:
            continue
        reasons.append(Reason(code, tuple((item.get("values") or {}).items())))
    return tuple(reasons)


def past_decision(row: DecisionRow) -> PastDecision:
    return PastDecision.of(row.day, Action(row.action), row.level, reasons_of(row.reasons))


def reasons_json(decision: Decision) -> list[dict[str, Any]]:
    return [{"code": r.code.value, "values": dict(r.values)} for r in decision.reasons]


async def save_decision(
    session: AsyncSession, runner: Runner, decision: Decision, day: date
) -> None:
    """Store the decision and move the runner to its level (restarting the level clock)."""
    session.add(
        DecisionRow(
            runner_id=runner.id,
            day=day,
            action=decision.action.value,
            level=decision.level,
            stage=decision.stage,
            reduced=decision.prescription.reduced,
            session_date=decision.session_date,
            check_again=decision.check_again.value,
            check_again_date=decision.check_again_date,
            reasons=reasons_json(decision),
        )
    )
    if runner.level != decision.level or runner.level_since is None:
        runner.level = decision.level
        runner.level_since = day


# A runner's rows table by table (reports, the morning check, the clearance), built once with
# bind parameters: building one costs SQLAlchemy as much as running it. The history that
# every decision reads comes in one statement instead (storage/history_read.py).
_RUNNER: Any = bindparam("runner")


def _rows_of(
    model: Any, *, since: str | None = None, until: bool = False, by_day: bool = True
) -> Any:
    """A runner's rows of ``model``: from the day bound as ``since``, up to the day bound as
    ``last``, in order of day and id (or of id)."""
    conditions = [model.runner_id == _RUNNER]
    if since:
        conditions.append(model.day >= bindparam(since))
    if until:
        conditions.append(model.day <= bindparam("last"))
    order = (model.day, model.id) if by_day else (model.id,)
    return select(model).where(*conditions).order_by(*order)


_CHECKINS_BETWEEN = _rows_of(CheckInRow, since="first", until=True)
_MORNINGS_BETWEEN = _rows_of(MorningCheckRow, since="first", until=True)
_DECISIONS = _rows_of(DecisionRow, by_day=False)
_DECISIONS_SINCE = _rows_of(DecisionRow, since="since", by_day=False)
_RED_FLAGS = _rows_of(RedFlagRow, by_day=False)


async def checkins_between(
    session: AsyncSession, runner_id: int, first: date, last: date
) -> list[CheckInRow]:
    params = {"runner": runner_id, "first": first, "last": last}
    return list((await session.execute(_CHECKINS_BETWEEN, params)).scalars())


async def mornings_between(
    session: AsyncSession, runner_id: int, first: date, last: date
) -> list[MorningCheckRow]:
    params = {"runner": runner_id, "first": first, "last": last}
    return list((await session.execute(_MORNINGS_BETWEEN, params)).scalars())


async def all_decisions(
    session: AsyncSession, runner_id: int, since: date | None = None
) -> list[DecisionRow]:
    if since is None:
        result = await session.execute(_DECISIONS, {"runner": runner_id})
    else:
        result = await session.execute(_DECISIONS_SINCE, {"runner": runner_id, "since": since})
    return list(result.scalars())


async def latest_decision_id(session: AsyncSession, runner_id: int) -> int:
    """The id of the runner's newest stored decision (0: none): a keyboard that acts on the
    runner's current state (a clinician's clearance) carries it and is stale once it moved."""
    value = await session.scalar(
        select(func.max(DecisionRow.id)).where(DecisionRow.runner_id == runner_id)
    )
    return int(value or 0)


async def all_red_flags(session: AsyncSession, runner_id: int) -> list[RedFlagRow]:
    return list((await session.execute(_RED_FLAGS, {"runner": runner_id})).scalars())


def level_changes(decisions: Sequence[DecisionRow]) -> tuple[LevelChange, ...]:
    """The days the runner's level changed, read from the decisions made."""
    changes: list[LevelChange] = []
    previous: int | None = None
    for row in decisions:
        if row.level != previous:
            changes.append(LevelChange(day=row.day, level=row.level, action=Action(row.action)))
            previous = row.level
    return tuple(changes)


_HISTORY_ROWS = "runcoach_history_rows"


# Tables a history is never read from: writing them leaves a history read before as it was
# (the runner's own fields are taken from the runner object, never from the memo).
_NOT_HISTORY = frozenset(
    {
        "runners",
        "deliveries",
        "plan_days",
        "conversations",
        "inbox",
        "received_updates",
        "outbox",
        "care_invites",
        "care_events",
        "care_deliveries",
        "activity_files",
    }
)


def _touches_history(objects: Iterable[Any]) -> bool:
    return any(getattr(o, "__tablename__", None) not in _NOT_HISTORY for o in objects)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_HISTORY_ROWS, None)


def _forget_on_flush(session: Session, *_: Any) -> None:
    if _touches_history([*session.new, *session.dirty, *session.deleted]):
        _forget(session)


def _forget_on_write(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in _NOT_HISTORY:  # a history table, or a statement we cannot tell
        _forget(state.session)


# The rows a history is read from, kept for the rest of the transaction: one update or tick
# reads the history several times (the decision, the plan, the prompt's questions) and it
# cannot change unless the transaction writes to a history table, which forgets them (a
# flush, an INSERT, UPDATE or DELETE statement), as does the transaction's end.
for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget)
event.listen(Session, "after_flush", _forget_on_flush)
event.listen(Session, "do_orm_execute", _forget_on_write)


def _history_memo(session: AsyncSession) -> dict[tuple[int, date], Any] | None:
    """The transaction's memo of history rows; None while it holds unflushed changes to a
    history table (a read would flush them first)."""
    sync = session.sync_session
    if _touches_history([*sync.new, *sync.dirty, *sync.deleted]):
        return None
    memo: dict[tuple[int, date], Any] = session.info.setdefault(_HISTORY_ROWS, {})
    return memo


async def load_history(session: AsyncSession, runner: Runner, today: date) -> History:
    """Everything progression.decide needs, read in a handful of queries (once per
    transaction while it writes nothing)."""
    memo = _history_memo(session)
    rows = memo.get((runner.id, today)) if memo is not None else None
    if rows is None:
        rows = await _history_rows(session, runner.id, today)
        if memo is not None:
            memo[(runner.id, today)] = rows
    checkins, mornings, reassessments, decisions, flags, (held, cap), last_run = rows
    return History(
        profile=profile_of(runner),
        level=runner.level,
        level_since=runner.level_since or today,
        checkins=tuple(_checkin(c) for c in checkins),
        mornings=tuple(_morning(m) for m in mornings),
        reassessments=tuple(_reassessment(r) for r in reassessments),
        level_changes=level_changes(decisions),
        red_flags=tuple(red_flag_report(f) for f in flags),  # in the order recorded
        past=tuple(past_decision(d) for d in decisions),  # oldest first
        last_run_day=last_run,
        care_hold=held,
        stage_cap=cap,
    )


async def _history_rows(session: AsyncSession, runner_id: int, today: date) -> tuple[Any, ...]:
    """The history's rows, from HISTORY_DAYS back to today, in one statement
    (storage/history_read.py)."""
    read = history_read.statement(dialect_of(session) == "sqlite", _LAST_RUN_DAY)
    span = {"runner": runner_id, "first": today - timedelta(days=HISTORY_DAYS), "last": today}
    return history_read.unpack((await session.execute(read, span)).one())


def checkin_of(row: CheckInRow) -> CheckIn:
    return _checkin(row)


# ---------------------------------------------------------------- run recordings (issue 17)
async def activity_by_hash(
    session: AsyncSession, runner_id: int, sha256: str
) -> ActivityFileRow | None:
    result = await session.execute(
        select(ActivityFileRow).where(
            ActivityFileRow.runner_id == runner_id, ActivityFileRow.sha256 == sha256
        )
    )
    return result.scalar_one_or_none()


def add_activity(session: AsyncSession, runner_id: int, **values: Any) -> ActivityFileRow:
    """A recording's measurements (the columns of ``ActivityFileRow``), not yet added to a
    check-in."""
    row = ActivityFileRow(runner_id=runner_id, **values)
    session.add(row)
    return row


# read with every check-in saved (built once)
_UNATTACHED = (
    select(ActivityFileRow)
    .where(
        ActivityFileRow.runner_id == _RUNNER,
        ActivityFileRow.day == bindparam("day"),
        ActivityFileRow.checkin_id.is_(None),
    )
    .order_by(ActivityFileRow.started_at, ActivityFileRow.id)
)
_CHECKIN_OF_DAY = (
    select(CheckInRow)
    .where(CheckInRow.runner_id == _RUNNER, CheckInRow.day == bindparam("day"))
    .order_by(CheckInRow.id.desc())
    .limit(1)
)


async def unattached_activities(
    session: AsyncSession, runner_id: int, day: date
) -> list[ActivityFileRow]:
    """Recordings of ``day`` sent before its check-in was saved."""
    result = await session.execute(_UNATTACHED, {"runner": runner_id, "day": day})
    return list(result.scalars())


async def checkin_of_day(session: AsyncSession, runner_id: int, day: date) -> CheckInRow | None:
    """The day's latest check-in, if any."""
    result = await session.execute(_CHECKIN_OF_DAY, {"runner": runner_id, "day": day})
    return result.scalar_one_or_none()


def _weighted(pairs: Sequence[tuple[int | None, int]]) -> int | None:
    known = [(value, weight) for value, weight in pairs if value and weight > 0]
    total = sum(weight for _, weight in known)
    return round(sum(value * weight for value, weight in known) / total) if total else None


# a session on foot: measured recordings replace its minutes; it earns a morning check
MEASURED_OUTCOMES = (Outcome.DONE.value, Outcome.SHORTER.value, Outcome.OVER.value)
# The latest day the runner ran at all (however long ago): a check-in done or cut short with
# running minutes > 0, or, where those were not stored, at a level that has running. Read as
# part of the history's one statement.
_LAST_RUN_DAY = select(func.max(CheckInRow.day)).where(
    CheckInRow.runner_id == _RUNNER,
    CheckInRow.outcome.in_(MEASURED_OUTCOMES),
    or_(  # ran: running minutes, or (not stored) a level with running
        CheckInRow.running_minutes > 0,
        and_(
            CheckInRow.running_minutes.is_(None),
            CheckInRow.level >= first_level_of_stage(2),
        ),
    ),
)


async def attach_activities(
    session: AsyncSession, checkin: CheckInRow, files: Sequence[ActivityFileRow]
) -> tuple[int, int] | None:
    """Add recordings to a check-in: its measured minutes, distance, cadence and heart rate
    become those of all its recordings together. A session done or cut short then counts
    for the minutes measured (the whole session and the running in it). Returns the minutes
    and running minutes all its recordings measured."""
    await session.flush()  # the check-in's id
    for f in files:
        f.checkin_id = checkin.id
    await session.flush()
    result = await session.execute(
        select(ActivityFileRow).where(ActivityFileRow.checkin_id == checkin.id)
    )
    linked = list(result.scalars())
    if not linked:
        return None
    elapsed = sum(f.elapsed_s for f in linked)
    running = sum(f.running_s for f in linked)
    minutes = max(1, round(elapsed / 60))
    checkin.measured_minutes = minutes
    checkin.distance_m = sum(f.distance_m for f in linked)
    checkin.cadence_spm = _weighted([(f.cadence_spm, f.running_s) for f in linked])
    checkin.avg_hr = _weighted([(f.avg_hr, f.moving_s) for f in linked])
    measured = (minutes, min(minutes, round(running / 60)))
    if checkin.outcome in MEASURED_OUTCOMES:
        checkin.minutes, checkin.running_minutes = measured
    return measured


def mark_over(checkin: CheckInRow, minutes: int, running: int) -> None:
    """The check-in's session was measured well over the plan: it counts as measured."""
    checkin.outcome = Outcome.OVER.value
    checkin.minutes, checkin.running_minutes = minutes, running
