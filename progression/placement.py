"""Onboarding placement (`start`): the starting level by criteria, not at the bottom
(docs/protocol.md §4, "Onboarding")."""

from __future__ import annotations

from datetime import date

from .assemble import _decision
from .enums import Action, ReasonCode, RedFlag
from .gates import evaluate_gates
from .history_index import _Ctx
from .ladder import first_level_of_stage, stage_of
from .models import Decision, History, Profile, Reason, Reassessment
from .reasons import _flags_value, _gate_reason, _r
from .red_flags import is_urgent

LOW_DAILY_PAIN = 2  # daily pain a pain-free 30-min brisk walk outweighs at placement


def start(profile: Profile, red_flags: frozenset[RedFlag], tests: Reassessment | None,
          today: date) -> Decision:
    """Starting level and first prescription (placement by criteria, not at the bottom).

    Red flags refer. Pain at rest or in daily activities above what the tissue tolerates starts
    in stage 0 (protect). Otherwise walking; a pain-free 30-min brisk walk skips the walking
    stage to the ready-to-run tests (the top walking level, retested at once); passed
    ready-to-run tests start the walk/run ladder."""
    history = History(profile, 0, today)
    ctx = _Ctx(history, today)
    if red_flags:
        return _decision(ctx, Action.REFER, 0, [_r(
            ReasonCode.RED_FLAG, flags=_flags_value(red_flags),
            urgent=int(is_urgent(red_flags)), since=today.isoformat())])
    reasons: list[Reason] = []
    ok = ctx.rules.daily_pain_ok
    # A pain-free 30-min brisk walk outweighs a low daily pain (at most 2/10): such a runner
    # walks, not protects; only pain at rest, or more daily pain, protects first.
    walked = tests is not None and tests.walk_pain is not None and tests.walk_pain <= ok
    daily_too_high = profile.walk_pain > (max(ok, LOW_DAILY_PAIN) if walked else ok)
    if profile.rest_pain > ok or daily_too_high:
        level = first_level_of_stage(0)
        reasons.append(_r(ReasonCode.REST_OR_DAILY_PAIN, rest_pain=profile.rest_pain,
                          walk_pain=profile.walk_pain))
    else:
        level = first_level_of_stage(1)
        if tests is not None:
            top_walk = first_level_of_stage(2) - 1
            gates = evaluate_gates(profile, tests, top_walk)
            if all(g.passed for g in gates):
                level = first_level_of_stage(2)
                reasons += [_gate_reason(ReasonCode.GATE_PASSED, g) for g in gates]
            else:
                if walked:
                    level = top_walk
                reasons += [_gate_reason(ReasonCode.GATE_FAILED, g) for g in gates
                            if not g.passed]
    ctx.level, ctx.stage = level, stage_of(level)
    reasons.insert(0, _r(ReasonCode.STARTING_LEVEL, level=level, stage=stage_of(level)))
    return _decision(ctx, Action.REPEAT, level, reasons)
