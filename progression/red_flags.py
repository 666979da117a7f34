"""Red flags: a referral that holds until a clinician clears the runner, and the restart a
clearance names (docs/protocol.md §4 rules 1-1b, §4.1). Pain that wakes at night is a red
flag (a possible bone stress injury, notes §1) wherever it is told: at onboarding, at the
weekly re-screen or in a morning check, for every injury."""

from __future__ import annotations

from datetime import date

from .assemble import _decision
from .enums import Action, CheckAgain, ReasonCode, RedFlag
from .history_index import _Ctx
from .ladder import first_level_of_stage
from .models import Decision, Reason
from .reasons import _ev, _flags_value, _r


def is_urgent(flags: frozenset[RedFlag]) -> bool:
    """Chest pain or sudden breathlessness: emergency care now, not a clinic visit."""
    return RedFlag.CHEST_OR_BREATH in flags


def refer_until_cleared(ctx: _Ctx) -> Decision | None:
    """An open referral holds until a clinician clears the runner."""
    referral = _open_referral(ctx)
    if referral is not None:
        return _decision(ctx, Action.REFER, ctx.level, referral)
    return None


def _open_referral(ctx: _Ctx) -> list[Reason] | None:
    """The reasons of a referral still open: a red flag (or, for shin pain, night pain)
    reported after the last clinician clearance. A clear screen does not close it."""
    flags: set[RedFlag] = set()
    since: date | None = None
    cleared: date | None = None
    for f in ctx.red_flags:
        if f.cleared_to_stage is not None:
            flags, since, cleared = set(), None, f.day
        elif f.flags:
            flags |= f.flags
            since = since or f.day
    night: date | None = None  # pain that wakes at night is a red flag, wherever it is told
    for m in ctx.mornings:
        if m.night_pain and (cleared is None or m.day > cleared):
            night = night or m.day
    reasons: list[Reason] = []
    if flags and since is not None:
        frozen = frozenset(flags)
        reasons.append(_r(ReasonCode.RED_FLAG, flags=_flags_value(frozen),
                          urgent=int(is_urgent(frozen)), since=since.isoformat()))
    if night is not None:
        reasons.append(_r(ReasonCode.BONE_STRESS_SUSPECTED, injury=str(ctx.injury),
                          since=night.isoformat()))
        reasons.append(_r(ReasonCode.NIGHT_PAIN, day=night.isoformat()))
    return reasons or None


def restart_after_clearance(ctx: _Ctx) -> Decision | None:
    """A clinician's clearance not yet acted on: restart at the first level of the stage it
    names (walking by default, protect if the clinician asked for less)."""
    latest = None
    referred = False
    for f in ctx.red_flags:
        if f.cleared_to_stage is not None:
            latest = f
        elif f.flags:
            referred = True
    if latest is None or latest.cleared_to_stage is None:
        return None
    if not referred:
        referred = any(m.night_pain and m.day <= latest.day for m in ctx.mornings)
    if not referred or (ReasonCode.RED_FLAG_CLEARED, latest.day) in ctx.handled:
        return None
    stage = max(0, min(latest.cleared_to_stage, max(1, ctx.stage)))
    target = first_level_of_stage(stage)
    reason = _ev(ReasonCode.RED_FLAG_CLEARED, latest.day, stage=stage)
    if target < ctx.level:
        return _decision(ctx, Action.STEP_BACK, target, [reason], check=CheckAgain.H48)
    return _decision(ctx, Action.REPEAT, target, [reason])
