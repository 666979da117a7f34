"""/start for a known runner, /help, /language, /cancel, and replies to what the bot cannot use."""

from __future__ import annotations

from conversations import engine, newcomer
from conversations.actions import action, command
from conversations.common import COMMANDS, DISCLAIMER, ask_language, member_menu
from conversations.context import Ctx
from locales import N_, SUPPORTED
from storage import careteam as care_store

# What an empty chat with the bot shows (setMyDescription, up to 512 characters) and the
# bot's profile and share text (setMyShortDescription, up to 120), per language.
DESCRIPTION = N_(
    "runcoach guides you back to running after a calf, hamstring or quadriceps strain, "
    "Achilles or patellar tendon pain, an ankle sprain, plantar fasciitis or shin pain: a "
    "session for every day, a quick check-in after each run, weekly tests, and a plan that "
    "adapts to how your body responds. A coach, not a diagnosis: if something feels wrong, "
    "see a doctor or physiotherapist. Send /start to begin."
)
SHORT_DESCRIPTION = N_(
    "Back to running after a muscle or tendon injury, gently and step by step. A coach, "
    "not a diagnosis."
)

CARE_FLOWS = "care_"  # the care team's questions (patients.py, careteam.py)


def disclaimer(ctx: Ctx) -> str:
    return ctx._(DISCLAIMER)


@command("help")
async def help_command(ctx: Ctx) -> None:
    lines = [ctx._("Here is what I can do:"), ""]
    lines += ["/" + name + " — " + ctx._(description) for name, description in COMMANDS]
    lines += ["", "<i>" + disclaimer(ctx) + "</i>"]
    ctx.say("\n".join(lines))
    await engine.reask(ctx, "\n")


async def welcome_back(ctx: Ctx) -> None:
    ctx.say(
        ctx._("Welcome back! Your plan is where you left it. Send /today for today's session.")
        + "\n\n<i>"
        + disclaimer(ctx)
        + "</i>"
    )


@command("language")
async def language_command(ctx: Ctx) -> None:
    ask_language(ctx)


@action("lang")
async def choose_language(ctx: Ctx, code: str) -> None:
    if code not in SUPPORTED:
        ctx.say(ctx._("That question has closed."))
        return
    ctx.runner.language = code
    ctx.say(ctx._("Done: I will speak English with you from now on."))
    if await care_store.links_of_member(ctx.session, ctx.runner.id):  # a member's menu
        ctx.out.append(member_menu(ctx, runner_too=ctx.runner.status != "new"))
    await engine.reask(ctx, "\n")


@command("cancel")
async def cancel_command(ctx: Ctx) -> None:
    now = await engine.current(ctx)
    if now is not None and now[0].name.startswith(CARE_FLOWS):
        # a member's hold reason or note, or a runner's reply to one: nothing was sent
        await engine.leave(ctx)
        ctx.say(ctx._("Stopped: nothing was sent and nothing changed."))
    elif await engine.cancel(ctx):
        ctx.say(
            ctx._(
                "Stopped. What you already answered is kept; start the same questions again "
                "today to pick up where you left off."
            )
        )
    else:
        ctx.say(ctx._("There is nothing to cancel right now."))


async def unknown_command(ctx: Ctx) -> None:
    if await newcomer.points_to_start(ctx, ctx._("I don't know that command.") + " "):
        return
    ctx.say(ctx._("I don't know that command. Send /help to see what I can do."))
    await engine.reask(ctx, "\n")


async def not_text(ctx: Ctx) -> None:
    if await newcomer.points_to_start(ctx, ctx._("I can only read text and buttons.") + " "):
        return
    if not await engine.reask(ctx, ctx._("I can only read text and buttons.") + "\n\n"):
        ctx.say(ctx._("I can only read text and buttons. Send /help to see what I can do."))


async def edited(ctx: Ctx) -> None:
    if await newcomer.points_to_start(ctx):
        return
    if not await engine.reask(
        ctx, ctx._("I keep the answer you sent first; edits are not recorded.") + "\n\n"
    ):
        ctx.say(ctx._("I keep the answer you sent first; edits are not recorded."))


async def free_text(ctx: Ctx, text: str) -> None:
    if await newcomer.points_to_start(ctx):
        return
    if not await engine.answer(ctx, text):
        ctx.say(ctx._("I'm not sure what you mean. Send /today, /checkin or /help."))


async def stale_button(ctx: Ctx) -> None:
    if await newcomer.points_to_start(ctx, ctx._("That question has closed.") + " "):
        return
    if not await engine.reask(ctx, ctx._("That question has closed.") + "\n\n"):
        ctx.say(ctx._("That question has closed."))
