"""Regression tests for the third clinical review (issue 23): each replays the history that
went wrong, storing decisions the way the bot does, and asserts what the runner is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import reports.pain
import reports.plan
from bench.simulation import _current, profiles, simulate, store
from locales import translator
from progression import (
    Action,
    CheckAgain,
    Compare,
    History,
    Injury,
    LevelChange,
    PastDecision,
    ReasonCode,
    SessionKind,
    Swelling,
    decide,
    first_level_of_stage,
    plan_week,
    running_minutes_of,
)
from tests.progression.prog_helpers import D0, checkin, morning, passed_tests, profile

S1 = first_level_of_stage(1)
S2 = first_level_of_stage(2)
S3 = first_level_of_stage(3)
S4 = first_level_of_stage(4)
S5 = first_level_of_stage(5)
L20 = S4 + 5  # 50 min easy


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def codes(d: object) -> list[ReasonCode]:
    return [r.code for r in d.reasons]  # type: ignore[attr-defined]


def words(d: object, today: date, *, escalation: bool = False) -> str:
    tr = translator("en")
    ctx = SimpleNamespace(tr=tr, lang="en", _=tr.gettext, n_=tr.ngettext, today=today,
                          runner=None)
    plan = reports.plan.PlanView.of(d, today, reports.pain.PainRule(2, 3))  # type: ignore[arg-type]
    return reports.plan.decision_text(ctx, plan, escalation=escalation)  # type: ignore[arg-type]


def after(h: History, n: int) -> History:
    """The decision after new answers on day n, stored (as the conversations do)."""
    return store(h, decide(h, day(n)), day(n))


def green_run(h: History, n: int) -> History:
    rx = decide(h, day(n)).prescription
    h = after(replace(h, checkins=(*h.checkins, checkin(day(n), rx.level,
                                                         running=rx.running_minutes))), n)
    return after(replace(h, mornings=(*h.mornings, morning(day(n)))), n + 1)


def away_at_l20() -> History:
    """One green run at L20 (day 2), then nothing: the runner is away."""
    runs = (checkin(day(0), L20 - 1), checkin(day(2), L20))
    return History(profile(runs=4), L20, day(1), checkins=runs,
                   mornings=tuple(morning(c.day) for c in runs),
                   level_changes=(LevelChange(day(1), L20, Action.PROGRESS),))


# ---------------------------------------------------------------- 1. gaps
def test_a_41_day_gap_is_measured_from_the_last_run_once_per_tier() -> None:
    """The daily prompt decides every day of a holiday: 7 days one level down, 14 two (of
    the level the gap began at, not one more a week), 28 the walk/run entry and the tests."""
    h = away_at_l20()
    levels = {}
    for n in range(3, 44):
        h, d = _current(h, day(n))
        levels[n] = d.level
    assert levels[9] == L20  # 6 days without running: no gap yet
    assert levels[10] == L20 - 1 and levels[16] == L20 - 1
    assert levels[17] == L20 - 2 and levels[30] == L20 - 2
    assert levels[31] == S2 and levels[43] == S2
    gap_steps = [p for p in h.past if p.codes & {ReasonCode.GAP_7_DAYS, ReasonCode.GAP_14_DAYS,
                                                 ReasonCode.GAP_28_DAYS}]
    assert len(gap_steps) == 3  # once per tier, never once a week
    d = decide(h, day(43))
    assert d.prescription.kind is SessionKind.WALK_RUN
    assert ReasonCode.REASSESSMENT_NEEDED in codes(d)
    # no continuous running before the ready-to-run tests are passed again
    for n in (44, 46):
        h = green_run(h, n)
    d = decide(h, day(48))
    assert d.action is Action.REPEAT and ReasonCode.REASSESSMENT_NEEDED in codes(d)


def test_back_after_41_days_the_runner_reads_the_gap_and_the_reassessment() -> None:
    d = decide(away_at_l20(), day(44))
    assert d.action is Action.STEP_BACK and d.level == S2
    assert d.check_again is CheckAgain.WEEKLY and d.check_again_date == day(44)
    said = words(d, day(44))
    assert "It has been 41 days since your last run, so we go back to the start of the " \
           "walk/run intervals and a reassessment." in said
    assert "send /reassess" in said


def test_14_to_27_days_give_two_levels_in_one_step() -> None:
    d = decide(away_at_l20(), day(20))
    assert d.action is Action.STEP_BACK and d.level == L20 - 2
    assert d.reasons[0].code is ReasonCode.GAP_14_DAYS
    assert "17 days since your last run, so we restart two levels lower" in words(d, day(20))


def test_no_step_up_on_greens_from_before_a_week_away() -> None:
    """A runner at the walk/run entry (no level to take off) had two greens, then a physio's
    hold, then a holiday: the hold ends on day 16 of it, and she does not move up on runs
    she did more than a week ago."""
    runs = (checkin(day(0), S2), checkin(day(2), S2))
    h = History(profile(), S2, day(0), checkins=runs,
                mornings=tuple(morning(c.day) for c in runs))
    assert decide(h, day(4)).action is Action.PROGRESS  # the runner the hold kept back
    for n in (10, 16, 19):
        d = decide(h, day(n))
        assert d.action is Action.REPEAT and d.level == S2, n
        assert "0 of 2 good sessions at this level so far" in words(d, day(n))


def test_holiday_step_backs_do_not_send_the_runner_to_a_doctor() -> None:
    h = away_at_l20()
    for n in range(3, 40):
        h, d = _current(h, day(n))
        assert not d.has(ReasonCode.CLINICIAN_REVIEW_ADVISED), n


# ---------------------------------------------------------------- 2. an unsettled session
def _two_greens_then_a_stiff_morning() -> History:
    return History(profile(), S2, day(0), checkins=(checkin(day(0), S2), checkin(day(2), S2),
                                                    checkin(day(4), S2)),
                   mornings=(morning(day(0)), morning(day(2)),
                             morning(day(4), stiffness=Compare.WORSE)))


def test_greens_before_an_unsettled_morning_no_longer_count() -> None:
    """Two green runs, then a third whose next morning was stiffer: after the 48-hour hold
    the runner does not move up on the two greens from before it."""
    h = _two_greens_then_a_stiff_morning()
    d = decide(h, day(5))
    assert d.action is Action.REPEAT and d.prescription.reduced
    assert ReasonCode.NOT_SETTLED_NEXT_MORNING in codes(d)
    h = store(h, d, day(5))
    h = replace(h, mornings=(*h.mornings, morning(day(4), day=day(6))))  # the look again
    for n in (6, 7, 8):
        d = decide(h, day(n))
        assert d.action is Action.REPEAT, n
        assert ReasonCode.MORE_GREEN_SESSIONS_NEEDED in codes(d) or \
            ReasonCode.NOT_SETTLED_NEXT_MORNING in codes(d)
    said = words(decide(h, day(8)), day(8))
    assert "0 of 2 good sessions at this level so far: 2 more to go." in said


def test_the_walker_does_not_run_two_days_after_a_stiffer_morning() -> None:
    """The reviewer's runner went from walking to her first run two days after a stiffer
    morning: two good walks before it no longer count once the 48-hour hold ends."""
    walk30 = S2 - 1
    walks = tuple(checkin(day(n), walk30) for n in (0, 1, 2))
    h = History(profile(), walk30, day(0), checkins=walks,
                mornings=(morning(day(0)), morning(day(1)),
                          morning(day(2), stiffness=Compare.WORSE)),
                reassessments=(passed_tests(day(2)),))
    for n in (3, 4, 5):
        d = decide(h, day(n))
        assert d.action is Action.REPEAT and d.stage == 1, n


def test_no_step_up_before_the_latest_sessions_morning_check() -> None:
    cs = (checkin(day(0), S2), checkin(day(2), S2), checkin(day(4), S2))
    h = History(profile(), S2, day(0), checkins=cs, mornings=(morning(day(0)), morning(day(2))))
    d = decide(h, day(4))  # two greens, and today's run has no morning check yet
    assert d.action is Action.REPEAT and ReasonCode.MORNING_CHECK_PENDING in codes(d)
    assert "I'm waiting for your morning check" in words(d, day(4))
    assert decide(h, day(6)).action is Action.REPEAT  # due yesterday: overdue by one day
    d = decide(h, day(7))  # overdue by more than a day: the step up says so
    assert d.action is Action.PROGRESS
    assert ReasonCode.MORNING_CHECK_MISSING in codes(d)
    assert "No morning check came after your session on Mar 6" in words(d, day(7))


# ---------------------------------------------------------------- 3. lesser sessions
def test_reduced_and_capped_sessions_are_not_green_at_the_level() -> None:
    lvl = S2 + 1
    half = decide(History(profile(), lvl, day(0), checkins=(checkin(day(0), lvl),),
                          mornings=(morning(day(0), stiffness=Compare.WORSE),)), day(1))
    assert half.prescription.reduced
    reduced_run = half.prescription.running_minutes
    assert reduced_run < running_minutes_of(lvl)
    cs = (checkin(day(2), lvl, running=reduced_run), checkin(day(4), lvl - 1))  # capped
    h = History(profile(), lvl, day(0), checkins=cs, mornings=tuple(morning(c.day) for c in cs))
    d = decide(h, day(5))
    assert d.action is Action.REPEAT
    assert "0 of 2 good sessions at this level so far" in words(d, day(5))
    full = (checkin(day(6), lvl), checkin(day(8), lvl))
    h = replace(h, checkins=(*cs, *full), mornings=(*h.mornings, *(morning(c.day)
                                                                     for c in full)))
    assert decide(h, day(9)).action is Action.PROGRESS


def test_a_capped_session_is_stored_at_the_level_it_fits() -> None:
    lvl = S4 + 3  # 42 min
    last = tuple(checkin(day(n), lvl, running=20) for n in (0, 2))  # 40 min last week
    this = (checkin(day(7), lvl, running=20),)  # 50 allowed this week: 30 left
    h = History(replace(profile(runs=4), minutes_per_week_before=0), lvl, day(0),
                checkins=last + this, mornings=tuple(morning(c.day) for c in last + this))
    d = decide(h, day(9))
    rx = d.prescription
    assert rx.capped and rx.running_minutes < running_minutes_of(lvl)
    assert rx.level < lvl and running_minutes_of(rx.level) <= rx.running_minutes


# ---------------------------------------------------------------- 6. escalation
def _three_step_backs() -> tuple[PastDecision, ...]:
    return tuple(PastDecision(day(n), Action.STEP_BACK, S2 + 2 - k,
                              frozenset({ReasonCode.SHARP_OR_LIMP}),
                              frozenset({(ReasonCode.SHARP_OR_LIMP, day(n))}))
                 for k, n in enumerate((2, 9, 16)))


def test_no_see_a_doctor_while_the_physio_holds_the_plan() -> None:
    h = History(profile(), S2, day(16), past=_three_step_backs(), care_hold=True)
    d = decide(h, day(18))
    assert not d.has(ReasonCode.CLINICIAN_REVIEW_ADVISED)
    assert d.has(ReasonCode.CARE_TEAM_REVIEW)
    said = words(d, day(18), escalation=True)
    assert "doctor" not in said and "I've let them know" in said
    # and 28 days without progress under the physio's own hold is no reason at all
    cs = tuple(checkin(day(n), S2) for n in range(0, 30, 3))
    held = History(profile(), S2, day(0), checkins=cs,
                   past=(PastDecision(day(0), Action.REPEAT, S2),), care_hold=True)
    d = decide(held, day(30))
    assert not d.has(ReasonCode.CLINICIAN_REVIEW_ADVISED)
    assert not d.has(ReasonCode.CARE_TEAM_REVIEW)


def test_the_review_line_clears_once_the_runner_moves_up_again() -> None:
    past = (*_three_step_backs(), PastDecision(day(20), Action.PROGRESS, S2 + 1))
    h = History(profile(), S2 + 1, day(20), past=past)
    assert not decide(h, day(22)).has(ReasonCode.CLINICIAN_REVIEW_ADVISED)
    h = History(profile(), S2, day(16), past=past[:3])
    assert decide(h, day(18)).has(ReasonCode.CLINICIAN_REVIEW_ADVISED)


# ---------------------------------------------------------------- 7. over-caution
def test_the_walking_stage_takes_about_a_week_without_tests_at_onboarding() -> None:
    t = simulate(profiles()["no_tests"], days=21)
    assert t.left_walking is not None and (t.left_walking - D0).days <= 7
    walks = [c for c in t.history.checkins if c.running_minutes == 0]
    assert [c.minutes for c in walks][:5] == [10, 15, 20, 25, 30]  # +5 min a walk


def test_rest_pain_3_in_stage_4_is_a_detour_not_a_restart() -> None:
    runs = tuple(checkin(day(n), L20) for n in (0, 2))
    h = History(profile(), L20, day(0), checkins=runs,
                mornings=tuple(morning(c.day) for c in runs),
                past=(PastDecision(day(2), Action.REPEAT, L20),),
                reassessments=(passed_tests(day(3), rest_pain=3),))
    d = decide(h, day(3))
    assert d.action is Action.STEP_BACK and d.stage == 0
    h = store(h, d, day(3))
    assert ReasonCode.REASSESSMENT_NEEDED in codes(decide(h, day(6)))  # retest in 3 days
    h = replace(h, reassessments=(*h.reassessments, passed_tests(day(6),
                                                                 swelling=Swelling.NONE)))
    d = decide(h, day(6))
    assert d.level == L20 - 1 and d.reasons[0].code is ReasonCode.REST_PAIN_SETTLED
    assert "settled, so you go back to your training, a little lower" in words(d, day(6))
    h = store(h, d, day(6))
    assert decide(h, day(7)).level == L20 - 1  # acted on once; no gap step on top


def test_three_run_days_get_one_quality_session_a_week_in_stage_5() -> None:
    last_week = tuple(checkin(day(n), S4 + 7, running=50) for n in (-7, -5, -3))
    quality = checkin(day(0), S5 + 1)
    three = replace(profile(runs=3), minutes_per_week_before=150)
    h = History(three, S5 + 1, day(-1), checkins=(*last_week, quality),
                mornings=tuple(morning(c.day) for c in (*last_week, quality)))
    plan = [p for p in plan_week(h, day(1)) if p.is_run_day and p.day < day(7)]
    assert len(plan) == 2  # the week's other two runs...
    assert all(p.prescription.stage < 5 for p in plan)  # ...are easy: quality again on day 7
    assert sum(p.prescription.running_minutes for p in plan) >= 100
    four = replace(h, profile=replace(three, run_days_per_week=4))
    assert any(p.prescription.stage == 5 for p in plan_week(four, day(1)) if p.is_run_day)


def test_issue_23_trajectories() -> None:
    runs = {name: simulate(profiles()[name], days=7 * 20)
            for name in ("three_runs", "flare_week4", "no_tests")}
    three = runs["three_runs"]
    assert three.weeks(three.preinjury_week) <= 14  # type: ignore[operator]
    flare = runs["flare_week4"]
    assert flare.weeks(flare.continuous_30) <= 5  # type: ignore[operator]
    assert all(not t.violations for t in runs.values())


def test_tendon_night_pain_refers_too() -> None:
    h = History(profile(Injury.ACHILLES), S3, day(0),
                mornings=(morning(day(0), night_pain=True),))
    assert decide(h, day(1)).action is Action.REFER
