"""A decision's reasons in the runner's words: progression's reason codes and values in,
translated sentences out (numbers and dates in the runner's locale)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from locales import N_, N_plural, Translator
from progression import Reason, ReasonCode


class Voice(Protocol):
    """What the words need of whoever speaks: a translator and the day it is (an update's
    ``Ctx`` is one; a report built outside an update makes one from a Translator)."""

    @property
    def tr(self) -> Translator: ...

    def _(self, message: str) -> str: ...

    def n_(self, singular: str, plural: str, n: int) -> str: ...


REASONS: Mapping[ReasonCode, str | tuple[str, tuple[str, str]]] = {
    ReasonCode.STARTING_LEVEL: N_("This is where your answers place you to start."),
    ReasonCode.REST_OR_DAILY_PAIN: N_(
        "You still have pain at rest or in daily activities, so we protect the injury first."
    ),
    ReasonCode.REST_PAIN_SETTLED: N_(
        "The pain at rest and in daily life has settled, so you go back to your training, a "
        "little lower than before."
    ),
    ReasonCode.RED_FLAG: N_("You reported a warning sign that a clinician should check."),
    ReasonCode.RED_FLAG_CLEARED: N_("A clinician has cleared you, so the plan restarts gently."),
    ReasonCode.BONE_STRESS_SUSPECTED: N_(
        "Your answers could point to a bone stress problem, which needs a clinician's check."
    ),
    ReasonCode.SHARP_OR_LIMP: N_(
        "Sharp pain or a limp during the session means the next one goes one level lower."
    ),
    ReasonCode.PAIN_DURING_OVER_CEILING: N_(
        "Pain during the session ({pain}/10) went above {ceiling}/10, more than your injury "
        "tolerates."
    ),
    ReasonCode.PAIN_AFTER_OVER_CEILING: N_(
        "Pain after the session ({pain}/10) went above {ceiling}/10, more than your injury "
        "tolerates."
    ),
    ReasonCode.PAIN_ACCEPTABLE_ZONE: N_(
        "Pain of {pain}/10 is acceptable but not yet comfortable, so we hold this level."
    ),
    ReasonCode.SORENESS_AFTER: N_(
        "Some soreness stayed after the session ({pain}/10), so we ease back and look again "
        "in 24 hours."
    ),
    ReasonCode.SWELLING_AFTER_SESSION: N_("There was swelling after the session, so we ease back."),
    ReasonCode.SYMPTOMS_AFTER_PROGRESS: N_(
        "Symptoms came back after the last step up, so we return to the previous, safer level."
    ),
    ReasonCode.SPLIT_SESSION: N_(
        "Symptoms started partway: try splitting the session into two shorter ones 6-8 hours apart."
    ),
    ReasonCode.NOT_SETTLED_NEXT_MORNING: N_(
        "Pain or stiffness had not settled by the next morning, so we take half a step back."
    ),
    ReasonCode.WORSE_ON_WAKING: N_(
        "You woke up worse than before the session, so we take half a step back."
    ),
    ReasonCode.NOT_SETTLED_AFTER_48H: N_(
        "Two days after the session it still has not settled, so we drop one level."
    ),
    ReasonCode.SESSION_OVER_PLAN: N_(
        "Your session of {day} went well over the plan ({running} min of running), so no "
        "step up until the morning after it shows that it settled."
    ),
    ReasonCode.MORNING_CHECK_PENDING: N_(
        "I'm waiting for your morning check before deciding the next step."
    ),
    ReasonCode.MORNING_CHECK_MISSING: N_(
        "No morning check came after your session on {day}, so this step up goes by the "
        "sessions before it. Tell me if that one left you sore."
    ),
    ReasonCode.SWELLING_72H: (
        "days",
        N_plural(
            "Swelling has lasted more than 72 hours ({days} day), so we reduce and rest.",
            "Swelling has lasted more than 72 hours ({days} days), so we reduce and rest.",
        ),
    ),
    ReasonCode.NIGHT_PAIN: N_(
        "Pain that wakes you at night can mean a bone stress injury, so a clinician needs to "
        "check it before you run again."
    ),
    ReasonCode.NIGHT_PAIN_RESOLVED: N_("The night pain has gone, so we restart gently."),
    ReasonCode.WORSENING_TREND: N_(
        "Your pain has been creeping up this week ({this_week} against {last_week}), so we rest "
        "and then go lower."
    ),
    ReasonCode.GAP_7_DAYS: (
        "days",
        N_plural(
            "It has been {days} day since your last run, so we restart one level lower.",
            "It has been {days} days since your last run, so we restart one level lower.",
        ),
    ),
    ReasonCode.GAP_14_DAYS: (
        "days",
        N_plural(
            "It has been {days} day since your last run, so we restart two levels lower.",
            "It has been {days} days since your last run, so we restart two levels lower.",
        ),
    ),
    ReasonCode.GREEN_SESSIONS: (
        "count",
        N_plural(
            "{count} session in a row went well, so you move up a level.",
            "{count} sessions in a row went well, so you move up a level.",
        ),
    ),
    ReasonCode.MORE_GREEN_SESSIONS_NEEDED: (
        "left",
        N_plural(
            "{count} of {needed} good sessions at this level so far: {left} more to go.",
            "{count} of {needed} good sessions at this level so far: {left} more to go.",
        ),
    ),
    ReasonCode.MAX_LEVELS_PER_WEEK: (
        "ups",
        N_plural(
            "You already moved up {ups} time in the last 7 days; at most {max} a week keeps it "
            "safe.",
            "You already moved up {ups} times in the last 7 days; at most {max} a week keeps it "
            "safe.",
        ),
    ),
    ReasonCode.WEEKLY_MINUTES_CAP: N_(
        "This week's running is capped at {limit} minutes ({used} done), so the session is shorter."
    ),
    ReasonCode.DELOAD_WEEK: N_(
        "After {build_weeks} building weeks comes a lighter week to let your body adapt."
    ),
    ReasonCode.GATE_PASSED: N_("You passed the tests for the next stage."),
    ReasonCode.GATE_FAILED: N_(
        "Not all of this week's tests were passed yet, so we keep working at this stage."
    ),
    ReasonCode.REASSESSMENT_NEEDED: N_(
        "The next stage needs a fresh weekly reassessment: send /reassess."
    ),
    ReasonCode.STAGE_STABILITY_NEEDED: (
        "days",
        N_plural(
            "This stage needs to stay stable a little longer ({days} day so far) before the next.",
            "This stage needs to stay stable a little longer ({days} days so far) before the next.",
        ),
    ),
    ReasonCode.TOP_OF_LADDER: N_("You have reached the top of the plan: keep it steady."),
    ReasonCode.POOR_RECOVERY: N_(
        "Short sleep or low mood slows recovery, so we don't step up today."
    ),
    ReasonCode.NO_BACK_TO_BACK: N_("Runs are never on back-to-back days at this stage."),
    ReasonCode.RUNS_PER_WEEK_LIMIT: N_("At most {max} runs a week for now."),
    ReasonCode.RECOVERY_DAY: N_("Every fourth day is a recovery day."),
    ReasonCode.EASY_BETWEEN_HARD: N_("An easy day follows each harder session."),
    ReasonCode.GAP_28_DAYS: (
        "days",
        N_plural(
            "It has been {days} day since your last run, so we go back to the start of the "
            "walk/run intervals and a reassessment.",
            "It has been {days} days since your last run, so we go back to the start of the "
            "walk/run intervals and a reassessment.",
        ),
    ),
    ReasonCode.NO_RUN_ON_STEP_BACK_DAY: N_(
        "No run on the day of a step back: running resumes tomorrow at the earliest."
    ),
    ReasonCode.RECENT_WARNING_PAIN: N_(
        "You had warning pain ({pain}/10) on {day}, so no step up within 48 hours of it."
    ),
    ReasonCode.DAILY_PAIN_LOW: N_(
        "Pain in daily life or at rest is {pain}/10, more than the {max}/10 your injury "
        "tolerates: the next stage waits until it settles, but you keep training at this level."
    ),
    ReasonCode.CLINICIAN_REVIEW_ADVISED: N_(
        "Please ask a doctor or physiotherapist to review your injury: the plan alone is not "
        "getting you further."
    ),
    ReasonCode.CARE_TEAM_HOLD: N_(
        "Your care team has put the plan on hold: you keep training at this level, and it "
        "moves up again once they resume it."
    ),
    ReasonCode.STAGE_CAP: N_(
        "Your care team has capped the plan at stage {stage} for now."
    ),
    ReasonCode.CARE_TEAM_REVIEW: N_(
        "Your care team follows your plan, so I've let them know how it is going: talk it "
        "over with them."
    ),
}

# The escalation's reason, by its "why" value (the generic text above is the fallback).
CLINICIAN_REVIEW: Mapping[str, str | tuple[str, tuple[str, str]]] = {
    "step_backs": (
        "step_backs",
        N_plural(
            "We had to step back {step_backs} time in {days} days. Please ask a doctor or "
            "physiotherapist to review your injury; keep following the plan meanwhile.",
            "We had to step back {step_backs} times in {days} days. Please ask a doctor or "
            "physiotherapist to review your injury; keep following the plan meanwhile.",
        ),
    ),
    "no_progress": (
        "days",
        N_plural(
            "There has been no progress for {days} day. Please ask a doctor or physiotherapist "
            "to review your injury; keep following the plan meanwhile.",
            "There has been no progress for {days} days. Please ask a doctor or physiotherapist "
            "to review your injury; keep following the plan meanwhile.",
        ),
    ),
    "night_pain_again": N_(
        "Pain at night has come back. Please ask a doctor to review your injury before the "
        "plan goes any further."
    ),
}

PRE_INJURY: tuple[str, str] = N_plural(
    "Before the injury you ran about {pre_injury} minute a week: we build back towards it.",
    "Before the injury you ran about {pre_injury} minutes a week: we build back towards it.",
)


def _fmt(ctx: Voice, msgid: str | tuple[str, tuple[str, str]], values: Mapping[str, Any]) -> str:
    if isinstance(msgid, tuple):
        key, (singular, plural) = msgid
        text = ctx.n_(singular, plural, int(values.get(key, 0)))
    else:
        text = ctx._(msgid)
    safe = {k: _value(ctx, k, v) for k, v in values.items() if k != "event_day"}
    try:
        return text.format(**safe)
    except (KeyError, IndexError):  # a value progression did not send: say it without numbers
        return text.format_map(_Missing(safe))


DATE_KEYS = frozenset({"day", "since"})


def _value(ctx: Voice, key: str, value: Any) -> str:
    if isinstance(value, int | float):
        return ctx.tr.number(value)
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return ctx.tr.day_month(date.fromisoformat(value))
        except ValueError:
            pass
    return html.escape(str(value))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def reason(ctx: Voice, code: str, values: Mapping[str, Any]) -> str:
    try:
        reason_code = ReasonCode(code)
        msgid = REASONS[reason_code]
    except (ValueError, KeyError):
        return ""
    if reason_code is ReasonCode.CLINICIAN_REVIEW_ADVISED:
        msgid = CLINICIAN_REVIEW.get(str(values.get("why")), msgid)
    text = _fmt(ctx, msgid, values)
    if reason_code is ReasonCode.WEEKLY_MINUTES_CAP and values.get("pre_injury"):
        text += " " + _fmt(ctx, ("pre_injury", PRE_INJURY), values)
    return text


def reasons(ctx: Voice, items: list[dict[str, Any]] | tuple[Reason, ...]) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, Reason):
            text = reason(ctx, item.code.value, item.as_dict())
        else:
            text = reason(ctx, str(item.get("code")), item.get("values") or {})
        if text and text not in lines:
            lines.append(text)
    return lines
