"""/patients: what a care-team member sees of the runners who invited them, and what they
can do: the latest report (PDF), hold and resume the plan, cap the stage, record "I have
examined them and cleared them to restart at stage N" (it closes a red-flag referral the
same way the runner's own confirmation does: conversations/referral.clear), send a note.

Buttons carry a runner's id, so every press checks on the server that the presser follows
that runner (storage.careteam.link); naming another runner's id gets nothing. A button that
changes the plan carries the state it was shown for (care_acts.stamp): pressed after the
plan changed, it changes nothing and says so. The acts themselves are
conversations/care_acts.py, shared with the Mini App (miniapp/). The runner is told whenever
a member acts, in the same transaction.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from conversations import care_acts as acts
from conversations import engine
from conversations.actions import action, command, data
from conversations.care_messages import MEMBER, dashboard_button, name, open_button
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Invalid, Step
from locales import N_
from reports import labels, words
from reports.measures import stage_of
from reports.summary import open_red_flags
from storage import careteam as store
from storage import records, schedule
from storage.models import CareLinkRow, RedFlagRow, Runner

NOTE_LIMIT = 600


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
    rows = dashboard_button(ctx)
    for link in links:
        runner = await ctx.session.get(Runner, link.runner_id)
        if runner is None:
            continue
        lines.append(await _line(ctx, link, runner))
        rows += open_button(ctx, link)
    ctx.say("\n\n".join(lines), rows)


def _card_buttons(ctx: Ctx, link: CareLinkRow, runner: Runner) -> list[list[tuple[str, str]]]:
    rid, state = runner.id, acts.stamp(link, runner)
    rows = dashboard_button(ctx, runner.id)
    rows.append([(ctx._("Latest report (PDF)"), data(MEMBER, f"pdf.{rid}"))])
    if link.hold_since is None:
        rows.append([(ctx._("Hold the plan"), data(MEMBER, f"hold.{rid}.0.{state}"))])
    else:
        rows.append([(ctx._("Resume the plan"), data(MEMBER, f"resume.{rid}.0.{state}"))])
    rows.append([(ctx._("Cap the stage"), data(MEMBER, f"cap.{rid}.0.{state}"))])
    if runner.status == "referred":
        rows.append(
            [(ctx._("I examined and cleared them"), data(MEMBER, f"clrq.{rid}.0.{state}"))]
        )
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
    """``op.runner[.n[.version]]``: the version binds a button to the state it was shown for
    (``care_acts.stamp``; a clearance's stage, to the referral's decision)."""
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
    found = await acts.followed(ctx, runner_id)
    if found is None:
        return
    link, runner = found
    if op == "o":
        await _card(ctx, link, runner)
    elif op == "pdf":
        await acts.report(ctx, link, runner)
    elif op == "note":
        await engine.start(ctx, NOTE, {"rid": runner.id})
    elif op == "clr" and n is not None:
        if version != await acts.latest_decision(ctx, runner):
            ctx.say(ctx._("That question has closed."))  # a keyboard from another referral
            return
        await acts.clear(ctx, link, runner, n)
    elif op in ("hold", "resume", "cap", "capto", "clrq") and acts.stale(link, runner, version):
        # pressed on a card or a question shown before the plan last changed
        acts.say_stale(ctx, link)
        await _card(ctx, link, runner)
    elif op == "hold":
        await engine.start(
            ctx, HOLD, {"rid": runner.id, "stamp": acts.stamp(link, runner)}
        )
    elif op == "resume":  # bound to the hold it was shown for (its number is in the stamp)
        acts.resume(ctx, link, runner)
    elif op == "cap":
        _cap_question(ctx, link, runner)
    elif op == "capto" and n is not None:
        acts.cap(ctx, link, runner, n)
    elif op == "clrq":
        _clear_question(ctx, link, runner, await acts.latest_decision(ctx, runner))
    else:
        ctx.say(ctx._("That question has closed."))


def _cap_question(ctx: Ctx, link: CareLinkRow, runner: Runner) -> None:
    state = acts.stamp(link, runner)
    options = [
        [
            (
                ctx._("Stage {n}: {name}").format(n=s, name=words.stage_name(ctx, s)),
                data(MEMBER, f"capto.{runner.id}.{s}.{state}"),
            )
        ]
        for s in acts.CAP_STAGES
    ]
    options.append([(ctx._("No cap"), data(MEMBER, f"capto.{runner.id}.{acts.NO_CAP}.{state}"))])
    ctx.say(
        ctx._("Cap {name}'s plan at which stage?").format(name=name(link.runner_name)),
        options,
    )


def _clear_question(ctx: Ctx, link: CareLinkRow, runner: Runner, current: int) -> None:
    if runner.status != "referred":
        ctx.say(
            ctx._("{name}'s plan is running; there is nothing to clear.").format(
                name=name(link.runner_name)
            )
        )
        return
    # the stage buttons clear this referral only: once the runner's state has moved (a
    # new referral, a clearance) they are stale
    options = [
        [
            (
                ctx._("Stage {n}: {name}").format(n=s, name=words.stage_name(ctx, s)),
                data(MEMBER, f"clr.{runner.id}.{s}.{current}"),
            )
        ]
        for s in acts.clearance_stages(runner)
    ]
    ctx.say(
        ctx._("I have examined {name} and cleared them to restart at stage:").format(
            name=name(link.runner_name)
        ),
        options,
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
        ctx.say(ctx._(acts.NOT_FOLLOWED))
        return None
    return await acts.followed(ctx, rid)


async def _finish_hold(ctx: Ctx, answers: Answers) -> None:
    found = await _member_flow_target(ctx, answers)
    if found is None:
        return
    link, runner = found
    shown = answers.get("stamp")
    if acts.stale(link, runner, shown if isinstance(shown, int) else None):
        acts.say_stale(ctx, link)  # held, capped or cleared while the reason was typed
        await _card(ctx, link, runner)
        return
    acts.hold(ctx, link, runner, str(answers["reason"]))


async def _finish_note(ctx: Ctx, answers: Answers) -> None:
    found = await _member_flow_target(ctx, answers)
    if found is None:
        return
    link, runner = found
    acts.note(ctx, link, runner, str(answers["note"]))


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
