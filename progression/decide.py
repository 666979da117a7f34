"""`decide`: the next step for the runner, the rules read in the order they take precedence.

Pure: today's date and the history come in, a Decision with machine-readable reasons
comes out. No clock, no I/O, no randomness.

Events (a session with warning pain, a bad morning, a long swelling, rest pain at a
reassessment and its end, a gap, a clinician's clearance) are acted on once: the reason that
acts on one carries its `event_day`, the stored decision keeps it (`History.past`), and a later
decision sees that it was handled. A red-flag referral is not an event that fades: it holds
until the runner confirms a clinician cleared them.

Each step below is one call into a rule-family module; steps 1-9 carry the numbers of
docs/protocol.md §4, step 10 is its rules 10-17. The rule modules never import this one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from .assemble import Holds
from .care_team import apply_care_team
from .enums import Action
from .escalation import clinician_review
from .gaps import step_back_after_gap
from .greens import progress_or_hold
from .history_index import _Ctx, _recent
from .limits import WARNING_BLOCK_DAYS
from .models import Decision, History
from .overrun import hold_after_overrun
from .red_flags import refer_until_cleared, restart_after_clearance
from .symptoms import (
    act_on_next_morning,
    act_on_worsening_trend,
    hold_for_latest_session,
    reset_for_rest_or_daily_pain,
    rest_for_lasting_swelling,
    resume_after_protect,
    step_back_for_symptoms_after_progress,
    step_back_for_warning_signs,
)


def decide(history: History, today: date) -> Decision:
    """The next step for the runner, given everything logged up to and including `today`."""
    ctx = _Ctx(history, today)
    d = apply_care_team(ctx, _decide(ctx))
    if d.action is not Action.REFER:
        esc = clinician_review(ctx, d)
        if esc is not None:
            d = replace(d, reasons=(*d.reasons, esc))
    return d


def _decide(ctx: _Ctx) -> Decision:
    """The first rule that decides wins. Hold rules gather their reasons on the way; unless a
    later rule decides, they end as a repeat (step 10)."""
    # 1. an open referral (a red flag, pain that wakes at night included) holds until a
    #    clinician clears the runner; a clearance restarts
    if (d := refer_until_cleared(ctx)) is not None:
        return d
    if (d := restart_after_clearance(ctx)) is not None:
        return d

    # 3. swelling lasting more than 72 h: rest, then once one level lower
    if (d := rest_for_lasting_swelling(ctx)) is not None:
        return d

    holds = Holds()
    # 4. pain at rest or in daily activities (weekly reassessment): stage 0 when rest pain is
    #    3+ or daily pain is rising; a low, stable daily pain holds the stage
    if (d := reset_for_rest_or_daily_pain(ctx, holds)) is not None:
        return d
    #    ...and the protect spell ends when a reassessment shows it settled: back near the
    #    level held before
    if (d := resume_after_protect(ctx, holds)) is not None:
        return d

    # 5. a gap without running, from the last run and once per gap: 7+ days one level lower,
    #    14+ two, 28+ back to the walk/run entry and a reassessment
    if (d := step_back_after_gap(ctx)) is not None:
        return d

    # 6. warning signs in any session of the last 48 h (run, walk, cross-training, strength):
    #    one step back per session, acted on once; symptoms resurfacing right after a progress
    recent = _recent(ctx, WARNING_BLOCK_DAYS)
    if (d := step_back_for_warning_signs(ctx, recent)) is not None:
        return d
    latest = recent[0] if recent else None
    if (d := step_back_for_symptoms_after_progress(ctx, latest)) is not None:
        return d

    # 7. the next morning: worse or not settled, half a step back and a look again after
    #    48 h; still not settled then (or visible swelling), one level lower
    if (d := act_on_next_morning(ctx, holds)) is not None:
        return d

    # 8. symptoms of the latest session within the limits: hold
    hold_for_latest_session(ctx, latest, holds)

    # 9. a worsening trend over two weeks: once a week, one level lower
    if (d := act_on_worsening_trend(ctx, holds)) is not None:
        return d

    # 10c. a session measured well over the plan: no progress until its morning is settled
    hold_after_overrun(ctx, holds)

    # 10. progression criteria (docs rules 10-17): progress, or repeat with every hold
    return progress_or_hold(ctx, holds)
