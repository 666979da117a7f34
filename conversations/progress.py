"""/progress (a chart and the milestones reached) and /history (the last 14 days)."""

from __future__ import annotations

import html
from datetime import date, timedelta

from conversations.actions import command
from conversations.context import Ctx
from progression import SessionKind
from reports import labels, progress
from reports.charts import render_progress_chart
from reports.dates import date_locale
from reports.measures import running_minutes
from reports.summary import planned_days
from storage import reports as store
from storage.models import CheckInRow, MorningCheckRow, PlanDayRow

CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption


@command("progress")
async def progress_command(ctx: Ctx) -> None:
    today = ctx.today
    first_day = await store.first_checkin_day(ctx.session, ctx.runner.id)
    if first_day is None:
        ctx.say(
            ctx._(
                "Nothing to chart yet: your progress appears here after your first check-in. "
                "Send /checkin after a session."
            )
        )
        return
    first, last = progress.chart_window(today, first_day)
    records = await store.load_records(ctx.session, ctx.runner.id)
    locale = date_locale(ctx.lang, ctx.runner.time_zone)
    data = progress.chart_data(records, first, last, ctx.runner.injury, "runner", locale)
    tr = ctx.tr

    def png() -> bytes:  # rendered after the transaction commits (see Out)
        return render_progress_chart(data, tr)

    caption = progress_caption(ctx, records, first, last)
    if len(caption) <= CAPTION_LIMIT:
        ctx.say(caption, photo=png)
    else:  # a long list of milestones goes in a message of its own
        head, _, rest = caption.partition("\n")
        ctx.say(head, photo=png)
        ctx.say(rest.strip())


def progress_caption(ctx: Ctx, records: store.Records, first: date, last: date) -> str:
    """A short caption (Telegram allows 1024 characters): the window's numbers and the
    milestones reached."""
    in_window = [c for c in records.checkins if first <= c.day <= last]
    minutes = sum(c.minutes for c in in_window)
    run = sum(running_minutes(c) for c in in_window)
    lines = [
        "<b>"
        + ctx._("Your progress, {first} to {last}").format(
            first=ctx.tr.day_month(first), last=ctx.tr.day_month(last)
        )
        + "</b>",
        ctx.n_("{n} check-in.", "{n} check-ins.", len(in_window)).format(n=len(in_window))
        + " "
        + ctx._("Minutes in total: {minutes}; running: {run}.").format(minutes=minutes, run=run),
    ]
    found = progress.milestones(records, ctx.today)
    if found:
        lines += ["", "<b>" + ctx._("Milestones") + "</b>"]
        shown = found[-8:]  # keep the caption short; the newest matter most
        for m in shown:
            lines.append(f"• {ctx.tr.day_month(m.day)}: {progress.milestone_text(ctx.tr, m)}")
    lines += [
        "",
        "<i>"
        + ctx._(
            "Red and orange: pain during and after (0-10). Bars: minutes (dark: running). "
            "Green: load (effort × minutes). Dotted lines: stage changes."
        )
        + "</i>",
    ]
    return "\n".join(lines)


@command("history")
async def history_command(ctx: Ctx) -> None:
    today = ctx.today
    first = today - timedelta(days=progress.HISTORY_DAYS - 1)
    records = await store.load_records(ctx.session, ctx.runner.id, first=first)
    consent = ctx.runner.consent_at
    joined = consent.astimezone(ctx.zone).date() if consent is not None else None
    ctx.say(history_text(ctx, records, first, today, joined))


def history_text(
    ctx: Ctx, records: store.Records, first: date, last: date, joined: date | None = None
) -> str:
    """What happened, one line per day, newest first, from the day the runner signed up at
    the earliest: the check-ins as told, each morning check as answered (on the day it was
    answered), a session the plan had that was not checked in as missed, a rest or easy day
    as such. Nothing before sign-up."""
    by_day: dict[date, list[CheckInRow]] = {}
    for c in records.checkins:
        by_day.setdefault(c.day, []).append(c)
    mornings: dict[date, list[MorningCheckRow]] = {}
    for m in records.mornings:
        mornings.setdefault(m.day, []).append(m)
    plan = {p.day: p for p in records.plan}
    told = planned_days(records.decisions)  # before the plan was kept day by day
    lines = ["<b>" + ctx._("The last 14 days") + "</b>", ""]
    start = first if joined is None else max(first, joined)
    if joined is None and not records.checkins:
        start = last + timedelta(days=1)  # never signed up: no days to list
    day = last
    while day >= start:
        when = html.escape(ctx.tr.weekday_day_month(day))
        parts = [checkin_line(ctx, c) for c in by_day.get(day, [])]
        if not parts:
            parts.append("<i>" + day_without_checkin(ctx, day, last, plan.get(day), told) + "</i>")
        for m in mornings.get(day, []):
            parts.append(ctx._("morning check: {how}").format(how=labels.morning_words(ctx.tr, m)))
        lines.append(f"<b>{when}</b> — " + "; ".join(parts))
        day -= timedelta(days=1)
    if not records.checkins:
        lines += ["", ctx._("No check-ins in these two weeks. Send /checkin after a session.")]
    lines += ["", "<i>" + ctx._("Effort is how hard the session felt, 0 (rest) to 10 (maximal).")
              + "</i>"]
    return "\n".join(lines)


def day_without_checkin(
    ctx: Ctx, day: date, today: date, planned: PlanDayRow | None, told: set[date]
) -> str:
    """A day with no check-in, as the plan had it: a session (missed, or still to come
    today), a rest or an easy day."""
    if planned is not None and planned.session:
        what = ctx._(labels.KINDS.get(SessionKind(planned.kind), planned.kind))
        if planned.total_minutes:
            what += ", " + ctx._("{n} min").format(n=planned.total_minutes)
        if day == today:
            return ctx._("planned today: {what}").format(what=what)
        return ctx._("missed: {what}").format(what=what)
    if planned is not None:
        if planned.kind == SessionKind.REST.value:
            return ctx._("rest day")
        return ctx._("easy day")
    if day in told:
        return ctx._("no check-in")
    return ctx._("rest day")


def checkin_line(ctx: Ctx, c: CheckInRow) -> str:
    what = labels.label(ctx.tr, labels.OUTCOMES, c.outcome)
    if c.outcome == "skipped":
        return what
    return ctx._(
        "{what}, {minutes} min, pain {during} during / {after} after, effort {rpe}/10"
    ).format(what=what, minutes=c.minutes, during=c.pain_during, after=c.pain_after, rpe=c.rpe)
