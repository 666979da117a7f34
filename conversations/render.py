"""Turning progression's machine-readable output into the runner's language.

Every enum value progression can emit has a msgid here; a test checks that none is missing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Any

from conversations.context import Ctx
from locales import N_, N_plural
from progression import (
    CheckAgain,
    Cue,
    Decision,
    Exercise,
    Gate,
    GateCode,
    Injury,
    Prescription,
    Reason,
    ReasonCode,
    RedFlag,
    Segment,
    SessionKind,
    StrengthItem,
)
from progression.gates import tested

STAGES = (
    N_("Protect"),
    N_("Walk"),
    N_("Walk/run intervals"),
    N_("Continuous easy running"),
    N_("Building volume"),
    N_("Reintroducing intensity"),
)

INJURIES: Mapping[Injury, str] = {
    Injury.CALF_STRAIN: N_("Calf strain"),
    Injury.HAMSTRING_STRAIN: N_("Hamstring strain"),
    Injury.QUAD_STRAIN: N_("Quadriceps strain"),
    Injury.ACHILLES: N_("Achilles tendinopathy"),
    Injury.PATELLAR: N_("Patellar tendinopathy"),
    Injury.ANKLE_SPRAIN: N_("Ankle sprain"),
    Injury.PLANTAR_FASCIITIS: N_("Plantar fasciitis"),
    Injury.SHIN_PAIN: N_("Shin pain"),
    Injury.OTHER: N_("Another soft-tissue injury"),
}

KINDS: Mapping[SessionKind, str] = {
    SessionKind.REST: N_("Rest day"),
    SessionKind.CROSS: N_("Cross-training"),
    SessionKind.WALK: N_("Brisk walk"),
    SessionKind.WALK_RUN: N_("Walk/run intervals"),
    SessionKind.CONTINUOUS: N_("Continuous easy run"),
    SessionKind.BUILD: N_("Easy run"),
    SessionKind.INTENSITY: N_("Run with quality work"),
    SessionKind.STRENGTH: N_("Strength and mobility"),
}

ACTIVITIES: Mapping[str, str] = {
    "run": N_("run"),
    "walk": N_("walk"),
    "stride": N_("stride"),
    "hill": N_("uphill run"),
    "tempo": N_("tempo run"),
    "sprint": N_("sprint"),
    "easy": N_("easy run"),
    "cross": N_("cycling, swimming or pool running"),
    "jog": N_("jog"),
}

CUES: Mapping[Cue, str] = {
    Cue.FLAT_SURFACE: N_("Choose a flat, forgiving surface (track, path, grass)."),
    Cue.CADENCE: N_("Short, quick steps: about 170-180 steps a minute."),
    Cue.TALK_TEST: N_("Keep it easy enough to talk in full sentences."),
    Cue.EASY_PACE: N_("Conversational pace: effort no higher than 4 out of 10."),
    Cue.BRISK_WALK: N_("Walk briskly, as if you were a little late."),
    Cue.STOP_IF_SHARP: N_("Stop if the pain turns sharp, keeps rising, or makes you limp."),
    Cue.PAIN_CEILING: N_("Keep the pain at or below your limit during the session."),
    Cue.WARM_UP: N_("Warm up with 5 minutes of walking."),
    Cue.COOL_DOWN: N_("Cool down with a few minutes of easy walking."),
    Cue.SPLIT_SESSION: N_(
        "If symptoms start partway, split it into two shorter sessions 6-8 hours apart."
    ),
    Cue.CROSS_TRAIN: N_(
        "Cycling, swimming or pool running keep your fitness without loading the injury."
    ),
    Cue.MOBILITY: N_("Add gentle mobility for hips, ankles and calves."),
    Cue.RECOVERY_DAY: N_("Recovery day: easy movement only."),
    Cue.FULL_REST: N_("Full rest until the symptoms settle."),
    Cue.SEE_CLINICIAN: N_("Please see a doctor or physiotherapist before training again."),
    Cue.EMERGENCY: N_("Call emergency services now."),
    Cue.NO_SPRINTS: N_("No sprinting yet: it comes only in the last stage."),
    Cue.AVOID_HILLS: N_("Avoid hills for now: they load the calf and Achilles."),
    Cue.AVOID_DOWNHILL: N_("Avoid running downhill for now: it loads the knee."),
    Cue.EVEN_GROUND: N_("Stay on even ground to protect the ankle."),
    Cue.SUPPORTIVE_SHOES: N_("Wear supportive, cushioned shoes."),
    Cue.BONE_PAIN_STOP: N_("Pinpoint pain on the bone means stop and see a clinician."),
    Cue.REDUCED_SESSION: N_("This is a slightly shorter version while your body settles."),
    Cue.CAPPED_SESSION: N_("Shortened so this week's running stays within a safe increase."),
}

EXERCISES: Mapping[Exercise, str] = {
    Exercise.ISOMETRIC_CALF: N_("Calf hold (isometric heel raise)"),
    Exercise.ISOMETRIC_QUAD: N_("Quadriceps hold (wall sit or knee extension hold)"),
    Exercise.ISOMETRIC_HAMSTRING: N_("Hamstring hold (heel press into the floor)"),
    Exercise.CALF_RAISE_DOUBLE: N_("Heel raises on both legs"),
    Exercise.CALF_RAISE_SINGLE: N_("Single-leg heel raises"),
    Exercise.BENT_KNEE_CALF_RAISE: N_("Bent-knee heel raises"),
    Exercise.ECCENTRIC_CALF: N_("Slow lowering heel drops (eccentric calf)"),
    Exercise.TIBIALIS_RAISE: N_("Toe raises (front of shin)"),
    Exercise.TOE_CURL: N_("Towel toe curls"),
    Exercise.ANKLE_MOBILITY: N_("Ankle mobility (knee to wall)"),
    Exercise.WALL_SIT: N_("Wall sit"),
    Exercise.SPANISH_SQUAT: N_("Spanish squat"),
    Exercise.STEP_UP: N_("Step-ups"),
    Exercise.STEP_DOWN: N_("Slow step-downs"),
    Exercise.SPLIT_SQUAT: N_("Split squats"),
    Exercise.SINGLE_LEG_SQUAT: N_("Single-leg squats"),
    Exercise.HAMSTRING_BRIDGE: N_("Hamstring bridge"),
    Exercise.SINGLE_LEG_BRIDGE: N_("Single-leg bridge"),
    Exercise.NORDIC_ECCENTRIC: N_("Nordic hamstring lowers (assisted)"),
    Exercise.HIP_ABDUCTION: N_("Side-lying hip abduction"),
    Exercise.SIDE_PLANK: N_("Side plank"),
    Exercise.SINGLE_LEG_BALANCE: N_("Single-leg balance"),
    Exercise.POGO_HOPS: N_("Small pogo hops"),
}

GATES: Mapping[GateCode, str] = {
    GateCode.DAILY_ACTIVITIES: N_("Daily activities without pain"),
    GateCode.NO_SWELLING: N_("No swelling"),
    GateCode.HEEL_RAISES: N_("Single-leg heel raises"),
    GateCode.LIMB_SYMMETRY: N_("Both legs about equally strong"),
    GateCode.HOPS_PAIN_FREE: N_("Single-leg hops without pain"),
    GateCode.SINGLE_LEG_SQUAT: N_("Single-leg squats"),
    GateCode.MORNING_STIFFNESS: N_("Morning stiffness under 10 minutes"),
    GateCode.WALK_TEST: N_("30-minute brisk walk without pain"),
    GateCode.KNEE_TO_WALL: N_("Ankle mobility (knee to wall)"),
    GateCode.READINESS: N_("Feeling ready to run"),
}

# A reason's text: a msgid, or (the value that counts, a plural msgid pair).
REASONS: Mapping[ReasonCode, str | tuple[str, tuple[str, str]]] = {
    ReasonCode.STARTING_LEVEL: N_("This is where your answers place you to start."),
    ReasonCode.REST_OR_DAILY_PAIN: N_(
        "You still have pain at rest or in daily activities, so we protect the injury first."
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
        "You woke up worse than before the session, so we drop one level."
    ),
    ReasonCode.MORNING_CHECK_PENDING: N_(
        "I'm waiting for your morning check before deciding the next step."
    ),
    ReasonCode.SWELLING_72H: (
        "days",
        N_plural(
            "Swelling has lasted more than 72 hours ({days} day), so we reduce and rest.",
            "Swelling has lasted more than 72 hours ({days} days), so we reduce and rest.",
        ),
    ),
    ReasonCode.NIGHT_PAIN: N_(
        "Pain at night means full rest until it is gone; then we restart lower."
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


def _fmt(ctx: Ctx, msgid: str | tuple[str, tuple[str, str]], values: Mapping[str, Any]) -> str:
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


def _value(ctx: Ctx, key: str, value: Any) -> str:
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


def reason(ctx: Ctx, code: str, values: Mapping[str, Any]) -> str:
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


def reasons(ctx: Ctx, items: list[dict[str, Any]] | tuple[Reason, ...]) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, Reason):
            text = reason(ctx, item.code.value, item.as_dict())
        else:
            text = reason(ctx, str(item.get("code")), item.get("values") or {})
        if text and text not in lines:
            lines.append(text)
    return lines


def stage_name(ctx: Ctx, stage: int) -> str:
    return ctx._(STAGES[max(0, min(stage, len(STAGES) - 1))])


def duration(ctx: Ctx, minutes: float) -> str:
    if minutes < 1:
        seconds = round(minutes * 60)
        return ctx.n_("{n} second", "{n} seconds", seconds).format(n=seconds)
    whole = round(minutes)
    return ctx.n_("{n} minute", "{n} minutes", whole).format(n=whole)


def segment(ctx: Ctx, s: Segment) -> str:
    what = ctx._(ACTIVITIES.get(s.activity, s.activity))
    text = ctx._("{activity} {duration}").format(activity=what, duration=duration(ctx, s.minutes))
    if s.effort_pct:
        text += " " + ctx._("at about {pct}% effort").format(pct=s.effort_pct)
    if s.recovery_minutes and s.recovery_activity:
        rec = ctx._(ACTIVITIES.get(s.recovery_activity, s.recovery_activity))
        text += " / " + ctx._("{activity} {duration}").format(
            activity=rec, duration=duration(ctx, s.recovery_minutes)
        )
    if s.repeats > 1:
        text = ctx.n_("{what}, {n} time", "{what}, {n} times", s.repeats).format(
            what=text, n=s.repeats
        )
    return text[:1].upper() + text[1:]


# Done on both legs at once; every other exercise is one leg (or one side) at a time, and its
# sets and reps are for each side.
BOTH_LEGS: frozenset[Exercise] = frozenset(
    {
        Exercise.ISOMETRIC_QUAD,
        Exercise.CALF_RAISE_DOUBLE,
        Exercise.BENT_KNEE_CALF_RAISE,
        Exercise.TIBIALIS_RAISE,
        Exercise.WALL_SIT,
        Exercise.SPANISH_SQUAT,
        Exercise.HAMSTRING_BRIDGE,
        Exercise.NORDIC_ECCENTRIC,
        Exercise.POGO_HOPS,
    }
)


# Exercises whose names say one leg or both already ("Heel raises on both legs").
NAMED_LEGS: frozenset[Exercise] = frozenset(
    {
        Exercise.CALF_RAISE_DOUBLE,
        Exercise.CALF_RAISE_SINGLE,
        Exercise.SINGLE_LEG_SQUAT,
        Exercise.SINGLE_LEG_BRIDGE,
        Exercise.SINGLE_LEG_BALANCE,
    }
)


def rest_minutes(item: StrengthItem) -> int:
    """Rest between sets: 2 minutes after heavy sets of 5 or fewer reps, else 1 minute."""
    return 2 if item.reps is not None and item.reps <= 5 else 1


def strength_item(ctx: Ctx, item: StrengthItem) -> str:
    """Name, one leg or both, sets × reps (or seconds), "each side" where it applies, rest."""
    name = ctx._(EXERCISES.get(item.exercise, item.exercise.value))
    if item.reps:
        dose = ctx._("{sets} × {reps}").format(sets=item.sets, reps=item.reps)
    elif item.seconds:
        dose = ctx._("{sets} × {seconds} s").format(sets=item.sets, seconds=item.seconds)
    else:
        dose = ctx.n_("{n} set", "{n} sets", item.sets).format(n=item.sets)
    if item.exercise in NAMED_LEGS:  # the name already says one leg or both
        side = "" if item.exercise in BOTH_LEGS else ctx._("each side")
    else:
        side = ctx._("both legs") if item.exercise in BOTH_LEGS else ctx._("one leg, each side")
    n = rest_minutes(item)
    rest = ctx.n_("rest {n} minute between sets", "rest {n} minutes between sets", n).format(n=n)
    return f"{name}: {side}, {dose}; {rest}" if side else f"{name}: {dose}; {rest}"


def prescription(ctx: Ctx, p: Prescription, *, cues: bool = True) -> str:
    lines = ["<b>" + ctx._(KINDS.get(p.kind, p.kind.value)) + "</b>"]
    lines += [f"• {segment(ctx, s)}" for s in p.segments]
    if p.total_minutes and p.kind not in (SessionKind.REST,):
        total = ctx.n_("Total: {n} minute", "Total: {n} minutes", p.total_minutes).format(
            n=p.total_minutes
        )
        if p.running_minutes:
            total += ctx.n_(
                ", {n} minute running", ", {n} minutes running", p.running_minutes
            ).format(n=p.running_minutes)
        lines.append(total)
    if p.rpe_max and p.kind not in (SessionKind.REST,):
        lines.append(ctx._("Effort: no more than {rpe} out of 10.").format(rpe=p.rpe_max))
    if p.kind not in (SessionKind.REST,) and p.pain_limit > 0:
        lines.append(
            ctx._(
                "Keep pain at or below {n}/10 during, and settled by the next morning."
            ).format(n=p.pain_limit)
        )
    elif p.kind not in (SessionKind.REST,):  # a limit of 0: pain-free only (shin pain)
        lines.append(ctx._("Keep it pain-free during, and settled by the next morning."))
    if p.cadence_target and p.running_minutes:
        lo, hi = p.cadence_target
        runner = getattr(ctx, "runner", None)  # rendering without a runner: general cue
        own = runner.cadence_spm if runner is not None else None
        if own:
            lines.append(
                ctx._(
                    "Aim for {lo}-{hi} steps a minute, a little quicker than your usual {spm}."
                ).format(lo=lo, hi=hi, spm=own)
            )
        else:
            lines.append(ctx._("Aim for {lo}-{hi} steps a minute.").format(lo=lo, hi=hi))
    if p.cross_training_minutes and p.kind is not SessionKind.CROSS:
        lines.append(
            ctx.n_(
                "Cross-training: {n} minute of cycling, swimming or pool running.",
                "Cross-training: {n} minutes of cycling, swimming or pool running.",
                p.cross_training_minutes,
            ).format(n=p.cross_training_minutes)
        )
    if p.strength:
        lines.append("")
        lines.append("<b>" + ctx._("Strength and mobility") + "</b>")
        lines += [f"• {strength_item(ctx, item)}" for item in p.strength]
    if cues and p.cues:
        lines.append("")
        shown = [c for c in p.cues if c in CUES]
        if p.cadence_target and p.running_minutes:  # the runner's own cadence replaces it
            shown = [c for c in shown if c is not Cue.CADENCE]
        lines += ["<i>" + ctx._(CUES[c]) + "</i>" for c in shown]
    return "\n".join(lines)


def when(ctx: Ctx, day: date) -> str:
    delta = (day - ctx.today).days
    if delta == 0:
        return ctx._("today")
    if delta == 1:
        return ctx._("tomorrow")
    return ctx.tr.weekday(day) + ", " + ctx.tr.day_month(day)


def decision(ctx: Ctx, d: Decision, *, headline: bool = True, escalation: bool = False) -> str:
    """The next session, when, and why, in plain words. The advice to see a clinician for a
    review is said once, when it first appears (``escalation``); /today keeps a line."""
    head = {
        "progress": N_("Well done: you move up a level."),
        "repeat": N_("Let's repeat this level."),
        "step_back": N_("Let's take a step back for now."),
        "rest": N_("Time to rest and let it settle."),
        "refer": N_("Please stop the plan and see a clinician."),
    }[d.action.value]
    if d.action.value == "repeat" and d.prescription.reduced:
        # the same level in its shorter version: not "repeat" next to "half a step back"
        head = N_("Let's ease off a little at this level.")
    lines = ["<b>" + ctx._(head) + "</b>"] if headline else []
    if d.action.value == "refer":
        lines.append(referral(ctx, flags_of(d)))
        return "\n".join(lines)
    lines += reasons(
        ctx,
        tuple(
            r for r in d.reasons if escalation or r.code is not ReasonCode.CLINICIAN_REVIEW_ADVISED
        ),
    )
    if d.action.value != "refer":
        lines.append("")
        lines.append(
            ctx._("Next session ({when}), stage {stage}: {name}").format(
                when=when(ctx, d.session_date), stage=d.stage, name=stage_name(ctx, d.stage)
            )
        )
        lines.append(prescription(ctx, d.prescription))
        if d.check_again is CheckAgain.H48 and d.check_again_date > ctx.today:
            # said once, by date, after the next session's date (never "in 48 hours" after a
            # session that is tomorrow)
            lines.append("")
            lines.append(
                ctx._("Before any step up, I'll look again at how it has settled: {when}.").format(
                    when=when(ctx, d.check_again_date)
                )
            )
    return "\n".join(lines)


def gate(ctx: Ctx, g: Gate) -> str:
    """One line per gate: passed, not passed, or not tested (never shown as passed unless it
    was asked or measured)."""
    name = ctx._(GATES.get(g.code, g.code.value))
    if not tested(g):
        return "➖ " + ctx._("{test}: not tested").format(test=name)
    return ("✅" if g.passed else "❌") + " " + name


# ---------------------------------------------------------------- referral
# The referral's words, most urgent first. Emergency signs are said alone: nothing after
# them may sound less urgent.
EMERGENCY: tuple[tuple[RedFlag, str], ...] = (
    (
        RedFlag.CHEST_OR_BREATH,
        N_(
            "Chest pain or sudden breathlessness can mean a blood clot in the lungs. Call your "
            "local emergency number now (112 in Europe, 911 in North America)."
        ),
    ),
    (
        RedFlag.NUMB_TINGLING,
        N_(
            "Severe pain with numbness or tingling, above all after exercise, can mean pressure "
            "building up inside a muscle (acute compartment syndrome). Get emergency care now: "
            "go to the emergency department or call your local emergency number."
        ),
    ),
)
SAME_DAY: tuple[tuple[RedFlag, str], ...] = (
    (
        RedFlag.CLOT_SIGNS,
        N_(
            "A painful, swollen, warm or red calf can mean a blood clot in the leg (deep-vein "
            "thrombosis). A doctor needs to assess you today: if you cannot see a doctor "
            "today, go to urgent care or the emergency department."
        ),
    ),
)
BONE: frozenset[RedFlag] = frozenset(
    {RedFlag.CANNOT_BEAR_WEIGHT, RedFlag.BONY_TENDERNESS, RedFlag.NIGHT_PAIN}
)
BONE_TEXT = N_(
    "What you describe can mean a fracture or a bone stress injury. See a doctor before any "
    "further running or hopping."
)


def flags_of(d: Decision) -> frozenset[RedFlag]:
    """The warning signs a referral acts on, read from its reasons."""
    flags: set[RedFlag] = set()
    for r in d.reasons:
        values = r.as_dict()
        if r.code is ReasonCode.RED_FLAG:
            for name in str(values.get("flags", "")).split(","):
                try:
                    flags.add(RedFlag(name.strip()))
                except ValueError:
                    continue
            if values.get("urgent") == 1:
                flags.add(RedFlag.CHEST_OR_BREATH)
        elif r.code in (ReasonCode.BONE_STRESS_SUSPECTED, ReasonCode.NIGHT_PAIN):
            flags.add(RedFlag.NIGHT_PAIN)
    return frozenset(flags)


def referral(ctx: Ctx, flags: frozenset[RedFlag]) -> str:
    """Why the plan stops and where to go, most urgent first. Chest pain or breathlessness,
    and severe pain with numbness, send the runner to emergency care and nothing softer
    follows; a possible clot needs a doctor today; bone signs need a doctor before running."""
    urgent = [text for flag, text in EMERGENCY if flag in flags]
    if urgent:
        lines = ["<b>" + ctx._(text) + "</b>" for text in urgent]
    else:
        lines = ["<b>" + ctx._(text) + "</b>" for flag, text in SAME_DAY if flag in flags]
        if flags & BONE:
            lines.append(ctx._(BONE_TEXT))
        if not lines:  # a flag this version does not know: still a doctor first
            lines.append(ctx._(BONE_TEXT))
    lines.append(
        ctx._(
            "I have stopped your plan until a clinician has examined you. When one has cleared "
            "you, tap “A clinician examined me and cleared me” here or under /today."
        )
    )
    return "\n\n".join(lines)
