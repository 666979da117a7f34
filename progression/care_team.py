"""The care team's inputs (`History.stage_cap`, `History.care_hold`, set by a physio or coach
the runner invited), applied to the rules' decision (docs/protocol.md §4, "The care team")."""

from __future__ import annotations

from dataclasses import replace

from .assemble import _decision
from .enums import Action, CheckAgain, ReasonCode
from .history_index import _Ctx
from .ladder import MAX_LEVEL, first_level_of_stage, stage_of
from .models import Decision
from .reasons import _r


def apply_care_team(ctx: _Ctx, d: Decision) -> Decision:
    """A care-team member's stage cap and hold, applied to the engine's decision (a referral
    stands as it is): never a level above the cap (a runner above it steps back to the cap's
    last level), and no moving up while the plan is held."""
    if d.action is Action.REFER:
        return d
    cap = ctx.stage_cap
    if cap is not None and 0 <= cap < stage_of(MAX_LEVEL) and d.stage > cap:
        top = first_level_of_stage(cap + 1) - 1
        reason = _r(ReasonCode.STAGE_CAP, stage=cap)
        if d.action is Action.REST:  # a rest stays a rest (lasting swelling)
            d = _decision(ctx, Action.REST, min(ctx.level, top), [*d.reasons, reason])
        elif ctx.level > top:  # the events the decision acted on stay acted on
            events = [r for r in d.reasons if r.event is not None]
            d = _decision(ctx, Action.STEP_BACK, top, [*events, reason], check=CheckAgain.H48)
        else:
            held = [r for r in d.reasons if d.action is not Action.PROGRESS]
            d = _decision(ctx, Action.REPEAT, min(ctx.level, top), [*held, reason])
    elif cap is not None and d.stage == cap and not d.has(ReasonCode.STAGE_CAP):
        d = replace(d, reasons=(*d.reasons, _r(ReasonCode.STAGE_CAP, stage=cap)))
    if ctx.care_hold:
        hold = _r(ReasonCode.CARE_TEAM_HOLD)
        if d.action is Action.PROGRESS or d.level > ctx.level:  # a restart above, too
            return _decision(ctx, Action.REPEAT, ctx.level, [hold])
        if not d.has(ReasonCode.CARE_TEAM_HOLD):
            d = replace(d, reasons=(*d.reasons, hold))
    return d
