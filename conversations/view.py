"""The one view of the runner's plan every screen renders from (reports/plan.PlanView): built
here from the stored decision and the week's plan, once per update, and the screens that
show it (/today and the 07:00 prompt, /plan, /why) and the buttons that go with it.

* ``current(ctx)``: the runner's own view today (the decision read from the stored history,
  stored when it changes: conversations/decisions.current);
* ``after(...)``: right after new answers were decided (a check-in, a morning check, a
  reassessment, a clearance, onboarding): the result says how the level moved;
* ``peek(session, runner, today)``: someone else's view, read only (the care team, reports).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import engine
from conversations.actions import data
from conversations.context import Ctx
from conversations.decisions import current as current_decision
from conversations.decisions import stored
from locales import N_
from progression import Action, Decision, History, ReasonCode, decide, plan_week
from reports import plan as words_of_plan
from reports.labels import KINDS
from reports.pain import pain_rule, pain_rule_text
from reports.plan import ACTIVE, CAPPED, HELD, NEW, PAUSED, REFERRED, PlanView
from reports.reasons import reason
from reports.words import duration, prescription
from storage import careteam as careteam_store
from storage import plans, records
from storage.models import Runner

Rows = list[list[tuple[str, str]]]
# reasons today's session states above it: the care team's hold or cap while it stands, and
# the step back a gap without running brought today
STANDING = (
    ReasonCode.CARE_TEAM_HOLD,
    ReasonCode.STAGE_CAP,
    ReasonCode.GAP_7_DAYS,
    ReasonCode.GAP_14_DAYS,
    ReasonCode.GAP_28_DAYS,
)
REASSESS_DUE = "reassess_due"  # ctx.extra: the plan waits for a reassessment: offer it now


# ---------------------------------------------------------------- building the view
def status_of(runner: Runner, history: History | None) -> str:
    if runner.status == "new":
        return NEW
    if runner.status == "referred":
        return REFERRED
    if runner.status == "paused":
        return PAUSED
    if history is not None and history.care_hold:
        return HELD
    if history is not None and history.stage_cap is not None:
        return CAPPED
    return ACTIVE


def build(
    runner: Runner,
    today: date,
    history: History | None,
    decision: Decision | None,
    *,
    previous_level: int | None = None,
    new_escalation: bool = False,
) -> PlanView:
    status = status_of(runner, history)
    running = decision is not None and history is not None and status in (ACTIVE, HELD, CAPPED)
    week = plan_week(history, today, decision) if running else ()  # type: ignore[arg-type]
    ahead = None
    if running and decision is not None and history is not None:
        ahead = moves_up_by_then(history, today, decision, stored_already=previous_level is None)
        if ahead is not None:
            week = plan_week(stored(history, decision, today), today, ahead)
    return PlanView(
        today=today,
        status=status,
        pain=pain_rule(runner.injury),
        level=decision.level if decision is not None else runner.level,
        decision=decision if running or status == REFERRED else None,
        week=week,
        previous_level=previous_level,
        paused_until=runner.paused_until,
        stage_cap=history.stage_cap if history is not None else None,
        new_escalation=new_escalation,
        ahead=ahead,
    )


def moves_up_by_then(
    history: History, today: date, decision: Decision, *, stored_already: bool
) -> Decision | None:
    """A hold that ends before the next session (48 hours after warning pain, two level-ups
    in a week): the decision that day will move up, so the plan says so now (and the day's
    own screens then say the same). None when nothing changes by the session's day."""
    if decision.action is not Action.REPEAT or decision.session_date <= today:
        return None
    then = history if stored_already else stored(history, decision, today)
    ahead = decide(then, decision.session_date)
    if ahead.action is Action.PROGRESS and ahead.session_date == decision.session_date:
        return ahead
    return None


async def current(ctx: Ctx) -> PlanView:
    """The runner's plan today, as stored (a changed decision is stored first)."""
    if ctx.runner.status != "active":
        history = await records.load_history(ctx.session, ctx.runner, ctx.today)
        return build(ctx.runner, ctx.today, history, None)
    decision, history = await current_decision(ctx)
    return await shown(ctx, build(ctx.runner, ctx.today, history, decision))


async def after(
    ctx: Ctx, decision: Decision, history: History, *, new_escalation: bool = False
) -> PlanView:
    """The view of a decision just made from ``history`` (before it was stored): the result
    of a check-in, a morning check, a reassessment, a clearance or onboarding."""
    plan = build(
        ctx.runner,
        ctx.today,
        history,
        decision,
        previous_level=history.level,
        new_escalation=new_escalation,
    )
    return await shown(ctx, plan)


async def shown(ctx: Ctx, plan: PlanView) -> PlanView:
    """Record what the plan says from today on, as the runner is told it (/history reads
    it back: a planned day without a check-in was missed, not a rest)."""
    days = [
        (
            d.day,
            d.prescription.kind.value,
            plan.is_session(d),
            d.prescription.total_minutes,
            d.prescription.running_minutes,
            d.prescription.level,
        )
        for d in plan.week
    ]
    await plans.save_plan(ctx.session, ctx.runner.id, ctx.today, days)
    return plan


async def plan_status(session: AsyncSession, runner: Runner) -> str:
    """The plan's status as the runner is told it: held or capped by the care team
    included (for the care team's summary and the reports)."""
    held, cap = await careteam_store.controls(session, runner.id)
    if runner.status != "active":
        return status_of(runner, None)
    return HELD if held else CAPPED if cap is not None else ACTIVE


async def peek(session: AsyncSession, runner: Runner, today: date) -> PlanView:
    """Another person's view of the runner's plan (the care team, reports): read only."""
    if runner.status == "new":
        return build(runner, today, None, None)
    history = await records.load_history(session, runner, today)
    decision = decide(history, today) if runner.status == "active" else None
    return build(runner, today, history, decision)


# ---------------------------------------------------------------- not running
CLEARED_LABEL = N_("A clinician examined me and cleared me")


def referral_buttons(ctx: Ctx) -> list[list[tuple[str, str]]]:
    return [
        [(ctx._(CLEARED_LABEL), data("cleared"))],
        [(ctx._("Not yet"), data("not_cleared"))],
    ]


def referral_stopped_text(ctx: Ctx) -> str:
    return ctx._(
        "Your plan is stopped until a clinician has examined you. If one has cleared you, tap "
        "the button below."
    )


def referral_weekly_text(ctx: Ctx) -> str:
    return ctx._(
        "Has a clinician examined you yet? Your plan stays stopped until one has cleared you."
    )


def not_active_text(ctx: Ctx) -> str | None:
    """What to say instead of a session when the plan is not running."""
    status = ctx.runner.status
    if status == "new":
        return ctx._("We haven't set up your plan yet. Send /start to begin.")
    if status == "referred":
        return referral_stopped_text(ctx)
    if status == "paused":
        until = ctx.runner.paused_until
        if until:
            return ctx._(
                "Your plan is paused until {date}. Send /resume to start again sooner."
            ).format(date=ctx.tr.date(until))
        return ctx._("Your plan is paused. Send /resume to start again.")
    return None


def inactive_buttons(ctx: Ctx) -> Rows | None:
    if ctx.runner.status == "referred":
        return referral_buttons(ctx)
    return None


def say_if_inactive(ctx: Ctx) -> bool:
    """Say why there is no session (with the clearance button while referred); True if so."""
    blocked = not_active_text(ctx)
    if not blocked:
        return False
    ctx.say(blocked, inactive_buttons(ctx))
    return True


async def start_if_active(
    ctx: Ctx, flow: engine.Flow, answers: engine.Answers | None = None
) -> None:
    """Begin a flow that needs a running plan; otherwise say why it can't start."""
    if not say_if_inactive(ctx):
        await engine.start(ctx, flow, answers)


# ---------------------------------------------------------------- buttons
def decision_buttons(ctx: Ctx, decision: Decision) -> Rows | None:
    """The clearance buttons under a referral; the reassessment's when the plan waits for one
    (so it can be done now, not only on the weekly day); none otherwise."""
    if decision.action is Action.REFER:
        return referral_buttons(ctx)
    if decision.has(ReasonCode.REASSESSMENT_NEEDED):
        return [[(ctx._("Start reassessment"), data("reassess"))]]
    return None


def daily_buttons(ctx: Ctx, view: PlanView | None = None) -> Rows:
    """Under the daily message: check in (only on a day with a session), the week, and the
    reassessment when the plan waits for one."""
    rows: Rows = []
    today = view.today_plan if view is not None else None
    if view is None or (today is not None and view.is_session(today)):
        rows.append(
            [(ctx._("Check in"), data("checkin")), (ctx._("Skipped today"), data("skipped"))]
        )
    rows.append([(ctx._("Show plan"), data("plan"))])
    if ctx.extra.get(REASSESS_DUE):  # the plan waits for a reassessment: offer it now
        rows.append([(ctx._("Start reassessment"), data("reassess"))])
    return rows


# ---------------------------------------------------------------- today, and the week
def session_text(ctx: Ctx, view: PlanView) -> str:
    """Today (the 07:00 message and /today): today's session, or what today is and when the
    next session is, with the pain rule; the care team's hold or cap while it stands."""
    blocked = not_active_text(ctx)
    if blocked or view.decision is None:
        return blocked or ctx._("We haven't set up your plan yet. Send /start to begin.")
    decision = view.decision
    head = ctx._("Today, {date}").format(date=ctx.tr.day_month(ctx.today))
    lines = [f"<b>{head}</b>"]
    if decision.has(ReasonCode.CLINICIAN_REVIEW_ADVISED):  # a standing line until it clears
        lines.append(
            "<i>" + reason(ctx, ReasonCode.CLINICIAN_REVIEW_ADVISED.value, {}) + "</i>"
        )
    for r in decision.reasons:  # the care team's hold or stage cap; a gap acted on today
        if r.code in STANDING:
            lines.append("<i>" + reason(ctx, r.code.value, r.as_dict()) + "</i>")
    ctx.extra[REASSESS_DUE] = decision.has(ReasonCode.REASSESSMENT_NEEDED)
    if ctx.extra[REASSESS_DUE]:
        lines.append(reason(ctx, ReasonCode.REASSESSMENT_NEEDED.value, {}))
    today = view.today_plan
    nxt = view.next_session
    if decision.action is Action.REST or today is None:
        lines.append(ctx._("No training today: rest and let it settle."))
        lines.append(prescription(ctx, decision.prescription, pain=None))
    elif view.is_session(today):
        lines.append(prescription(ctx, today.prescription, pain=view.pain))
        lines.append("")
        lines.append(ctx._("Afterwards, tap Check in (or send /checkin)."))
    else:
        if today.prescription.kind.value in ("rest", "strength"):
            lines.append(ctx._("No session today: a recovery day."))
        else:
            lines.append(ctx._("No session today: an easy day beside your sessions."))
        lines.append(prescription(ctx, today.prescription, pain=view.pain))
        if nxt is not None:
            lines.append("")
            lines.append("<b>" + words_of_plan.session_line(ctx, nxt) + "</b>")
    return "\n".join(lines)


def plan_text(ctx: Ctx, view: PlanView) -> str:
    """/plan: the next 7 days as the view plans them, the session days marked, the pain
    rule once."""
    lines = ["<b>" + ctx._("Your next 7 days") + "</b>"]
    for day in view.week:
        p = day.prescription
        label = ctx.tr.weekday(day.day) + ", " + ctx.tr.day_month(day.day)
        summary = ctx._(KINDS[p.kind])
        if p.total_minutes and p.kind.value != "rest":
            summary += " · " + duration(ctx, p.total_minutes)
        if p.running_minutes:
            summary += " · " + ctx.n_(
                "{n} minute running", "{n} minutes running", p.running_minutes
            ).format(n=p.running_minutes)
        if p.strength:
            summary += " · " + ctx._("strength")
        if not view.is_session(day):
            summary = ctx._("Easy day") + " (" + summary + ")"
        lines.append(f"<b>{label}</b>: {summary}")
    lines.append("")
    if view.stage <= 1 and view.decision is not None:
        lines.append(
            ctx._(
                "Until the running stages, a short session comes on most days (a recovery "
                "day every fourth): your chosen days are for the runs."
            )
        )
    lines.append(pain_rule_text(ctx, view.pain))
    lines.append(ctx._("Send /today on the day for the details."))
    return "\n".join(lines)
