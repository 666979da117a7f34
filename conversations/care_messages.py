"""What a care-team member reads without asking: an alert when a runner they follow reports
a red flag, steps back for pain, is advised a clinician review or runs well over the plan
(a watch measured it), and the Monday summary (the chart and the one-glance lines). The
scheduler sends them (bot/scheduler.py); the alerts are
recorded here, in the runner's transaction, as subscribers of the runner's events
(conversations/bootstrap.py).
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from conversations import plain
from conversations.actions import data
from conversations.context import WEB_APP, Ctx, Out
from conversations.events import DecisionTaken, RedFlagsReported, SessionOverPlan
from conversations.view import plan_status
from locales import N_, N_plural
from progression import Action, ReasonCode, RedFlag, SessionKind
from reports import labels, reasons
from reports.charts import render_progress_chart
from reports.report_input import ReportInput
from reports.summary import glance
from reports.words import flags_of
from storage import careteam as store
from storage import records, reports
from storage.models import CareLinkRow, Runner
from storage.schedule import zone_of

MEMBER = "cm"  # a member's buttons: a|cm|<op>.<runner id>[.<n>] (conversations/patients.py)

# alert kinds (care_events.kind); REVIEW: escalation while the member holds or caps the plan
RED_FLAG, STEP_BACK, ESCALATION, REVIEW = "red_flag", "step_back", "escalation", "review"
ESCALATIONS = {ReasonCode.CLINICIAN_REVIEW_ADVISED: ESCALATION, ReasonCode.CARE_TEAM_REVIEW: REVIEW}
OVERRUN = "overrun"  # a session measured well over the plan
PAIN_STEP_BACKS = frozenset(
    {
        ReasonCode.SHARP_OR_LIMP,
        ReasonCode.PAIN_DURING_OVER_CEILING,
        ReasonCode.PAIN_AFTER_OVER_CEILING,
    }
)


def name(text: str | None) -> str:
    """A Telegram name, safe in an HTML message and in the line around it (no control or
    bidi characters, also in a name stored before they were taken out on the way in)."""
    return html.escape(plain.name(text) or "?")


def open_button(ctx: Ctx, link: CareLinkRow) -> list[list[tuple[str, str]]]:
    return [
        [
            (
                ctx._("Open {name}").format(name=link.runner_name or "?"),
                data(MEMBER, f"o.{link.runner_id}"),
            )
        ]
    ]


def dashboard_button(ctx: Ctx, runner_id: int | None = None) -> list[list[tuple[str, str]]]:
    """The Mini App's button (a runner's page, or the dashboard), when the operator set its
    URL (MINIAPP_URL); nothing otherwise."""
    url = ctx.services.miniapp_url
    if not url:
        return []
    if runner_id is None:
        return [[(ctx._("Open the dashboard"), WEB_APP + url)]]
    joiner = "&" if "?" in url else "?"
    return [[(ctx._("Open in the dashboard"), f"{WEB_APP}{url}{joiner}runner={runner_id}")]]


def alert_buttons(ctx: Ctx, link: CareLinkRow) -> list[list[tuple[str, str]]]:
    return dashboard_button(ctx, link.runner_id) + open_button(ctx, link)


def glance_text(ctx: Ctx, data_: ReportInput) -> str:
    """The report's one-glance summary as a few lines of a message."""
    g = glance(data_)
    tr = ctx.tr
    lines = [
        ctx._("Stage {n}: {name} (level {level})").format(
            n=g.stage, name=labels.stage_name(tr, g.stage), level=g.level
        ),
        ctx._("Status") + ": " + labels.label(tr, labels.STATUSES, data_.status),
        ctx._("Sessions in the last 7 days")
        + ": "
        + (
            ctx._("{done} done of {planned} planned").format(
                done=g.done_this_week, planned=g.planned_this_week
            )
            if g.planned_this_week
            else ctx._("none planned (the plan was resting, paused or stopped)")
        ),
    ]
    trend = {
        "better": N_("lower: {before} → {recent}"),
        "worse": N_("higher: {before} → {recent}"),
        "same": N_("about the same: {before} → {recent}"),
    }
    if g.trend is None:
        trend_text = ctx._("not enough check-ins to compare")
    else:
        trend_text = ctx._(trend[g.trend]).format(
            before=tr.number(round(g.pain_before or 0, 1)),
            recent=tr.number(round(g.pain_recent or 0, 1)),
        )
    lines.append(ctx._("Pain trend (last 2 weeks vs the 2 before)") + ": " + trend_text)
    if g.adherence is not None:
        lines.append(
            ctx._("Adherence")
            + ": "
            + ctx._("{percent} of planned sessions done").format(percent=tr.percent(g.adherence))
        )
    alerts: list[str] = []
    for f in g.open_red_flags:
        names = ", ".join(labels.label(tr, labels.RED_FLAGS, c) for c in f.flags.split(",") if c)
        alerts.append(
            ctx._("Open red flag, {date}: {flags}").format(date=tr.day_month(f.day), flags=names)
        )
    if data_.status == "referred" and not g.open_red_flags:
        alerts.append(labels.label(tr, labels.STATUSES, "referred"))
    if g.escalation is not None:
        alerts.append(
            ctx._("Clinician review advised, {date}").format(date=tr.day_month(g.escalation.day))
        )
    lines.append(
        ctx._("Red flags and escalations")
        + ": "
        + ("; ".join(alerts) if alerts else ctx._("None open."))
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- alerts (scheduler side)


async def note_decision(ctx: Ctx, event: DecisionTaken) -> None:
    """Queue an alert for the runner's care team when a decision about to be stored refers,
    steps back for pain above the ceiling or sharp pain, or newly advises a clinician review
    (one the last stored decision did not carry)."""
    decision = event.decision
    if not await store.has_members(ctx.session, ctx.runner.id):
        return
    previous = await previous_codes(ctx)
    if decision.action is Action.REFER:
        await _red_flag_event(ctx, flags_of(decision))
    else:  # a step back (or, at the lowest level, the reduced repeat that stands for one)
        for r in decision.reasons:
            if r.code in PAIN_STEP_BACKS:
                await store.add_event(
                    ctx.session,
                    ctx.runner.id,
                    STEP_BACK,
                    ctx.today,
                    {"code": r.code.value, "values": r.as_dict(), "level": decision.level},
                )
                break
    for r in decision.reasons:
        kind = ESCALATIONS.get(r.code)
        if kind is not None and r.code.value not in previous:
            await store.add_event(
                ctx.session,
                ctx.runner.id,
                kind,
                ctx.today,
                {"code": r.code.value, "values": r.as_dict()},
            )


async def alert_red_flags(ctx: Ctx, event: RedFlagsReported) -> None:
    """Queue a red-flag alert for the runner's care team."""
    await _red_flag_event(ctx, event.flags)


async def alert_overrun(ctx: Ctx, event: SessionOverPlan) -> None:
    """Queue an alert for the runner's care team: a session measured well over the plan
    (once a day)."""
    await store.add_event(
        ctx.session,
        ctx.runner.id,
        OVERRUN,
        event.day,
        {
            "planned_kind": event.planned_kind,
            "planned_minutes": event.planned_minutes,
            "planned_running": event.planned_running,
            "minutes": event.minutes,
            "running": event.running,
            "distance_m": round(event.distance_m),
        },
    )


def kind_name(ctx: Ctx, kind: str) -> str:
    """A session kind's name ("Brisk walk"), or the code when it is not one."""
    try:
        return ctx._(labels.KINDS[SessionKind(kind)])
    except (ValueError, KeyError):
        return kind or "–"


def overrun_text(ctx: Ctx, who: str, detail: dict[str, object]) -> str:
    """What a member reads about a session well over the plan (``ctx`` is the member's)."""
    tr = ctx.tr

    def n(key: str) -> int:
        value = detail.get(key)
        return int(value) if isinstance(value, int | float) else 0

    measured = ctx._(
        "{name}'s watch measured {running} min of running in a {minutes}-minute session"
    ).format(name=who, running=tr.number(n("running")), minutes=tr.number(n("minutes")))
    if n("distance_m") >= 50:
        km = ctx._("{km} km").format(km=tr.number(round(n("distance_m") / 1000, 1)))
        measured += f" ({km})"
    kind = kind_name(ctx, str(detail.get("planned_kind") or ""))
    if n("planned_running"):
        planned = ctx._("The plan for that day: {kind}, {running} min of running.").format(
            kind=kind, running=tr.number(n("planned_running"))
        )
    else:
        planned = ctx._("The plan for that day: {kind}, no running.").format(kind=kind)
    return (
        measured
        + ". "
        + planned
        + " "
        + ctx._(
            "They have been told why it matters; the plan keeps their level until the morning "
            "after is settled."
        )
    )


async def _red_flag_event(ctx: Ctx, flags: frozenset[RedFlag]) -> None:
    await store.add_event(
        ctx.session,
        ctx.runner.id,
        RED_FLAG,
        ctx.today,
        {"flags": ",".join(sorted(str(f) for f in flags))},
    )


def alert_text(ctx: Ctx, link: CareLinkRow, kind: str, day: date, detail: dict[str, object]) -> str:
    """The alert a member reads, in the member's language (``ctx`` is the member's)."""
    who = name(link.runner_name)
    when = ctx.tr.day_month(day)
    if kind == RED_FLAG:
        codes = [c for c in str(detail.get("flags") or "").split(",") if c]
        flags = ", ".join(labels.label(ctx.tr, labels.RED_FLAGS, c) for c in codes)
        head = ctx._("Red flag: {name}, {date}").format(name=who, date=when)
        body = ctx._(
            "{name} reported: {flags}. Their plan is stopped until a clinician has examined "
            "them; you can record your clearance from /patients."
        ).format(name=who, flags=flags or ctx._("a warning sign"))
    elif kind == OVERRUN:
        head = ctx._("Well over the plan: {name}, {date}").format(name=who, date=when)
        body = overrun_text(ctx, who, detail)
    elif kind == STEP_BACK:
        head = ctx._("Step back: {name}, {date}").format(name=who, date=when)
        body = member_words(ctx, who, detail)
    elif kind == REVIEW:
        values = detail.get("values")
        head = ctx._("Please review: {name}, {date}").format(name=who, date=when)
        body = review_text(ctx, who, values if isinstance(values, dict) else {})
    else:
        head = ctx._("Clinician review advised: {name}, {date}").format(name=who, date=when)
        body = member_words(ctx, who, detail)
    return f"<b>{head}</b>\n{body}"


# What a member reads about a runner's step back or escalation: the runner in the third
# person, the numbers as the rule has them (the runner's own words address the runner).
MEMBER_REASONS: dict[str, str | tuple[str, tuple[str, str]]] = {
    "sharp_or_limp": N_(
        "{name} reported sharp pain or a limp during the session: the next session is one "
        "level lower."
    ),
    "pain_during_over_ceiling": N_(
        "{name}'s pain during the session was {pain}/10, above their ceiling of {ceiling}/10: "
        "the next session is one level lower."
    ),
    "pain_after_over_ceiling": N_(
        "{name}'s pain after the session was {pain}/10, above their ceiling of {ceiling}/10: "
        "the next session is one level lower."
    ),
    "step_backs": (
        "step_backs",
        N_plural(
            "{name}'s plan stepped back {step_backs} time in {days} days. runcoach advised them "
            "to have their injury reviewed by a doctor or physiotherapist.",
            "{name}'s plan stepped back {step_backs} times in {days} days. runcoach advised them "
            "to have their injury reviewed by a doctor or physiotherapist.",
        ),
    ),
    "no_progress": (
        "days",
        N_plural(
            "{name}'s plan has not moved up for {days} day. runcoach advised them to have their "
            "injury reviewed by a doctor or physiotherapist.",
            "{name}'s plan has not moved up for {days} days. runcoach advised them to have their "
            "injury reviewed by a doctor or physiotherapist.",
        ),
    ),
    "night_pain_again": N_(
        "{name}'s night pain came back. runcoach advised them to have their injury reviewed by "
        "a doctor before the plan goes further."
    ),
}


def member_words(ctx: Ctx, who: str, detail: dict[str, object]) -> str:
    """A step back or an escalation as the member reads it (the runner's reason text when
    this version has no member's words for it)."""
    values = detail.get("values")
    given = values if isinstance(values, dict) else {}
    code = str(detail.get("code"))
    key = str(given.get("why")) if code == "clinician_review_advised" else code
    msgid = MEMBER_REASONS.get(key)
    if msgid is None:
        return reasons.reason(ctx, code, given)
    safe = {k: v for k, v in given.items() if isinstance(v, int | float | str)}
    if isinstance(msgid, tuple):
        count, (singular, plural) = msgid
        text = ctx.n_(singular, plural, int(safe.get(count, 0) or 0))
    else:
        text = ctx._(msgid)
    try:
        return text.format(name=who, **safe)
    except (KeyError, IndexError):
        return reasons.reason(ctx, code, given)


def review_text(ctx: Ctx, who: str, values: dict[str, object]) -> str:
    """Why a member who holds or caps the plan is asked to review it: the runner was not
    sent to another clinician."""
    days = int(str(values.get("days") or 0))
    if values.get("why") == "step_backs":
        n = int(str(values.get("step_backs") or 0))
        what = ctx.n_(
            "{name} had to step back {n} time in {days} days.",
            "{name} had to step back {n} times in {days} days.",
            n,
        ).format(name=who, n=ctx.tr.number(n), days=ctx.tr.number(days))
    else:
        what = ctx.n_(
            "{name} has not moved up for {days} day.",
            "{name} has not moved up for {days} days.",
            days,
        ).format(name=who, days=ctx.tr.number(days))
    return what + " " + ctx._(
        "As you hold or cap their plan, I told them their care team would look at it rather "
        "than sending them to another clinician."
    )


def alert_out(ctx: Ctx, link: CareLinkRow, kind: str, day: date, detail: dict[str, object]) -> None:
    ctx.say(alert_text(ctx, link, kind, day, detail), alert_buttons(ctx, link))


async def summary_out(ctx: Ctx, link: CareLinkRow) -> None:
    """The Monday summary of one runner for one member: the chart and the one-glance
    summary, one message (``ctx`` is the member's)."""
    runner = await ctx.session.get(Runner, link.runner_id)
    if runner is None:
        return
    zone_today = ctx.now.astimezone(zone_of(runner)).date()
    data_ = ReportInput.of(
        runner,
        zone_today,
        await reports.load_records(ctx.session, runner.id),
        None,
        await plan_status(ctx.session, runner),
    )
    text = (
        "<b>"
        + ctx._("Weekly summary: {name}").format(name=name(link.runner_name))
        + "</b>\n"
        + glance_text(ctx, data_)
    )
    chart = data_.chart(ctx.tr)
    keyboard = alert_buttons(ctx, link)
    if chart is None:
        ctx.say(text + "\n" + ctx._("No check-ins yet, so no chart."), keyboard)
        return
    tr = ctx.tr

    def png() -> bytes:
        return render_progress_chart(chart, tr)

    ctx.out.append(Out(text=tr.tidy(text)[:1024], keyboard=keyboard, photo=png))


async def previous_codes(ctx: Ctx) -> frozenset[str]:
    """The reason codes of the runner's last stored decision (a new escalation is one the
    last decision did not carry)."""
    rows = await records.all_decisions(
        ctx.session, ctx.runner.id, since=ctx.today - timedelta(days=60)
    )
    if not rows:
        return frozenset()
    return frozenset(str(r.get("code")) for r in rows[-1].reasons or [])
