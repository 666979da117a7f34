"""Per-injury rules: pain ceiling, gate thresholds, cautions and strength emphasis."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Cue, Exercise, Injury

# Pain-monitoring model (Silbernagel 2007): 0-3 safe, 4-5 acceptable, >5 not acceptable.
# By tissue (protocol-notes section 7, docs/protocol.md): muscle strains run close to pain-free
# (green <= 2, above 3 steps back); tendons and plantar fascia tolerate up to 5 when it settles
# by the next morning, and a stable daily pain <= 2; possible bone stress runs pain-free only.
SAFE_PAIN_MAX = 3


@dataclass(frozen=True)
class InjuryRules:
    injury: Injury
    tissue: str  # "muscle" | "tendon" | "ligament" | "fascia" | "bone_risk" | "unknown"
    pain_ceiling: int  # highest acceptable pain during/after a session (0-10)
    heel_raises_min: int  # single-leg heel raises per side before running
    symmetry_min: float  # limb symmetry index (weaker / stronger) before running
    knee_to_wall: bool  # knee-to-wall symmetry is a gate (when measured)
    cautions: tuple[tuple[int, Cue], ...]  # (last stage the caution applies to, cue)
    emphasis: tuple[Exercise, ...]  # injury-specific strength items, most important first
    green_pain_max: int = SAFE_PAIN_MAX  # highest pain of a green (progress-worthy) session
    daily_pain_ok: int = 0  # stable daily/rest pain that does not stop running


_ALL = 5

RULES: dict[Injury, InjuryRules] = {
    Injury.CALF_STRAIN: InjuryRules(
        Injury.CALF_STRAIN, "muscle", 3, 30, 0.9, True,
        ((3, Cue.AVOID_HILLS),),
        (Exercise.CALF_RAISE_SINGLE, Exercise.BENT_KNEE_CALF_RAISE, Exercise.ECCENTRIC_CALF),
        green_pain_max=2, daily_pain_ok=0,
    ),
    Injury.HAMSTRING_STRAIN: InjuryRules(
        Injury.HAMSTRING_STRAIN, "muscle", 3, 25, 0.9, False,
        ((4, Cue.NO_SPRINTS),),
        (Exercise.HAMSTRING_BRIDGE, Exercise.SINGLE_LEG_BRIDGE, Exercise.NORDIC_ECCENTRIC),
        green_pain_max=2, daily_pain_ok=0,
    ),
    Injury.QUAD_STRAIN: InjuryRules(
        Injury.QUAD_STRAIN, "muscle", 3, 25, 0.9, False,
        ((3, Cue.AVOID_DOWNHILL), (4, Cue.NO_SPRINTS)),
        (Exercise.WALL_SIT, Exercise.SPLIT_SQUAT, Exercise.STEP_DOWN),
        green_pain_max=2, daily_pain_ok=0,
    ),
    Injury.ACHILLES: InjuryRules(
        Injury.ACHILLES, "tendon", 5, 25, 0.9, True,
        ((3, Cue.AVOID_HILLS),),
        (Exercise.ECCENTRIC_CALF, Exercise.CALF_RAISE_SINGLE, Exercise.BENT_KNEE_CALF_RAISE),
        green_pain_max=5, daily_pain_ok=2,
    ),
    Injury.PATELLAR: InjuryRules(
        Injury.PATELLAR, "tendon", 5, 25, 0.9, False,
        ((4, Cue.AVOID_DOWNHILL),),
        (Exercise.SPANISH_SQUAT, Exercise.WALL_SIT, Exercise.STEP_DOWN),
        green_pain_max=5, daily_pain_ok=2,
    ),
    Injury.ANKLE_SPRAIN: InjuryRules(
        Injury.ANKLE_SPRAIN, "ligament", 4, 25, 0.9, True,
        ((3, Cue.EVEN_GROUND),),
        (Exercise.SINGLE_LEG_BALANCE, Exercise.ANKLE_MOBILITY, Exercise.CALF_RAISE_SINGLE),
        green_pain_max=3, daily_pain_ok=0,
    ),
    Injury.PLANTAR_FASCIITIS: InjuryRules(
        Injury.PLANTAR_FASCIITIS, "fascia", 5, 25, 0.9, False,
        ((_ALL, Cue.SUPPORTIVE_SHOES),),
        (Exercise.CALF_RAISE_SINGLE, Exercise.TOE_CURL, Exercise.BENT_KNEE_CALF_RAISE),
        green_pain_max=5, daily_pain_ok=2,
    ),
    Injury.SHIN_PAIN: InjuryRules(
        Injury.SHIN_PAIN, "bone_risk", 1, 25, 0.9, False,
        ((_ALL, Cue.BONE_PAIN_STOP),),
        (Exercise.TIBIALIS_RAISE, Exercise.BENT_KNEE_CALF_RAISE, Exercise.CALF_RAISE_SINGLE),
        green_pain_max=0, daily_pain_ok=0,
    ),
    Injury.OTHER: InjuryRules(
        Injury.OTHER, "unknown", 3, 25, 0.9, False,
        (),
        (Exercise.CALF_RAISE_SINGLE, Exercise.SINGLE_LEG_BRIDGE, Exercise.SINGLE_LEG_BALANCE),
        green_pain_max=2, daily_pain_ok=0,
    ),
}


def rules_for(injury: Injury) -> InjuryRules:
    return RULES[injury]
