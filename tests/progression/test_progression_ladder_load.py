"""Ladder, prescriptions, strength blocks, load measures, onboarding and the weekly plan."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from progression import (
    LADDER,
    MAX_LEVEL,
    Action,
    CheckAgain,
    Cue,
    Exercise,
    GateCode,
    History,
    Injury,
    Outcome,
    ReasonCode,
    RedFlag,
    SessionKind,
    Swelling,
    acwr,
    decide,
    evaluate_gates,
    first_level_of_stage,
    is_urgent,
    plan_week,
    prescription_for,
    session_load,
    stage_of,
    start,
    strength_block,
    weekly_cap,
    weekly_loads,
)
from tests.progression.prog_helpers import D0, checkin, morning, passed_tests, profile


def test_ladder_covers_stages_0_to_5_in_order() -> None:
    stages = [s.stage for s in LADDER]
    assert stages == sorted(stages)
    assert set(stages) == {0, 1, 2, 3, 4, 5}
    assert [s.index for s in LADDER] == list(range(len(LADDER)))
    assert stage_of(-3) == 0 and stage_of(MAX_LEVEL + 5) == 5
    codes = [s.code for s in LADDER]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("level", range(len(LADDER)))
def test_every_level_yields_a_prescription(level: int) -> None:
    rx = prescription_for(level, profile())
    assert rx.level == level and rx.stage == stage_of(level)
    assert rx.total_minutes > 0 and rx.segments and rx.cues
    assert 0 <= rx.running_minutes <= rx.total_minutes
    assert Cue.STOP_IF_SHARP in rx.cues
    if rx.running_minutes and rx.stage <= 4:
        assert rx.rpe_max <= 4 and Cue.CADENCE in rx.cues and Cue.FLAT_SURFACE in rx.cues
    red = prescription_for(level, profile(), reduced=True)
    assert red.reduced and red.total_minutes <= rx.total_minutes
    assert red.running_minutes <= rx.running_minutes


def test_walk_run_examples_from_the_notes() -> None:
    s2 = first_level_of_stage(2)
    rx = prescription_for(s2 + 1, profile())
    seg = rx.segments[-1]
    assert (seg.activity, seg.minutes, seg.recovery_minutes, seg.repeats) == ("run", 2, 3, 6)
    assert rx.kind is SessionKind.WALK_RUN and rx.running_minutes == 12
    s3 = [prescription_for(lvl, profile()) for lvl in range(first_level_of_stage(3),
                                                             first_level_of_stage(4))]
    assert [r.segments[1].minutes for r in s3] == [10, 20, 30]
    assert [r.running_minutes for r in s3] == sorted(r.running_minutes for r in s3)


def test_strength_blocks_are_injury_specific() -> None:
    ham = {i.exercise for i in strength_block(Injury.HAMSTRING_STRAIN, 2)}
    assert Exercise.HAMSTRING_BRIDGE in ham and Exercise.NORDIC_ECCENTRIC not in ham
    assert Exercise.NORDIC_ECCENTRIC in {i.exercise for i in
                                         strength_block(Injury.HAMSTRING_STRAIN, 4)}
    assert Exercise.ECCENTRIC_CALF in {i.exercise for i in strength_block(Injury.ACHILLES, 3)}
    assert Exercise.TIBIALIS_RAISE in {i.exercise for i in strength_block(Injury.SHIN_PAIN, 2)}
    iso = strength_block(Injury.PATELLAR, 0)
    assert iso[0].exercise is Exercise.SPANISH_SQUAT and iso[0].seconds
    for inj in Injury:
        for st in range(6):
            assert 1 <= len(strength_block(inj, st)) <= 5


def test_injury_cautions() -> None:
    s4 = first_level_of_stage(4)
    assert Cue.NO_SPRINTS in prescription_for(s4, profile(Injury.HAMSTRING_STRAIN)).cues
    assert Cue.NO_SPRINTS not in prescription_for(MAX_LEVEL, profile(Injury.HAMSTRING_STRAIN)).cues
    assert Cue.BONE_PAIN_STOP in prescription_for(5, profile(Injury.SHIN_PAIN)).cues
    assert Cue.AVOID_HILLS in prescription_for(9, profile(Injury.CALF_STRAIN)).cues


def test_load_measures() -> None:
    cs = [checkin(D0 + timedelta(days=i), 9, rpe=4, minutes=30) for i in (0, 2, 4, 7, 9, 11)]
    assert session_load(cs[0]) == 120.0
    skipped = replace(cs[0], outcome=Outcome.SKIPPED)
    assert session_load(skipped) == 0.0
    weeks = weekly_loads(cs, D0 + timedelta(days=13), weeks=3)
    assert [w.week_start for w in weeks] == [D0 - timedelta(days=7), D0, D0 + timedelta(days=7)]
    assert weeks[1].load == 360.0 and weeks[1].running_minutes == 36
    assert weeks[1].monotony is not None and weeks[1].strain is not None
    assert weeks[0].monotony is None
    ratio = acwr(cs, D0 + timedelta(days=13))
    assert ratio is not None and ratio == pytest.approx(360 / (720 / 4))
    assert acwr([], D0) is None


def test_weekly_cap_values() -> None:
    assert weekly_cap(0) == 30  # floor 20 + 10
    assert weekly_cap(50) == 60
    assert weekly_cap(60) == 70
    assert weekly_cap(80) == 88  # 10 % once above 60 min
    assert weekly_cap(200) == 210  # never more than +10 min
    # with a running history: restart near half of it, then +10 min or +10 %, up to +10 %
    assert weekly_cap(0, 150) == 85  # 75 + 10
    assert weekly_cap(120, 150) == 132  # +10 % once 10 % is more than 10 min
    assert weekly_cap(160, 150) == 165  # never past 110 % of the pre-injury volume


def test_acwr_is_never_a_reason() -> None:
    assert not any("acwr" in c.value or "ratio" in c.value for c in ReasonCode)


def test_start() -> None:
    p = profile()
    d = start(p, frozenset(), None, D0)
    assert d.level == first_level_of_stage(1) and d.action is Action.REPEAT
    assert d.reasons[0].code is ReasonCode.STARTING_LEVEL
    d = start(p, frozenset(), passed_tests(D0), D0)
    assert d.level == first_level_of_stage(2) and d.prescription.running_minutes > 0
    d = start(p, frozenset(), passed_tests(D0, hop_pain=3), D0)
    assert d.level == first_level_of_stage(2) - 1
    assert ReasonCode.GATE_FAILED in [r.code for r in d.reasons]
    d = start(p, frozenset({RedFlag.CHEST_OR_BREATH}), None, D0)
    assert d.action is Action.REFER and d.check_again is CheckAgain.CLINICIAN
    assert Cue.EMERGENCY in d.prescription.cues
    assert is_urgent(frozenset({RedFlag.CHEST_OR_BREATH}))
    assert not is_urgent(frozenset({RedFlag.CLOT_SIGNS}))


def test_gates_by_stage() -> None:
    r = passed_tests(D0)
    p = profile()
    assert {g.code for g in evaluate_gates(p, r, 0)} == {GateCode.DAILY_ACTIVITIES,
                                                          GateCode.NO_SWELLING}
    s1 = {g.code for g in evaluate_gates(p, r, 5)}
    assert {GateCode.HEEL_RAISES, GateCode.LIMB_SYMMETRY, GateCode.HOPS_PAIN_FREE,
            GateCode.MORNING_STIFFNESS, GateCode.WALK_TEST, GateCode.KNEE_TO_WALL} <= s1
    assert GateCode.READINESS in {g.code for g in evaluate_gates(p, r, first_level_of_stage(4))}
    assert evaluate_gates(p, r, MAX_LEVEL) == ()
    squats = evaluate_gates(p, replace(r, single_leg_squats_left=6, single_leg_squats_right=10),
                            5)
    assert any(g.code is GateCode.SINGLE_LEG_SQUAT and not g.passed for g in squats)


def test_plan_week_respects_preferred_days_and_spacing() -> None:
    p = profile(runs=4, preferred=frozenset({0, 1, 3, 5}))  # Mon Tue Thu Sat
    h = History(p, first_level_of_stage(2) + 1, D0 - timedelta(days=10))
    plan = plan_week(h, D0)
    runs = [x.day for x in plan if x.is_run_day]
    assert runs and all(r.weekday() in p.preferred_days for r in runs)
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(runs))
    assert len(runs) <= 4
    off = [x for x in plan if not x.is_run_day]
    assert all(x.prescription.kind is SessionKind.CROSS for x in off)
    assert all(x.prescription.cross_training_minutes >= 30 for x in off)
    assert 2 <= sum(1 for x in plan if x.prescription.strength) <= 3


def test_plan_week_refer_and_rest() -> None:
    h = History(profile(), 9, D0, checkins=(checkin(D0, 9),),
                mornings=(morning(D0, night_pain=True),))
    plan = plan_week(h, D0 + timedelta(days=1))
    assert plan[0].prescription.kind is SessionKind.REST
    assert not any(x.is_run_day for x in plan)
    assert decide(h, D0 + timedelta(days=1)).action is Action.REFER  # night pain refers
    swollen = tuple(morning(D0 + timedelta(days=i), swelling=Swelling.MILD,
                            day=D0 + timedelta(days=i + 1)) for i in range(4))
    h = History(profile(), 9, D0, checkins=(checkin(D0, 9),), mornings=swollen)
    assert decide(h, D0 + timedelta(days=4)).action is Action.REST  # swelling over 72 h
    assert plan_week(h, D0 + timedelta(days=4))[0].prescription.kind is SessionKind.REST


def test_stage_1_recovery_day_every_fourth_day() -> None:
    lvl = first_level_of_stage(1)
    cs = tuple(checkin(D0 + timedelta(days=i), lvl) for i in range(3))
    ms = (morning(D0), morning(D0 + timedelta(days=1)))
    h = History(profile(), lvl, D0, checkins=cs, mornings=ms)
    d = decide(h, D0 + timedelta(days=3))
    assert d.session_date == D0 + timedelta(days=4)
    assert ReasonCode.RECOVERY_DAY in [r.code for r in d.reasons]


def test_weekly_cap_trims_or_moves_the_session() -> None:
    lvl = first_level_of_stage(3) + 2  # 30 min continuous
    last_week = tuple(checkin(D0 - timedelta(days=7 - i), lvl - 1, running=12)
                      for i in (0, 2, 4))  # 36 min last week
    this_week = (checkin(D0, lvl), checkin(D0 + timedelta(days=2), lvl))  # 60 min
    h = History(profile(), lvl, D0 - timedelta(days=8), checkins=last_week + this_week,
                mornings=tuple(morning(c.day) for c in last_week + this_week))
    d = decide(h, D0 + timedelta(days=4))
    assert ReasonCode.WEEKLY_MINUTES_CAP in [r.code for r in d.reasons]
    cap = next(r for r in d.reasons if r.code is ReasonCode.WEEKLY_MINUTES_CAP).as_dict()
    # 90 min a week before the injury: on the ladder up to 3/4 of it (67), used 60
    assert cap["limit"] == 67 and cap["used"] == 60 and cap["pre_injury"] == 90
    assert d.session_date >= D0 + timedelta(days=7)  # 7 min left: next week
    # in stage 4 the session is cut to what is left instead of moving
    lvl4 = first_level_of_stage(4) + 1
    h4 = replace(h, level=lvl4, checkins=(*last_week, checkin(D0, lvl4, running=30)))
    d4 = decide(h4, D0 + timedelta(days=2))
    assert d4.prescription.capped and d4.prescription.running_minutes == 25
    assert d4.session_date == D0 + timedelta(days=2)


def test_deload_week_after_three_build_weeks() -> None:
    lvl = first_level_of_stage(4) + 2
    cs = []
    for week, minutes in enumerate((60, 70, 80, 88)):
        for k in range(2):
            cs.append(checkin(D0 + timedelta(days=7 * week + 2 * k), lvl, running=minutes // 2))
    h = History(profile(), lvl, D0, checkins=tuple(cs),
                mornings=tuple(morning(c.day) for c in cs))
    d = decide(h, D0 + timedelta(days=28))
    assert ReasonCode.DELOAD_WEEK in [r.code for r in d.reasons]
    assert d.action is Action.REPEAT and d.prescription.reduced
