"""A red-flag referral and its end: the plan stays stopped until a clinician has examined and
cleared the runner. A "no" at a later safety question never ends it.

While referred the runner gets no sessions and no daily prompts; once a week the scheduler
asks whether a clinician has seen them (prompts.CLINICIAN). The clearance is recorded as a
red-flag report with ``cleared_to_stage`` and today's date; progression then restarts the
plan at that stage (1 = walking, 0 when the clinician asked for less). The runner confirms a
clearance in conversations/clearance.py; a care-team clinician in conversations/patients.py;
both end in ``clear`` here.
"""

from __future__ import annotations

from conversations import engine, events
from conversations.context import Ctx
from conversations.decisions import remember, stop_plan
from conversations.view import after, referral_buttons
from progression import RedFlag, decide
from reports import words
from reports.plan import decision_text
from storage import records, schedule

ONBOARDING = "onboarding"  # the flow a runner referred during onboarding goes back to


async def refer(ctx: Ctx, flags: frozenset[RedFlag]) -> None:
    """Record the warning signs, stop the plan and say where to go, most urgent first."""
    await records.add_red_flags(ctx.session, ctx.runner.id, ctx.today, flags)
    await events.publish(ctx, events.RedFlagsReported(flags))
    await stop_plan(ctx)
    ctx.say(words.referral(ctx, flags), referral_buttons(ctx))


async def clear(ctx: Ctx, stage: int, intro: str | None = None) -> None:
    """Record a clearance to restart at ``stage`` and restart the plan (the runner's own
    confirmation, or a care-team clinician's, with ``intro`` saying who cleared them)."""
    await records.add_clearance(ctx.session, ctx.runner.id, ctx.today, stage)
    if not ctx.runner.injury:  # referred during onboarding: set the plan up now
        ctx.runner.status = "new"
        ctx.say(intro or ctx._("Thank you, and good to hear. Let's set up your plan."))
        await engine.start(ctx, engine.FLOWS[ONBOARDING], {"_rescreen": True})
        return
    ctx.runner.status = "active"
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    await remember(ctx, decision)
    await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
    plan = await after(ctx, decision, history)
    ctx.say(
        (intro or ctx._("Thank you, and good to hear. Your plan restarts gently."))
        + "\n\n"
        + decision_text(ctx, plan, headline_shown=False, where=True)
    )
