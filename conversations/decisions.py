"""The runner's current decision: read from the stored history, and stored with its
reactions. Every flow that records new answers ends here (``remember``); every screen that
shows the plan reads ``current``.

``remember`` publishes ``events.DecisionTaken`` (the care team's alert is a subscriber,
conversations/bootstrap.py), saves the decision, and on a referral stops the plan until a
clinician clears the runner.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from conversations import events
from conversations.context import Ctx
from progression import Action, Decision, History, LevelChange, ReasonCode, RedFlag, decide
from progression.models import PastDecision
from reports.words import flags_of
from storage import records, schedule


def new_events(decision: Decision, history: History) -> frozenset[tuple[ReasonCode, date]]:
    """The events (a step back, a rest, a referral) the decision acts on for the first time."""
    return decision.events - {e for p in history.past for e in p.events}


def escalation_is_new(decision: Decision, history: History) -> bool:
    """Whether the decision advises a review (a clinician's, or the care team's while a member
    holds or caps the plan) that the last stored one did not."""
    codes = (ReasonCode.CLINICIAN_REVIEW_ADVISED, ReasonCode.CARE_TEAM_REVIEW)
    new = [c for c in codes if decision.has(c)]
    return bool(new) and (not history.past or new[0] not in history.past[-1].codes)


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
        await remember(ctx, decision)
        history = stored(history, decision, ctx.today)
    return decision, history


def stored(history: History, decision: Decision, today: date) -> History:
    """The history as it stands once ``decision`` is stored on ``today``."""
    changed = decision.level != history.level
    return replace(
        history,
        level=decision.level,
        level_since=today if changed else history.level_since,
        level_changes=(
            (*history.level_changes, LevelChange(today, decision.level, decision.action))
            if changed
            else history.level_changes
        ),
        past=(
            *history.past,
            PastDecision.of(today, decision.action, decision.level, decision.reasons),
        ),
    )


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
    await events.publish(ctx, events.DecisionTaken(decision))
    await records.save_decision(ctx.session, ctx.runner, decision, ctx.today)
    if decision.action is Action.REFER:
        if ctx.runner.status != "referred" and not decision.has(ReasonCode.RED_FLAG):
            flags = flags_of(decision) or frozenset({RedFlag.NIGHT_PAIN})
            await records.add_red_flags(ctx.session, ctx.runner.id, ctx.today, flags)
        await stop_plan(ctx)


async def stop_plan(ctx: Ctx) -> None:
    """The runner is referred: no sessions, no daily prompts, a weekly question only."""
    if ctx.runner.status != "referred":
        ctx.runner.status = "referred"
        ctx.runner.paused_until = None
        await schedule.reschedule(ctx.session, ctx.runner, ctx.now)
