"""/connect and /disconnect: the runner's intervals.icu account (issue 29).

/connect hands out an authorize link whose ``state`` is bound to the runner and spent once
(storage/sync.py); intervals.icu sends the runner back to runcoach's own web server
(sync/web.py), which exchanges the code and calls :func:`connected`. Where the operator has
no OAuth application but allows it, the runner sends their athlete id and personal API key
instead (checked on the first sync). /disconnect (and /delete, through ``DataDeleting``)
drops the link in the runner's transaction; the poller then removes the workouts it wrote
from today on and revokes the token (sync/job.py).

What the poller brings is said here too: a synced run goes through the upload path
(conversations/watch.py), so it is handled exactly like a file the runner sent.
"""

from __future__ import annotations

import html
import re
from datetime import date

from conversations import engine, events, newcomer, watch
from conversations.actions import action, command
from conversations.context import Ctx
from conversations.engine import Answers, Flow, Invalid, Step
from intervals.client import Client
from locales import N_
from storage import sync as store

ACTION = "sync"
NOT_OFFERED = N_("Linking an intervals.icu account is not offered by this coach.")


def linked_line(ctx: Ctx, name: str) -> str:
    return ctx._(
        "Your intervals.icu account {name} is linked: runs it receives from your watch arrive "
        "here by themselves, and your sessions go on its calendar."
    ).format(name=html.escape(name or "—"))


@command("connect")
async def connect_command(ctx: Ctx) -> None:
    config = ctx.services.intervals
    if await newcomer.points_to_start(ctx):
        return
    if config is None:
        ctx.say(ctx._(NOT_OFFERED))
        return
    link = await store.link_of(ctx.session, ctx.runner.id)
    if link is not None:
        ctx.say(
            linked_line(ctx, link.athlete_name)
            + "\n"
            + ctx._("Send /disconnect to unlink it.")
        )
        return
    if config.oauth:
        state = await store.new_state(ctx.session, ctx.runner.id, ctx.now)
        url = Client(config).authorize_url(state)
        ctx.say(
            ctx._(
                "Link your intervals.icu account: your runs then arrive here by themselves "
                "(intervals.icu receives them from Garmin, COROS, Polar, Suunto or Wahoo), and "
                "each session I plan goes on your intervals.icu calendar, which can send it to "
                "your watch."
            )
            + "\n\n"
            + f'<a href="{html.escape(url)}">'
            + ctx._("Open intervals.icu to allow it")
            + "</a>\n"
            + ctx._("The link works once, within 15 minutes.")
        )
        return
    await engine.start(ctx, KEY_FLOW)


@action(ACTION)
async def connect_button(ctx: Ctx, argument: str) -> None:
    """The button in /settings."""
    if argument == "off":
        await disconnect_command(ctx)
        return
    await connect_command(ctx)


@command("disconnect")
async def disconnect_command(ctx: Ctx) -> None:
    if not await store.disconnect(ctx.session, ctx.runner.id, ctx.today):
        ctx.say(ctx._("No intervals.icu account is linked."))
        return
    ctx.say(
        ctx._(
            "Your intervals.icu account is unlinked and its access deleted here. The sessions "
            "I put on its calendar from today on are being removed. Send /connect to link it "
            "again."
        )
    )


async def forget(ctx: Ctx, _event: events.DataDeleting) -> None:
    """/delete: the link goes with everything else (its tokens revoked by the poller)."""
    await store.disconnect(ctx.session, ctx.runner.id, ctx.today)


async def plan_changed(ctx: Ctx, _event: events.DecisionTaken) -> None:
    """A decision may change the sessions ahead: the calendar is rewritten on the next poll."""
    await store.calendar_due(ctx.session, ctx.runner.id)


# ---------------------------------------------------------------- the personal API key
ATHLETE = re.compile(r"^i?\d{1,12}$")
KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def _parse_key(ctx: Ctx, text: str, answers: Answers) -> dict[str, str]:
    parts = text.split()
    if len(parts) != 2 or not ATHLETE.match(parts[0]) or not KEY.match(parts[1]):
        raise Invalid(
            N_(
                "Please send your athlete ID (like i12345) and your API key, separated by a "
                "space."
            )
        )
    athlete = parts[0] if parts[0].startswith("i") else "i" + parts[0]
    return {"athlete": athlete, "key": parts[1]}


async def _key_given(ctx: Ctx, answers: Answers) -> None:
    config = ctx.services.intervals
    if config is None:
        ctx.say(ctx._(NOT_OFFERED))
        return
    given = answers["key"]
    tokens = store.Tokens(given["athlete"], "key", given["key"], None, None)
    await store.save_link(ctx.session, store.Vault(config.sync_key), ctx.runner.id, tokens, "",
                          ctx.now)
    ctx.say(
        ctx._(
            "Saved. I check the key with intervals.icu in the next few minutes and tell you if "
            "it does not work. You may delete your message with the key now."
        )
    )


KEY_FLOW = engine.register(
    Flow(
        name="intervals_key",
        title=N_("intervals.icu"),
        steps=(
            Step(
                "key",
                N_(
                    "Send your intervals.icu athlete ID and your API key, separated by a space. "
                    "You find both in your intervals.icu settings, under “Developer Settings”."
                ),
                _parse_key,
                summary=N_("API key"),
            ),
        ),
        finish=_key_given,
    )
)


# ---------------------------------------------------------------- what the poller brings
async def connected(ctx: Ctx, name: str) -> None:
    """The authorize redirect came back and the tokens are stored."""
    ctx.say(
        linked_line(ctx, name)
        + "\n"
        + ctx._("New runs show up here within a few minutes of reaching intervals.icu.")
    )


def refused(ctx: Ctx) -> None:
    """intervals.icu no longer lets runcoach in: the link is gone."""
    ctx.say(
        ctx._(
            "intervals.icu did not accept my access to your account, so I have unlinked it. "
            "Send /connect to link it again."
        )
    )


def not_passed_on(ctx: Ctx, day: date) -> None:
    ctx.say(
        ctx._(
            "Your run of {date} reached intervals.icu from Strava, which does not let "
            "intervals.icu pass it on. Please send its file here yourself (/watch shows how)."
        ).format(date=ctx.tr.date(day))
    )


async def synced(ctx: Ctx, upload: watch.Upload) -> None:
    """A run synced from intervals.icu: exactly as if the runner had sent its file."""
    await watch.received(ctx, upload)
