"""/patients: what a care-team member sees of the runners who invited them, and what they
can do: the latest report (PDF), hold and resume the plan, cap the stage, record "I have
examined them and cleared them to restart at stage N" (it closes a red-flag referral the
same way the runner's own confirmation does: conversations/referral.clear), send a note.

Buttons carry a runner's id, so every press checks on the server that the presser follows
that runner (storage.careteam.link); naming another runner's id gets nothing. The runner is
told whenever a member acts, in the same transaction.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from conversations import engine, referral, view
from conversations.actions import action, command, data
from conversations.care_messages import MEMBER, name, open_button
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Invalid, Step
from locales import N_
from reports import labels, words
from reports.measures import stage_of
from reports.pdf import PDF_NAME, documents
from reports.report_input import ReportInput
from reports.summary import open_red_flags
from storage import careteam as store
from storage import records, reports, runners, schedule
from storage.models import CareLinkRow, RedFlagRow, Runner

NOTE_LIMIT = 600
NOT_FOLLOWED = N_("You don't follow this runner, so there is nothing to show.")


async def _followed(ctx: Ctx, runner_id: int) -> tuple[CareLinkRow, Runner] | None:
    """The link and the runner, only when the presser follows that runner."""
    link = await store.link(ctx.session, ctx.runner.id, runner_id)
    runner = await ctx.session.get(Runner, runner_id) if link is not None else None
    if link is None or runner is None:
        ctx.say(ctx._(NOT_FOLLOWED))
        return None
    return link, runner


async def _line(ctx: Ctx, link: CareLinkRow, runner: Runner) -> str:
    stage = stage_of(runner.level)
    last = await schedule.last_checkin_day(ctx.session, runner.id)
    flags = open_red_flags(await store_flags(ctx, runner.id), runner.status)
    parts = [
        "<b>" + name(link.runner_name) + "</b>",
        ctx._("Stage {n}: {name}").format(n=stage, name=words.stage_name(ctx, stage)),
        ctx._("last check-in {date}").format(date=ctx.tr.day_month(last))
        if last
        else ctx._("no check-in yet"),
    ]
    if flags or runner.status == "referred":
        names = sorted({c for f in flags for c in f.flags.split(",") if c})
        parts.append(
            ctx._("open red flags: {flags}").format(
                flags=", ".join(labels.label(ctx.tr, labels.RED_FLAGS, c) for c in names)
                or labels.label(ctx.tr, labels.STATUSES, "referred")
            )
        )
    else:
        parts.append(ctx._("no open red flags"))
    if link.hold_since is not None:
        parts.append(ctx._("held by you"))
    if link.stage_cap is not None:
        parts.append(ctx._("capped by you at stage {n}").format(n=link.stage_cap))
    return " · ".join(parts)


async def store_flags(ctx: Ctx, runner_id: int) -> list[RedFlagRow]:
    return await records.all_red_flags(ctx.session, runner_id)


@command("patients")
async def patients_command(ctx: Ctx) -> None:
    links = await store.links_of_member(ctx.session, ctx.runner.id)
    if not links:
        ctx.say(
            ctx._(
                "Nobody has invited you to follow them yet. A runner invites you from "
                "/careteam in their own chat with me, and sends you the link."
            )
        )
        return
    lines = ["<b>" + ctx._("Runners you follow") + "</b>"]
    rows = []
    for link in links:
        runner = await ctx.session.get(Runner, link.runner_id)
        if runner is None:
            continue
        lines.append(await _line(ctx, link, runner))
        rows += open_button(ctx, link)
    ctx.say("\n\n".join(lines), rows)


def _card_buttons(ctx: Ctx, link: CareLinkRow, runner: Runner) -> list[list[tuple[str, str]]]:
    rid = runner.id
    rows = [[(ctx._("Latest report (PDF)"), data(MEMBER, f"pdf.{rid}"))]]
    if link.hold_since is None:
        rows.append([(ctx._("Hold the plan"), data(MEMBER, f"hold.{rid}"))])
    else:
        # bound to this hold: after a resume and a new hold it has closed
        rows.append(
            [(ctx._("Resume the plan"), data(MEMBER, f"resume.{rid}.{link.hold_number}"))]
        )
    rows.append([(ctx._("Cap the stage"), data(MEMBER, f"cap.{rid}"))])
    if runner.status == "referred":
        rows.append([(ctx._("I examined and cleared them"), data(MEMBER, f"clr.{rid}"))])
    rows.append([(ctx._("Send a note"), data(MEMBER, f"note.{rid}"))])
    return rows


async def _card(ctx: Ctx, link: CareLinkRow, runner: Runner) -> None:
    text = await _line(ctx, link, runner)
    if link.hold_since is not None and link.hold_reason:
        text += "\n" + ctx._("Your reason for the hold: {reason}").format(
            reason=html.escape(link.hold_reason)
        )
    ctx.say(text, _card_buttons(ctx, link, runner))


def _parse(argument: str) -> tuple[str, int, int | None, int | None] | None:
    """``op.runner[.n[.version]]``: the version binds a keyboard to the runner's state."""
    parts = argument.split(".")
    if len(parts) not in (2, 3, 4) or not all(
        p.isascii() and p.isdigit() and len(p) < 12 for p in parts[1:]
    ):
        return None
    numbers = [int(p) for p in parts[1:]]
    n = numbers[1] if len(numbers) > 1 else None
    version = numbers[2] if len(numbers) > 2 else None
    return parts[0], numbers[0], n, version


@action(MEMBER)
async def member_button(ctx: Ctx, argument: str) -> None:
    parsed = _parse(argument)
    if parsed is None:
        ctx.say(ctx._("That question has closed."))
        return
    op, runner_id, n, version = parsed
    found = await _followed(ctx, runner_id)
    if found is None:
        return
    link, runner = found
    who = name(link.member_name)
    if op == "o":
        await _card(ctx, link, runner)
    elif op == "pdf":
        await _pdf(ctx, link, runner)
    elif op == "hold":
        await engine.start(ctx, HOLD, {"rid": runner.id})
    elif op == "resume":
        if link.hold_since is None:
            ctx.say(ctx._("The plan is not on hold."))
            return
        if n != link.hold_number:  # shown for an earlier hold
            ctx.say(ctx._("That question has closed."))
            return
        link.hold_since = None
        link.hold_reason = None
        ctx.say(
            ctx._("Resumed. {name} has been told.").format(name=name(link.runner_name))
        )
        other = ctx.other(runner)
        other.say(
            other._(
                "{name} resumed your plan: it moves up again as your sessions allow. Send "
                "/today for today's session."
            ).format(name=who)
        )
    elif op == "cap" and n is None:
        options = [
            [
                (
                    ctx._("Stage {n}: {name}").format(n=s, name=words.stage_name(ctx, s)),
                    data(MEMBER, f"cap.{runner.id}.{s}"),
                )
            ]
            for s in range(0, 5)
        ]
        options.append([(ctx._("No cap"), data(MEMBER, f"cap.{runner.id}.9"))])
        ctx.say(
            ctx._("Cap {name}'s plan at which stage?").format(name=name(link.runner_name)),
            options,
        )
    elif op == "cap" and n is not None and (0 <= n <= 4 or n == 9):
        link.stage_cap = None if n == 9 else n
        ctx.say(ctx._("Saved. {name} has been told.").format(name=name(link.runner_name)))
        other = ctx.other(runner)
        if n == 9:
            other.say(other._("{name} removed the stage cap on your plan.").format(name=who))
        else:
            other.say(
                other._(
                    "{name} capped your plan at stage {n} ({stage}) for now. Send /today for "
                    "today's session."
                ).format(name=who, n=n, stage=words.stage_name(other, n))
            )
    elif op == "clr" and n is None:
        if runner.status != "referred":
            ctx.say(
                ctx._("{name}'s plan is running; there is nothing to clear.").format(
                    name=name(link.runner_name)
                )
            )
            return
        top = max(1, stage_of(runner.level))
        # the stage buttons clear this referral only: once the runner's state has moved (a
        # new referral, a clearance) they are stale
        current = await records.latest_decision_id(ctx.session, runner.id)
        options = [
            [
                (
                    ctx._("Stage {n}: {name}").format(n=s, name=words.stage_name(ctx, s)),
                    data(MEMBER, f"clr.{runner.id}.{s}.{current}"),
                )
            ]
            for s in range(0, top + 1)
        ]
        ctx.say(
            ctx._("I have examined {name} and cleared them to restart at stage:").format(
                name=name(link.runner_name)
            ),
            options,
        )
    elif op == "clr" and n is not None:
        if version != await records.latest_decision_id(ctx.session, runner.id):
            ctx.say(ctx._("That question has closed."))  # a keyboard from another referral
            return
        await _clear(ctx, link, runner, n)
    elif op == "note":
        await engine.start(ctx, NOTE, {"rid": runner.id})
    else:
        ctx.say(ctx._("That question has closed."))


async def _clear(ctx: Ctx, link: CareLinkRow, runner: Runner, stage: int) -> None:
    await runners.lock(ctx.session, runner)  # the runner's lock, their state now
    if runner.status != "referred":
        ctx.say(
            ctx._("{name}'s plan is running; there is nothing to clear.").format(
                name=name(link.runner_name)
            )
        )
        return
    top = max(1, stage_of(runner.level))
    if not 0 <= stage <= top:
        ctx.say(ctx._("That question has closed."))
        return
    other = ctx.other(runner)
    intro = other._(
        "{name} examined you and cleared you to restart at stage {n}. Your plan restarts gently."
    ).format(name=name(link.member_name), n=stage)
    await referral.clear(other, stage, intro)
    ctx.say(
        ctx._("Recorded: {name} restarts at stage {n}. They have been told.").format(
            name=name(link.runner_name), n=stage
        )
    )


async def _pdf(ctx: Ctx, link: CareLinkRow, runner: Runner) -> None:
    records_ = await reports.load_records(ctx.session, runner.id)
    today = ctx.now.astimezone(schedule.zone_of(runner)).date()
    data_ = ReportInput.of(
        runner, today, records_, None, await view.plan_status(ctx.session, runner)
    )
    tr = ctx.tr

    def pdf() -> bytes:
        return documents(data_, tr)[0]

    ctx.say(
        ctx._("{name}'s report: what they told me, not a diagnosis.").format(
            name=name(link.runner_name)
        ),
        document=pdf,
        filename=PDF_NAME,
    )


def _text(limit: int) -> Callable[[Ctx, str, Answers], str]:
    def parse(ctx: Ctx, text: str, answers: Answers) -> str:
        clean = " ".join(text.split())
        if not clean:
            raise Invalid(N_("Please write a few words."))
        if len(clean) > limit:
            raise Invalid(N_("Please keep it under {limit} characters."), limit=limit)
        return clean

    return parse


async def _member_flow_target(ctx: Ctx, answers: Answers) -> tuple[CareLinkRow, Runner] | None:
    rid = answers.get("rid")
    if not isinstance(rid, int):
        ctx.say(ctx._(NOT_FOLLOWED))
        return None
    return await _followed(ctx, rid)


async def _finish_hold(ctx: Ctx, answers: Answers) -> None:
    found = await _member_flow_target(ctx, answers)
    if found is None:
        return
    link, runner = found
    reason = str(answers["reason"])
    link.hold_since = ctx.now.astimezone(schedule.zone_of(runner)).date()
    link.hold_reason = reason
    link.hold_number = (link.hold_number or 0) + 1
    ctx.say(ctx._("Held. {name} has been told.").format(name=name(link.runner_name)))
    other = ctx.other(runner)
    other.say(
        other._(
            "{name} has put your plan on hold: {reason}\nYou keep training at your current "
            "level; it moves up again once they resume it."
        ).format(name=name(link.member_name), reason=html.escape(reason))
    )


async def _finish_note(ctx: Ctx, answers: Answers) -> None:
    found = await _member_flow_target(ctx, answers)
    if found is None:
        return
    link, runner = found
    ctx.say(ctx._("Sent to {name}.").format(name=name(link.runner_name)))
    other = ctx.other(runner)
    other.say(
        other._("A note from {name}: {note}").format(
            name=name(link.member_name), note=html.escape(str(answers["note"]))
        )
    )


HOLD = engine.register(
    Flow(
        "care_hold",
        N_("Care team"),
        (
            Step(
                "reason",
                N_("Why are you holding the plan? The runner reads this."),
                _text(300),
                (),
                hint=N_("Type it in a sentence."),
            ),
        ),
        _finish_hold,
    )
)
NOTE = engine.register(
    Flow(
        "care_note",
        N_("Care team"),
        (
            Step(
                "note",
                N_("Type your note. The runner receives it as you write it."),
                _text(NOTE_LIMIT),
                (),
            ),
        ),
        _finish_note,
    )
)
