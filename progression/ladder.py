"""The flat ladder of levels (stages 0-5) and the prescriptions they yield."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from .enums import Cue, Exercise, Injury, SessionKind
from .injuries import rules_for
from .models import Prescription, Profile, Segment, StrengthItem

WARM_UP_WALK_MIN = 5.0
STAGE_NAMES = ("protect", "walk", "walk_run", "continuous", "build", "intensity")


@dataclass(frozen=True)
class LevelSpec:
    index: int
    stage: int
    code: str  # stable short name, e.g. "s2_run2_walk3"
    kind: SessionKind
    segments: tuple[Segment, ...]
    rpe_max: int
    greens_needed: int  # green sessions at this level before moving up


def _run_minutes(segments: tuple[Segment, ...]) -> float:
    total = 0.0
    for s in segments:
        if s.activity in ("run", "stride", "hill", "tempo", "sprint", "easy"):
            total += s.minutes * s.repeats
        if s.recovery_activity == "jog":
            total += s.recovery_minutes * s.repeats
    return total


def _total_minutes(segments: tuple[Segment, ...]) -> float:
    return sum(s.total_minutes for s in segments)


def _build_ladder() -> tuple[LevelSpec, ...]:
    rows: list[tuple[int, str, SessionKind, tuple[Segment, ...], int, int]] = []
    warm = Segment("walk", WARM_UP_WALK_MIN)
    # Stage 0 - protect: non-impact cardio (cycling, swimming, pool running) + isometrics.
    for m in (20, 30, 40):
        rows.append((0, f"s0_cross{m}", SessionKind.CROSS, (Segment("cross", m),), 4, 2))
    # Stage 1 - brisk walk 10 -> 30 min, +5 min per level: one good walk a level (notes §2:
    # +5 min per day, a recovery day every 4th day).
    for m in (10, 15, 20, 25, 30):
        rows.append((1, f"s1_walk{m}", SessionKind.WALK, (Segment("walk", m),), 3, 1))
    # Stage 2 - walk/run intervals, x6 after a 5-min walk warm-up (30 min of intervals).
    for run, walk in ((1, 4), (2, 3), (3, 2), (4, 1)):
        seg = Segment("run", run, repeats=6, recovery_minutes=walk, recovery_activity="walk")
        rows.append((2, f"s2_run{run}_walk{walk}", SessionKind.WALK_RUN, (warm, seg), 4, 2))
    # Stage 3 - continuous easy 10 -> 20 -> 30 min (each twice), topped up with run 4/walk 1
    # (Ohio State guideline: after run 4/walk 1, continuous runs; a level moves up after 2
    # green sessions, so 30 min continuous comes about 3-4 weeks after the first jog).
    for cont in (10, 20, 30):
        segs: list[Segment] = [warm, Segment("run", cont)]
        rest = 30 - cont
        if rest >= 6:
            segs.append(
                Segment("run", 4, repeats=(rest - 1) // 5, recovery_minutes=1,
                        recovery_activity="walk")
            )
            segs.insert(2, Segment("walk", 1))
        rows.append((3, f"s3_continuous{cont}", SessionKind.CONTINUOUS, tuple(segs), 4, 2))
    # Stage 4 - build volume: longer continuous easy runs (weekly cap applies on top).
    for m in (33, 36, 39, 42, 45, 50, 55, 60):
        rows.append((4, f"s4_easy{m}", SessionKind.BUILD, (warm, Segment("run", m)), 4, 2))
    # Stage 5 - intensity: strides, gentle hills, tempo, graded sprints, then race pace.
    easy20 = Segment("run", 20)
    s5: list[tuple[str, tuple[Segment, ...], int]] = [
        ("s5_strides4", (warm, Segment("run", 25), Segment("stride", 1 / 3, 4, 1.0, "walk", 70)),
         6),
        ("s5_strides6", (warm, Segment("run", 25), Segment("stride", 1 / 3, 6, 1.0, "walk", 75)),
         6),
        ("s5_hills6", (warm, easy20, Segment("hill", 0.5, 6, 1.5, "walk", 75)), 7),
        ("s5_tempo2x5", (warm, easy20, Segment("tempo", 5, 2, 2.0, "jog", 0)), 7),
        ("s5_sprint50", (warm, easy20, Segment("sprint", 0.25, 6, 0.75, "walk", 55)), 6),
        ("s5_sprint70", (warm, easy20, Segment("sprint", 0.25, 6, 0.75, "walk", 75)), 8),
        ("s5_sprint90", (warm, easy20, Segment("sprint", 0.25, 6, 1.25, "walk", 95)), 9),
        ("s5_race_pace", (warm, easy20, Segment("tempo", 4, 3, 2.0, "jog", 0)), 8),
    ]
    for code, segs5, rpe in s5:
        rows.append((5, code, SessionKind.INTENSITY, segs5, rpe, 3))
    return tuple(
        LevelSpec(i, stage, code, kind, segs, rpe, greens)
        for i, (stage, code, kind, segs, rpe, greens) in enumerate(rows)
    )


LADDER: tuple[LevelSpec, ...] = _build_ladder()
MAX_LEVEL = len(LADDER) - 1
_STAGE_FIRST: tuple[int, ...] = tuple(
    min(s.index for s in LADDER if s.stage == st) for st in range(6)
)
_STAGE: tuple[int, ...] = tuple(s.stage for s in LADDER)
_RUN_MIN: tuple[int, ...] = tuple(round(_run_minutes(s.segments)) for s in LADDER)
_TOTAL_MIN: tuple[int, ...] = tuple(round(_total_minutes(s.segments)) for s in LADDER)


def running_minutes_table() -> tuple[int, ...]:
    """Running minutes per level (index = level)."""
    return _RUN_MIN


def total_minutes_table() -> tuple[int, ...]:
    """Total session minutes per level (index = level)."""
    return _TOTAL_MIN


def clamp_level(level: int) -> int:
    return max(0, min(MAX_LEVEL, level))


def stage_of(level: int) -> int:
    if 0 <= level <= MAX_LEVEL:
        return _STAGE[level]
    return _STAGE[clamp_level(level)]


def first_level_of_stage(stage: int) -> int:
    return _STAGE_FIRST[max(0, min(5, stage))]


def running_minutes_of(level: int) -> int:
    if 0 <= level <= MAX_LEVEL:
        return _RUN_MIN[level]
    return _RUN_MIN[clamp_level(level)]


def is_running_level(level: int) -> bool:
    return _RUN_MIN[clamp_level(level)] > 0


# ---------------------------------------------------------------- strength & mobility
_STRENGTH_WEEKDAYS: dict[int, frozenset[int]] = {
    0: frozenset({0, 2, 4}), 1: frozenset({0, 2, 4}), 2: frozenset({0, 2, 4}),
    3: frozenset({0, 2, 4}), 4: frozenset({1, 4}), 5: frozenset({1, 4}),
}


def is_strength_day(day: date, stage: int) -> bool:
    """Strength and mobility 3x/week in stages 0-3 (Mon/Wed/Fri), 2x/week later (Tue/Fri)."""
    return day.weekday() in _STRENGTH_WEEKDAYS[max(0, min(5, stage))]


_GENERAL: dict[int, tuple[Exercise, ...]] = {
    0: (Exercise.HIP_ABDUCTION, Exercise.SINGLE_LEG_BALANCE, Exercise.ANKLE_MOBILITY),
    1: (Exercise.CALF_RAISE_DOUBLE, Exercise.HAMSTRING_BRIDGE, Exercise.WALL_SIT,
        Exercise.HIP_ABDUCTION, Exercise.SINGLE_LEG_BALANCE, Exercise.TIBIALIS_RAISE),
    2: (Exercise.CALF_RAISE_SINGLE, Exercise.SINGLE_LEG_BRIDGE, Exercise.STEP_UP,
        Exercise.SIDE_PLANK, Exercise.SINGLE_LEG_BALANCE, Exercise.TIBIALIS_RAISE),
    3: (Exercise.CALF_RAISE_SINGLE, Exercise.SPLIT_SQUAT, Exercise.SINGLE_LEG_BRIDGE,
        Exercise.SINGLE_LEG_SQUAT, Exercise.SINGLE_LEG_BALANCE, Exercise.POGO_HOPS),
}
_ISOMETRIC: dict[Injury, Exercise] = {
    Injury.CALF_STRAIN: Exercise.ISOMETRIC_CALF,
    Injury.ACHILLES: Exercise.ISOMETRIC_CALF,
    Injury.PLANTAR_FASCIITIS: Exercise.ISOMETRIC_CALF,
    Injury.SHIN_PAIN: Exercise.ISOMETRIC_CALF,
    Injury.ANKLE_SPRAIN: Exercise.ISOMETRIC_CALF,
    Injury.HAMSTRING_STRAIN: Exercise.ISOMETRIC_HAMSTRING,
    Injury.QUAD_STRAIN: Exercise.ISOMETRIC_QUAD,
    Injury.PATELLAR: Exercise.SPANISH_SQUAT,
    Injury.OTHER: Exercise.ISOMETRIC_QUAD,
}
_HOLDS = frozenset({Exercise.ISOMETRIC_CALF, Exercise.ISOMETRIC_QUAD,
                    Exercise.ISOMETRIC_HAMSTRING, Exercise.SPANISH_SQUAT, Exercise.WALL_SIT,
                    Exercise.SIDE_PLANK, Exercise.SINGLE_LEG_BALANCE})
_HEAVY_ECCENTRIC = frozenset({Exercise.NORDIC_ECCENTRIC, Exercise.POGO_HOPS})


def strength_block(injury: Injury, stage: int) -> tuple[StrengthItem, ...]:
    """Strength + balance block: injury emphasis first, then general items; 5 items."""
    group = 0 if stage <= 0 else 1 if stage == 1 else 2 if stage <= 3 else 3
    if group == 0:
        chosen = [_ISOMETRIC[injury], *_GENERAL[0]]
    else:
        chosen = list(rules_for(injury).emphasis)
        for ex in _GENERAL[group]:
            if ex not in chosen:
                chosen.append(ex)
    items: list[StrengthItem] = []
    for ex in chosen:
        if ex in _HEAVY_ECCENTRIC and stage < 4:
            continue  # Nordics and hops only once running volume is established
        if injury is Injury.HAMSTRING_STRAIN and ex is Exercise.NORDIC_ECCENTRIC and stage < 4:
            continue
        if ex in _HOLDS:
            items.append(StrengthItem(ex, 5 if group == 0 else 3, None, 45 if group == 0 else 30))
        elif ex is Exercise.NORDIC_ECCENTRIC:
            items.append(StrengthItem(ex, 3, 5))
        else:
            items.append(StrengthItem(ex, 3, 15 if group <= 1 else 10))
        if len(items) == 5:
            break
    return tuple(items)


# ---------------------------------------------------------------- prescriptions
def _cues(spec: LevelSpec, injury: Injury) -> tuple[Cue, ...]:
    cues: list[Cue] = []
    if spec.kind is SessionKind.CROSS:
        cues += [Cue.CROSS_TRAIN, Cue.TALK_TEST, Cue.MOBILITY]
    elif spec.kind is SessionKind.WALK:
        cues += [Cue.BRISK_WALK, Cue.FLAT_SURFACE, Cue.TALK_TEST]
    elif spec.kind is SessionKind.INTENSITY:
        cues += [Cue.WARM_UP, Cue.FLAT_SURFACE, Cue.CADENCE, Cue.COOL_DOWN]
    else:
        cues += [Cue.WARM_UP, Cue.FLAT_SURFACE, Cue.CADENCE, Cue.EASY_PACE, Cue.TALK_TEST]
    cues += [Cue.PAIN_CEILING, Cue.STOP_IF_SHARP]
    for last_stage, cue in rules_for(injury).cautions:
        if spec.stage <= last_stage and cue not in cues:
            cues.append(cue)
    return tuple(cues)


def _reduce_segment(s: Segment) -> Segment:
    if s.repeats > 1:
        return Segment(s.activity, s.minutes, max(1, math.ceil(s.repeats * 2 / 3)),
                       s.recovery_minutes, s.recovery_activity, s.effort_pct)
    if s.activity == "walk" and s.minutes <= WARM_UP_WALK_MIN:
        return s
    return Segment(s.activity, max(1.0, float(round(s.minutes * 0.75))), 1,
                   s.recovery_minutes, s.recovery_activity, s.effort_pct)


def prescription_for(
    level: int,
    profile: Profile,
    *,
    reduced: bool = False,
    strength: bool = True,
) -> Prescription:
    """The session for `level`. `reduced` = the half-step-back version (about 2/3 - 3/4).

    `strength=False` leaves out the strength block (it belongs on 2-3 days a week;
    `decide`/`plan_week` choose those days with `is_strength_day`).
    """
    spec = LADDER[clamp_level(level)]
    rules = rules_for(profile.injury)
    segs = spec.segments
    if reduced:
        segs = tuple(_reduce_segment(s) for s in segs)
    total = round(_total_minutes(segs))
    running = round(_run_minutes(segs))
    cues = _cues(spec, profile.injury)
    if reduced:
        cues = (*cues, Cue.REDUCED_SESSION)
    cross = total if spec.kind is SessionKind.CROSS else 0
    return Prescription(
        kind=spec.kind,
        level=spec.index,
        stage=spec.stage,
        segments=segs,
        total_minutes=total,
        running_minutes=running,
        rpe_max=spec.rpe_max,
        cues=cues,
        strength=strength_block(profile.injury, spec.stage) if strength else (),
        cross_training_minutes=cross,
        reduced=reduced,
        pain_limit=rules.green_pain_max,
        cadence_target=cadence_target(profile) if running > 0 else None,
    )


CADENCE_UP_PCT = (5, 10)  # a cue relative to the runner's own cadence: +5-10 %
CADENCE_MAX = 190


def cadence_target(profile: Profile) -> tuple[int, int] | None:
    """+5-10 % on the runner's own cadence (when known), never above 190 steps a minute."""
    spm = profile.cadence_spm
    if not spm or spm <= 0:
        return None
    lo, hi = (min(CADENCE_MAX, round(spm * (100 + p) / 100)) for p in CADENCE_UP_PCT)
    return (lo, hi) if hi > spm else None


def rest_prescription(level: int, profile: Profile, *, refer: bool = False,
                      urgent: bool = False) -> Prescription:
    """A day without training load (full rest, or rest while seeing a clinician)."""
    lvl = clamp_level(level)
    cues: tuple[Cue, ...]
    if urgent:
        cues = (Cue.EMERGENCY,)
    elif refer:
        cues = (Cue.SEE_CLINICIAN, Cue.FULL_REST)
    else:
        cues = (Cue.FULL_REST,)
    return Prescription(SessionKind.REST, lvl, LADDER[lvl].stage, (), 0, 0, 0, cues)


def cross_prescription(level: int, profile: Profile, *, strength: bool) -> Prescription:
    """A non-run day in stages 2-5: 30 min (stages 2-3) or 45 min (4-5) cross-training."""
    lvl = clamp_level(level)
    stage = LADDER[lvl].stage
    minutes = 30 if stage <= 3 else 45
    return Prescription(
        kind=SessionKind.CROSS,
        level=lvl,
        stage=stage,
        segments=(Segment("cross", minutes),),
        total_minutes=minutes,
        running_minutes=0,
        rpe_max=4,
        cues=(Cue.CROSS_TRAIN, Cue.TALK_TEST),
        strength=strength_block(profile.injury, stage) if strength else (),
        cross_training_minutes=minutes,
        pain_limit=rules_for(profile.injury).green_pain_max,
    )


def recovery_prescription(level: int, profile: Profile, *, strength: bool) -> Prescription:
    """Stage 0-1 recovery day: mobility only (plus strength on strength days)."""
    lvl = clamp_level(level)
    stage = LADDER[lvl].stage
    kind = SessionKind.STRENGTH if strength else SessionKind.REST
    return Prescription(kind, lvl, stage, (), 0, 0, 0, (Cue.RECOVERY_DAY, Cue.MOBILITY),
                        strength_block(profile.injury, stage) if strength else (),
                        pain_limit=rules_for(profile.injury).green_pain_max)
