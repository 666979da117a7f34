"""What the Mini App's pages show, as JSON, in the member's language: the runners a member
follows at a glance (:func:`dashboard`) and one runner (:func:`runner_page`). Everything is
read through the member's links (``care_acts.followed``, ``storage.careteam``): a runner who
did not invite them, or who removed them, is not there. Words come from the catalogs
(locales/) and the same renderers the chat uses (reports/, conversations/care_messages.py).
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from conversations import care_acts as acts
from conversations.care_messages import name
from conversations.context import Ctx
from conversations.view import plan_status
from locales import N_
from reports import labels, reasons
from reports.measures import is_skipped, running_minutes, stage_of
from reports.pain import pain_rule
from reports.progress import morning_state
from reports.reassessments import gate_results
from reports.report_input import ReportInput
from reports.summary import escalation, glance
from storage import careteam as store
from storage import records, reports
from storage.models import CareLinkRow, CheckInRow, Runner
from storage.schedule import zone_of

SPARK_DAYS = 28
WINDOWS = (2, 4, 8, 0)  # weeks; 0: everything recorded
TIMELINE = 30  # decisions shown, newest first

# The page's own words (the rest comes with the data)
TEXTS: dict[str, str] = {
    "title": N_("Runners you follow"),
    "nobody": N_(
        "Nobody has invited you to follow them yet. A runner invites you from /careteam in "
        "their own chat with me, and sends you the link."
    ),
    "back": N_("Back"),
    "last_checkin": N_("Last check-in"),
    "no_checkin": N_("no check-in yet"),
    "adherence": N_("Adherence"),
    "flags": N_("Red flags and escalations"),
    "none_open": N_("None open."),
    "chart": N_("Pain and load"),
    "chart_hint": N_("Tap a day to see its check-in and the morning after."),
    "weeks": N_("{n} wk"),
    "all": N_("All"),
    "pain_during": N_("Pain during"),
    "pain_after": N_("Pain after"),
    "minutes": N_("Session minutes"),
    "running": N_("Minutes run"),
    "morning": N_("Morning after"),
    "skipped": N_("Skipped"),
    "decisions": N_("Decisions and their reasons"),
    "reassessments": N_("Weekly tests"),
    "passed": N_("passed"),
    "failed": N_("not passed"),
    "untested": N_("not tested"),
    "none_yet": N_("None yet."),
    "actions": N_("What you can do"),
    "hold": N_("Hold the plan"),
    "hold_reason": N_("Why are you holding the plan? The runner reads this."),
    "resume": N_("Resume the plan"),
    "cap": N_("Cap the stage"),
    "no_cap": N_("No cap"),
    "clear": N_("I examined and cleared them"),
    "clear_to": N_("Restart at"),
    "note": N_("Send a note"),
    "note_hint": N_("Type your note. The runner receives it as you write it."),
    "pdf": N_("Send the latest report (PDF) to my chat"),
    "reopen": N_("Please close this page and open it again from the bot."),
}


def texts(ctx: Ctx) -> dict[str, str]:
    return {key: ctx._(msgid) for key, msgid in TEXTS.items()}


def plain(text: str) -> str:
    """A chat message's HTML as plain text (the page sets it as text, never as markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def runner_today(ctx: Ctx, runner: Runner) -> date:
    return ctx.now.astimezone(zone_of(runner)).date()


def worst(c: CheckInRow) -> int | None:
    return None if is_skipped(c) else max(c.pain_during, c.pain_after)


async def _glance(ctx: Ctx, link: CareLinkRow, runner: Runner) -> dict[str, Any]:
    today = runner_today(ctx, runner)
    status = await plan_status(ctx.session, runner)
    records_ = await reports.load_records(ctx.session, runner.id)
    data_ = ReportInput.of(runner, today, records_, None, status)
    g = glance(data_)
    tr = ctx.tr
    alerts = [
        ctx._("Open red flag, {date}: {flags}").format(
            date=tr.day_month(f.day),
            flags=", ".join(labels.label(tr, labels.RED_FLAGS, c) for c in f.flags.split(",") if c),
        )
        for f in g.open_red_flags
    ]
    if status == "referred" and not g.open_red_flags:
        alerts.append(labels.label(tr, labels.STATUSES, "referred"))
    review = escalation(records_.decisions, today)
    if review is not None:
        alerts.append(
            ctx._("Clinician review advised, {date}").format(date=tr.day_month(review.day))
        )
    last = max((c.day for c in records_.checkins), default=None)
    first_spark = today - timedelta(days=SPARK_DAYS - 1)
    spark = [
        [(c.day - first_spark).days, worst(c)]
        for c in records_.checkins
        if c.day >= first_spark and worst(c) is not None
    ]
    stage = stage_of(runner.level)
    controls = []
    if link.hold_since is not None:
        controls.append(ctx._("held by you"))
    if link.stage_cap is not None:
        controls.append(ctx._("capped by you at stage {n}").format(n=link.stage_cap))
    return {
        "id": runner.id,
        "name": plain(name(link.runner_name)),
        "status": status,
        "status_text": labels.label(tr, labels.STATUSES, status),
        "stage_text": ctx._("Stage {n}: {name} (level {level})").format(
            n=stage, name=labels.stage_name(tr, stage), level=runner.level
        ),
        "controls": " · ".join(controls),
        "last_checkin": tr.day_month(last) if last else None,
        "alerts": alerts,
        "spark": spark,
        "spark_days": SPARK_DAYS,
        "adherence": tr.percent(g.adherence) if g.adherence is not None else None,
    }


async def dashboard(ctx: Ctx) -> dict[str, Any]:
    """The member's runners at a glance."""
    rows = []
    for link in await store.links_of_member(ctx.session, ctx.runner.id):
        runner = await ctx.session.get(Runner, link.runner_id)
        if runner is not None:
            rows.append(await _glance(ctx, link, runner))
    return {"lang": ctx.lang, "texts": texts(ctx), "runners": rows}


def _chart(
    ctx: Ctx, runner: Runner, records_: reports.Records, first: date, last: date
) -> dict[str, Any]:
    tr = ctx.tr
    mornings = {m.run_day: m for m in records_.mornings}
    days = []
    for c in records_.checkins:
        if not first <= c.day <= last:
            continue
        m = mornings.get(c.day)
        state = morning_state(m) if m is not None else None
        days.append(
            {
                "x": (c.day - first).days,
                "date": tr.weekday_day_month(c.day),
                "outcome": labels.label(tr, labels.OUTCOMES, c.outcome),
                "skipped": is_skipped(c),
                "during": None if is_skipped(c) else c.pain_during,
                "after": None if is_skipped(c) else c.pain_after,
                "minutes": 0 if is_skipped(c) else c.minutes,
                "running": running_minutes(c),
                "morning": None
                if m is None
                else labels.morning_words(tr, m),
                "morning_state": state,
            }
        )
    rule = pain_rule(runner.injury)
    return {
        "days": (last - first).days + 1,
        "first": tr.day_month(first),
        "last": tr.day_month(last),
        "points": days,
        "green": rule.green,
        "ceiling": rule.ceiling,
        "ceiling_text": ctx._("ceiling {n}/10").format(n=rule.ceiling),
    }


def _timeline(ctx: Ctx, rows: list[Any]) -> list[dict[str, Any]]:
    """The decisions, newest first, with the reasons as the runner was told them."""
    out = []
    for d in reversed(rows[-TIMELINE:]):
        why = [
            plain(reasons.reason(ctx, str(r.get("code")), r.get("values") or {}))
            for r in d.reasons or []
        ]
        out.append(
            {
                "date": ctx.tr.day_month(d.day),
                "action": labels.label(ctx.tr, labels.ACTIONS, d.action),
                "stage": ctx._("Stage {n}: {name} (level {level})").format(
                    n=d.stage, name=labels.stage_name(ctx.tr, d.stage), level=d.level
                ),
                "reasons": [w for w in why if w],
            }
        )
    return out


def _reassessments(ctx: Ctx, rows: list[Any]) -> list[dict[str, Any]]:
    out = []
    for r in reversed(rows):
        results = gate_results(r)
        out.append(
            {
                "date": ctx.tr.day_month(r.day),
                **{
                    key: [labels.label(ctx.tr, labels.GATE_CODES, c) for c in codes]
                    for key, codes in results.items()
                },
            }
        )
    return out


async def runner_page(ctx: Ctx, runner_id: int, weeks: int) -> dict[str, Any] | None:
    """One runner: the glance, the chart over ``weeks`` (0: all), the decisions with their
    reasons, the weekly tests, and what the member may do with the state it is shown for."""
    found = await acts.followed(ctx, runner_id)
    if found is None:
        return None
    link, runner = found
    records_ = await reports.load_records(ctx.session, runner.id)
    today = runner_today(ctx, runner)
    first_day = min((c.day for c in records_.checkins), default=today)
    first = first_day if weeks <= 0 else today - timedelta(days=7 * weeks - 1)
    page = await _glance(ctx, link, runner)
    page.update(
        {
            "texts": texts(ctx),
            "lang": ctx.lang,
            "weeks": weeks,
            "windows": list(WINDOWS),
            "chart": _chart(ctx, runner, records_, min(first, today), today),
            "timeline": _timeline(ctx, records_.decisions),
            "told": ctx._("What {name} was told:").format(name=page["name"]),
            "reassessments": _reassessments(ctx, records_.reassessments),
            "state": acts.stamp(link, runner),
            "decision": await records.latest_decision_id(ctx.session, runner.id),
            "held": link.hold_since is not None,
            "hold_reason": link.hold_reason or "",
            "cap": link.stage_cap,
            "cap_options": [
                {"n": s, "label": ctx._("Stage {n}: {name}").format(
                    n=s, name=labels.stage_name(ctx.tr, s))}
                for s in acts.CAP_STAGES
            ],
            "referred": runner.status == "referred",
            "clear_options": [
                {"n": s, "label": ctx._("Stage {n}: {name}").format(
                    n=s, name=labels.stage_name(ctx.tr, s))}
                for s in acts.clearance_stages(runner)
            ],
        }
    )
    return page
