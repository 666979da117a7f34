"""A session measured well over the plan (progression.over_plan): what the runner reads right
after the upload and in the check-in's result, and the event that alerts their care team
(conversations/care_messages.alert_overrun, subscribed in bootstrap.py).

Kind and plain: what was planned, what the watch measured, why a jump like this matters even
when it feels fine, and what to do next. docs/protocol.md §4.11 says the margin.
"""

from __future__ import annotations

from datetime import date

from conversations import events
from conversations.context import Ctx
from progression import Prescription, SessionKind
from reports import labels
from storage import careteam


def planned_words(ctx: Ctx, planned: Prescription) -> str:
    kind = ctx._(labels.KINDS[planned.kind])
    if planned.kind is SessionKind.REST:
        return ctx._("Planned for that day: a rest day.")
    if planned.running_minutes <= 0:
        return ctx._("Planned for that day: {kind}, {minutes} min, no running.").format(
            kind=kind, minutes=ctx.tr.number(planned.total_minutes)
        )
    return ctx._(
        "Planned for that day: {kind}, {minutes} min with {running} min of running."
    ).format(
        kind=kind,
        minutes=ctx.tr.number(planned.total_minutes),
        running=ctx.tr.number(planned.running_minutes),
    )


async def words(
    ctx: Ctx, planned: Prescription, minutes: int, running: int, distance_m: float
) -> str:
    """The runner's own paragraph about a session well over the plan."""
    measured = ctx._("Your watch measured {running} min of running in {minutes} min").format(
        running=ctx.tr.number(running), minutes=ctx.tr.number(minutes)
    )
    if distance_m >= 50:
        km = ctx._("{km} km").format(km=ctx.tr.number(round(distance_m / 1000, 1)))
        measured += f" ({km})"
    return "\n".join(
        (
            "<b>" + ctx._("This was well over your plan.") + "</b>",
            planned_words(ctx, planned) + " " + measured + ".",
            ctx._(
                "Why it matters: a healing tendon or muscle gets stronger with load added step "
                "by step. A jump this big can overload it even when it feels fine today; the "
                "reaction often shows only the next morning."
            ),
            ctx._(
                "What now: keep tomorrow easy, as planned, and answer the morning check. You "
                "stay at this level until that morning shows it settled; then the plan goes "
                "on."
            ),
            *(
                [ctx._("I have let your care team know.")]
                if await careteam.has_members(ctx.session, ctx.runner.id)
                else []
            ),
        )
    )


async def publish(
    ctx: Ctx, day: date, planned: Prescription, minutes: int, running: int, distance_m: float
) -> None:
    """The care team's alert, in this transaction (once a day: care_events is unique)."""
    await events.publish(
        ctx,
        events.SessionOverPlan(
            day=day,
            planned_kind=planned.kind.value,
            planned_minutes=planned.total_minutes,
            planned_running=max(0, planned.running_minutes),
            minutes=minutes,
            running=running,
            distance_m=distance_m,
        ),
    )
