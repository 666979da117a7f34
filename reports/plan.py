"""One view of the runner's plan, and every screen's words for it.

A ``PlanView`` is what the runner is told, computed once from the stored decision and the
week's plan: the status (active, held or capped by the care team, referred, paused), the
stage and level, the next session (date, kind, minutes), the week, the pain rule (a green
limit for moving up and a ceiling for stepping back, stated the same way everywhere) and
the reasons in the order the rules took precedence (at most two are said). The check-in
and morning results, the 07:00 prompt, /today, /plan, /why, the chart, the PDF and the care
team's messages all render from it (conversations/view.py builds it); none recomputes the
plan on its own.

Pure: a Voice (a translator and the runner's today) and a PlanView in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from locales import N_
from progression import (
    Action,
    CheckAgain,
    DayPlan,
    Decision,
    Prescription,
    Reason,
    ReasonCode,
    SessionKind,
)
from progression.ladder import LADDER, first_level_of_stage
from reports.labels import GATES, KINDS, STAGES
from reports.pain import PainRule
from reports.reasons import reason
from reports.words import DatedVoice, duration, flags_of, prescription, referral, when

ACTIVE, HELD, CAPPED, REFERRED, PAUSED, NEW = (
    "active",
    "held",
    "capped",
    "referred",
    "paused",
    "new",
)
STATUS_WORDS = {
    ACTIVE: N_("Active"),
    HELD: N_("Held by the care team"),
    CAPPED: N_("Stage capped by the care team"),
    REFERRED: N_("Stopped: waiting for a clinician's clearance"),
    PAUSED: N_("Paused"),
    NEW: N_("Setting up"),
}
MAX_REASONS = 2  # a decision says one headline and at most two reasons


@dataclass(frozen=True)
class PlanView:
    """What the runner is told about their plan on ``today`` (see the module's docstring)."""

    today: date
    status: str
    pain: PainRule
    level: int
    decision: Decision | None = None  # None while not running (new, paused, referred)
    week: tuple[DayPlan, ...] = ()  # today and the six days after it
    previous_level: int | None = None  # the level before the decision (a result says moves)
    paused_until: date | None = None
    stage_cap: int | None = None
    new_escalation: bool = False  # a clinician review is advised for the first time
    # the decision the next session's day will take when a hold ends before it (the plan
    # moves up then, and says so now)
    ahead: Decision | None = None

    @classmethod
    def of(cls, decision: Decision, today: date, pain: PainRule, **more: object) -> PlanView:
        """The view of a decision alone (no week planned around it), for rendering it
        outside an update: tests, examples."""
        return cls(today, ACTIVE, pain, decision.level, decision, **more)  # type: ignore[arg-type]

    @property
    def stage(self) -> int:
        return LADDER[max(0, min(self.level, len(LADDER) - 1))].stage

    @property
    def running(self) -> bool:
        return self.decision is not None and self.status in (ACTIVE, HELD, CAPPED)

    @property
    def next_session(self) -> DayPlan | None:
        """The decision's session, as the week plans it (None: no session until the next
        decision, e.g. a rest)."""
        d = self.ahead or self.decision
        if d is None or d.action in (Action.REST, Action.REFER):
            return None
        for day in self.week:
            if day.day == d.session_date:
                return day
        return DayPlan(d.session_date, d.prescription, d.prescription.running_minutes > 0)

    @property
    def today_plan(self) -> DayPlan | None:
        return self.week[0] if self.week else None

    def is_session(self, day: DayPlan) -> bool:
        """Whether ``day`` holds a session of the plan (not a rest or an easy recovery day)."""
        nxt = self.next_session
        if nxt is None or day.day < nxt.day:
            return False
        return day.day == nxt.day or is_session_kind(day.prescription, self.stage)


def is_session_kind(p: Prescription, stage: int) -> bool:
    """A day of the plan that is a session: running, a walk, or stage 0's cross-training
    (not a rest, a recovery day or cross-training beside runs)."""
    if p.running_minutes > 0 or p.kind is SessionKind.WALK:
        return True
    return stage == 0 and p.kind is SessionKind.CROSS


# ---------------------------------------------------------------- reasons, by precedence
# Most important first: what stops or rests the plan, symptoms, the care team, then what
# holds or moves the level. Reasons about the day or length of a session are said with it.
PRECEDENCE: tuple[ReasonCode, ...] = (
    ReasonCode.RED_FLAG,
    ReasonCode.BONE_STRESS_SUSPECTED,
    ReasonCode.NIGHT_PAIN,
    ReasonCode.SWELLING_72H,
    ReasonCode.SHARP_OR_LIMP,
    ReasonCode.PAIN_DURING_OVER_CEILING,
    ReasonCode.PAIN_AFTER_OVER_CEILING,
    ReasonCode.WORSE_ON_WAKING,
    ReasonCode.SYMPTOMS_AFTER_PROGRESS,
    ReasonCode.NOT_SETTLED_NEXT_MORNING,
    ReasonCode.WORSENING_TREND,
    ReasonCode.SWELLING_AFTER_SESSION,
    ReasonCode.SORENESS_AFTER,
    ReasonCode.REST_OR_DAILY_PAIN,
    ReasonCode.GAP_28_DAYS,
    ReasonCode.GAP_14_DAYS,
    ReasonCode.GAP_7_DAYS,
    ReasonCode.RED_FLAG_CLEARED,
    ReasonCode.NIGHT_PAIN_RESOLVED,
    ReasonCode.CARE_TEAM_HOLD,
    ReasonCode.STAGE_CAP,
    ReasonCode.RECENT_WARNING_PAIN,
    ReasonCode.PAIN_ACCEPTABLE_ZONE,
    ReasonCode.SPLIT_SESSION,
    ReasonCode.DAILY_PAIN_LOW,
    ReasonCode.MORNING_CHECK_PENDING,
    ReasonCode.GATE_FAILED,
    ReasonCode.REASSESSMENT_NEEDED,
    ReasonCode.GATE_PASSED,
    ReasonCode.STAGE_STABILITY_NEEDED,
    ReasonCode.MAX_LEVELS_PER_WEEK,
    ReasonCode.POOR_RECOVERY,
    ReasonCode.DELOAD_WEEK,
    ReasonCode.GREEN_SESSIONS,
    ReasonCode.MORE_GREEN_SESSIONS_NEEDED,
    ReasonCode.TOP_OF_LADDER,
    ReasonCode.STARTING_LEVEL,
)
# Why the next session is on its day, or shorter: said with the session, once.
SESSION_NOTES: tuple[ReasonCode, ...] = (
    ReasonCode.NO_RUN_ON_STEP_BACK_DAY,
    ReasonCode.NO_BACK_TO_BACK,
    ReasonCode.RUNS_PER_WEEK_LIMIT,
    ReasonCode.RECOVERY_DAY,
    ReasonCode.EASY_BETWEEN_HARD,
    ReasonCode.WEEKLY_MINUTES_CAP,
)
_RANK = {code: i for i, code in enumerate(PRECEDENCE)}
# A clinician review advised (or, while the care team holds or caps, their review asked):
# said apart, once, when it first appears.
REVIEWS = (ReasonCode.CLINICIAN_REVIEW_ADVISED, ReasonCode.CARE_TEAM_REVIEW)

NOT_TESTED_YET = N_(
    "The ready-to-run tests are not done yet: the weekly reassessment (/reassess) takes them."
)
TESTS_NOT_PASSED = N_("Not every test of the last reassessment was passed yet: {tests}.")


def ranked(reasons: Sequence[Reason]) -> list[Reason]:
    """The reasons that explain the decision (not its session's day or length, not the
    clinician review, which is said apart), most important first, one per code."""
    seen: set[ReasonCode] = set()
    out: list[Reason] = []
    for r in sorted(reasons, key=lambda r: _RANK.get(r.code, len(_RANK))):
        if r.code in SESSION_NOTES or r.code in REVIEWS:
            continue
        if r.code in seen:
            continue
        seen.add(r.code)
        out.append(r)
    return out


def reason_lines(ctx: DatedVoice, d: Decision, limit: int = MAX_REASONS) -> list[str]:
    """At most ``limit`` reasons in the runner's words, by precedence. Failed gates read as
    one line: "not done yet" when a test was never taken, else the tests not passed."""
    lines: list[str] = []
    for r in ranked(d.reasons):
        if r.code is ReasonCode.GATE_FAILED:
            failed = [g for g in d.reasons if g.code is ReasonCode.GATE_FAILED]
            if any(g.as_dict().get("tested") == 0 for g in failed):
                text = ctx._(NOT_TESTED_YET)
            else:
                names = []
                for g in failed:
                    code = str(g.as_dict().get("gate", ""))
                    label = next((v for k, v in GATES.items() if k.value == code), None)
                    if label:
                        names.append(ctx._(label))
                text = ctx._(TESTS_NOT_PASSED).format(tests=", ".join(names) or "?")
        else:
            text = reason(ctx, r.code.value, r.as_dict())
        if text and text not in lines:
            lines.append(text)
        if len(lines) >= limit:
            break
    return lines


def session_note(ctx: DatedVoice, d: Decision) -> str | None:
    """Why the next session is on its day, or shorter than the level's (one line)."""
    for code in SESSION_NOTES:
        for r in d.reasons:
            if r.code is code:
                return reason(ctx, r.code.value, r.as_dict())
    return None


# ---------------------------------------------------------------- the screens' words
def headline(ctx: DatedVoice, view: PlanView) -> str:
    """One headline that says what happened to the level: "move up" only when it moved up."""
    d = view.decision
    assert d is not None
    before = view.previous_level if view.previous_level is not None else d.level
    if d.action is Action.REFER:
        return ctx._("Please stop the plan and see a clinician.")
    if d.action is Action.REST:
        return ctx._("Time to rest and let it settle.")
    if d.level > before:
        if LADDER[d.level].stage > LADDER[before].stage:
            return ctx._("Well done: you move up to stage {stage}, {name}.").format(
                stage=d.stage, name=stage_name(ctx, d.stage)
            )
        return ctx._("Well done: you move up a level.")
    if d.level < before:
        return ctx._("Let's take a step back for now.")
    if d.prescription.reduced:
        return ctx._("Let's ease off a little at this level.")
    return ctx._("Let's repeat this level.")


def stage_name(ctx: DatedVoice, stage: int) -> str:
    return ctx._(STAGES[max(0, min(stage, len(STAGES) - 1))])


def where_text(ctx: DatedVoice, view: PlanView) -> str:
    """"Stage 1 of 5, Walk: level 2 of 5 in this stage"."""
    stage = view.stage
    first = first_level_of_stage(stage)
    levels = sum(1 for spec in LADDER if spec.stage == stage)
    return ctx._("Stage {stage} of 5, {name}: level {n} of {levels} in this stage.").format(
        stage=stage, name=stage_name(ctx, stage), n=view.level - first + 1, levels=levels
    )


def session_line(ctx: DatedVoice, day: DayPlan) -> str:
    """"Fri 6 Mar: Brisk walk, 20 minutes" (the next-session line every screen uses)."""
    p = day.prescription
    what = ctx._(KINDS.get(p.kind, p.kind.value))
    if p.total_minutes and p.kind is not SessionKind.REST:
        what += ", " + duration(ctx, p.total_minutes)
    return ctx._("Next session: {when}: {what}").format(when=day_words(ctx, day.day), what=what)


def day_words(ctx: DatedVoice, day: date) -> str:
    text = ctx.tr.weekday(day) + ", " + ctx.tr.day_month(day)
    delta = (day - ctx.today).days
    if delta in (0, 1):
        text = when(ctx, day) + " (" + text + ")"
    return text


def check_line(ctx: DatedVoice, d: Decision) -> str | None:
    """When the plan looks again, said once (after a step back or a hold)."""
    if d.action in (Action.REFER, Action.REST):
        if d.action is Action.REST:
            return ctx._("I'll ask how it feels each morning; the rest lasts until it has settled.")
        return None
    if d.check_again is CheckAgain.WEEKLY:
        return ctx._("Next check: the weekly reassessment, {when}.").format(
            when=day_words(ctx, d.check_again_date) if d.check_again_date > ctx.today
            else ctx._("today")
        )
    if d.check_again is CheckAgain.H48 and d.check_again_date > ctx.today:
        return ctx._("Before any step up, I'll look again at how it has settled: {when}.").format(
            when=day_words(ctx, d.check_again_date)
        )
    return None


def decision_text(
    ctx: DatedVoice,
    view: PlanView,
    *,
    headline_shown: bool = True,
    escalation: bool = False,
    where: bool = False,
) -> str:
    """A result: one headline, at most two reasons by precedence, where the runner stands
    (when the stage changed, or ``where``), the next session with its pain rule, and when
    the plan looks again."""
    d = view.decision
    assert d is not None
    lines = ["<b>" + headline(ctx, view) + "</b>"] if headline_shown else []
    if d.action is Action.REFER:
        lines.append(referral(ctx, flags_of(d)))
        return "\n".join(lines)
    lines += reason_lines(ctx, d)
    before = view.previous_level
    if where or (before is not None and LADDER[before].stage != d.stage):
        lines.append(where_text(ctx, view))
    for r in d.reasons:
        if escalation and r.code in REVIEWS:
            lines.append("<i>" + reason(ctx, r.code.value, r.as_dict()) + "</i>")
            break
    nxt = view.next_session
    if nxt is None:  # a rest: no session until it settles
        rest = d.prescription
        lines.append("")
        lines.append(prescription(ctx, rest, pain=None))
    else:
        lines.append("")
        lines.append("<b>" + session_line(ctx, nxt) + "</b>")
        note = session_note(ctx, d)
        if view.ahead is not None:
            note = ctx._("By then the hold has passed: you move up a level.")
        if note:
            lines.append("<i>" + note + "</i>")
        lines.append(prescription(ctx, nxt.prescription, pain=view.pain, title=False))
    check = check_line(ctx, d)
    if check:
        lines.append("")
        lines.append(check)
    return "\n".join(lines)


def status_line(ctx: DatedVoice, view: PlanView) -> str:
    return ctx._("Status") + ": " + ctx._(STATUS_WORDS.get(view.status, STATUS_WORDS[ACTIVE]))
