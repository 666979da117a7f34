"""One table-driven test per rule of docs/protocol.md."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest

from progression import (
    Action,
    CheckAgain,
    CheckIn,
    Compare,
    Cue,
    History,
    Injury,
    LevelChange,
    MorningCheck,
    Outcome,
    PastDecision,
    ReasonCode,
    Reassessment,
    RedFlag,
    RedFlagReport,
    Swelling,
    decide,
    first_level_of_stage,
)
from tests.progression.prog_helpers import D0, checkin, morning, passed_tests, profile

WALK10 = first_level_of_stage(1)  # 3
WALK30 = first_level_of_stage(2) - 1  # 7
S2 = first_level_of_stage(2)  # 8
S3 = first_level_of_stage(3)
S4 = first_level_of_stage(4)
S5 = first_level_of_stage(5)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def greens(level: int, days: list[int], **kw: object) -> tuple[list[CheckIn], list[MorningCheck]]:
    cs = [checkin(day(n), level, **kw) for n in days]  # type: ignore[arg-type]
    ms = [morning(day(n)) for n in days]
    return cs, ms


@dataclass
class Case:
    name: str
    level: int
    today: int
    expect_action: Action
    expect_level: int
    expect_reason: ReasonCode
    injury: Injury = Injury.CALF_STRAIN
    since: int = 0
    checkins: list[CheckIn] = field(default_factory=list)
    mornings: list[MorningCheck] = field(default_factory=list)
    reassessments: list[Reassessment] = field(default_factory=list)
    changes: list[LevelChange] = field(default_factory=list)
    flags: list[RedFlagReport] = field(default_factory=list)
    past: list[PastDecision] = field(default_factory=list)
    check: CheckAgain | None = None
    reduced: bool | None = None
    values: dict[str, object] = field(default_factory=dict)

    def history(self) -> History:
        return History(profile(self.injury), self.level, day(self.since), tuple(self.checkins),
                       tuple(self.mornings), tuple(self.reassessments), tuple(self.changes),
                       tuple(self.flags), tuple(self.past))


def _run(case: Case) -> None:
    d = decide(case.history(), day(case.today))
    codes = [r.code for r in d.reasons]
    assert d.action is case.expect_action, (d.action, codes)
    assert d.level == case.expect_level, (d.level, codes)
    assert case.expect_reason in codes, codes
    if case.check is not None:
        assert d.check_again is case.check
    if case.reduced is not None:
        assert d.prescription.reduced is case.reduced
    if case.values:
        reason = next(r for r in d.reasons if r.code is case.expect_reason)
        for k, v in case.values.items():
            assert reason.as_dict()[k] == v, reason


def _cases_red_flags() -> list[Case]:
    c2, m2 = greens(S2, [0, 2])
    return [
        Case("red flag refers", S2, 3, Action.REFER, S2, ReasonCode.RED_FLAG,
             checkins=c2, mornings=m2,
             flags=[RedFlagReport(day(3), frozenset({RedFlag.CLOT_SIGNS}))],
             check=CheckAgain.CLINICIAN, values={"flags": "clot_signs", "urgent": 0}),
        Case("chest pain is urgent", S2, 3, Action.REFER, S2, ReasonCode.RED_FLAG,
             flags=[RedFlagReport(day(3), frozenset({RedFlag.CHEST_OR_BREATH}))],
             values={"urgent": 1}),
        Case("a clear re-screen does not close a referral", S2, 5, Action.REFER, S2,
             ReasonCode.RED_FLAG,
             flags=[RedFlagReport(day(2), frozenset({RedFlag.BONY_TENDERNESS})),
                    RedFlagReport(day(5), frozenset())], values={"since": day(2).isoformat()}),
        Case("a clinician's clearance restarts at walking", S2, 5, Action.STEP_BACK, WALK10,
             ReasonCode.RED_FLAG_CLEARED,
             flags=[RedFlagReport(day(2), frozenset({RedFlag.BONY_TENDERNESS})),
                    RedFlagReport(day(5), frozenset(), cleared_to_stage=1)],
             values={"stage": 1}),
        Case("a clearance to go slower restarts in stage 0", S2, 5, Action.STEP_BACK, 0,
             ReasonCode.RED_FLAG_CLEARED,
             flags=[RedFlagReport(day(2), frozenset({RedFlag.NUMB_TINGLING})),
                    RedFlagReport(day(5), frozenset(), cleared_to_stage=0)]),
        Case("a clearance acted on is not acted on again", WALK10, 6, Action.REPEAT,
             WALK10, ReasonCode.MORE_GREEN_SESSIONS_NEEDED, since=5,
             flags=[RedFlagReport(day(1), frozenset({RedFlag.NUMB_TINGLING})),
                    RedFlagReport(day(5), frozenset(), cleared_to_stage=1)],
             past=[PastDecision(day(5), Action.STEP_BACK, WALK10,
                                frozenset({ReasonCode.RED_FLAG_CLEARED}),
                                frozenset({(ReasonCode.RED_FLAG_CLEARED, day(5))}))]),
    ]


def _cases_pain() -> list[Case]:
    return [
        Case("sharp pain or limp: one level lower", S2 + 1, 5, Action.STEP_BACK, S2,
             ReasonCode.SHARP_OR_LIMP, checkins=[checkin(day(4), S2 + 1, sharp=True)],
             check=CheckAgain.H48),
        Case("muscle strain: pain 4 during is over the ceiling of 3", S2, 5, Action.STEP_BACK,
             WALK30, ReasonCode.PAIN_DURING_OVER_CEILING,
             checkins=[checkin(day(4), S2, pain_during=4)], values={"pain": 4, "ceiling": 3}),
        Case("tendon: pain 4 during that settles counts as a good session", S2, 5,
             Action.REPEAT, S2, ReasonCode.MORE_GREEN_SESSIONS_NEEDED, injury=Injury.ACHILLES,
             checkins=[checkin(day(4), S2, pain_during=4)], mornings=[morning(day(4))],
             values={"count": 1, "needed": 2}),
        Case("muscle strain: pain 3 during is within the ceiling but not green", S2, 5,
             Action.REPEAT, S2, ReasonCode.PAIN_ACCEPTABLE_ZONE,
             checkins=[checkin(day(4), S2, pain_during=3)], mornings=[morning(day(4))],
             values={"ceiling": 3, "safe_max": 2}),
        Case("tendon: pain 6 during is over the ceiling of 5", S2, 5, Action.STEP_BACK, WALK30,
             ReasonCode.PAIN_DURING_OVER_CEILING, injury=Injury.ACHILLES,
             checkins=[checkin(day(4), S2, pain_during=6)]),
        Case("shin pain: running is pain-free only, 2/10 steps back", S2, 5, Action.STEP_BACK,
             WALK30, ReasonCode.PAIN_DURING_OVER_CEILING, injury=Injury.SHIN_PAIN,
             checkins=[checkin(day(4), S2, pain_during=2)], values={"ceiling": 1}),
        Case("shin pain: 1/10 is not a good session", S2, 5, Action.REPEAT, S2,
             ReasonCode.PAIN_ACCEPTABLE_ZONE, injury=Injury.SHIN_PAIN,
             checkins=[checkin(day(4), S2, pain_during=1)], mornings=[morning(day(4))]),
        Case("pain after over the ceiling", S2, 5, Action.STEP_BACK, WALK30,
             ReasonCode.PAIN_AFTER_OVER_CEILING, checkins=[checkin(day(4), S2, pain_after=5)]),
        Case("soreness after within the ceiling: reduced, check in 24 h", S2, 5,
             Action.REPEAT, S2, ReasonCode.SORENESS_AFTER, injury=Injury.ANKLE_SPRAIN,
             checkins=[checkin(day(4), S2, pain_after=4)], mornings=[morning(day(4))],
             check=CheckAgain.H24, reduced=True),
        Case("visible swelling after a session: one level lower", S2, 5, Action.STEP_BACK,
             WALK30, ReasonCode.SWELLING_AFTER_SESSION,
             checkins=[checkin(day(4), S2, swelling=Swelling.VISIBLE)]),
        Case("symptoms resurface after progress: back to the safer level", S2 + 1, 7,
             Action.STEP_BACK, S2, ReasonCode.SYMPTOMS_AFTER_PROGRESS, since=3,
             checkins=[checkin(day(4), S2 + 1, pain_during=3),
                       checkin(day(6), S2 + 1, pain_during=3)],
             mornings=[morning(day(4))],
             changes=[LevelChange(day(3), S2 + 1, Action.PROGRESS)]),
        Case("one session within the ceiling after progress is a hold", S2 + 1, 5,
             Action.REPEAT, S2 + 1, ReasonCode.PAIN_ACCEPTABLE_ZONE, since=3,
             checkins=[checkin(day(4), S2 + 1, pain_during=3)],
             changes=[LevelChange(day(3), S2 + 1, Action.PROGRESS)]),
        Case("stopped early with symptoms: split the session", S2, 5, Action.REPEAT, S2,
             ReasonCode.SPLIT_SESSION,
             checkins=[checkin(day(4), S2, pain_during=2, outcome=Outcome.SHORTER,
                               minutes=12)], mornings=[morning(day(4))], values={"minutes": 12}),
        Case("a bad session is not punished twice; progress waits 48 h", S2, 5,
             Action.REPEAT, S2, ReasonCode.RECENT_WARNING_PAIN, since=4,
             checkins=[checkin(day(4), S2 + 1, sharp=True)],
             changes=[LevelChange(day(4), S2, Action.STEP_BACK)],
             past=[PastDecision(day(4), Action.STEP_BACK, S2,
                                frozenset({ReasonCode.SHARP_OR_LIMP}),
                                frozenset({(ReasonCode.SHARP_OR_LIMP, day(4))}))]),
        Case("pain 8 during cross-training steps back too", S2, 5, Action.STEP_BACK, WALK30,
             ReasonCode.PAIN_DURING_OVER_CEILING,
             checkins=[checkin(day(4), S2, outcome=Outcome.CROSS, pain_during=8)]),
    ]


def _cases_morning() -> list[Case]:
    return [
        Case("not settled next morning: half step back, 48 h", S2, 5, Action.REPEAT, S2,
             ReasonCode.NOT_SETTLED_NEXT_MORNING,
             checkins=[checkin(day(4), S2)], mornings=[morning(day(4), stiffness=Compare.WORSE)],
             check=CheckAgain.H48, reduced=True),
        Case("mild swelling next morning: not settled", S2, 5, Action.REPEAT, S2,
             ReasonCode.NOT_SETTLED_NEXT_MORNING,
             checkins=[checkin(day(4), S2)], mornings=[morning(day(4), swelling=Swelling.MILD)],
             reduced=True),
        Case("worse on waking: half a step back, checked again after 48 h", S2 + 1, 5,
             Action.REPEAT, S2 + 1, ReasonCode.WORSE_ON_WAKING,
             checkins=[checkin(day(4), S2 + 1)],
             mornings=[morning(day(4), pain=Compare.WORSE)], check=CheckAgain.H48,
             reduced=True),
        Case("still worse 48 h after the session: one level lower", S2 + 1, 6,
             Action.STEP_BACK, S2, ReasonCode.NOT_SETTLED_AFTER_48H,
             checkins=[checkin(day(4), S2 + 1)],
             mornings=[morning(day(4), pain=Compare.WORSE),
                       morning(day(4), stiffness=Compare.WORSE, day=day(6))],
             past=[PastDecision(day(5), Action.REPEAT, S2 + 1,
                                frozenset({ReasonCode.WORSE_ON_WAKING}),
                                frozenset({(ReasonCode.WORSE_ON_WAKING, day(4))}))]),
        Case("visible swelling in the morning: one level lower", S2 + 1, 5, Action.STEP_BACK,
             S2, ReasonCode.SWELLING_AFTER_SESSION,
             checkins=[checkin(day(4), S2 + 1)],
             mornings=[morning(day(4), swelling=Swelling.VISIBLE)]),
        Case("night pain refers, whatever the injury", S2, 5, Action.REFER, S2,
             ReasonCode.BONE_STRESS_SUSPECTED,
             checkins=[checkin(day(3), S2)], mornings=[morning(day(3), night_pain=True,
                                                              day=day(5))],
             check=CheckAgain.CLINICIAN),
        Case("shin pain with night pain: refer (bone stress)", S2, 5, Action.REFER, S2,
             ReasonCode.BONE_STRESS_SUSPECTED, injury=Injury.SHIN_PAIN,
             mornings=[morning(day(3), night_pain=True, day=day(5))]),
    ]


def _swelling_days(n: int, last: Swelling = Swelling.MILD) -> list[MorningCheck]:
    ms = [morning(day(i), swelling=Swelling.MILD, day=day(i + 1)) for i in range(n)]
    ms[-1] = morning(day(n - 1), swelling=last, day=day(n))
    return ms


def _cases_longer() -> list[Case]:
    runs = [checkin(day(n), S2 + 2) for n in (0, 2, 4, 7)]
    trend_c = ([checkin(day(n), S2 + 2, pain_during=1) for n in (0, 2, 4)]
               + [checkin(day(n), S2 + 2, pain_during=3) for n in (7, 9, 11)])
    return [
        Case("swelling for more than 72 h: rest", S2, 5, Action.REST, S2,
             ReasonCode.SWELLING_72H, mornings=_swelling_days(5)),
        Case("swelling over 72 h resolved: one level lower", S2, 7, Action.STEP_BACK, WALK30,
             ReasonCode.SWELLING_72H, mornings=_swelling_days(6, Swelling.NONE)),
        Case("swelling for 2 days is not the 72 h rule", S2, 3, Action.REPEAT, S2,
             ReasonCode.MORE_GREEN_SESSIONS_NEEDED, mornings=_swelling_days(2, Swelling.NONE)),
        Case("gap of 7 days without running: one level lower", S2 + 2, 15, Action.STEP_BACK,
             S2 + 1, ReasonCode.GAP_7_DAYS, checkins=runs, mornings=[morning(day(7))],
             values={"days": 7}),
        Case("gap of 14 days: two levels lower", S2 + 2, 22, Action.STEP_BACK, S2,
             ReasonCode.GAP_14_DAYS, checkins=runs, mornings=[morning(day(7))]),
        Case("low daily pain at a reassessment holds the stage", S2, 3, Action.REPEAT, S2,
             ReasonCode.DAILY_PAIN_LOW, reassessments=[passed_tests(day(2), daily_pain=2)],
             values={"pain": 2, "max": 0}),
        Case("rest pain 3 at a reassessment: back to stage 0", S2, 3, Action.STEP_BACK, 0,
             ReasonCode.REST_OR_DAILY_PAIN, reassessments=[passed_tests(day(2), rest_pain=3)],
             values={"rest_pain": 3}),
        Case("rising daily pain: back to stage 0", S2, 10, Action.STEP_BACK, 0,
             ReasonCode.REST_OR_DAILY_PAIN,
             reassessments=[passed_tests(day(2), daily_pain=1),
                            passed_tests(day(9), daily_pain=2)], values={"walk_pain": 2}),
        Case("tendon: stable daily pain 2 does not stop running", S2, 3, Action.REPEAT, S2,
             ReasonCode.MORE_GREEN_SESSIONS_NEEDED, injury=Injury.ACHILLES,
             reassessments=[passed_tests(day(2), daily_pain=2)]),
        Case("6 days without running is not a gap", S2 + 2, 14, Action.REPEAT, S2 + 2,
             ReasonCode.MORE_GREEN_SESSIONS_NEEDED, checkins=runs, mornings=[morning(day(7))]),
        Case("worsening weekly trend: step back", S2 + 2, 12, Action.STEP_BACK, S2 + 1,
             ReasonCode.WORSENING_TREND, checkins=trend_c,
             mornings=[morning(day(n)) for n in (0, 2, 4, 7, 9, 11)],
             values={"this_week": 3.0, "last_week": 1.0}),
    ]


def _cases_progress() -> list[Case]:
    c1, m1 = greens(WALK10, [0])
    s2c, s2m = greens(S2, [0, 2])
    ups = [LevelChange(day(1), S2 + 1, Action.PROGRESS),
           LevelChange(day(3), S2 + 2, Action.PROGRESS)]
    c_ups, m_ups = greens(S2 + 2, [3, 5])
    pend_c = [checkin(day(0), WALK10), checkin(day(2), WALK10)]
    return [
        Case("a walk without its morning check is not a green one", WALK10, 1, Action.REPEAT,
             WALK10, ReasonCode.MORNING_CHECK_PENDING, checkins=c1, values={"run_day":
                                                                            day(0).isoformat()}),
        Case("one green walk: +5 minutes (notes: +5 min a day)", WALK10, 1, Action.PROGRESS,
             WALK10 + 1, ReasonCode.GREEN_SESSIONS, checkins=c1, mornings=m1,
             values={"count": 1, "needed": 1}),
        Case("walk/run with two greens: progress", S2, 5, Action.PROGRESS, S2 + 1,
             ReasonCode.GREEN_SESSIONS, checkins=s2c, mornings=s2m,
             values={"count": 2, "needed": 2}),
        Case("walk/run: one green is not enough", S2, 5, Action.REPEAT, S2,
             ReasonCode.MORE_GREEN_SESSIONS_NEEDED, checkins=s2c[:1], mornings=s2m[:1],
             values={"count": 1, "needed": 2}),
        Case("no step up before the latest session's morning check", WALK10, 2,
             Action.REPEAT, WALK10, ReasonCode.MORNING_CHECK_PENDING, checkins=pend_c,
             mornings=[morning(day(0))]),
        Case("at most 2 levels up in 7 days on the walk/run ladder", S2 + 2, 6,
             Action.REPEAT, S2 + 2, ReasonCode.MAX_LEVELS_PER_WEEK, since=3, checkins=c_ups,
             mornings=m_ups, changes=ups, values={"ups": 2, "max": 2}),
        Case("poor sleep holds progress", WALK10, 2, Action.REPEAT, WALK10,
             ReasonCode.POOR_RECOVERY,
             checkins=[checkin(day(1), WALK10, sleep=4.0)], mornings=[morning(day(1))]),
    ]


def _cases_gates() -> list[Case]:
    c, m = greens(WALK30, [0, 1])
    s1 = dict(checkins=c, mornings=m)
    c4, m4 = greens(S5 - 1, [14, 16])
    c4 = [checkin(day(n), S5 - 2) for n in (7, 9, 11)] + c4  # last week's volume
    ch4 = [LevelChange(day(0), S4, Action.PROGRESS), LevelChange(day(10), S5 - 1,
                                                                 Action.PROGRESS)]
    return [
        Case("stage 1 -> 2 needs a recent reassessment", WALK30, 2, Action.REPEAT, WALK30,
             ReasonCode.REASSESSMENT_NEEDED, check=CheckAgain.WEEKLY, **s1),  # type: ignore[arg-type]
        Case("stale reassessment (8 days) does not count", WALK30, 9, Action.REPEAT, WALK30,
             ReasonCode.REASSESSMENT_NEEDED, reassessments=[passed_tests(day(1))],
             **s1),  # type: ignore[arg-type]
        Case("tests passed: walk/run starts", WALK30, 2, Action.PROGRESS, S2,
             ReasonCode.GATE_PASSED, reassessments=[passed_tests(day(2))], **s1),  # type: ignore[arg-type]
        Case("calf strain needs 30 heel raises", WALK30, 2, Action.REPEAT, WALK30,
             ReasonCode.GATE_FAILED, reassessments=[passed_tests(day(2), heel_raises_left=28,
                                                                 heel_raises_right=29)],
             values={"gate": "heel_raises", "min": 30}, **s1),  # type: ignore[arg-type]
        Case("Achilles: 25 heel raises are enough", WALK30, 2, Action.PROGRESS, S2,
             ReasonCode.GATE_PASSED, injury=Injury.ACHILLES,
             reassessments=[passed_tests(day(2), heel_raises_left=28, heel_raises_right=29)],
             **s1),  # type: ignore[arg-type]
        Case("limb symmetry below 90 %", WALK30, 2, Action.REPEAT, WALK30,
             ReasonCode.GATE_FAILED, reassessments=[passed_tests(day(2), heel_raises_left=30,
                                                                 heel_raises_right=36)],
             values={"gate": "limb_symmetry", "percent": 83}, **s1),  # type: ignore[arg-type]
        Case("painful hops fail", WALK30, 2, Action.REPEAT, WALK30, ReasonCode.GATE_FAILED,
             reassessments=[passed_tests(day(2), hop_pain=2)], values={"gate": "hops_pain_free"},
             **s1),  # type: ignore[arg-type]
        Case("morning stiffness of 10 min fails", WALK30, 2, Action.REPEAT, WALK30,
             ReasonCode.GATE_FAILED, reassessments=[passed_tests(day(2), morning_stiffness_min=10)],
             values={"gate": "morning_stiffness"}, **s1),  # type: ignore[arg-type]
        Case("walk test not done fails", WALK30, 2, Action.REPEAT, WALK30,
             ReasonCode.GATE_FAILED, reassessments=[passed_tests(day(2), walk_pain=None)],
             values={"gate": "walk_test"}, **s1),  # type: ignore[arg-type]
        Case("stage 5 needs readiness >= 50", S5 - 1, 17, Action.REPEAT, S5 - 1,
             ReasonCode.GATE_FAILED, since=10, checkins=c4, mornings=m4, changes=ch4,
             reassessments=[passed_tests(day(17), readiness=45)],
             values={"gate": "readiness", "score": 45}),
        Case("stage 5 needs 14 days in stage 4", S5 - 1, 17, Action.REPEAT, S5 - 1,
             ReasonCode.STAGE_STABILITY_NEEDED, since=10, checkins=c4, mornings=m4,
             changes=[LevelChange(day(8), S4, Action.PROGRESS),
                      LevelChange(day(10), S5 - 1, Action.PROGRESS)],
             reassessments=[passed_tests(day(17))], values={"days": 9, "needed": 14}),
        Case("stage 4 stable, ready: intensity starts", S5 - 1, 17, Action.PROGRESS, S5,
             ReasonCode.GATE_PASSED, since=10, checkins=c4, mornings=m4, changes=ch4,
             reassessments=[passed_tests(day(17))]),
    ]


ALL = (_cases_red_flags() + _cases_pain() + _cases_morning() + _cases_longer()
       + _cases_progress() + _cases_gates())


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_rule(case: Case) -> None:
    _run(case)


def test_pain_at_rest_or_daily_activities_starts_in_stage_0() -> None:
    from progression import start

    p = profile()
    d = start(replace(p, rest_pain=2), frozenset(), None, D0)
    assert d.stage == 0 and d.level == 0
    assert ReasonCode.REST_OR_DAILY_PAIN in [r.code for r in d.reasons]


def test_reduced_prescription_is_shorter() -> None:
    h = Case("x", S2 + 1, 5, Action.REPEAT, S2 + 1, ReasonCode.NOT_SETTLED_NEXT_MORNING,
             checkins=[checkin(day(4), S2 + 1)],
             mornings=[morning(day(4), stiffness=Compare.WORSE)]).history()
    d = decide(h, day(5))
    assert d.prescription.reduced
    assert Cue.REDUCED_SESSION in d.prescription.cues
    from progression import prescription_for
    full = prescription_for(S2 + 1, h.profile)
    assert d.prescription.running_minutes < full.running_minutes
    assert d.session_date >= day(6)  # reassess 48 h after the session


def test_step_back_at_the_bottom_becomes_a_reduced_repeat() -> None:
    h = History(profile(), 0, day(0), checkins=(checkin(day(1), 0, pain_during=6),))
    d = decide(h, day(2))
    assert d.action is Action.REPEAT and d.level == 0 and d.prescription.reduced
    assert d.reasons[0].code is ReasonCode.PAIN_DURING_OVER_CEILING


def test_cross_training_log_does_not_hide_the_run_and_its_morning() -> None:
    run = checkin(day(1), S2)
    cross = checkin(day(2), S2, outcome=Outcome.CROSS, pain_during=0)
    h = History(profile(), S2, day(0), checkins=(run, cross),
                mornings=(morning(day(1), pain=Compare.WORSE),))
    d = decide(h, day(2))
    assert d.action is Action.REPEAT and d.prescription.reduced
    assert ReasonCode.WORSE_ON_WAKING in [r.code for r in d.reasons]


def test_future_records_are_ignored() -> None:
    base = History(profile(), S2, day(0), checkins=(checkin(day(1), S2),),
                   mornings=(morning(day(1)),))
    future = History(profile(), S2, day(0),
                     checkins=(checkin(day(1), S2), checkin(day(9), S2, sharp=True)),
                     mornings=(morning(day(1)),),
                     red_flags=(RedFlagReport(day(9), frozenset({RedFlag.CLOT_SIGNS})),))
    assert decide(base, day(3)) == decide(future, day(3))


def test_stage_5_keeps_easy_days_between_intensity_sessions() -> None:
    lvl = S5 + 1
    h = History(profile(runs=4), lvl, day(0), checkins=(checkin(day(3), lvl),),
                mornings=(morning(day(3)),))
    d = decide(h, day(4))
    if d.session_date <= day(5):
        assert d.prescription.level != lvl
        assert ReasonCode.EASY_BETWEEN_HARD in [r.code for r in d.reasons]
    else:
        assert d.prescription.level == lvl
