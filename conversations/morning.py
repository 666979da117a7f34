"""The morning-after check: did pain and stiffness settle overnight? One tap when all is well
("All good": no worse, no swelling, no night pain); the details only when something changed.
Not settled means half a step back and another look in 48 hours (the progression module
decides)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import decisions, engine, view
from conversations.actions import data
from conversations.common import SWELLING_OPTIONS
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Option, Step, choice, parse_yes_no, yes_no
from locales import N_
from progression import Compare, MorningCheck, Swelling, decide
from reports.plan import decision_text
from storage import records

ALL_GOOD = "good"
WEEKLY = "_weekly"  # answers: it is reassessment day (its button comes with the result)

# reasons that say a session (yesterday's or a recent one) did not go well
WARNINGS = frozenset(
    {
        "sharp_or_limp",
        "pain_during_over_ceiling",
        "pain_after_over_ceiling",
        "pain_acceptable_zone",
        "soreness_after",
        "swelling_after_session",
        "symptoms_after_progress",
        "split_session",
        "recent_warning_pain",
        "worsening_trend",
    }
)

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


FIRST_ROWS = [
    [Option(ALL_GOOD, N_("All good: no worse, no swelling, no night pain"))],
    *COMPARE_ROW,
]


def _all_good(answers: Answers) -> bool:
    return answers.get("pain") == ALL_GOOD


STEPS: tuple[Step, ...] = (
    Step("pain", _ask_pain, choice(ALL_GOOD, *Compare), FIRST_ROWS),
    Step(
        "stiffness",
        N_("And the stiffness?"),
        choice(*Compare),
        COMPARE_ROW,
        skip_if=_all_good,
    ),
    Step(
        "swelling",
        N_("Any swelling this morning?"),
        choice(*Swelling),
        SWELLING_OPTIONS,
        skip_if=_all_good,
    ),
    Step(
        "night_pain",
        N_("Did pain wake you during the night?"),
        parse_yes_no,
        yes_no(),
        skip_if=_all_good,
    ),
)


def morning_from(answers: Answers, today: date) -> MorningCheck:
    """The record: "All good" is pain and stiffness as usual, no swelling, no night pain."""
    run_day = date.fromisoformat(str(answers["run_day"]))
    if _all_good(answers):
        return MorningCheck(
            day=today,
            run_day=run_day,
            pain=Compare.SAME,
            stiffness=Compare.SAME,
            swelling=Swelling.NONE,
            night_pain=False,
        )
    return MorningCheck(
        day=today,
        run_day=run_day,
        pain=Compare(answers["pain"]),
        stiffness=Compare(answers["stiffness"]),
        swelling=Swelling(answers["swelling"]),
        night_pain=bool(answers["night_pain"]),
    )


async def finish(ctx: Ctx, answers: Answers) -> None:
    check = morning_from(answers, ctx.today)
    await records.add_morning(ctx.session, ctx.runner.id, check)
    history = await records.load_history(ctx.session, ctx.runner, ctx.today)
    decision = decide(history, ctx.today)
    new_escalation = decisions.escalation_is_new(decision, history)
    await decisions.remember(ctx, decision)
    settled = (
        check.pain is not Compare.WORSE
        and check.stiffness is not Compare.WORSE
        and check.swelling is Swelling.NONE
        and not check.night_pain
    )
    # The headline is the decision's (reports/plan.decision_text): this line only says what
    # the morning showed, so "handled well" is never followed by a step back for its pain.
    if not settled:
        head = ctx._("Thanks for telling me.")
    elif decision.action.value in ("progress", "repeat") and not any(
        r.code.value in WARNINGS for r in decision.reasons
    ):
        head = ctx._("Thanks. Your body handled the session well.")
    else:
        head = ctx._("Thanks. Things settled overnight.")
    plan = await view.after(ctx, decision, history, new_escalation=new_escalation)
    buttons = view.decision_buttons(ctx, decision)
    if answers.get(WEEKLY) and buttons is None and decision.action.value != "refer":
        buttons = [[(ctx._("Start reassessment"), data("reassess"))]]  # reassessment day
    ctx.say(head + "\n\n" + decision_text(ctx, plan, escalation=new_escalation), buttons)


FLOW = engine.register(Flow(name="morning", title=N_("Morning check"), steps=STEPS, finish=finish))


async def last_run_day(session: AsyncSession, runner_id: int, before: date) -> date | None:
    """The most recent session day before ``before`` (within four weeks)."""
    rows = await records.checkins_between(session, runner_id, before - timedelta(days=28), before)
    runs = [r.day for r in rows if r.outcome in records.MEASURED_OUTCOMES and r.day < before]
    return max(runs) if runs else None


async def begin(ctx: Ctx, *, intro: str = "", weekly: bool = False) -> None:
    """Start the morning check for the most recent run (yesterday, normally); ``intro`` (what
    else is due this morning) is said above its first question, in the same message, and on
    reassessment day (``weekly``) its result carries the reassessment's button."""
    run_day = await last_run_day(ctx.session, ctx.runner.id, ctx.today)
    if run_day is None:
        plan = await view.current(ctx)
        if weekly:
            ctx.extra[view.REASSESS_DUE] = True
        text = view.session_text(ctx, plan)
        ctx.say((intro + "\n\n" if intro else "") + text, view.daily_buttons(ctx, plan))
        return
    answers: Answers = {"run_day": run_day.isoformat()}
    if weekly:
        answers[WEEKLY] = True
    await engine.start(ctx, FLOW, answers, intro=intro)
