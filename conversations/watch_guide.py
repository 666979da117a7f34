"""/watch: how to get a run from a watch or phone app as a .fit, .gpx or .tcx file and send it
here. One message: a short introduction and a button per app; a button shows that app's
steps in the same message. Reached from /help (the command menu) and from the reply to a file
that could not be used (conversations/watch.py).

The steps are the apps' own export paths, in a few words each; docs/watch-import.md says
where they come from. Apple Health has no export of its own: a widely used exporter app
(HealthFit) writes FIT files from it.
"""

from __future__ import annotations

from conversations import engine
from conversations.actions import action, command, data
from conversations.context import Ctx
from locales import N_

GUIDE = "wg"  # buttons: a|wg|<app> (empty: the introduction)

APPS: tuple[tuple[str, str, str], ...] = (
    (
        "garmin",
        "Garmin Connect",
        N_(
            "The Garmin Connect app on the phone cannot save a file; its website can:\n"
            "1. In a browser, sign in at connect.garmin.com and open Activities, then your run.\n"
            "2. Tap the gear icon at the top right and choose <b>Export Original</b> (a .zip "
            "holding the .fit file: send the .zip or the file in it) or <b>Export to TCX</b>.\n"
            "3. Send the file to this chat (paperclip → File)."
        ),
    ),
    (
        "strava",
        "Strava",
        N_(
            "The Strava app cannot save a file; the website can, also in a phone's browser:\n"
            "1. Sign in at strava.com and open your run.\n"
            "2. Open the ⋯ menu beside the activity and choose <b>Export Original</b> (the "
            "file your watch or phone recorded) or <b>Export GPX</b>.\n"
            "3. Send the file to this chat (paperclip → File)."
        ),
    ),
    (
        "coros",
        "COROS",
        N_(
            "1. In the COROS app, open your run.\n"
            "2. Tap the share icon at the top right and choose <b>Export Data</b>, then "
            "<b>.fit</b>.\n"
            "3. Share the file to Telegram and pick this chat."
        ),
    ),
    (
        "polar",
        "Polar Flow",
        N_(
            "The Polar Flow app cannot save a file; the website can:\n"
            "1. Sign in at flow.polar.com, open the Diary and your run.\n"
            "2. Open the ⋯ menu of the session and choose <b>Export session</b>, then "
            "<b>TCX</b> or <b>GPX</b>.\n"
            "3. Send the file to this chat (paperclip → File)."
        ),
    ),
    (
        "suunto",
        "Suunto",
        N_(
            "1. In the Suunto app, open your run.\n"
            "2. Tap the ⋯ menu at the top right and choose <b>Export FIT file</b> (or "
            "<b>Export GPX file</b>).\n"
            "3. Share the file to Telegram and pick this chat."
        ),
    ),
    (
        "apple",
        "Apple Health",
        N_(
            "Apple Health keeps no files of its own, so an exporter app writes one:\n"
            "1. Install HealthFit from the App Store and let it read your workouts.\n"
            "2. Open your run in HealthFit, tap the share icon and choose <b>FIT file</b>.\n"
            "3. Pick Telegram and this chat."
        ),
    ),
)
INTRO = N_(
    "You can send me a run recorded on your watch or phone as a file (.fit, .gpx or .tcx): I "
    "fill in the minutes, the running and your cadence, and ask only how it felt. Most apps "
    "need one export step first. Which app holds your run?"
)


def button(ctx: Ctx) -> list[list[tuple[str, str]]]:
    """The button that opens the guide (under a reply about a file)."""
    return [[(ctx._("How to send a file from your app"), data(GUIDE))]]


def _keyboard(shown: str = "") -> list[list[tuple[str, str]]]:
    apps = [(name, data(GUIDE, key)) for key, name, _ in APPS if key != shown]
    return [apps[i : i + 3] for i in range(0, len(apps), 3)]


@command("watch")
async def guide_command(ctx: Ctx) -> None:
    ctx.say(ctx._(INTRO), _keyboard())
    await engine.reask(ctx, "\n")


@action(GUIDE)
async def guide_button(ctx: Ctx, app: str) -> None:
    """An app's steps (or the introduction), in the message whose button was pressed."""
    found = next(((name, steps) for key, name, steps in APPS if key == app), None)
    if found is None:
        text, keyboard = ctx._(INTRO), _keyboard()
    else:
        name, steps = found
        text, keyboard = "<b>" + name + "</b>\n" + ctx._(steps), _keyboard(app)
    pressed = ctx.extra.get(engine.PRESSED)
    ctx.say(text, keyboard, edit_message_id=int(pressed) if pressed else None)
