"""Stage gates from the weekly reassessment (criteria-based stage entry)."""

from __future__ import annotations

from .enums import GateCode, Swelling
from .injuries import rules_for
from .ladder import MAX_LEVEL, clamp_level, stage_of
from .models import Gate, Profile, Reassessment, Values

HOPS_REQUIRED = 10
SQUATS_REQUIRED = 10
MORNING_STIFFNESS_MAX_MIN = 9  # "< 10 min"
READINESS_MIN = 50  # I-PRRS-style 0-60; 50-60 = ready
KNEE_TO_WALL_SYMMETRY_MIN = 0.9


def _lsi(a: float, b: float) -> float:
    hi = max(a, b)
    return 1.0 if hi <= 0 else min(a, b) / hi


NOT_TESTED: Values = (("tested", 0),)


def _daily(profile: Profile, r: Reassessment) -> Gate:
    """Daily activities (and rest) within the tissue's tolerated daily pain. Rest pain that was
    not asked is not assumed to be 0: the gate is then "not tested"."""
    if r.daily_pain is not None:
        pain = r.daily_pain
    elif r.walk_pain is not None:
        pain = r.walk_pain  # a 30-min brisk walk is at least as hard as daily activities
    else:
        return Gate(GateCode.DAILY_ACTIVITIES, False, NOT_TESTED)
    if r.rest_pain is None:
        return Gate(GateCode.DAILY_ACTIVITIES, False, NOT_TESTED)
    ok = rules_for(profile.injury).daily_pain_ok
    return Gate(GateCode.DAILY_ACTIVITIES, pain <= ok and r.rest_pain <= ok,
                (("pain", pain), ("rest_pain", r.rest_pain), ("max", ok)))


def _no_swelling(r: Reassessment) -> Gate:
    if r.swelling is None:
        return Gate(GateCode.NO_SWELLING, False, NOT_TESTED)
    return Gate(GateCode.NO_SWELLING, r.swelling is Swelling.NONE, (("swelling", str(r.swelling)),))


def _heel(profile: Profile, r: Reassessment) -> tuple[Gate, Gate]:
    rules = rules_for(profile.injury)
    if r.heel_raises_left is None or r.heel_raises_right is None:
        return (Gate(GateCode.HEEL_RAISES, False, NOT_TESTED),
                Gate(GateCode.LIMB_SYMMETRY, False, NOT_TESTED))
    low = min(r.heel_raises_left, r.heel_raises_right)
    lsi = _lsi(r.heel_raises_left, r.heel_raises_right)
    heel = Gate(GateCode.HEEL_RAISES, low >= rules.heel_raises_min,
                (("left", r.heel_raises_left), ("right", r.heel_raises_right),
                 ("min", rules.heel_raises_min)))
    pct = round(lsi * 100)
    sym = Gate(GateCode.LIMB_SYMMETRY, pct >= round(rules.symmetry_min * 100),
               (("percent", pct), ("min_percent", round(rules.symmetry_min * 100))))
    return heel, sym


def _hops(r: Reassessment) -> Gate:
    if r.hops_left is None or r.hops_right is None or r.hop_pain is None:
        return Gate(GateCode.HOPS_PAIN_FREE, False, NOT_TESTED)
    low = min(r.hops_left, r.hops_right)
    return Gate(GateCode.HOPS_PAIN_FREE, low >= HOPS_REQUIRED and r.hop_pain == 0,
                (("left", r.hops_left), ("right", r.hops_right), ("pain", r.hop_pain),
                 ("required", HOPS_REQUIRED)))


def _stiffness(r: Reassessment) -> Gate:
    if r.morning_stiffness_min is None:
        return Gate(GateCode.MORNING_STIFFNESS, False, NOT_TESTED)
    return Gate(GateCode.MORNING_STIFFNESS, r.morning_stiffness_min <= MORNING_STIFFNESS_MAX_MIN,
                (("minutes", r.morning_stiffness_min), ("below", MORNING_STIFFNESS_MAX_MIN + 1)))


def _walk(profile: Profile, r: Reassessment) -> Gate:
    if r.walk_pain is None:
        return Gate(GateCode.WALK_TEST, False, NOT_TESTED)
    ok = rules_for(profile.injury).daily_pain_ok
    return Gate(GateCode.WALK_TEST, r.walk_pain <= ok, (("pain", r.walk_pain), ("max", ok)))


def _optional(profile: Profile, r: Reassessment) -> list[Gate]:
    gates: list[Gate] = []
    if r.single_leg_squats_left is not None and r.single_leg_squats_right is not None:
        low = min(r.single_leg_squats_left, r.single_leg_squats_right)
        gates.append(Gate(GateCode.SINGLE_LEG_SQUAT, low >= SQUATS_REQUIRED,
                          (("left", r.single_leg_squats_left),
                           ("right", r.single_leg_squats_right), ("required", SQUATS_REQUIRED))))
    if (rules_for(profile.injury).knee_to_wall and r.knee_to_wall_left_cm is not None
            and r.knee_to_wall_right_cm is not None):
        lsi = _lsi(r.knee_to_wall_left_cm, r.knee_to_wall_right_cm)
        pct = round(lsi * 100)
        gates.append(Gate(GateCode.KNEE_TO_WALL, pct >= round(KNEE_TO_WALL_SYMMETRY_MIN * 100),
                          (("left_cm", r.knee_to_wall_left_cm),
                           ("right_cm", r.knee_to_wall_right_cm), ("percent", pct),
                           ("min_percent", round(KNEE_TO_WALL_SYMMETRY_MIN * 100)))))
    return gates


def _readiness(r: Reassessment) -> Gate:
    if r.readiness is None:
        return Gate(GateCode.READINESS, False, (*NOT_TESTED, ("min", READINESS_MIN)))
    return Gate(GateCode.READINESS, r.readiness >= READINESS_MIN,
                (("score", r.readiness), ("min", READINESS_MIN)))


def evaluate_gates(profile: Profile, reassessment: Reassessment, level: int) -> tuple[Gate, ...]:
    """Gates for moving from `level`'s stage into the next stage (empty at the top stage).

    0 -> 1: daily activities pain-free, no swelling.
    1 -> 2: heel raises, limb symmetry, 10 pain-free hops, morning stiffness < 10 min,
            pain-free 30-min walk (+ single-leg squats / knee-to-wall when measured).
    2 -> 3, 3 -> 4: heel raises, symmetry, hops pain-free, morning stiffness (still holding).
    4 -> 5: the above + readiness >= 50/60.
    """
    lvl = clamp_level(level)
    stage = stage_of(lvl)
    r = reassessment
    if lvl == MAX_LEVEL or stage >= 5:
        return ()
    if stage == 0:
        return (_daily(profile, r), _no_swelling(r))
    heel, sym = _heel(profile, r)
    if stage == 1:
        return (heel, sym, _hops(r), _stiffness(r), _walk(profile, r), *_optional(profile, r))
    core = (heel, sym, _hops(r), _stiffness(r))
    if stage in (2, 3):
        return core
    return (*core, _readiness(r))


def all_passed(gates: tuple[Gate, ...]) -> bool:
    return all(g.passed for g in gates)


def tested(g: Gate) -> bool:
    """Whether the gate's result was asked or measured (else show "not tested")."""
    return dict(g.values).get("tested") != 0

