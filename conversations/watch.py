"""A run recorded by a watch or phone, sent as a .fit, .gpx or .tcx document (issue 17).

``fetch`` runs before the update's transaction: it downloads the file from Telegram (at
most 20 MB) and reads it in a worker thread (activities/reader.py). Nothing is
stored there, so a crash loses nothing: the update is confirmed only after its transaction
commits, and a re-delivered update downloads the file again.

``received`` runs in the transaction. A file that cannot be taken gets a clear reply and
stores nothing. A good one is matched to the session of its start date (in the runner's
time zone): with no check-in for that day yet, the check-in starts with the minutes and
running minutes measured, so only the questions about how it felt are asked; with one, the
measured minutes are added to it. The same file twice says so and changes nothing. A
measured running cadence becomes the runner's own, so cadence cues are relative to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Document
from telegram.error import TelegramError

from activities import reader
from activities.reader import Activity, Unreadable
from conversations import checkin, decisions, engine, newcomer, view
from conversations.context import Ctx
from locales import N_
from progression import plan_week
from storage import records

log = logging.getLogger(__name__)

# "": no extension (the bytes tell); gz: a gzipped recording (run.fit.gz)
EXTENSIONS = frozenset({"fit", "gpx", "tcx", "xml", "gz", ""})
DOWNLOAD = "download"  # Telegram did not hand the file over
TOO_OLD = "too_old"
FUTURE = "future"
FUTURE_SLACK = timedelta(minutes=15)  # a watch clock a little ahead is not the future
CADENCE_RANGE = (120, 220)  # steps a minute a running cadence can be

PROBLEMS = {
    reader.FORMAT: N_(
        "I can read runs recorded as .fit, .gpx or .tcx files (export them from your watch "
        "or app). This file is none of these, so nothing was saved."
    ),
    reader.CORRUPT: N_(
        "I could not read this file: it looks damaged or cut short. Nothing was saved. "
        "Please export the run again and send the new file."
    ),
    reader.EMPTY: N_(
        "This file has no timed movement in it, so there is nothing to count. Nothing was "
        "saved."
    ),
    reader.NOT_RUN: N_(
        "This recording is not a run or a walk (it looks like cycling or another sport), so "
        "it does not count towards your plan. Nothing was saved."
    ),
    reader.TOO_LARGE: N_(
        "This file is larger than 20 MB, more than Telegram lets me download. Nothing was "
        "saved."
    ),
    DOWNLOAD: N_("I could not download the file from Telegram just now. Please send it again."),
}


@dataclass(frozen=True)
class Upload:
    """A document as read before the transaction: its summary, or why it was refused."""

    activity: Activity | None = None
    problem: str | None = None
    sha256: str = ""


async def fetch(bot: Any, document: Document) -> Upload:
    """Download and read the runner's document (no database: this runs before the update's
    transaction)."""
    name = (document.file_name or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        return Upload(problem=reader.FORMAT)
    if document.file_size and document.file_size > reader.MAX_BYTES:
        return Upload(problem=reader.TOO_LARGE)
    try:
        file = await bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        if "too big" in str(exc).lower():
            return Upload(problem=reader.TOO_LARGE)
        log.info("a document could not be downloaded: %s", type(exc).__name__)
        return Upload(problem=DOWNLOAD)
    except (OSError, TimeoutError) as exc:
        log.info("a document could not be downloaded: %s", type(exc).__name__)
        return Upload(problem=DOWNLOAD)
    digest = hashlib.sha256(data).hexdigest()
    try:
        activity = await asyncio.to_thread(reader.read, data, name)
    except Unreadable as bad:
        return Upload(problem=bad.reason, sha256=digest)
    except Exception:  # a parser tripping over odd bytes: the file is unreadable
        log.exception("a %s file could not be read", ext or "document")
        return Upload(problem=reader.CORRUPT, sha256=digest)
    return Upload(activity=activity, sha256=digest)


def summary(ctx: Ctx, a: Activity) -> str:
    """ "31 min, 4.6 km, 24 min running, cadence 162" in the runner's language and numbers."""
    tr = ctx.tr
    parts = [ctx._("{minutes} min").format(minutes=tr.number(a.minutes))]
    if a.distance_m >= 50:
        km = tr.number(round(a.distance_m / 1000, 1))
        parts.append(ctx._("{km} km").format(km=km))
    parts.append(ctx._("{minutes} min running").format(minutes=tr.number(a.running_minutes)))
    if a.cadence_spm:
        parts.append(ctx._("cadence {spm}").format(spm=tr.number(a.cadence_spm)))
    if a.avg_hr:
        parts.append(ctx._("heart rate {bpm}").format(bpm=tr.number(a.avg_hr)))
    return ", ".join(parts)


async def received(ctx: Ctx, upload: Upload) -> None:
    if newcomer.has_no_plan(ctx):
        ctx.say(ctx._(newcomer.START_FIRST))
        await engine.reask(ctx, "\n")
        return
    if upload.activity is None:
        # a message of its own, then the open question again: the question may be dropped
        # as answered (a button pressed meanwhile), what the runner is told may not
        problem = PROBLEMS.get(upload.problem or "", PROBLEMS[reader.CORRUPT])
        ctx.say(ctx._(problem))
        await engine.reask(ctx)
        return
    if view.say_if_inactive(ctx):
        return
    a = upload.activity
    day = a.start.astimezone(ctx.zone).date()
    if a.start > ctx.now + FUTURE_SLACK:
        ctx.say(
            ctx._(
                "This run is dated {date}, which is still to come. Please check the date on "
                "your watch. Nothing was saved."
            ).format(date=ctx.tr.date(day))
        )
        return
    if (ctx.today - day).days > checkin.SESSION_DAY_MAX_AGE:
        ctx.say(
            ctx.n_(
                "This run is from {date}. I can add runs from today and the last {n} day "
                "only, so nothing was saved.",
                "This run is from {date}. I can add runs from today and the last {n} days "
                "only, so nothing was saved.",
                checkin.SESSION_DAY_MAX_AGE,
            ).format(date=ctx.tr.date(day), n=checkin.SESSION_DAY_MAX_AGE)
        )
        return
    known = await records.activity_by_hash(ctx.session, ctx.runner.id, upload.sha256)
    if known is not None:
        ctx.say(
            ctx._(
                "You have sent this recording before (your run of {date}). Nothing changed."
            ).format(date=ctx.tr.date(known.day))
        )
        return
    row = records.add_activity(
        ctx.session,
        ctx.runner.id,
        sha256=upload.sha256,
        format=a.format,
        sport=(a.sport or "")[:32] or None,
        day=day,
        started_at=a.start,
        elapsed_s=round(a.elapsed_s),
        moving_s=round(a.moving_s),
        running_s=round(a.running_s),
        distance_m=round(a.distance_m, 1),
        cadence_spm=a.cadence_spm,
        avg_hr=a.avg_hr,
    )
    lines = [ctx._("Your run of {date}: {summary}.").format(
        date=ctx.tr.date(day), summary=summary(ctx, a)
    )]
    lo, hi = CADENCE_RANGE
    if a.cadence_spm and lo <= a.cadence_spm <= hi and a.cadence_spm != ctx.runner.cadence_spm:
        ctx.runner.cadence_spm = a.cadence_spm
        lines.append(
            ctx._(
                "Your cadence cues now start from your own cadence, {spm} steps a minute."
            ).format(spm=ctx.tr.number(a.cadence_spm))
        )
    existing = await records.checkin_of_day(ctx.session, ctx.runner.id, day)
    if existing is not None:
        await records.attach_activities(ctx.session, existing, [row])
        if existing.outcome in records.MEASURED_OUTCOMES:
            lines.append(
                ctx._(
                    "Added to your check-in of {date}: it now counts {minutes} min, "
                    "{running} min of them running."
                ).format(
                    date=ctx.tr.date(day),
                    minutes=ctx.tr.number(existing.minutes),
                    running=ctx.tr.number(existing.running_minutes or 0),
                )
            )
        else:
            lines.append(
                ctx._("Added to your check-in of {date}.").format(date=ctx.tr.date(day))
            )
        ctx.say("\n".join(lines))
        return
    state = await engine.current(ctx)
    if state is not None and state[0] is not checkin.FLOW:
        # Another conversation is open (a reassessment, the morning check, settings): the
        # recording is kept and waits for the check-in; the open questions stay as they are.
        lines.append(
            ctx._(
                "I have kept it for your check-in of {date}. Let's finish these questions "
                "first; then send /checkin and the measured minutes are counted."
            ).format(date=ctx.tr.date(day))
        )
        ctx.say("\n".join(lines))
        await engine.reask(ctx)
        return
    lines.append(ctx._("I have filled in the minutes. Now a few questions on how it felt."))
    ctx.say("\n".join(lines))
    await engine.start(ctx, checkin.FLOW, await _prefilled(ctx, day))


async def _prefilled(ctx: Ctx, day: Any) -> engine.Answers:
    """The check-in's answers as measured: outcome, minutes and running minutes of every
    recording of the day, kept with whatever was already answered about that session."""
    recordings = await records.unattached_activities(ctx.session, ctx.runner.id, day)
    measured = checkin.measured_answers(recordings)
    _, history = await decisions.current(ctx)
    planned = plan_week(history, day)[0].prescription

    answers: engine.Answers = {}
    state = await engine.current(ctx)
    if state is not None and state[0] is checkin.FLOW and state[2].get(checkin.SESSION_DAY) == (
        day.isoformat()
    ):
        answers = {k: v for k, v in state[2].items() if k not in ("outcome", "minutes")}
    answers.update(measured)
    answers["outcome"] = checkin.measured_outcome(measured, planned).value
    answers[checkin.SESSION_DAY] = day.isoformat()
    if await checkin.symptoms_lately(ctx):
        answers["_recent"] = True
    return answers
