"""Sessions, decisions, gates and referrals in the runner's words (pure: a Voice in, text out).

``prescription`` is the session as every screen states it, with the pain rule; ``decision``
is the headline, the reasons and the next session; ``referral`` says where to go, the most
urgent first.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from locales import N_
from progression import (
    Cue,
    Decision,
    Exercise,
    Gate,
    Prescription,
    ReasonCode,
    RedFlag,
    Segment,
    SessionKind,
    StrengthItem,
)
from progression.gates import tested
from reports.labels import ACTIVITIES, CUES, EXERCISES, GATES, KINDS, STAGES
from reports.pain import PainRule, pain_rule_text
from reports.reasons import Voice


class DatedVoice(Voice, Protocol):
    """A Voice that knows the runner's today (for "today", "tomorrow")."""

    @property
    def today(self) -> date: ...


def stage_name(ctx: DatedVoice, stage: int) -> str:
    return ctx._(STAGES[max(0, min(stage, len(STAGES) - 1))])


def duration(ctx: DatedVoice, minutes: float) -> str:
    if minutes < 1:
        seconds = round(minutes * 60)
        return ctx.n_("{n} second", "{n} seconds", seconds).format(n=seconds)
    whole = round(minutes)
    return ctx.n_("{n} minute", "{n} minutes", whole).format(n=whole)


def segment(ctx: DatedVoice, s: Segment) -> str:
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


def strength_item(ctx: DatedVoice, item: StrengthItem) -> str:
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


def prescription(
    ctx: DatedVoice,
    p: Prescription,
    *,
    pain: PainRule | None,
    cues: bool = True,
    title: bool = True,
) -> str:
    """A session in the runner's words, with ``pain`` (the runner's pain rule) stated as on
    every other screen; a rest day carries none."""
    lines = ["<b>" + ctx._(KINDS.get(p.kind, p.kind.value)) + "</b>"] if title else []
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
    if p.kind is not SessionKind.REST and pain is not None:
        lines.append(pain_rule_text(ctx, pain))
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
        # the pain rule above says the limit: its cue would say it a second time
        shown = [c for c in p.cues if c in CUES and not (pain and c is Cue.PAIN_CEILING)]
        if p.cadence_target and p.running_minutes:  # the runner's own cadence replaces it
            shown = [c for c in shown if c is not Cue.CADENCE]
        lines += ["<i>" + ctx._(CUES[c]) + "</i>" for c in shown]
    return "\n".join(lines)


def when(ctx: DatedVoice, day: date) -> str:
    delta = (day - ctx.today).days
    if delta == 0:
        return ctx._("today")
    if delta == 1:
        return ctx._("tomorrow")
    return ctx.tr.weekday(day) + ", " + ctx.tr.day_month(day)


def gate(ctx: DatedVoice, g: Gate) -> str:
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


def referral(ctx: DatedVoice, flags: frozenset[RedFlag]) -> str:
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
