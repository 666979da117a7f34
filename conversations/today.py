"""/today, /plan and /why: the current session, the week ahead and the reasons behind them.

The decision shown is always computed from the stored history; when it moves the runner to
another level, it is stored in the same transaction, so what the runner sees is what the
database holds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from conversations import engine, render
from conversations.actions import action, command
from conversations.context import Ctx
from progression import (
    Action,
    Decision,
    History,
    LevelChange,
    ReasonCode,
    RedFlag,
    SessionKind,
    decide,
    plan_week,
)
from progression.models import PastDecision
from storage import records


def not_active_text(ctx: Ctx) -> str | None:
    """What to say instead of a session when the plan is not running."""
    status = ctx.runner.status
    if status == "new":
        return ctx._("We haven't set up your plan yet. Send /start to begin.")
    if status == "referred":
        from conversations import referral

        return referral.stopped_text(ctx)
    if status == "paused":
        until = ctx.runner.paused_until
        if until:
            return ctx._(
                "Your plan is paused until {date}. Send /resume to start again sooner."
            ).format(date=ctx.tr.date(until))
        return ctx._("Your plan is paused. Send /resume to start again.")
    return None


async def start_if_active(
    ctx: Ctx, flow: engine.Flow, answers: engine.Answers | None = None
) -> None:
    """Begin a flow that needs a running plan; otherwise say why it can't start."""
    if not say_if_inactive(ctx):
        await engine.start(ctx, flow, answers)


def say_if_inactive(ctx: Ctx) -> bool:
    """Say why there is no session (with the clearance button while referred); True if so."""
    blocked = not_active_text(ctx)
    if not blocked:
        return False
    ctx.say(blocked, inactive_buttons(ctx))
    return True


def inactive_buttons(ctx: Ctx) -> list[list[tuple[str, str]]] | None:
    if ctx.runner.status == "referred":
        from conversations import referral

        return referral.buttons(ctx)
    return None


def new_events(decision: Decision, history: History) -> frozenset[tuple[ReasonCode, date]]:
    """The events (a step back, a rest, a referral) the decision acts on for the first time."""
    return decision.events - {e for p in history.past for e in p.events}


def decision_buttons(ctx: Ctx, decision: Decision) -> list[list[tuple[str, str]]] | None:
    """The clearance buttons under a referral; the reassessment's when the plan waits for one
    (so it can be done now, not only on the weekly day); none otherwise."""
    if decision.action is Action.REFER:
        from conversations import referral

        return referral.buttons(ctx)
    if decision.has(ReasonCode.REASSESSMENT_NEEDED):
        from conversations.actions import data

        return [[(ctx._("Start reassessment"), data("reassess"))]]
    return None


def escalation_is_new(decision: Decision, history: History) -> bool:
    """Whether the decision advises a clinician review that the last stored one did not."""
    if not decision.has(ReasonCode.CLINICIAN_REVIEW_ADVISED):
        return False
    return not history.past or ReasonCode.CLINICIAN_REVIEW_ADVISED not in history.past[-1].codes


async def current(ctx: Ctx) -> tuple[Decision, History]:
    """Decide from the stored history; store the decision when it changes the level, refers,
    or acts on an event not acted on before (a step back at the bottom level included), so
    that what /today, /plan, /why and the daily prompt say is what the database holds.

    Returns the decision and the history as it stands after it.
    """
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    if (
        decision.level != ctx.runner.level
        or decision.action is Action.REFER
        or new_events(decision, history)
    ):
        changed = decision.level != ctx.runner.level
        await remember(ctx, decision)
        history = replace(
            history,
            level=decision.level,
            level_since=ctx.today if changed else history.level_since,
            level_changes=(
                (*history.level_changes, LevelChange(ctx.today, decision.level, decision.action))
                if changed
                else history.level_changes
            ),
            past=(
                *history.past,
                PastDecision.of(ctx.today, decision.action, decision.level, decision.reasons),
            ),
        )
    return decision, history


async def resting(ctx: Ctx) -> bool:
    """Whether the current decision is a rest until symptoms settle."""
    if ctx.runner.status != "active":
        return False
    decision, _ = await current(ctx)
    return decision.action is Action.REST


async def remember(ctx: Ctx, decision: Decision) -> None:
    """Store a decision made after new answers (check-in, morning check, reassessment).

    A referral stops the plan until a clinician clears the runner. One the engine made from
    a symptom (night pain with a bone-stress risk) is recorded as a red-flag report too, so it
    holds like any other: a "no night pain" tomorrow does not end it."""
    from conversations import careteam

    await careteam.note_decision(ctx, decision)  # the care team's alert, if any
    await records.save_decision(ctx.session, ctx.runner, decision, ctx.today)
    if decision.action is Action.REFER:
        from conversations import referral

        if ctx.runner.status != "referred" and not decision.has(ReasonCode.RED_FLAG):
            flags = render.flags_of(decision) or frozenset({RedFlag.NIGHT_PAIN})
            await records.add_red_flags(ctx.session, ctx.runner.id, ctx.today, flags)
        await referral.stop(ctx)


async def session_text(ctx: Ctx) -> str:
    """Today's session (or rest, cross-training or strength) in a few lines."""
    blocked = not_active_text(ctx)
    if blocked:
        return blocked
    decision, history = await current(ctx)
    today = plan_week(history, ctx.today)[0]
    p = today.prescription
    head = ctx._("Today, {date}").format(date=ctx.tr.day_month(ctx.today))
    lines = [f"<b>{head}</b>"]
    if decision.has(ReasonCode.CLINICIAN_REVIEW_ADVISED):  # a standing line until it clears
        lines.append(
            "<i>" + render.reason(ctx, ReasonCode.CLINICIAN_REVIEW_ADVISED.value, {}) + "</i>"
        )
    for r in decision.reasons:  # the care team's hold or stage cap, while it stands
        if r.code in (ReasonCode.CARE_TEAM_HOLD, ReasonCode.STAGE_CAP):
            lines.append("<i>" + render.reason(ctx, r.code.value, r.as_dict()) + "</i>")
    ctx.extra["reassess_due"] = decision.has(ReasonCode.REASSESSMENT_NEEDED)
    if ctx.extra["reassess_due"]:
        lines.append(render.reason(ctx, ReasonCode.REASSESSMENT_NEEDED.value, {}))
    if today.is_run_day or p.kind in (SessionKind.WALK,):
        lines.append(render.prescription(ctx, p))
        lines.append("")
        lines.append(ctx._("Afterwards, tap Check in (or send /checkin)."))
    elif p.kind is SessionKind.REST:
        lines.append(ctx._("No running today: rest and let your body adapt."))
        lines.append(render.prescription(ctx, p, cues=True))
    else:
        lines.append(ctx._("No running today."))
        lines.append(render.prescription(ctx, p))
    return "\n".join(lines)


@command("today")
async def today_command(ctx: Ctx) -> None:
    from conversations.prompts import daily_buttons

    text = await session_text(ctx)
    if ctx.runner.status == "active":
        ctx.say(text, daily_buttons(ctx))
    else:
        ctx.say(text, inactive_buttons(ctx))
    await engine.reask(ctx, "\n")


@command("plan")
async def plan_command(ctx: Ctx) -> None:
    if say_if_inactive(ctx):
        return
    _, history = await current(ctx)
    lines = ["<b>" + ctx._("Your next 7 days") + "</b>"]
    week = plan_week(history, ctx.today)
    recovery = False
    for day in week:
        p = day.prescription
        label = ctx.tr.weekday(day.day) + ", " + ctx.tr.day_month(day.day)
        summary = ctx._(render.KINDS[p.kind])
        if p.total_minutes and p.kind is not SessionKind.REST:
            summary += " · " + render.duration(ctx, p.total_minutes)
        if p.running_minutes:
            summary += " · " + ctx.n_(
                "{n} minute running", "{n} minutes running", p.running_minutes
            ).format(n=p.running_minutes)
        if p.strength:
            summary += " · " + ctx._("strength")
        if any(d.is_run_day for d in week) and not day.is_run_day:
            # a day without running in a week with runs: the recovery day, said as such
            summary = ctx._("Recovery day") + " (" + summary + ")"
            recovery = True
        lines.append(f"<b>{label}</b>: {summary}")
    lines.append("")
    if recovery:
        lines.append(ctx._("Recovery days have no running: keep them easy, or rest."))
    lines.append(ctx._("Send /today on the day for the details."))
    ctx.say("\n".join(lines))
    await engine.reask(ctx, "\n")


def why_plainly(ctx: Ctx, decision: Decision) -> list[str]:
    """/why in plain words: what a good session is, why no running yet, what unlocks the
    next stage (how many good sessions are still needed is one of the reasons above)."""
    p = decision.prescription
    lines = []
    if p.pain_limit > 0:
        lines.append(
            ctx._(
                "A good session: pain during it at or below {n}/10, and settled by the next "
                "morning."
            ).format(n=p.pain_limit)
        )
    else:
        lines.append(ctx._("A good session: no pain during it, and settled by the next morning."))
    if decision.stage == 0:
        lines.append(
            ctx._(
                "No running yet: first the injured area has to handle daily activities and "
                "easy cross-training without pain."
            )
        )
    elif decision.stage == 1:
        lines.append(
            ctx._(
                "No running yet: walking comes first, until the strength and hop tests show "
                "the leg is ready for the impact of running."
            )
        )
    if decision.stage < 5 and not decision.has(ReasonCode.STAGE_CAP):
        lines.append(
            ctx._(
                "What unlocks stage {next}: good sessions up to the last level of this stage, "
                "then passing the tests of the weekly reassessment (/reassess)."
            ).format(next=decision.stage + 1)
        )
    return lines


@command("why")
async def why_command(ctx: Ctx) -> None:
    if say_if_inactive(ctx):
        return
    decision, _ = await current(ctx)
    lines = ["<b>" + ctx._("Why this session") + "</b>"]
    lines += [f"• {line}" for line in render.reasons(ctx, decision.reasons)]
    lines.append("")
    lines.append(
        ctx._("You are at stage {stage} of 5: {name}.").format(
            stage=decision.stage, name=render.stage_name(ctx, decision.stage)
        )
    )
    lines += why_plainly(ctx, decision)
    ctx.say("\n".join(lines))
    await engine.reask(ctx, "\n")


async def start_morning_check(ctx: Ctx) -> None:
    from conversations import morning

    await morning.begin(ctx)


@action("plan")
async def plan_button(ctx: Ctx, _arg: str) -> None:
    await plan_command(ctx)


@action("checkin")
async def checkin_button(ctx: Ctx, _arg: str) -> None:
    from conversations import checkin

    await checkin.begin(ctx)


@action("skipped")
async def skipped_button(ctx: Ctx, _arg: str) -> None:
    from conversations import checkin

    await checkin.record_skipped(ctx)


@action("reassess")
async def reassess_button(ctx: Ctx, _arg: str) -> None:
    from conversations import reassess

    await reassess.begin(ctx)
