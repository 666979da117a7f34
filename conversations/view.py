"""What the runner is told about their plan, read from the stored decision: today's session,
why the plan is not running (paused, referred, not set up), and the buttons that go with a
decision or a daily prompt. Every screen that speaks of the plan says it through here.
"""

from __future__ import annotations

from conversations import engine, referral
from conversations.actions import data
from conversations.context import Ctx
from conversations.decisions import current
from progression import Action, Decision, ReasonCode, SessionKind, plan_week
from reports import reasons, words

Rows = list[list[tuple[str, str]]]
REASSESS_DUE = "reassess_due"  # ctx.extra: the plan waits for a reassessment: offer it now


def not_active_text(ctx: Ctx) -> str | None:
    """What to say instead of a session when the plan is not running."""
    status = ctx.runner.status
    if status == "new":
        return ctx._("We haven't set up your plan yet. Send /start to begin.")
    if status == "referred":
        return referral.stopped_text(ctx)
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
        return referral.buttons(ctx)
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


def decision_buttons(ctx: Ctx, decision: Decision) -> Rows | None:
    """The clearance buttons under a referral; the reassessment's when the plan waits for one
    (so it can be done now, not only on the weekly day); none otherwise."""
    if decision.action is Action.REFER:
        return referral.buttons(ctx)
    if decision.has(ReasonCode.REASSESSMENT_NEEDED):
        return [[(ctx._("Start reassessment"), data("reassess"))]]
    return None


def daily_buttons(ctx: Ctx) -> Rows:
    rows = [
        [(ctx._("Check in"), data("checkin")), (ctx._("Skipped today"), data("skipped"))],
        [(ctx._("Show plan"), data("plan"))],
    ]
    if ctx.extra.get(REASSESS_DUE):  # the plan waits for a reassessment: offer it now
        rows.append([(ctx._("Start reassessment"), data("reassess"))])
    return rows


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
            "<i>" + reasons.reason(ctx, ReasonCode.CLINICIAN_REVIEW_ADVISED.value, {}) + "</i>"
        )
    for r in decision.reasons:  # the care team's hold or stage cap, while it stands
        if r.code in (ReasonCode.CARE_TEAM_HOLD, ReasonCode.STAGE_CAP):
            lines.append("<i>" + reasons.reason(ctx, r.code.value, r.as_dict()) + "</i>")
    ctx.extra[REASSESS_DUE] = decision.has(ReasonCode.REASSESSMENT_NEEDED)
    if ctx.extra[REASSESS_DUE]:
        lines.append(reasons.reason(ctx, ReasonCode.REASSESSMENT_NEEDED.value, {}))
    if today.is_run_day or p.kind in (SessionKind.WALK,):
        lines.append(words.prescription(ctx, p))
        lines.append("")
        lines.append(ctx._("Afterwards, tap Check in (or send /checkin)."))
    elif p.kind is SessionKind.REST:
        lines.append(ctx._("No running today: rest and let your body adapt."))
        lines.append(words.prescription(ctx, p, cues=True))
    else:
        lines.append(ctx._("No running today."))
        lines.append(words.prescription(ctx, p))
    return "\n".join(lines)
