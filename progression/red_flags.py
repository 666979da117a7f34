"""Red flags and night pain: a referral that holds until a clinician clears the runner, the
restart a clearance names, and night pain (rest until gone, then one level lower; for shin
pain a bone-stress sign that refers) (docs/protocol.md §4 rules 1-2, §4.1)."""

from __future__ import annotations

from datetime import date, timedelta

from .assemble import _decision
from .enums import Action, CheckAgain, ReasonCode, RedFlag
from .history_index import _Ctx
from .ladder import clamp_level, first_level_of_stage
from .limits import ESCALATE_WINDOW_DAYS, EVENT_MAX_AGE_DAYS
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
    night: date | None = None
    if ctx.rules.night_pain_refers:
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
    if not referred and ctx.rules.night_pain_refers:
        referred = any(m.night_pain and m.day <= latest.day for m in ctx.mornings)
    if not referred or (ReasonCode.RED_FLAG_CLEARED, latest.day) in ctx.handled:
        return None
    stage = max(0, min(latest.cleared_to_stage, max(1, ctx.stage)))
    target = first_level_of_stage(stage)
    reason = _ev(ReasonCode.RED_FLAG_CLEARED, latest.day, stage=stage)
    if target < ctx.level:
        return _decision(ctx, Action.STEP_BACK, target, [reason], check=CheckAgain.H48)
    return _decision(ctx, Action.REPEAT, target, [reason])


def rest_for_night_pain(ctx: _Ctx) -> Decision | None:
    """Night pain: rest until a morning without it, then once one level lower. Night pain
    reported before a clinician's clearance was the clinician's to judge: it no longer
    rests the runner (the clearance's restart stands)."""
    today = ctx.today
    night_now, night_last, _ = _night_pain(ctx)
    cleared = max((f.day for f in ctx.red_flags if f.cleared_to_stage is not None), default=None)
    if cleared is not None and ctx.mornings and ctx.mornings[-1].day <= cleared:
        night_now = False
    if cleared is not None and night_last is not None and night_last <= cleared:
        night_last = None
    if night_now:
        last_m = ctx.mornings[-1]
        return _decision(ctx, Action.REST, ctx.level,
                         [_r(ReasonCode.NIGHT_PAIN, day=last_m.day.isoformat())])
    if (night_last is not None and (today - night_last).days <= EVENT_MAX_AGE_DAYS
            and (ReasonCode.NIGHT_PAIN_RESOLVED, night_last) not in ctx.handled):
        return _decision(ctx, Action.STEP_BACK, clamp_level(ctx.level - 1),
                         [_ev(ReasonCode.NIGHT_PAIN_RESOLVED, night_last)],
                         check=CheckAgain.H48, earliest=today + timedelta(days=1))
    return None


def _night_pain(ctx: _Ctx) -> tuple[bool, date | None, int]:
    """(night pain now, the last night of an episode that has since resolved, episodes).

    Episodes are counted while the latest one is recent (within the escalation window): a
    second episode then advises a clinician review."""
    episodes = 0
    in_episode = False
    last_night: date | None = None
    for m in ctx.mornings:
        if m.night_pain:
            if not in_episode:
                episodes += 1
            in_episode = True
            last_night = m.day
        else:
            in_episode = False
    now = bool(ctx.mornings) and ctx.mornings[-1].night_pain
    if last_night is None or (ctx.today - last_night).days > ESCALATE_WINDOW_DAYS:
        episodes = 0
    return now, (None if now else last_night), episodes
