"""Escalation: advise a clinician review (it does not stop the plan; a red flag does) after
3+ step-backs for symptoms in 28 days, or 4 weeks of training without a progress
(docs/protocol.md §4, "clinician_review_advised").

Only symptom step-backs count (a gap's or a clearance's restart does not), and the advice
clears once the runner moves up again after the latest of them. While a care-team member
holds or caps the plan the runner is not sent elsewhere: the member is told instead
(`care_team_review`), and weeks without a progress that the member's own hold or cap
explain are no reason at all."""

from __future__ import annotations

from datetime import timedelta

from .enums import Action, Outcome, ReasonCode
from .history_index import _Ctx
from .ladder import MAX_LEVEL, first_level_of_stage
from .limits import (
    ESCALATE_MIN_SESSIONS,
    ESCALATE_NO_PROGRESS_DAYS,
    ESCALATE_STEP_BACKS,
    ESCALATE_WINDOW_DAYS,
)
from .models import Decision, Reason
from .reasons import _r

# the events of a step back (or rest, or protect spell) for symptoms; a half step back
# (worse or unsettled morning, re-checked after 48 h) is not one, nor is a gap's restart
SYMPTOM_STEP_BACKS = frozenset({
    ReasonCode.SHARP_OR_LIMP,
    ReasonCode.PAIN_DURING_OVER_CEILING,
    ReasonCode.PAIN_AFTER_OVER_CEILING,
    ReasonCode.SWELLING_AFTER_SESSION,
    ReasonCode.SYMPTOMS_AFTER_PROGRESS,
    ReasonCode.NOT_SETTLED_AFTER_48H,
    ReasonCode.SWELLING_72H,
    ReasonCode.WORSENING_TREND,
    ReasonCode.REST_OR_DAILY_PAIN,
    ReasonCode.NIGHT_PAIN_RESOLVED,  # decisions stored before night pain referred
})


def clinician_review(ctx: _Ctx, d: Decision) -> Reason | None:
    """Advise a clinician review after 3+ symptom step-backs in 28 days or 4 weeks of training
    without progress; to the care team instead while a member holds or caps the plan."""
    if d.action is Action.PROGRESS:
        return None  # moving up again: the advice clears
    today = ctx.today
    window = today - timedelta(days=ESCALATE_WINDOW_DAYS)
    acted = {e for p in ctx.past if p.day > window for e in p.events}
    acted |= d.events
    step_backs = len({e for e in acted if e[0] in SYMPTOM_STEP_BACKS})
    code = (ReasonCode.CARE_TEAM_REVIEW if ctx.care_hold or ctx.stage_cap is not None
            else ReasonCode.CLINICIAN_REVIEW_ADVISED)
    if step_backs >= ESCALATE_STEP_BACKS and not _moved_up_since_last_step_back(ctx, d):
        return _r(code, why="step_backs", step_backs=step_backs, days=ESCALATE_WINDOW_DAYS)
    if ctx.level >= MAX_LEVEL or not ctx.past or _held_by_care_team(ctx, d):
        return None
    ups = [p.day for p in ctx.past if p.action is Action.PROGRESS]
    start = ups[-1] if ups else ctx.past[0].day
    days = (today - start).days
    if days >= ESCALATE_NO_PROGRESS_DAYS:
        sessions = sum(1 for c in ctx.checkins if c.day > window
                       and c.outcome is not Outcome.SKIPPED)
        if sessions >= ESCALATE_MIN_SESSIONS:
            return _r(code, why="no_progress", step_backs=step_backs, days=days)
    return None


def _moved_up_since_last_step_back(ctx: _Ctx, d: Decision) -> bool:
    """A progress after the latest step back for symptoms: the advice clears (until another
    step back makes it 3 in 28 days again)."""
    if any(e[0] in SYMPTOM_STEP_BACKS for e in d.events):
        return False
    for p in reversed(ctx.past):
        if any(e[0] in SYMPTOM_STEP_BACKS for e in p.events):
            return False
        if p.action is Action.PROGRESS:
            return True
    return False


def _held_by_care_team(ctx: _Ctx, d: Decision) -> bool:
    """The care team's own hold, or a stage cap the runner has reached, keeps them where they
    are: no progress is then the member's decision, not a reason for a review."""
    if ctx.care_hold:
        return True
    cap = ctx.stage_cap
    return cap is not None and cap < 5 and d.level >= first_level_of_stage(cap + 1) - 1
