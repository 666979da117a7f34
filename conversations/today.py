"""/today, /plan and /why: the current session, the week ahead and the reasons behind them.

The decision shown is always computed from the stored history (conversations/decisions.py);
when it moves the runner to another level, it is stored in the same transaction, so what the
runner sees is what the database holds.
"""

from __future__ import annotations

from conversations import decisions, engine, view
from conversations.actions import action, command
from conversations.context import Ctx
from progression import Decision, ReasonCode, SessionKind, plan_week
from reports import labels, reasons, words


@command("today")
async def today_command(ctx: Ctx) -> None:
    text = await view.session_text(ctx)
    if ctx.runner.status == "active":
        ctx.say(text, view.daily_buttons(ctx))
    else:
        ctx.say(text, view.inactive_buttons(ctx))
    await engine.reask(ctx, "\n")


@command("plan")
async def plan_command(ctx: Ctx) -> None:
    if view.say_if_inactive(ctx):
        return
    _, history = await decisions.current(ctx)
    lines = ["<b>" + ctx._("Your next 7 days") + "</b>"]
    week = plan_week(history, ctx.today)
    recovery = False
    for day in week:
        p = day.prescription
        label = ctx.tr.weekday(day.day) + ", " + ctx.tr.day_month(day.day)
        summary = ctx._(labels.KINDS[p.kind])
        if p.total_minutes and p.kind is not SessionKind.REST:
            summary += " · " + words.duration(ctx, p.total_minutes)
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
    if view.say_if_inactive(ctx):
        return
    decision, _ = await decisions.current(ctx)
    lines = ["<b>" + ctx._("Why this session") + "</b>"]
    lines += [f"• {line}" for line in reasons.reasons(ctx, decision.reasons)]
    lines.append("")
    lines.append(
        ctx._("You are at stage {stage} of 5: {name}.").format(
            stage=decision.stage, name=words.stage_name(ctx, decision.stage)
        )
    )
    lines += why_plainly(ctx, decision)
    ctx.say("\n".join(lines))
    await engine.reask(ctx, "\n")


@action("plan")
async def plan_button(ctx: Ctx, _arg: str) -> None:
    await plan_command(ctx)
