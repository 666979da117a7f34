"""Frozen input/output records of the progression core."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .enums import (
    Action,
    CheckAgain,
    Compare,
    Cue,
    Exercise,
    GateCode,
    Injury,
    Outcome,
    ReasonCode,
    RedFlag,
    SessionKind,
    Side,
    Swelling,
)

Value = int | float | str
Values = tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Profile:
    injury: Injury
    side: Side
    injury_date: date | None
    rest_pain: int  # 0-10 at onboarding
    walk_pain: int  # 0-10 at onboarding (walking, daily activities)
    runs_per_week_before: int
    minutes_per_week_before: int
    run_days_per_week: int  # runner's wish, 1-7 (engine caps at 4)
    preferred_days: frozenset[int] = frozenset()  # 0=Mon..6=Sun; empty = any
    cadence_spm: int | None = None  # the runner's own running cadence, when known


@dataclass(frozen=True)
class CheckIn:
    day: date
    outcome: Outcome
    minutes: int
    pain_during: int
    pain_after: int
    sharp_or_limp: bool
    stiffness: int
    swelling: Swelling
    rpe: int
    mood: int  # 1-5
    sleep_hours: float | None
    level: int  # ladder index prescribed for that session
    running_minutes: int | None = None  # minutes actually run; None = derive from the level


@dataclass(frozen=True)
class MorningCheck:
    day: date
    run_day: date
    pain: Compare  # compared with the morning before the session
    stiffness: Compare
    swelling: Swelling
    night_pain: bool = False


@dataclass(frozen=True)
class Reassessment:
    """A weekly reassessment. Every result is None when it was not asked or measured: a gate
    on a missing result is "not tested", never passed."""

    day: date
    heel_raises_left: int | None
    heel_raises_right: int | None
    hops_left: int | None
    hops_right: int | None
    hop_pain: int | None  # 0-10, worst side
    knee_to_wall_left_cm: float | None
    knee_to_wall_right_cm: float | None
    morning_stiffness_min: int | None
    walk_pain: int | None  # pain 0-10 on a 30-min brisk walk; None = not done
    readiness: int | None  # I-PRRS-style 0-60; None = not asked
    daily_pain: int | None = None  # pain 0-10 in daily activities; None = not asked
    rest_pain: int | None = None  # pain 0-10 at rest; None = not asked
    swelling: Swelling | None = None  # None = not asked (nor reported lately)
    single_leg_squats_left: int | None = None  # None = not tested
    single_leg_squats_right: int | None = None


@dataclass(frozen=True)
class LevelChange:
    day: date
    level: int
    action: Action


@dataclass(frozen=True)
class RedFlagReport:
    """A red-flag screen (flags empty = screened and clear) or, with `cleared_to_stage` set, the
    runner's confirmation that a clinician examined and cleared them. A screen with flags opens
    a referral that only such a clearance closes; a clear screen does not."""

    day: date
    flags: frozenset[RedFlag]
    # clinician clearance: restart at this stage (0 or 1 as the runner reports it; a care-team
    # clinician may name a higher one, never above the stage the runner was referred at)
    cleared_to_stage: int | None = None


@dataclass(frozen=True)
class PastDecision:
    """A decision stored earlier: what was done and which events it acted on."""

    day: date
    action: Action
    level: int
    codes: frozenset[ReasonCode] = frozenset()
    events: frozenset[tuple[ReasonCode, date]] = frozenset()  # (reason, event day)

    @staticmethod
    def of(day: date, action: Action, level: int, reasons: Iterable[Reason]) -> PastDecision:
        reasons = tuple(reasons)
        return PastDecision(day, action, level, frozenset(r.code for r in reasons),
                            frozenset(e for r in reasons if (e := r.event) is not None))


@dataclass(frozen=True)
class History:
    profile: Profile
    level: int
    level_since: date
    checkins: tuple[CheckIn, ...] = ()
    mornings: tuple[MorningCheck, ...] = ()
    reassessments: tuple[Reassessment, ...] = ()
    level_changes: tuple[LevelChange, ...] = ()
    red_flags: tuple[RedFlagReport, ...] = ()  # in the order they were recorded
    past: tuple[PastDecision, ...] = ()  # decisions stored earlier, oldest first
    last_run_day: date | None = None  # the latest day with running, even before the window
    # set by the runner's care team: a hold keeps the plan from moving up until resumed; a
    # stage cap keeps every level at or below that stage
    care_hold: bool = False
    stage_cap: int | None = None


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    values: Values = ()

    def as_dict(self) -> dict[str, Value]:
        return dict(self.values)

    @property
    def event(self) -> tuple[ReasonCode, date] | None:
        """(code, event day) when this reason acts on an event (a step back, a rest, a
        referral): the same event is never acted on twice."""
        for key, value in self.values:
            if key == "event_day" and isinstance(value, str):
                return self.code, date.fromisoformat(value)
        return None


@dataclass(frozen=True)
class Segment:
    """One block of a session: `repeats` x (`minutes` of `activity` + recovery)."""

    activity: str  # run | walk | stride | hill | tempo | sprint | easy | cross
    minutes: float
    repeats: int = 1
    recovery_minutes: float = 0.0
    recovery_activity: str = ""  # "walk" | "jog" | "" (none)
    effort_pct: int = 0  # % of max effort for strides/sprints; 0 = not applicable

    @property
    def total_minutes(self) -> float:
        return self.repeats * (self.minutes + self.recovery_minutes)


@dataclass(frozen=True)
class StrengthItem:
    exercise: Exercise
    sets: int
    reps: int | None
    seconds: int | None = None


@dataclass(frozen=True)
class Prescription:
    kind: SessionKind
    level: int
    stage: int
    segments: tuple[Segment, ...]
    total_minutes: int
    running_minutes: int
    rpe_max: int
    cues: tuple[Cue, ...]
    strength: tuple[StrengthItem, ...] = ()
    cross_training_minutes: int = 0
    reduced: bool = False  # the "half step back" version
    capped: bool = False  # shortened (lower level's session) to respect the weekly cap
    pain_limit: int = 0  # highest pain during the session that still counts as good (0-10)
    cadence_target: tuple[int, int] | None = None  # steps/min range from the runner's own


@dataclass(frozen=True)
class Decision:
    action: Action
    level: int
    stage: int
    prescription: Prescription
    session_date: date
    check_again: CheckAgain
    check_again_date: date
    reasons: tuple[Reason, ...]  # never empty

    @property
    def events(self) -> frozenset[tuple[ReasonCode, date]]:
        return frozenset(e for r in self.reasons if (e := r.event) is not None)

    def has(self, code: ReasonCode) -> bool:
        return any(r.code is code for r in self.reasons)


@dataclass(frozen=True)
class DayPlan:
    day: date
    prescription: Prescription
    is_run_day: bool


@dataclass(frozen=True)
class Gate:
    code: GateCode
    passed: bool
    values: Values = ()
