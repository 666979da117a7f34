"""/careteam: the runner invites a physio or coach (a single-use deep link, valid 7 days),
sees who follows them and what each sees, and removes anyone at once. The invitee opens the
link (``/start <token>``), sees who invited them and exactly what they would see, and accepts
or declines.

What a member then gets (alerts, the Monday summary) is composed in
``conversations/care_messages.py`` and sent by the scheduler (bot/scheduler.py,
storage/careteam.py); what a member can do lives in ``conversations/patients.py``. Every
message to the other side of a link is written to the outbox in the same transaction as the
act it reports (``Ctx.other``).
"""

from __future__ import annotations

import html
from datetime import timedelta

from conversations import engine
from conversations.actions import action, command, data
from conversations.care_acts import REPLY
from conversations.care_messages import name, open_button
from conversations.common import TIME_ZONE_STEP, member_menu
from conversations.context import BOT_USERNAME, SENDER_NAME, Ctx, Out
from conversations.engine import Answers, Flow, Invalid, Step
from conversations.events import DataDeleting
from locales import N_
from reports import words
from storage import careteam as store
from storage.models import CareLinkRow, Runner

INVITE = "ct"  # the runner's buttons: a|ct|invite, a|ct|rm.<link id>, a|ct|rmyes.<link id>
ANSWER = "ci"  # the invitee's buttons: a|ci|a.<token> (accept), a|ci|d.<token> (decline)

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


def sender_name(ctx: Ctx) -> str:
    return str(ctx.extra.get(SENDER_NAME) or "")[:128]


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
            lines.append(
                ctx._(
                    "Capping your plan at stage {n} ({stage}): it does not go beyond that "
                    "stage until they lift the cap."
                ).format(n=link.stage_cap, stage=words.stage_name(ctx, link.stage_cap))
            )
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
        other = ctx.other(member)
        other.say(
            other._("{name} removed you from their care team.").format(
                name=name(removed.runner_name)
            )
        )
        await refresh_menu(other)


async def refresh_menu(ctx: Ctx) -> None:
    """Give this chat the command menu that fits it: a care-team member's (with the runner's
    commands when they have a plan too), or everyone's again when they follow nobody."""
    if await store.links_of_member(ctx.session, ctx.runner.id):
        ctx.out.append(member_menu(ctx, runner_too=ctx.runner.status != "new"))
    else:
        ctx.out.append(Out(text="", menu=[]))


async def forget(ctx: Ctx, _event: DataDeleting) -> None:
    """/delete: every link goes, both ways; whoever was on the other side is told."""
    if await store.links_of_member(ctx.session, ctx.runner.id):
        ctx.out.append(Out(text="", menu=[]))  # the member's menu goes with their data
    for link in await store.remove_all(ctx.session, ctx.runner.id):
        if link.runner_id == ctx.runner.id:
            member = await runner_of(ctx, link.member_id)
            if member is not None:
                other = ctx.other(member)
                other.say(
                    other._("{name} deleted their data here: you no longer follow them.").format(
                        name=name(link.runner_name)
                    )
                )
                await refresh_menu(other)
        else:
            runner = await runner_of(ctx, link.runner_id)
            if runner is not None:
                other = ctx.other(runner)
                other.say(
                    other._("{name} deleted their data here and left your care team.").format(
                        name=name(link.member_name)
                    )
                )


# ------------------------------------------------ the runner answers a member's note

REPLY_LIMIT = 600


async def _link_of(ctx: Ctx, link_id: object) -> CareLinkRow | None:
    """The runner's own link with this id (gone once either side removed it)."""
    if not isinstance(link_id, int):
        return None
    links = await store.links_of_runner(ctx.session, ctx.runner.id)
    return next((link for link in links if link.id == link_id), None)


@action(REPLY)
async def reply_button(ctx: Ctx, argument: str) -> None:
    op, _, rest = argument.partition(".")
    link_id = int(rest) if rest.isascii() and rest.isdigit() and len(rest) < 12 else None
    link = await _link_of(ctx, link_id)
    if op != "r" or link is None:
        ctx.say(ctx._("That person is not on your care team."))
        return
    await engine.start(ctx, NOTE_REPLY, {"link": link.id})


def _reply_text(ctx: Ctx, text: str, answers: Answers) -> str:
    clean = " ".join(text.split())
    if not clean:
        raise Invalid(N_("Please write a few words."))
    if len(clean) > REPLY_LIMIT:
        raise Invalid(N_("Please keep it under {limit} characters."), limit=REPLY_LIMIT)
    return clean


async def _finish_reply(ctx: Ctx, answers: Answers) -> None:
    link = await _link_of(ctx, answers.get("link"))
    member = await runner_of(ctx, link.member_id) if link is not None else None
    if link is None or member is None:
        ctx.say(ctx._("That person is not on your care team."))
        return
    ctx.say(ctx._("Sent to {name}.").format(name=name(link.member_name)))
    other = ctx.other(member)
    other.say(
        other._("{name} replied to your note: {reply}").format(
            name=name(link.runner_name), reply=html.escape(str(answers["reply"]))
        ),
        open_button(other, link),
    )


NOTE_REPLY = engine.register(
    Flow(
        "care_reply",
        N_("Care team"),
        (
            Step(
                "reply",
                N_("Type your reply. They receive it as you write it."),
                _reply_text,
                (),
            ),
        ),
        _finish_reply,
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
    other = ctx.other(inviter)
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
    await refresh_menu(ctx)
    if ctx.runner.status == "new" and await engine.current(ctx) is None:
        # not a runner here: ask their time zone, so Monday's summary comes in their morning
        await engine.start(ctx, ZONE)


async def _finish_zone(ctx: Ctx, answers: Answers) -> None:
    ctx.runner.time_zone = str(answers["time_zone"])
    await store.reschedule_member(ctx.session, ctx.runner, ctx.now)
    ctx.say(ctx._("Saved. Your weekly summaries come on Monday morning, your time."))


ZONE = engine.register(Flow("care_zone", N_("Care team"), (TIME_ZONE_STEP,), _finish_zone))


