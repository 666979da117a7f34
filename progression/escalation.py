"""Escalation: advise a clinician review (it does not stop the plan; a red flag does) after
3+ step-backs in 28 days, a second episode of night pain, or 4 weeks of training without a
progress (docs/protocol.md §4, "clinician_review_advised")."""

from __future__ import annotations

from datetime import timedelta

from .enums import Action, Outcome, ReasonCode
from .history_index import _Ctx
from .ladder import MAX_LEVEL
from .limits import (
    ESCALATE_MIN_SESSIONS,
    ESCALATE_NO_PROGRESS_DAYS,
    ESCALATE_STEP_BACKS,
    ESCALATE_WINDOW_DAYS,
)
from .models import Decision, Reason
from .reasons import _r
from .red_flags import _night_pain


def clinician_review(ctx: _Ctx, d: Decision) -> Reason | None:
    """Advise a clinician review after 3+ step-backs in 28 days, 4 weeks of training without
    progress, or night pain that came back."""
    today = ctx.today
    window = today - timedelta(days=ESCALATE_WINDOW_DAYS)
    acted = {e for p in ctx.past if p.day > window for e in p.events}
    acted |= d.events
    step_backs = len({e for e in acted if e[0] is not ReasonCode.RED_FLAG_CLEARED})
    if step_backs >= ESCALATE_STEP_BACKS:
        return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="step_backs", step_backs=step_backs,
                  days=ESCALATE_WINDOW_DAYS)
    _, _, episodes = _night_pain(ctx)
    if episodes >= 2:
        return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="night_pain_again",
                  step_backs=step_backs, days=episodes)
    if d.action is Action.PROGRESS or ctx.level >= MAX_LEVEL or not ctx.past:
        return None
    ups = [p.day for p in ctx.past if p.action is Action.PROGRESS]
    since = ups[-1] if ups else ctx.past[0].day
    days = (today - since).days
    if days >= ESCALATE_NO_PROGRESS_DAYS:
        sessions = sum(1 for c in ctx.checkins if c.day > window
                       and c.outcome is not Outcome.SKIPPED)
        if sessions >= ESCALATE_MIN_SESSIONS:
            return _r(ReasonCode.CLINICIAN_REVIEW_ADVISED, why="no_progress",
                      step_backs=step_backs, days=days)
    return None
