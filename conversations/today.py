"""/today, /plan and /why: today's session, the week ahead and the reasons behind them, all
rendered from the one view of the stored decision (conversations/view.py)."""

from __future__ import annotations

from conversations import engine, view
from conversations.actions import action, command
from conversations.context import Ctx
from reports.pain import pain_rule_text
from reports.plan import PlanView, reason_lines, where_text


@command("today")
async def today_command(ctx: Ctx) -> None:
    if ctx.runner.status != "active":
        view.say_if_inactive(ctx)
        await engine.reask(ctx, "\n")
        return
    plan = await view.current(ctx)
    text = view.session_text(ctx, plan)
    ctx.say(text, view.daily_buttons(ctx, plan))
    await engine.reask(ctx, "\n")


@command("plan")
async def plan_command(ctx: Ctx) -> None:
    if view.say_if_inactive(ctx):
        return
    plan = await view.current(ctx)
    ctx.say(view.plan_text(ctx, plan))
    await engine.reask(ctx, "\n")


def why_plainly(ctx: Ctx, plan: PlanView) -> list[str]:
    """/why in plain words: stages and levels, the pain rule, why no running yet, what
    unlocks the next stage."""
    lines = [
        where_text(ctx, plan),
        ctx._(
            "The plan has six stages, from 0 (protecting the injury) to 5 (running with "
            "intensity). Each stage has a few levels; a level is a session you repeat until it "
            "goes well."
        ),
        pain_rule_text(ctx, plan.pain),
    ]
    if plan.stage == 0:
        lines.append(
            ctx._(
                "No running yet: first the injured area has to handle daily activities and "
                "easy cross-training without pain."
            )
        )
    elif plan.stage == 1:
        lines.append(
            ctx._(
                "No running yet: walking comes first, until the strength and hop tests show "
                "the leg is ready for the impact of running."
            )
        )
    if plan.stage < 5 and plan.stage_cap is None:
        lines.append(
            ctx._(
                "What unlocks stage {next}: good sessions up to the last level of this stage, "
                "then passing the tests of the weekly reassessment (/reassess)."
            ).format(next=plan.stage + 1)
        )
    return lines


@command("why")
async def why_command(ctx: Ctx) -> None:
    if view.say_if_inactive(ctx):
        return
    plan = await view.current(ctx)
    assert plan.decision is not None
    lines = ["<b>" + ctx._("Why this session") + "</b>"]
    lines += [f"• {line}" for line in reason_lines(ctx, plan.decision)]
    lines.append("")
    lines += why_plainly(ctx, plan)
    ctx.say("\n".join(lines))
    await engine.reask(ctx, "\n")


@action("plan")
async def plan_button(ctx: Ctx, _arg: str) -> None:
    await plan_command(ctx)
