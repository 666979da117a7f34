"""The morning-after check: did pain and stiffness settle overnight? Not settled means half a
step back and another look in 48 hours (the progression module decides)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import engine, render, today
from conversations.common import SWELLING_OPTIONS
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Option, Step, choice, parse_yes_no, yes_no
from locales import N_
from progression import Compare, MorningCheck, Swelling, decide
from storage import records

COMPARE_ROW = [
    [
        Option("better", N_("Better")),
        Option("same", N_("Same as usual")),
        Option("worse", N_("Worse")),
    ]
]


def _ask_pain(ctx: Ctx, answers: Answers) -> str:
    after_yesterday = str(answers.get("run_day")) == (ctx.today - timedelta(days=1)).isoformat()
    return (
        (
            ctx._("Good morning! A quick check after yesterday's session.")
            if after_yesterday
            else ctx._("Good morning! A quick check on how the injured area feels today.")
        )
        + "\n\n"
        + ctx._("Compared with a usual morning, how is the pain on waking?")
    )


STEPS: tuple[Step, ...] = (
    Step("pain", _ask_pain, choice(*Compare), COMPARE_ROW),
    Step("stiffness", N_("And the stiffness?"), choice(*Compare), COMPARE_ROW),
    Step(
        "swelling",
        N_("Any swelling this morning?"),
        choice(*Swelling),
        SWELLING_OPTIONS,
    ),
    Step("night_pain", N_("Did pain wake you during the night?"), parse_yes_no, yes_no()),
)


async def finish(ctx: Ctx, answers: Answers) -> None:
    check = MorningCheck(
        day=ctx.today,
        run_day=date.fromisoformat(str(answers["run_day"])),
        pain=Compare(answers["pain"]),
        stiffness=Compare(answers["stiffness"]),
        swelling=Swelling(answers["swelling"]),
        night_pain=bool(answers["night_pain"]),
    )
    await records.add_morning(ctx.session, ctx.runner.id, check)
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    new_escalation = today.escalation_is_new(decision, history)
    await today.remember(ctx, decision)
    settled = check.pain is not Compare.WORSE and check.stiffness is not Compare.WORSE
    head = (
        ctx._("Thanks. Your body handled yesterday well.")
        if settled and check.swelling is Swelling.NONE and not check.night_pain
        else ctx._("Thanks for telling me. Let's adjust.")
    )
    ctx.say(
        head + "\n\n" + render.decision(ctx, decision, escalation=new_escalation),
        today.decision_buttons(ctx, decision),
    )


FLOW = engine.register(Flow(name="morning", title=N_("Morning check"), steps=STEPS, finish=finish))


async def last_run_day(session: AsyncSession, runner_id: int, before: date) -> date | None:
    """The most recent session day before ``before`` (within four weeks)."""
    rows = await records.checkins_between(session, runner_id, before - timedelta(days=28), before)
    runs = [r.day for r in rows if r.outcome in ("done", "shorter") and r.day < before]
    return max(runs) if runs else None


async def begin(ctx: Ctx) -> None:
    """Start the morning check for the most recent run (yesterday, normally)."""
    run_day = await last_run_day(ctx.session, ctx.runner.id, ctx.today)
    if run_day is None:
        ctx.say(await today.session_text(ctx))
        return
    await engine.start(ctx, FLOW, {"run_day": run_day.isoformat()})
