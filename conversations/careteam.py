"""/careteam: the runner invites a physio or coach (a single-use deep link, valid 7 days),
sees who follows them and what each sees, and removes anyone at once. The invitee opens the
link (``/start <token>``), sees who invited them and exactly what they would see, and accepts
or declines.

What a member then gets (alerts, the Monday summary) is composed here and sent by the
scheduler (bot/scheduler.py, storage/careteam.py); what a member can do lives in
``conversations/patients.py``. Every message to the other side of a link is written to the
outbox in the same transaction as the act it reports (``dispatch.OTHERS``).
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from conversations import engine, render, report
from conversations.actions import action, command, data
from conversations.context import Ctx, Out
from conversations.dispatch import BOT_USERNAME, OTHERS, SENDER_NAME
from conversations.engine import Answers, Flow
from locales import N_
from progression import Action, Decision, ReasonCode, RedFlag
from storage import careteam as store
from storage import records
from storage.models import CareLinkRow, Runner
from storage.schedule import zone_of

INVITE = "ct"  # the runner's buttons: a|ct|invite, a|ct|rm.<link id>, a|ct|rmyes.<link id>
ANSWER = "ci"  # the invitee's buttons: a|ci|a.<token> (accept), a|ci|d.<token> (decline)

# alert kinds (care_events.kind)
RED_FLAG, STEP_BACK, ESCALATION = "red_flag", "step_back", "escalation"
PAIN_STEP_BACKS = frozenset(
    {
        ReasonCode.SHARP_OR_LIMP,
        ReasonCode.PAIN_DURING_OVER_CEILING,
        ReasonCode.PAIN_AFTER_OVER_CEILING,
    }
)

SEES = N_(
    "What they see: an alert when you report a red flag, step back for pain above the "
    "ceiling or sharp pain, or are advised a clinician review; a weekly summary with your "
    "chart on Monday; your stage, last check-in and open red flags; your clinician report "
    "(PDF) when they ask."
)
CAN = N_(
    "What they can do: hold and resume your plan, cap your stage, record that they examined "
    "and cleared you after a red flag, and send you a note. You are told whenever they act, "
    "and you can remove them at any time."
)
INVALID_LINK = N_(
    "This invitation link does not work: it has been used already, has expired or is "
    "incomplete. Ask the runner for a new one."
)


def name(text: str | None) -> str:
    """A Telegram name, safe in an HTML message."""
    return html.escape((text or "").strip() or "?")


def sender_name(ctx: Ctx) -> str:
    return str(ctx.extra.get(SENDER_NAME) or "")[:128]


def other_ctx(ctx: Ctx, runner: Runner) -> Ctx:
    """A context for another chat in this transaction: what it says is queued to that chat,
    in that person's language, when this update's transaction commits."""
    other = Ctx(services=ctx.services, session=ctx.session, runner=runner, now=ctx.now)
    ctx.extra.setdefault(OTHERS, []).append(other)
    return other


async def runner_of(ctx: Ctx, runner_id: int) -> Runner | None:
    return await ctx.session.get(Runner, runner_id)


# ---------------------------------------------------------------- the runner's side


@command("careteam")
async def careteam_command(ctx: Ctx) -> None:
    links = await store.links_of_runner(ctx.session, ctx.runner.id)
    lines = ["<b>" + ctx._("Your care team") + "</b>"]
    rows: list[list[tuple[str, str]]] = []
    if not links:
        lines.append(
            ctx._(
                "Nobody follows your plan yet. Invite your physiotherapist or coach: they "
                "get a link, and see only what is listed below."
            )
        )
        lines += ["", ctx._(SEES), ctx._(CAN)]
    for link in links:
        lines.append("")
        lines.append("• <b>" + name(link.member_name) + "</b>")
        lines.append(ctx._(SEES))
        if link.hold_since is not None:
            lines.append(
                ctx._("Holding your plan since {date}: {reason}").format(
                    date=ctx.tr.day_month(link.hold_since),
                    reason=html.escape(link.hold_reason or ""),
                )
            )
        if link.stage_cap is not None:
            lines.append(ctx._("Stage capped at {n}.").format(n=link.stage_cap))
        rows.append(
            [
                (
                    ctx._("Remove {name}").format(name=link.member_name or "?"),
                    data(INVITE, f"rm.{link.id}"),
                )
            ]
        )
    if links:
        lines += ["", ctx._(CAN)]
    rows.insert(0, [(ctx._("Invite a physio or coach"), data(INVITE, "invite"))])
    ctx.say("\n".join(lines), rows)


@action(INVITE)
async def careteam_button(ctx: Ctx, argument: str) -> None:
    op, _, rest = argument.partition(".")
    if op == "invite":
        await _invite(ctx)
    elif op in ("rm", "rmyes") and rest.isascii() and rest.isdigit() and len(rest) < 12:
        await _remove(ctx, int(rest), confirmed=op == "rmyes")
    elif op == "keep":
        ctx.say(ctx._("Nothing changed: your care team stays as it is."))
    else:
        ctx.say(ctx._("That question has closed."))


async def _invite(ctx: Ctx) -> None:
    bot = str(ctx.extra.get(BOT_USERNAME) or "")
    if not bot:
        ctx.say(ctx._("That question has closed."))
        return
    token = await store.create_invite(ctx.session, ctx.runner.id, sender_name(ctx), ctx.now)
    link = f"https://t.me/{bot}?start={token}"
    until = (ctx.now + timedelta(days=store.INVITE_DAYS)).astimezone(ctx.zone)
    ctx.say(
        ctx._(
            "Forward the link below to your physiotherapist or coach. It works once, until "
            "{date}; they see who invited them and what they would see, and accept or decline."
        ).format(date=ctx.tr.day_month(until.date()))
    )
    ctx.say(link)


async def _remove(ctx: Ctx, link_id: int, *, confirmed: bool) -> None:
    links = {link.id: link for link in await store.links_of_runner(ctx.session, ctx.runner.id)}
    link = links.get(link_id)
    if link is None:
        ctx.say(ctx._("That person is not on your care team."))
        return
    if not confirmed:
        ctx.say(
            ctx._("Remove {name} from your care team? They will see nothing more.").format(
                name=name(link.member_name)
            ),
            [
                [(ctx._("Yes, remove"), data(INVITE, f"rmyes.{link.id}"))],
                [(ctx._("No, keep"), data(INVITE, "keep"))],
            ],
        )
        return
    removed = await store.revoke(ctx.session, ctx.runner.id, link_id)
    if removed is None:
        ctx.say(ctx._("That person is not on your care team."))
        return
    ctx.say(
        ctx._("Done: {name} no longer follows your plan and sees nothing more.").format(
            name=name(removed.member_name)
        )
    )
    member = await runner_of(ctx, removed.member_id)
    if member is not None:
        other = other_ctx(ctx, member)
        other.say(
            other._("{name} removed you from their care team.").format(
                name=name(removed.runner_name)
            )
        )


async def forget(ctx: Ctx) -> None:
    """/delete: every link goes, both ways; whoever was on the other side is told."""
    for link in await store.remove_all(ctx.session, ctx.runner.id):
        if link.runner_id == ctx.runner.id:
            member = await runner_of(ctx, link.member_id)
            if member is not None:
                other = other_ctx(ctx, member)
                other.say(
                    other._("{name} deleted their data here: you no longer follow them.").format(
                        name=name(link.runner_name)
                    )
                )
        else:
            runner = await runner_of(ctx, link.runner_id)
            if runner is not None:
                other = other_ctx(ctx, runner)
                other.say(
                    other._("{name} deleted their data here and left your care team.").format(
                        name=name(link.member_name)
                    )
                )


# ---------------------------------------------------------------- the invitee's side


async def open_invite(ctx: Ctx, token: str) -> None:
    """``/start <token>``: who invites, what the invitee would see; Accept or Decline."""
    invite = await store.open_invite(ctx.session, token, ctx.now)
    if invite is None:
        ctx.say(ctx._(INVALID_LINK))
        return
    if invite.runner_id == ctx.runner.id:
        ctx.say(ctx._("This is your own invitation: forward it to your physiotherapist or coach."))
        return
    inviter = name(invite.inviter_name)
    if await store.link(ctx.session, ctx.runner.id, invite.runner_id) is not None:
        ctx.say(
            ctx._("You already follow {name}. Send /patients to see them.").format(name=inviter)
        )
        return
    lines = [
        "<b>" + ctx._("{name} invites you to their care team").format(name=inviter) + "</b>",
        ctx._(
            "runcoach guides {name} back to running after an injury. As their physio or coach "
            "you would follow their progress here."
        ).format(name=inviter),
        "",
        ctx._(
            "You would see: an alert when they report a red flag, step back for pain above "
            "the ceiling or sharp pain, or are advised a clinician review; a summary with "
            "their chart every Monday morning, your time; their stage, last check-in and open "
            "red flags (/patients); their clinician report (PDF) when you ask."
        ),
        ctx._(
            "You could: hold and resume their plan, cap their stage, record that you examined "
            "and cleared them after a red flag, and send them a note. They are told whenever "
            "you act, and can remove you at any time."
        ),
    ]
    ctx.say(
        "\n".join(lines),
        [
            [(ctx._("Accept"), data(ANSWER, f"a.{token}"))],
            [(ctx._("Decline"), data(ANSWER, f"d.{token}"))],
        ],
    )


@action(ANSWER)
async def answer_button(ctx: Ctx, argument: str) -> None:
    op, _, token = argument.partition(".")
    invite = await store.open_invite(ctx.session, token, ctx.now)
    if invite is None or op not in ("a", "d"):
        ctx.say(ctx._(INVALID_LINK))
        return
    if invite.runner_id == ctx.runner.id:
        ctx.say(ctx._("This is your own invitation: forward it to your physiotherapist or coach."))
        return
    spent = await store.spend_invite(ctx.session, token, ctx.now)
    inviter = await runner_of(ctx, invite.runner_id)
    if spent is None or inviter is None:
        ctx.say(ctx._(INVALID_LINK))
        return
    me = sender_name(ctx)
    other = other_ctx(ctx, inviter)
    if op == "d":
        ctx.say(ctx._("Declined: nothing is shared with you."))
        other.say(other._("{name} declined your care-team invitation.").format(name=name(me)))
        return
    await store.add_link(ctx.session, inviter.id, ctx.runner, spent.inviter_name, me, ctx.now)
    ctx.say(
        ctx._("Done: you follow {name} now. Send /patients any time to see them and act.").format(
            name=name(spent.inviter_name)
        )
    )
    other.say(
        other._(
            "{name} accepted your invitation and is on your care team now. Send /careteam to "
            "see what they see, or to remove them."
        ).format(name=name(me))
    )
    if ctx.runner.status == "new" and await engine.current(ctx) is None:
        # not a runner here: ask their time zone, so Monday's summary comes in their morning
        await engine.start(ctx, ZONE)


async def _finish_zone(ctx: Ctx, answers: Answers) -> None:
    ctx.runner.time_zone = str(answers["time_zone"])
    await store.reschedule_member(ctx.session, ctx.runner, ctx.now)
    ctx.say(ctx._("Saved. Your weekly summaries come on Monday morning, your time."))


def _zone_step() -> engine.Step:
    from conversations import onboarding

    step = next(s for s in onboarding.STEPS if s.name == "time_zone")
    return step


ZONE = engine.register(Flow("care_zone", N_("Care team"), (_zone_step(),), _finish_zone))


# ---------------------------------------------------------------- alerts (scheduler side)


async def note_decision(ctx: Ctx, decision: Decision) -> None:
    """Queue an alert for the runner's care team when a decision about to be stored refers,
    steps back for pain above the ceiling or sharp pain, or newly advises a clinician review
    (one the last stored decision did not carry)."""
    if not await store.has_members(ctx.session, ctx.runner.id):
        return
    previous = await previous_codes(ctx)
    if decision.action is Action.REFER:
        flags = render.flags_of(decision)
        await alert_red_flags(ctx, flags)
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
        if (
            r.code is ReasonCode.CLINICIAN_REVIEW_ADVISED
            and ReasonCode.CLINICIAN_REVIEW_ADVISED.value not in previous
        ):
            await store.add_event(
                ctx.session,
                ctx.runner.id,
                ESCALATION,
                ctx.today,
                {"code": r.code.value, "values": r.as_dict()},
            )


async def alert_red_flags(ctx: Ctx, flags: frozenset[RedFlag]) -> None:
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
        flags = ", ".join(report.label(ctx.tr, report.RED_FLAGS, c) for c in codes)
        head = ctx._("Red flag: {name}, {date}").format(name=who, date=when)
        body = ctx._(
            "{name} reported: {flags}. Their plan is stopped until a clinician has examined "
            "them; you can record your clearance from /patients."
        ).format(name=who, flags=flags or ctx._("a warning sign"))
    elif kind == STEP_BACK:
        values = detail.get("values")
        head = ctx._("Step back: {name}, {date}").format(name=who, date=when)
        body = render.reason(
            ctx, str(detail.get("code")), values if isinstance(values, dict) else {}
        )
    else:
        values = detail.get("values")
        head = ctx._("Clinician review advised: {name}, {date}").format(name=who, date=when)
        body = render.reason(
            ctx, str(detail.get("code")), values if isinstance(values, dict) else {}
        )
    return f"<b>{head}</b>\n{body}"


def alert_out(ctx: Ctx, link: CareLinkRow, kind: str, day: date, detail: dict[str, object]) -> None:
    from conversations import patients

    ctx.say(alert_text(ctx, link, kind, day, detail), patients.open_button(ctx, link))


async def summary_out(ctx: Ctx, link: CareLinkRow) -> None:
    """The Monday summary of one runner for one member: the chart and the one-glance
    summary, one message (``ctx`` is the member's)."""
    from conversations import patients
    from conversations.charts import render_progress_chart
    from storage import reports

    runner = await runner_of(ctx, link.runner_id)
    if runner is None:
        return
    zone_today = ctx.now.astimezone(zone_of(runner)).date()
    data_ = report.ReportInput.of(
        runner, zone_today, await reports.load_records(ctx.session, runner.id), None
    )
    text = (
        "<b>"
        + ctx._("Weekly summary: {name}").format(name=name(link.runner_name))
        + "</b>\n"
        + patients.glance_text(ctx, data_)
    )
    chart = data_.chart(ctx.tr)
    keyboard = patients.open_button(ctx, link)
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
