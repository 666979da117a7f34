"""What the scheduler sends: the daily prompt and its companions, composed in the runner's
language. The scheduler decides *who* is due and *which kinds*; this module decides *what*
the message says. At most one message a day reaches a runner: due kinds are combined."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import morning, view
from conversations.context import Ctx
from progression import Action, CheckAgain, decide
from storage import records, schedule
from storage.models import Runner

DAILY = "daily"
MORNING = "morning"
WEEKLY = "weekly"
NUDGE = "nudge"
WELCOME_BACK = "welcome_back"
CLINICIAN = "clinician"  # referred runners, weekly: has a clinician examined you?
KINDS = (DAILY, MORNING, WEEKLY, NUDGE, WELCOME_BACK, CLINICIAN)


async def compose(ctx: Ctx, kinds: list[str]) -> None:
    """Queue the message for the due ``kinds`` (any of KINDS) into ``ctx.out``."""
    if CLINICIAN in kinds or ctx.runner.status == "referred":
        # While referred: no session, no daily prompt; only the clinician question.
        if CLINICIAN in kinds:
            ctx.say(view.referral_weekly_text(ctx), view.referral_buttons(ctx))
        return
    lines: list[str] = []
    if WELCOME_BACK in kinds:
        lines.append(ctx._("Welcome back! Your plan picks up gently from here."))
    if NUDGE in kinds:
        lines.append(await nudge_text(ctx))
    if MORNING not in kinds and DAILY in kinds and await morning_wanted(ctx):
        kinds = [*kinds, MORNING]
    weekly = ctx._(
        "It's your weekly reassessment: a few quick tests (about five minutes) show how the "
        "injured area is doing."
    )
    if MORNING in kinds:
        # The morning-after check is a short conversation: one message, whatever else is due
        # said above its first question; a reassessment day's button comes with its result.
        if WEEKLY in kinds:
            lines.append(weekly)
        await morning.begin(ctx, intro="\n\n".join(lines), weekly=WEEKLY in kinds)
        return
    plan = await view.current(ctx)
    if DAILY in kinds or WELCOME_BACK in kinds or NUDGE in kinds:
        lines.append(view.session_text(ctx, plan))
    if WEEKLY in kinds:
        lines.append(weekly)
        ctx.extra[view.REASSESS_DUE] = True
    ctx.say("\n\n".join(lines), view.daily_buttons(ctx, plan))


async def morning_wanted(ctx: Ctx) -> bool:
    """A morning check the plan asks for without a run yesterday: each morning while it
    rests (lasting swelling: the rest ends when one comes back clear), and the look again
    48 hours after a session that had not settled (or a step back), on its day."""
    if ctx.runner.status != "active":
        return False
    # read, not stored: the session text that follows stores it (and says what it acts on)
    decision = decide(await records.load_history(ctx.session, ctx.runner, ctx.today), ctx.today)
    if decision.action is Action.REST:
        return True
    if decision.check_again is not CheckAgain.H48 or decision.check_again_date != ctx.today:
        return False
    return not await records.mornings_between(ctx.session, ctx.runner.id, ctx.today, ctx.today)


async def nudge_text(ctx: Ctx) -> str:
    """How long it has been, said as it is (a few days, or six weeks)."""
    last = await schedule.last_checkin_day(ctx.session, ctx.runner.id)
    if last is None:
        return ctx._(
            "I haven't heard from you since you started. How is it going? "
            "A quick check-in keeps your plan right for you."
        )
    days = (ctx.today - last).days
    return ctx.n_(
        "Your last check-in was {n} day ago. How is it going? "
        "A quick check-in keeps your plan right for you.",
        "Your last check-in was {n} days ago. How is it going? "
        "A quick check-in keeps your plan right for you.",
        days,
    ).format(n=ctx.tr.number(days))


async def missed_a_session(session: AsyncSession, runner: Runner, today: date,
                           since: date) -> bool:
    """Whether a session the plan asked for after ``since`` (the last check-in, or the day
    the plan began) has passed without a check-in: the nudge is for a missed session, never
    for the rest or cross-training days between two runs."""
    history = await records.load_history(session, runner, today)
    return decide(history, since + timedelta(days=1)).session_date < today
