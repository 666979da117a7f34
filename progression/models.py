"""Frozen input/output records of the progression core."""

from __future__ import annotations

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
    day: date
    heel_raises_left: int
    heel_raises_right: int
    hops_left: int
    hops_right: int
    hop_pain: int  # 0-10, worst side
    knee_to_wall_left_cm: float | None
    knee_to_wall_right_cm: float | None
    morning_stiffness_min: int
    walk_pain: int | None  # pain 0-10 on a 30-min brisk walk; None = not done
    readiness: int | None  # I-PRRS-style 0-60; None = not asked
    daily_pain: int | None = None  # pain 0-10 in daily activities; None = not asked
    rest_pain: int | None = None  # pain 0-10 at rest; None = not asked
    swelling: Swelling = Swelling.NONE
    single_leg_squats_left: int | None = None  # None = not tested
    single_leg_squats_right: int | None = None


@dataclass(frozen=True)
class LevelChange:
    day: date
    level: int
    action: Action


@dataclass(frozen=True)
class RedFlagReport:
    day: date
    flags: frozenset[RedFlag]  # empty = screened and clear


@dataclass(frozen=True)
class History:
    profile: Profile
    level: int
    level_since: date
    checkins: tuple[CheckIn, ...] = ()
    mornings: tuple[MorningCheck, ...] = ()
    reassessments: tuple[Reassessment, ...] = ()
    level_changes: tuple[LevelChange, ...] = ()
    red_flags: tuple[RedFlagReport, ...] = ()


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    values: Values = ()

    def as_dict(self) -> dict[str, Value]:
        return dict(self.values)


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
