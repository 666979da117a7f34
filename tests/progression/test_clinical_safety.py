"""Regression tests for the clinical-safety review (issue 10) and the pace review (issue 11).

Each test replays the history that went wrong, storing decisions the way the bot does
(`bench.simulation.store`), and asserts what the runner is then told to do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import reports.pain
import reports.plan
import reports.words
from bench.simulation import profiles, simulate, store
from locales import translator
from progression import (
    Action,
    CheckIn,
    Compare,
    Cue,
    History,
    Injury,
    MorningCheck,
    Outcome,
    PastDecision,
    Profile,
    ReasonCode,
    Reassessment,
    RedFlag,
    RedFlagReport,
    SessionKind,
    Side,
    Swelling,
    decide,
    first_level_of_stage,
    plan_week,
    start,
    weekly_limit,
)
from tests.progression.prog_helpers import D0, checkin, morning, passed_tests, profile

S1 = first_level_of_stage(1)
S2 = first_level_of_stage(2)
S3 = first_level_of_stage(3)
S4 = first_level_of_stage(4)
S5 = first_level_of_stage(5)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def codes(d: object) -> list[ReasonCode]:
    return [r.code for r in d.reasons]  # type: ignore[attr-defined]


def words(d: object, today: date, *, escalation: bool = False) -> str:
    """What the runner reads about a decision (English)."""
    tr = translator("en")
    ctx = SimpleNamespace(tr=tr, lang="en", _=tr.gettext, n_=tr.ngettext, today=today,
                          runner=None)
    plan = reports.plan.PlanView.of(d, today, reports.pain.PainRule(2, 3))  # type: ignore[arg-type]
    return reports.plan.decision_text(ctx, plan, escalation=escalation)  # type: ignore[arg-type]


def told_to_run_today(h: History, today: date) -> bool:
    d = decide(h, today)
    return plan_week(h, today)[0].is_run_day or (
        d.session_date == today and d.prescription.running_minutes > 0)


def green_run(h: History, n: int) -> History:
    """A green run on day n, its settled morning, and the decisions stored after each."""
    rx = decide(h, day(n)).prescription
    c = checkin(day(n), rx.level, running=rx.running_minutes)
    h = store(replace(h, checkins=(*h.checkins, c)), decide(replace(
        h, checkins=(*h.checkins, c)), day(n)), day(n))
    h = replace(h, mornings=(*h.mornings, morning(day(n))))
    return store(h, decide(h, day(n + 1)), day(n + 1))


# ---------------------------------------------------------------- 1. referrals hold
def test_shin_night_pain_referral_holds_until_a_clinician_clears() -> None:
    p = profile(Injury.SHIN_PAIN)
    h = History(p, S3, day(0), checkins=(checkin(day(1), S3),),
                mornings=(morning(day(1), night_pain=True),))
    d = decide(h, day(2))
    assert d.action is Action.REFER and ReasonCode.BONE_STRESS_SUSPECTED in codes(d)
    h = store(h, d, day(2))
    # the next morning: "no night pain" is not a clinician's clearance
    h = replace(h, mornings=(*h.mornings, morning(day(1), day=day(3))))
    d = decide(h, day(3))
    assert d.action is Action.REFER
    said = words(d, day(3))
    assert "See a doctor before any further running or hopping." in said
    assert "stopped your plan until a clinician has examined you" in said
    assert "Next session" not in said
    assert d.prescription.kind is SessionKind.REST and d.prescription.running_minutes == 0
    assert Cue.SEE_CLINICIAN in d.prescription.cues
    assert not any(x.is_run_day for x in plan_week(h, day(3)))
    # a clear re-screen is not one either
    h = replace(h, red_flags=(RedFlagReport(day(4), frozenset()),))
    assert decide(h, day(5)).action is Action.REFER
    # the runner confirms a clinician examined and cleared them: restart with walking
    h = replace(h, red_flags=(*h.red_flags, RedFlagReport(day(9), frozenset(), 1)))
    d = decide(h, day(9))
    assert d.action is Action.STEP_BACK and d.level == S1
    assert d.reasons[0].code is ReasonCode.RED_FLAG_CLEARED
    assert d.prescription.kind is SessionKind.WALK
    said = words(d, day(9))
    assert "A clinician has cleared you" in said and "Brisk walk" in said
    h = store(h, d, day(9))
    d = decide(h, day(10))  # acted on once: walking continues, no second step back
    assert d.action is Action.REPEAT and d.level == S1


def test_clot_referral_is_not_cleared_by_a_clear_screen() -> None:
    h = History(profile(), S2 + 1, day(0),
                red_flags=(RedFlagReport(day(3), frozenset({RedFlag.CLOT_SIGNS})),
                           RedFlagReport(day(4), frozenset())))
    for n in range(4, 30, 5):
        assert decide(h, day(n)).action is Action.REFER
    h = replace(h, red_flags=(*h.red_flags, RedFlagReport(day(30), frozenset(), 0)))
    d = decide(h, day(30))
    assert d.level == first_level_of_stage(0)  # the clinician asked to go slower


# ---------------------------------------------------------------- 2. same-day flags
def test_a_flag_on_the_day_of_a_step_back_still_refers() -> None:
    h = History(profile(), S4, day(0), checkins=(checkin(day(5), S4, pain_during=6),))
    d = decide(h, day(5))
    assert d.action is Action.STEP_BACK
    h = store(h, d, day(5))
    h = replace(h, red_flags=(RedFlagReport(day(5), frozenset({RedFlag.BONY_TENDERNESS})),))
    assert decide(h, day(5)).action is Action.REFER
    h = replace(h, red_flags=(*h.red_flags, RedFlagReport(day(6), frozenset())))
    for n in (6, 9, 12):  # "clear" at the re-screen: still referred, never 45-min runs
        d = decide(h, day(n))
        assert d.action is Action.REFER and d.prescription.running_minutes == 0
        assert "See a doctor before any further running or hopping." in words(d, day(n))


# ---------------------------------------------------------------- 3. every session counts
def test_pain_in_cross_training_steps_back_and_blocks_progress_for_48_hours() -> None:
    cs = [checkin(day(n), S2 + 1) for n in (0, 2)]
    ms = [morning(day(n)) for n in (0, 2)]
    cross = checkin(day(3), S2 + 1, outcome=Outcome.CROSS, pain_during=8)
    h = History(profile(), S2 + 1, day(0), checkins=(*cs, cross), mornings=tuple(ms))
    d = decide(h, day(3))
    assert d.action is Action.STEP_BACK and d.reasons[0].code is ReasonCode.PAIN_DURING_OVER_CEILING
    said = words(d, day(3))
    assert "Pain during the session (8/10) went above 3/10" in said
    assert "Next session: tomorrow" in said
    assert not told_to_run_today(store(h, d, day(3)), day(3))
    h = store(h, d, day(3))
    for n in (4, 5):  # two green sessions at the lower level do not lift it within 48 h
        d = decide(h, day(n))
        assert d.action is not Action.PROGRESS
    sharp = replace(h, checkins=(*h.checkins, checkin(day(6), S2, outcome=Outcome.CROSS,
                                                      sharp=True)))
    assert decide(sharp, day(6)).reasons[0].code is ReasonCode.SHARP_OR_LIMP


# ---------------------------------------------------------------- 4. no run on a bad morning
def test_no_run_on_the_morning_of_worse_on_waking() -> None:
    h = History(profile(runs=4), S4 + 3, day(0), checkins=(checkin(day(4), S4 + 3),),
                mornings=(morning(day(4), pain=Compare.WORSE),))
    d = decide(h, day(5))
    # half a step back (issue 23 item 8): the level's shorter session, never today
    assert d.action is Action.REPEAT and d.prescription.reduced and d.session_date > day(5)
    assert ReasonCode.NO_RUN_ON_STEP_BACK_DAY in codes(d)
    said = words(d, day(5))
    assert "You woke up worse than before the session, so we take half a step back." in said
    assert "No run on the day of a step back" in said and "Next session: tomorrow" in said
    h = store(h, d, day(5))
    # /today, /plan and the daily prompt decide again that morning: they agree
    again = decide(h, day(5))
    assert again.action is Action.REPEAT and again.session_date == day(6)
    assert "Next session: tomorrow" in words(again, day(5))
    assert not told_to_run_today(h, day(5))
    assert plan_week(h, day(5))[1].is_run_day


# ---------------------------------------------------------------- 5. the first answer stands
def test_a_later_morning_check_does_not_overwrite_the_first() -> None:
    h = History(profile(), S2, day(0), checkins=(checkin(day(0), S2), checkin(day(2), S2)),
                mornings=(morning(day(0)), morning(day(2), stiffness=Compare.WORSE),
                          morning(day(2), day=day(3))))  # a second answer: "same"
    d = decide(h, day(3))
    assert d.action is Action.REPEAT and ReasonCode.NOT_SETTLED_NEXT_MORNING in codes(d)
    assert "had not settled by the next morning" in words(d, day(3))


# ---------------------------------------------------------------- 6. no lock-up at level 0
def test_an_event_at_level_0_is_acted_on_once() -> None:
    h = History(profile(), 0, day(0), checkins=(checkin(day(1), 0, sharp=True),),
                mornings=(morning(day(1)),))
    d = decide(h, day(2))
    assert d.action is Action.REPEAT and d.reasons[0].code is ReasonCode.SHARP_OR_LIMP
    assert d.prescription.reduced
    h = store(h, d, day(2))
    for n in (3, 5):
        h = green_run(h, n)
    # two green sessions after it, and the runner moves up the next morning
    assert h.level == 1 and h.level_since == day(6)
    assert not any(ReasonCode.SHARP_OR_LIMP in p.codes for p in h.past[1:])


# ---------------------------------------------------------------- 7. long gaps
def test_twelve_weeks_off_restart_at_the_walk_run_entry_and_retest() -> None:
    h = History(profile(), S5 + 2, day(0), last_run_day=day(0))
    d = decide(h, day(85))
    assert d.action is Action.STEP_BACK and d.level == S2
    assert d.reasons[0].code is ReasonCode.GAP_28_DAYS and d.reasons[0].as_dict()["days"] == 84
    assert "It has been 84 days since your last run" in words(d, day(85))
    h = store(h, d, day(85))
    for n in (86, 88):
        h = green_run(h, n)
    d = decide(h, day(90))
    assert d.action is Action.REPEAT and ReasonCode.REASSESSMENT_NEEDED in codes(d)
    h = replace(h, reassessments=(passed_tests(day(90)),))
    assert decide(h, day(90)).action is Action.PROGRESS


def test_a_42_day_gap_is_not_a_30_minute_run() -> None:
    runs = tuple(checkin(day(n), S3 + 2) for n in (0, 2))
    h = History(profile(), S3 + 2, day(0), checkins=runs)
    d = decide(h, day(45))
    assert d.level == S2 and d.prescription.kind is SessionKind.WALK_RUN


# ---------------------------------------------------------------- 8. escalation
def _step_back(n: int, level: int) -> PastDecision:
    return PastDecision(day(n), Action.STEP_BACK, level, frozenset({ReasonCode.SHARP_OR_LIMP}),
                        frozenset({(ReasonCode.SHARP_OR_LIMP, day(n))}))


def test_three_step_backs_in_28_days_advise_a_clinician_review() -> None:
    past = tuple(_step_back(n, S2 + 2 - k) for k, n in enumerate((2, 9, 16)))
    h = History(profile(), S2, day(16), past=past)
    d = decide(h, day(18))
    review = [r for r in d.reasons if r.code is ReasonCode.CLINICIAN_REVIEW_ADVISED]
    assert review and review[0].as_dict()["why"] == "step_backs"
    assert review[0].as_dict()["step_backs"] == 3
    assert "We had to step back 3 times in 28 days." in words(d, day(18), escalation=True)
    h2 = History(profile(), S2, day(16), past=past[:2])
    assert ReasonCode.CLINICIAN_REVIEW_ADVISED not in codes(decide(h2, day(18)))


def test_four_weeks_without_progress_advise_a_review() -> None:
    cs = tuple(checkin(day(n), S2, pain_during=3) for n in range(0, 30, 3))
    past = (PastDecision(day(0), Action.REPEAT, S2),)
    d = decide(History(profile(), S2, day(0), checkins=cs, past=past), day(30))
    review = [r for r in d.reasons if r.code is ReasonCode.CLINICIAN_REVIEW_ADVISED]
    assert review and review[0].as_dict()["why"] == "no_progress"


def test_night_pain_in_a_morning_check_refers_like_the_re_screen() -> None:
    """Issue 23 item 5: one answer, one action: pain that wakes at night is a red flag for
    every injury, in a morning check as at the weekly re-screen (notes §1)."""
    ms = (morning(day(0), night_pain=True, day=day(1)),)
    morning_said = decide(History(profile(), S2, day(0), mornings=ms), day(1))
    screen = (RedFlagReport(day(1), frozenset({RedFlag.NIGHT_PAIN})),)
    screen_said = decide(History(profile(), S2, day(0), red_flags=screen), day(1))
    assert morning_said.action is screen_said.action is Action.REFER
    assert words(morning_said, day(1)) == words(screen_said, day(1))
    assert "See a doctor before any further running or hopping." in words(morning_said, day(1))


# ---------------------------------------------------------------- 9. light-week baseline
def _weeks_of(minutes: tuple[int, ...], level: int) -> tuple[CheckIn, ...]:
    out = []
    for w, m in enumerate(minutes):
        out += [checkin(day(7 * w + k * 2), level, running=m // 2) for k in range(2)]
    return tuple(out)


def test_a_symptom_week_is_not_a_prescribed_deload() -> None:
    novice = replace(profile(), minutes_per_week_before=0, runs_per_week_before=0)
    cs = _weeks_of((30, 36, 42, 48, 20), S4)
    h = History(novice, S4 + 7, day(0), checkins=cs, mornings=tuple(morning(c.day) for c in cs))
    d = decide(h, day(35))
    cap = next(r for r in d.reasons if r.code is ReasonCode.WEEKLY_MINUTES_CAP).as_dict()
    assert cap["limit"] == weekly_limit(20, 0, 4) == 30
    assert "This week's running is capped at 30 minutes" in words(d, day(35))
    # after a lighter week the engine prescribed, the week before it is the baseline
    deload = (PastDecision(day(29), Action.REPEAT, S4 + 7, frozenset({ReasonCode.DELOAD_WEEK})),)
    d = decide(replace(h, past=deload), day(35))
    cap = next(r for r in d.reasons if r.code is ReasonCode.WEEKLY_MINUTES_CAP).as_dict()
    assert cap["limit"] == 58


# ---------------------------------------------------------------- issue 11: placement
def test_calf_runner_walking_30_min_pain_free_is_on_the_walk_run_ladder_in_week_one() -> None:
    p = Profile(Injury.CALF_STRAIN, Side.LEFT, D0 - timedelta(days=14), 0, 0, 4, 150, 4)
    tests = replace(passed_tests(D0), hops_left=7)  # 7 of 10 hops pain-free
    d = start(p, frozenset(), tests, D0)
    assert d.stage == 1 and d.level == S2 - 1  # the ready-to-run tests, not cycling
    assert d.prescription.kind is SessionKind.WALK
    # stored as the bot does: the onboarding tests are the first reassessment
    h = store(History(p, d.level, D0, reassessments=(tests,)), d, D0)
    for n in (0, 1):
        h = green_run(h, n)
    d = decide(h, day(2))
    assert ReasonCode.GATE_FAILED in codes(d) and d.check_again_date == day(3)
    d = decide(h, day(3))
    assert ReasonCode.REASSESSMENT_NEEDED in codes(d)  # the retest is offered on day 3
    h = replace(h, reassessments=(tests, passed_tests(day(3))))
    d = decide(h, day(3))
    assert d.action is Action.PROGRESS and d.level == S2
    assert d.prescription.kind is SessionKind.WALK_RUN and d.session_date <= day(6)


def test_a_walk_without_test_results_asks_for_the_tests_at_once() -> None:
    p = Profile(Injury.CALF_STRAIN, Side.LEFT, D0 - timedelta(days=14), 0, 0, 3, 90, 3)
    walked = Reassessment(D0, None, None, None, None, None, None, None, None, 0, None, 0, 0)
    d = start(p, frozenset(), walked, D0)
    assert d.level == S2 - 1  # a pain-free 30-minute walk skips the walking stage
    h = store(History(p, d.level, D0, reassessments=(walked,)), d, D0)
    for n in (0, 1):
        h = green_run(h, n)
    d = decide(h, day(2))
    assert ReasonCode.REASSESSMENT_NEEDED in codes(d) and d.check_again_date == day(2)


def test_placement_by_tissue() -> None:
    achilles = Profile(Injury.ACHILLES, Side.LEFT, D0, 0, 1, 3, 120, 3)
    assert start(achilles, frozenset(), None, D0).stage == 1  # stable 1/10 is no reason to stop
    calf = replace(achilles, injury=Injury.CALF_STRAIN)
    assert start(calf, frozenset(), None, D0).stage == 0
    assert start(achilles, frozenset(), passed_tests(D0), D0).level == S2


def test_every_running_prescription_states_the_pain_limit_and_own_cadence() -> None:
    p = replace(profile(Injury.HAMSTRING_STRAIN), cadence_spm=160)
    d = decide(History(p, S3, day(0)), day(0))
    assert d.prescription.pain_limit == 2
    assert d.prescription.cadence_target == (168, 176)
    tendon = decide(History(profile(Injury.PATELLAR), S3, day(0)), day(0))
    assert tendon.prescription.pain_limit == 5 and tendon.prescription.cadence_target is None


def test_capped_sessions_do_not_count_and_a_progress_is_not_blocked_by_the_week() -> None:
    lvl = S4 + 1
    cs = (checkin(day(0), lvl, running=25), checkin(day(2), lvl, running=20))
    h = History(profile(runs=4), lvl, day(0), checkins=cs,
                mornings=tuple(morning(c.day) for c in cs))
    d = decide(h, day(3))  # issue 23 item 3: a shortened session is not the level's own
    assert d.action is Action.REPEAT and ReasonCode.MORE_GREEN_SESSIONS_NEEDED in codes(d)
    full = (checkin(day(0), lvl), checkin(day(2), lvl))  # 72 of this week's minutes run
    h = History(replace(profile(runs=4), minutes_per_week_before=60), lvl, day(0),
                checkins=full, mornings=tuple(morning(c.day) for c in full))
    d = decide(h, day(3))
    assert d.action is Action.PROGRESS and d.level == lvl + 1


def test_one_run_in_three_at_3_of_10_is_not_a_worsening_trend() -> None:
    t = simulate(profiles()["muscle"], days=84)
    assert not any(ReasonCode.WORSENING_TREND in p.codes and p.events for p in t.history.past)
    assert not t.violations


def test_trajectory_targets() -> None:
    runs = {name: simulate(r, days=7 * 20) for name, r in profiles().items()}
    trained = runs["trained"]
    assert trained.weeks(trained.continuous_30) <= 4  # type: ignore[operator]
    assert trained.weeks(trained.preinjury_week) <= 12  # type: ignore[operator]
    assert runs["novice"].weeks(runs["novice"].continuous_30) <= 9  # type: ignore[operator]
    assert runs["tendon"].weeks(runs["tendon"].continuous_30) <= 8  # type: ignore[operator]
    assert all(not t.violations for t in runs.values())


def test_swelling_report_keeps_its_meaning() -> None:
    m = MorningCheck(day(1), day(0), Compare.SAME, Compare.SAME, Swelling.VISIBLE)
    h = History(profile(), S2 + 1, day(0), checkins=(checkin(day(0), S2 + 1),), mornings=(m,))
    d = decide(h, day(1))
    assert d.action is Action.STEP_BACK
    assert d.reasons[0].code is ReasonCode.SWELLING_AFTER_SESSION


def test_an_old_night_pain_episode_stops_advising_a_review() -> None:
    ms = (morning(day(0), night_pain=True, day=day(1)), morning(day(0), day=day(2)),
          morning(day(5), night_pain=True, day=day(6)), morning(day(5), day=day(7)))
    d = decide(History(profile(), S2, day(0), mornings=ms), day(40))
    assert ReasonCode.CLINICIAN_REVIEW_ADVISED not in codes(d)
