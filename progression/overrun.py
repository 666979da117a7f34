"""A session measured well over the plan: a load spike (docs/protocol.md §4 rule 10c).

A recording that measured more running than planned by more than ``OVER_MARGIN_MIN`` minutes
and more than ``OVER_MARGIN_PCT`` % of the planned running, or more than ``OVER_MARGIN_MIN``
minutes of running on a day with none planned (a walk, rest or cross-training day), is its own
outcome, ``Outcome.OVER``: it is never a green session, its running counts in the week's load
and in the spacing of runs like any other, and nothing moves up until the morning after it
has been answered and settled.
"""

from __future__ import annotations

from .assemble import Holds
from .enums import Outcome, ReasonCode
from .history_index import _Ctx
from .models import Prescription
from .reasons import _r
from .symptoms import _settled

# One step of the ladder's running is about 5 minutes (the continuous levels 10 -> 20 -> 30
# and the weekly +5-10 min), and a week's running up by more than 30 % goes with more injuries
# in novice runners (protocol notes §2): a session over both is a spike, not a good day.
OVER_MARGIN_MIN = 5
OVER_MARGIN_PCT = 30
# A spike older than this no longer holds, whatever its morning (a missing morning check
# cannot hold the plan for ever; later sessions need their own settled mornings anyway).
OVER_HOLD_DAYS = 7


def over_plan(planned: Prescription, running_minutes: int) -> bool:
    """Whether measured running is well over the planned session's running."""
    planned_running = planned.running_minutes if planned.running_minutes > 0 else 0
    margin = max(OVER_MARGIN_MIN, planned_running * OVER_MARGIN_PCT / 100)
    return running_minutes > planned_running + margin


def hold_after_overrun(ctx: _Ctx, holds: Holds) -> None:
    """No progress while a session well over the plan awaits a settled morning after it."""
    for c in reversed(ctx.checkins):
        if (ctx.today - c.day).days > OVER_HOLD_DAYS:
            return
        if c.outcome is not Outcome.OVER:
            continue
        morning = ctx.morning_by_run_day.get(c.day)
        if morning is None or not _settled(morning):
            holds.reasons.append(_r(ReasonCode.SESSION_OVER_PLAN, day=c.day.isoformat(),
                                    running=c.running_minutes or 0))
            return
