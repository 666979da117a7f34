"""Per-injury rules: pain ceiling, gate thresholds, cautions and strength emphasis."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Cue, Exercise, Injury

# Pain-monitoring model (Silbernagel 2007): 0-3 safe, 4-5 acceptable, >5 not acceptable.
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
    night_pain_refers: bool = False  # night pain suggests bone stress: refer, don't rest

    @property
    def green_pain_max(self) -> int:
        """Highest pain that still counts as a green (progress-worthy) session."""
        return min(SAFE_PAIN_MAX, self.pain_ceiling)


_ALL = 5

RULES: dict[Injury, InjuryRules] = {
    Injury.CALF_STRAIN: InjuryRules(
        Injury.CALF_STRAIN, "muscle", 3, 30, 0.9, True,
        ((3, Cue.AVOID_HILLS),),
        (Exercise.CALF_RAISE_SINGLE, Exercise.BENT_KNEE_CALF_RAISE, Exercise.ECCENTRIC_CALF),
    ),
    Injury.HAMSTRING_STRAIN: InjuryRules(
        Injury.HAMSTRING_STRAIN, "muscle", 3, 25, 0.9, False,
        ((4, Cue.NO_SPRINTS),),
        (Exercise.HAMSTRING_BRIDGE, Exercise.SINGLE_LEG_BRIDGE, Exercise.NORDIC_ECCENTRIC),
    ),
    Injury.QUAD_STRAIN: InjuryRules(
        Injury.QUAD_STRAIN, "muscle", 3, 25, 0.9, False,
        ((3, Cue.AVOID_DOWNHILL), (4, Cue.NO_SPRINTS)),
        (Exercise.WALL_SIT, Exercise.SPLIT_SQUAT, Exercise.STEP_DOWN),
    ),
    Injury.ACHILLES: InjuryRules(
        Injury.ACHILLES, "tendon", 5, 25, 0.9, True,
        ((3, Cue.AVOID_HILLS),),
        (Exercise.ECCENTRIC_CALF, Exercise.CALF_RAISE_SINGLE, Exercise.BENT_KNEE_CALF_RAISE),
    ),
    Injury.PATELLAR: InjuryRules(
        Injury.PATELLAR, "tendon", 5, 25, 0.9, False,
        ((4, Cue.AVOID_DOWNHILL),),
        (Exercise.SPANISH_SQUAT, Exercise.WALL_SIT, Exercise.STEP_DOWN),
    ),
    Injury.ANKLE_SPRAIN: InjuryRules(
        Injury.ANKLE_SPRAIN, "ligament", 3, 25, 0.9, True,
        ((3, Cue.EVEN_GROUND),),
        (Exercise.SINGLE_LEG_BALANCE, Exercise.ANKLE_MOBILITY, Exercise.CALF_RAISE_SINGLE),
    ),
    Injury.PLANTAR_FASCIITIS: InjuryRules(
        Injury.PLANTAR_FASCIITIS, "fascia", 4, 25, 0.9, False,
        ((_ALL, Cue.SUPPORTIVE_SHOES),),
        (Exercise.CALF_RAISE_SINGLE, Exercise.TOE_CURL, Exercise.BENT_KNEE_CALF_RAISE),
    ),
    Injury.SHIN_PAIN: InjuryRules(
        Injury.SHIN_PAIN, "bone_risk", 2, 25, 0.9, False,
        ((_ALL, Cue.BONE_PAIN_STOP),),
        (Exercise.TIBIALIS_RAISE, Exercise.BENT_KNEE_CALF_RAISE, Exercise.CALF_RAISE_SINGLE),
        night_pain_refers=True,
    ),
    Injury.OTHER: InjuryRules(
        Injury.OTHER, "unknown", 3, 25, 0.9, False,
        (),
        (Exercise.CALF_RAISE_SINGLE, Exercise.SINGLE_LEG_BRIDGE, Exercise.SINGLE_LEG_BALANCE),
    ),
}


def rules_for(injury: Injury) -> InjuryRules:
    return RULES[injury]
