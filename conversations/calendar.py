"""The prescribed sessions as intervals.icu planned workouts (issue 29): the next 7 days of
the one view (conversations/view.peek: what /plan shows), each run or walk/run session mapped
by intervals/workout.py, in the runner's language, with the pain rule and the effort limit in
its notes. sync/job.py writes them (upsert, or removal when the plan no longer has them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from conversations import view
from conversations.context import Ctx
from intervals.workout import workout
from locales import N_
from progression import Cue
from reports.labels import ACTIVITIES, CUES, KINDS
from reports.pain import pain_rule_text

MAIN_SET = N_("Main set")


def _label(ctx: Ctx, activity: str) -> str:
    text = ctx._(ACTIVITIES.get(activity, activity))
    return text[:1].upper() + text[1:]


async def workouts(ctx: Ctx) -> dict[date, dict[str, Any]]:
    """The planned workout of each running day from today on (read only)."""
    plan = await view.peek(ctx.session, ctx.runner, ctx.today)
    found: dict[date, dict[str, Any]] = {}
    for day in plan.week:
        p = day.prescription
        notes = [
            ctx._("Effort: no more than {rpe} out of 10.").format(rpe=p.rpe_max),
            pain_rule_text(ctx, plan.pain),
            *(ctx._(CUES[c]) for c in p.cues if c in CUES and c is not Cue.PAIN_CEILING),
        ]
        event = workout(
            p,
            day.day,
            name="runcoach · " + ctx._(KINDS.get(p.kind, p.kind.value)),
            notes="\n".join(notes),
            label=lambda a: _label(ctx, a),
            main=ctx._(MAIN_SET),
            external_id=f"runcoach-{ctx.runner.id}-{day.day.isoformat()}",
        )
        if event is not None:
            found[day.day] = event
    return found
