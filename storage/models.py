"""The database schema. Every table that holds something about a runner cascades on delete."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def runner_fk() -> ForeignKey:
    return ForeignKey("runners.id", ondelete="CASCADE")


class Runner(Base):
    __tablename__ = "runners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    reminder_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    reassess_weekday: Mapped[int] = mapped_column(Integer, default=6)
    # new: onboarding not finished; active; paused; referred (a red flag stopped the plan)
    status: Mapped[str] = mapped_column(String(16), default="new")
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Injury profile (progression.Profile)
    injury: Mapped[str | None] = mapped_column(String(32))
    side: Mapped[str | None] = mapped_column(String(8))
    injury_date: Mapped[date | None] = mapped_column(Date)
    # what the runner answered for "When did it happen?": the button (week, 2weeks, 6weeks,
    # older) or "date" for a typed date, and the day they answered (the report prints it)
    injury_date_answer: Mapped[str | None] = mapped_column(String(8))
    injury_date_told_on: Mapped[date | None] = mapped_column(Date)
    rest_pain: Mapped[int | None] = mapped_column(Integer)
    walk_pain: Mapped[int | None] = mapped_column(Integer)
    runs_per_week_before: Mapped[int | None] = mapped_column(Integer)
    minutes_per_week_before: Mapped[int | None] = mapped_column(Integer)
    run_days_per_week: Mapped[int | None] = mapped_column(Integer)
    preferred_days: Mapped[str] = mapped_column(String(16), default="")
    goal: Mapped[str | None] = mapped_column(Text)
    cadence_spm: Mapped[int | None] = mapped_column(Integer)  # own running cadence, if known
    # Where the runner stands on the ladder
    level: Mapped[int] = mapped_column(Integer, default=0)
    level_since: Mapped[date | None] = mapped_column(Date)
    # When the scheduler should next look at this runner (UTC); indexed so a tick is cheap
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_runners_due", "next_due_at"),
        # active/paused runners never scheduled yet; tiny, so a tick finds them for free
        Index(
            "ix_runners_unscheduled",
            "status",
            "blocked",
            postgresql_where=text("next_due_at IS NULL"),
            sqlite_where=text("next_due_at IS NULL"),
        ),
    )


class CheckInRow(Base):
    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    day: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    pain_during: Mapped[int] = mapped_column(Integer)
    pain_after: Mapped[int] = mapped_column(Integer)
    sharp_or_limp: Mapped[bool] = mapped_column(Boolean)
    # NULL: not asked (no symptom today or lately; mood is optional)
    stiffness: Mapped[int | None] = mapped_column(Integer)
    swelling: Mapped[str | None] = mapped_column(String(8))
    rpe: Mapped[int] = mapped_column(Integer)
    mood: Mapped[int | None] = mapped_column(Integer)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    # minutes actually run (a session cut short counts for what was done); NULL = derive
    running_minutes: Mapped[int | None] = mapped_column(Integer)
    # measured by a watch file (issue 17; the sums of the files added to it); NULL = typed
    measured_minutes: Mapped[int | None] = mapped_column(Integer)
    distance_m: Mapped[float | None] = mapped_column(Float)
    cadence_spm: Mapped[int | None] = mapped_column(Integer)  # steps/min while running
    avg_hr: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActivityFileRow(Base):
    """A run recording the runner sent (FIT, GPX or TCX): what it measured, kept once per
    file (its SHA-256 is unique per runner, so the same file twice changes nothing)."""

    __tablename__ = "activity_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk())
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    sport: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)  # the start's date in the runner's time zone
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    elapsed_s: Mapped[int] = mapped_column(Integer)
    moving_s: Mapped[int] = mapped_column(Integer)
    running_s: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[float] = mapped_column(Float)
    cadence_spm: Mapped[int | None] = mapped_column(Integer)
    avg_hr: Mapped[int | None] = mapped_column(Integer)
    # the check-in it was added to (NULL until one is saved for its day). No foreign key:
    # SQLite rebuilds `checkins` for some column changes, which a reference would break.
    checkin_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("runner_id", "sha256", name="uq_activity_files_runner_sha256"),
        Index("ix_activity_files_runner_day", "runner_id", "day"),
    )


class MorningCheckRow(Base):
    __tablename__ = "morning_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    day: Mapped[date] = mapped_column(Date)
    run_day: Mapped[date] = mapped_column(Date)
    pain: Mapped[str] = mapped_column(String(8))
    stiffness: Mapped[str] = mapped_column(String(8))
    swelling: Mapped[str] = mapped_column(String(8))
    night_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReassessmentRow(Base):
    __tablename__ = "reassessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    day: Mapped[date] = mapped_column(Date)
    heel_raises_left: Mapped[int | None] = mapped_column(Integer)
    heel_raises_right: Mapped[int | None] = mapped_column(Integer)
    hops_left: Mapped[int | None] = mapped_column(Integer)
    hops_right: Mapped[int | None] = mapped_column(Integer)
    hop_pain: Mapped[int | None] = mapped_column(Integer)
    knee_to_wall_left_cm: Mapped[float | None] = mapped_column(Float)
    knee_to_wall_right_cm: Mapped[float | None] = mapped_column(Float)
    morning_stiffness_min: Mapped[int | None] = mapped_column(Integer)
    walk_pain: Mapped[int | None] = mapped_column(Integer)
    readiness: Mapped[int | None] = mapped_column(Integer)
    # NULL = not asked (nor reported in a recent check-in or morning check)
    daily_pain: Mapped[int | None] = mapped_column(Integer)
    rest_pain: Mapped[int | None] = mapped_column(Integer)
    swelling: Mapped[str | None] = mapped_column(String(8))
    gates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RedFlagRow(Base):
    __tablename__ = "red_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    day: Mapped[date] = mapped_column(Date)
    flags: Mapped[str] = mapped_column(String(200))  # comma separated progression.RedFlag values
    # set on the runner's confirmation that a clinician examined and cleared them: the stage
    # to restart at (1 = walking, 0 when the clinician asked for less); it closes a referral
    cleared_to_stage: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    day: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(Integer)
    reduced: Mapped[bool] = mapped_column(Boolean, default=False)
    session_date: Mapped[date] = mapped_column(Date)
    check_again: Mapped[str] = mapped_column(String(16))
    check_again_date: Mapped[date] = mapped_column(Date)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanDayRow(Base):
    """What the plan said for a day, as last shown to the runner (/history tells a missed
    session from a rest day with it, and the care team counts sessions planned this week).
    Days from today on are rewritten whenever the plan changes; past days stay as they were."""

    __tablename__ = "plan_days"

    runner_id: Mapped[int] = mapped_column(runner_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # progression's SessionKind
    session: Mapped[bool] = mapped_column(Boolean)  # a session of the plan, not an easy day
    total_minutes: Mapped[int] = mapped_column(Integer)
    running_minutes: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)


class ConversationRow(Base):
    """The one conversation a chat is in: its step and partial answers, saved with each answer."""

    __tablename__ = "conversations"

    runner_id: Mapped[int] = mapped_column(runner_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(48))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the bot message that carries the current question (older buttons are stale)
    question_message_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboxRow(Base):
    """Updates already handled, so a re-delivered update records nothing twice."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk())
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("runner_id", "key", name="uq_inbox_runner_key"),)


class DeliveryRow(Base):
    """One scheduled message per (runner, kind, local date): exactly once, by a unique key."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk())
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending/sent/dropped/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the process holding the claim (its heartbeat: ProcessBeatRow); NULL before 0010
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    # SQLite: AUTOINCREMENT, so an id is never given twice (the scheduler records a send's
    # outcome by the ids it claimed), as PostgreSQL's sequence never does
    __table_args__ = (
        UniqueConstraint("runner_id", "kind", "local_date", name="uq_deliveries_once"),
        Index("ix_deliveries_status", "status", "claimed_at"),
        {"sqlite_autoincrement": True},
    )


class ReceivedUpdateRow(Base):
    """An update fetched from Telegram and not handled yet. It is written before the update
    is confirmed (getUpdates offset) and deleted once handled, so a crash or a database
    outage never loses it; the inbox keeps a re-handled update from recording twice."""

    __tablename__ = "received_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRow(Base):
    """A reply written in the same transaction as the answer it follows; a sender delivers
    the rows of a chat in order (``id``), retries with backoff and records the message id."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for the goodbye after /delete: the runner is gone, the message still goes out
    runner_id: Mapped[int | None] = mapped_column(runner_fk())
    bot_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # send / photo / document / edit_text / edit_markup
    method: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the conversation version whose question this message asks (None: not a question)
    question_version: Mapped[int | None] = mapped_column(Integer)
    # pending until sent; a sent row is deleted (its message id goes to the conversation),
    # a row Telegram refuses for good is deleted too (logged)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # the sending process and until when it holds the row; another process (or the next
    # start after a crash) takes over a pending row only once the claim has run out
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # SQLite: AUTOINCREMENT, so an id is never given twice (a sender holds the ids of the
    # replies it sent until it records them), as PostgreSQL's sequence never does
    __table_args__ = (
        Index("ix_outbox_pending", "status", "bot_id", "chat_id", "id"),
        {"sqlite_autoincrement": True},
    )


# --------------------------------------------------------------------------- care team


class CareInviteRow(Base):
    """A single-use invitation to follow a runner: only the SHA-256 of its random token is
    kept; it is spent by the first accept or decline, and lapses after ``expires_at``."""

    __tablename__ = "care_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    inviter_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CareLinkRow(Base):
    """A care-team member (``member_id``, a physio or coach, themselves a runners row) who
    follows a runner (``runner_id``). Deleting the row is the revocation; the member's hold
    and stage cap go with it."""

    __tablename__ = "care_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    member_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    runner_name: Mapped[str] = mapped_column(String(128), default="")
    member_name: Mapped[str] = mapped_column(String(128), default="")
    hold_since: Mapped[date | None] = mapped_column(Date)  # set: the member holds the plan
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # counts the member's holds: a "Resume" button carries the one it was shown for
    hold_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stage_cap: Mapped[int | None] = mapped_column(Integer)
    # the member's next local Monday morning (UTC): the weekly summary falls due then
    next_summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("runner_id", "member_id", name="uq_care_links_pair"),)


class CareEventRow(Base):
    """Something the care team is alerted to (a red flag, a step back for pain, an
    escalation), at most one per (runner, kind, day, referral episode); the tick fans it out
    once."""

    __tablename__ = "care_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk())
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the referral episode: clearances recorded before it (a new referral after a clearance
    # on the same day is a new event)
    episode: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("runner_id", "kind", "day", "episode", name="uq_care_events_once"),
        Index("ix_care_events_fanned_out", "fanned_out", "id"),
    )


class CareDeliveryRow(Base):
    """One alert or weekly summary per (member, runner, key): exactly once, by a unique key,
    with the same pending → sending → sent life as a prompt's delivery row."""

    __tablename__ = "care_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    key: Mapped[str] = mapped_column(String(32))  # alert:<event id> | weekly:<local Monday>
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the process holding the claim (its heartbeat: ProcessBeatRow); NULL before 0010
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (  # SQLite: AUTOINCREMENT, as ``DeliveryRow``
        UniqueConstraint("member_id", "runner_id", "key", name="uq_care_deliveries_once"),
        Index("ix_care_deliveries_status", "status", "claimed_at"),
        {"sqlite_autoincrement": True},
    )


# ---------------------------------------------------------------- intervals.icu (issue 29)
class SyncLinkRow(Base):
    """The runner's intervals.icu account: its tokens (encrypted with Fernet, storage/sync.py),
    when the next poll is due and whether the calendar needs writing."""

    __tablename__ = "sync_links"

    runner_id: Mapped[int] = mapped_column(runner_fk(), primary_key=True)
    athlete_id: Mapped[str] = mapped_column(String(32))
    athlete_name: Mapped[str] = mapped_column(String(128), default="")
    method: Mapped[str] = mapped_column(String(8))  # oauth | key
    access_token: Mapped[str] = mapped_column(Text)  # Fernet token
    refresh_token: Mapped[str | None] = mapped_column(Text)  # Fernet token
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    calendar_due: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_day: Mapped[date | None] = mapped_column(Date)  # the day it was last written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncStateRow(Base):
    """An OAuth ``state`` handed out by /connect: bound to the runner, spent once."""

    __tablename__ = "sync_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    runner_id: Mapped[int] = mapped_column(runner_fk(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncedActivityRow(Base):
    """An intervals.icu activity taken (or skipped, said once): its unique key makes a run
    arrive exactly once, however many processes poll."""

    __tablename__ = "synced_activities"

    runner_id: Mapped[int] = mapped_column(runner_fk(), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # taken | skipped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncEventRow(Base):
    """A planned workout written to the runner's intervals.icu calendar (one per day)."""

    __tablename__ = "sync_events"

    runner_id: Mapped[int] = mapped_column(runner_fk(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))


class SyncRevocationRow(Base):
    """Tokens of an account just disconnected (/disconnect, /delete): kept, encrypted and with
    no runner, only until the poller has removed the future workouts and revoked them."""

    __tablename__ = "sync_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    access_token: Mapped[str] = mapped_column(Text)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessBeatRow(Base):
    """A running process's heartbeat: while ``beat_at`` is recent its claims are its own; a
    process whose beat stopped (killed) has its claimed prompts taken over within seconds."""

    __tablename__ = "process_beats"

    owner: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
