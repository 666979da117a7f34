"""What a care-team member can do for a runner they follow, once, for the chat's buttons
(conversations/patients.py) and the Mini App (miniapp/): hold and resume the plan, cap the
stage, clear a referral through the referral's own path, send a note, ask for the report.

Rights: every act starts from :func:`followed` (the presser's link to that runner, read in
this transaction; none, nothing). Effects: the runner is told in the same transaction
(``Ctx.other``), in their language. State: a button or a page is shown for one state of the
link (:func:`stamp`); an act pressed on an older one changes nothing and says so
(:func:`stale`).
"""

from __future__ import annotations

import html
import zlib

from conversations import referral, view
from conversations.actions import data
from conversations.care_messages import name
from conversations.context import Ctx
from locales import N_
from reports import words
from reports.measures import stage_of
from reports.pdf import PDF_NAME, documents
from reports.report_input import ReportInput
from storage import careteam as store
from storage import records, reports, runners, schedule
from storage.models import CareLinkRow, Runner

NOT_FOLLOWED = N_("You don't follow this runner, so there is nothing to show.")
STALE = N_(
    "This was shown before {name}'s plan last changed, so it changed nothing. Here is how "
    "things stand now."
)
REPLY = "cr"  # the runner's "Reply" under a note: a|cr|r.<link id>
CAP_STAGES = range(0, 5)
NO_CAP = 9


def stamp(link: CareLinkRow, runner: Runner) -> int:
    """The state a button or a page was shown for: the member's hold (its number and reason), cap,
    and the runner's status. Six digits, so it fits in a button's callback data."""
    state = (
        f"{link.hold_since}|{link.hold_number}|{link.hold_reason}|{link.stage_cap}|{runner.status}"
    )
    return zlib.crc32(state.encode()) % 1_000_000


def stale(link: CareLinkRow, runner: Runner, shown: int | None) -> bool:
    return shown is None or shown != stamp(link, runner)


async def followed(ctx: Ctx, runner_id: int) -> tuple[CareLinkRow, Runner] | None:
    """The link and the runner, only when the presser follows that runner."""
    link = await store.link(ctx.session, ctx.runner.id, runner_id)
    runner = await ctx.session.get(Runner, runner_id) if link is not None else None
    if link is None or runner is None:
        ctx.say(ctx._(NOT_FOLLOWED))
        return None
    return link, runner


def say_stale(ctx: Ctx, link: CareLinkRow) -> None:
    ctx.say(ctx._(STALE).format(name=name(link.runner_name)))


def hold(ctx: Ctx, link: CareLinkRow, runner: Runner, reason: str) -> bool:
    """Hold the plan with the member's reason (the runner reads it)."""
    if link.hold_since is not None:
        ctx.say(ctx._("The plan is already on hold: nothing changed."))
        return False
    link.hold_since = ctx.now.astimezone(schedule.zone_of(runner)).date()
    link.hold_reason = reason
    link.hold_number = (link.hold_number or 0) + 1  # a Resume shown for an earlier hold is stale
    ctx.say(ctx._("Held. {name} has been told.").format(name=name(link.runner_name)))
    other = ctx.other(runner)
    other.say(
        other._(
            "{name} has put your plan on hold: {reason}\nYou keep training at your current "
            "level; it moves up again once they resume it."
        ).format(name=name(link.member_name), reason=html.escape(reason))
    )
    return True


def resume(ctx: Ctx, link: CareLinkRow, runner: Runner) -> bool:
    if link.hold_since is None:
        ctx.say(ctx._("The plan is not on hold."))
        return False
    link.hold_since = None
    link.hold_reason = None
    ctx.say(ctx._("Resumed. {name} has been told.").format(name=name(link.runner_name)))
    other = ctx.other(runner)
    other.say(
        other._(
            "{name} resumed your plan: it moves up again as your sessions allow. Send "
            "/today for today's session."
        ).format(name=name(link.member_name))
    )
    return True


def cap(ctx: Ctx, link: CareLinkRow, runner: Runner, n: int) -> bool:
    """Cap the stage at ``n`` (NO_CAP: remove the cap). A cap at or above the runner's
    stage changes nothing today, and both sides are told so."""
    if not (n in CAP_STAGES or n == NO_CAP):
        ctx.say(ctx._("That question has closed."))
        return False
    new = None if n == NO_CAP else n
    if new == link.stage_cap:
        ctx.say(ctx._("That is the cap already: nothing changed."))
        return False
    link.stage_cap = new
    who = name(link.member_name)
    other = ctx.other(runner)
    stage = stage_of(runner.level)
    if new is None:
        ctx.say(ctx._("Saved. {name} has been told.").format(name=name(link.runner_name)))
        other.say(other._("{name} removed the stage cap on your plan.").format(name=who))
    elif new >= stage:
        ctx.say(
            ctx._(
                "Saved. {name} is at stage {stage} now, so nothing changes today: the plan "
                "will not go beyond stage {n}. They have been told."
            ).format(name=name(link.runner_name), stage=stage, n=new)
        )
        other.say(
            other._(
                "{name} capped your plan at stage {n} ({stage}). You are at stage {now}, so "
                "nothing changes today; your plan will not go beyond stage {n} for now."
            ).format(name=who, n=new, stage=words.stage_name(other, new), now=stage)
        )
    else:
        ctx.say(ctx._("Saved. {name} has been told.").format(name=name(link.runner_name)))
        other.say(
            other._(
                "{name} capped your plan at stage {n} ({stage}) for now. Send /today for "
                "today's session."
            ).format(name=who, n=new, stage=words.stage_name(other, new))
        )
    return True


def clearance_stages(runner: Runner) -> range:
    """The stages a member may clear a referred runner to restart at."""
    return range(0, max(1, stage_of(runner.level)) + 1)


async def clear(ctx: Ctx, link: CareLinkRow, runner: Runner, stage: int) -> bool:
    """Record the member's examination and clearance: the referral's own path
    (``referral.clear``), as the runner's own confirmation takes."""
    await runners.lock(ctx.session, runner)  # the runner's lock, their state now
    if runner.status != "referred":
        ctx.say(
            ctx._("{name}'s plan is running; there is nothing to clear.").format(
                name=name(link.runner_name)
            )
        )
        return False
    if stage not in clearance_stages(runner):
        ctx.say(ctx._("That question has closed."))
        return False
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
    return True


def note(ctx: Ctx, link: CareLinkRow, runner: Runner, text: str) -> None:
    """A note the runner reads as written, with a button to answer it."""
    ctx.say(ctx._("Sent to {name}.").format(name=name(link.runner_name)))
    other = ctx.other(runner)
    other.say(
        other._("A note from {name}: {note}").format(
            name=name(link.member_name), note=html.escape(text)
        ),
        [[(other._("Reply to {name}").format(name=link.member_name or "?"),
           data(REPLY, f"r.{link.id}"))]],
    )


async def report(ctx: Ctx, link: CareLinkRow, runner: Runner) -> None:
    """The runner's latest clinician report (PDF), rendered after the commit."""
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


async def latest_decision(ctx: Ctx, runner: Runner) -> int:
    return await records.latest_decision_id(ctx.session, runner.id)
