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
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from telegram import Document
from telegram.error import TelegramError

from activities import reader
from activities.reader import Activity, Unreadable
from conversations import checkin, decisions, engine, newcomer, overrun, view, watch_guide
from conversations.context import Ctx
from locales import N_
from progression import Outcome, Prescription, over_plan, plan_week
from storage import records

log = logging.getLogger(__name__)

# "": no extension (the bytes tell); gz: a gzipped recording (run.fit.gz); zip: Garmin
# Connect's "Export Original"
EXTENSIONS = frozenset({"fit", "gpx", "tcx", "xml", "gz", "zip", ""})
DOWNLOAD = "download"  # Telegram did not hand the file over
TOO_OLD = "too_old"
FUTURE = "future"
FUTURE_SLACK = timedelta(minutes=15)  # a watch clock a little ahead is not the future
CADENCE_RANGE = (120, 220)  # steps a minute a running cadence can be

PROBLEMS = {
    reader.FORMAT: N_(
        "I can read runs recorded as .fit, .gpx or .tcx files. This file is none of these, so "
        "nothing was saved. The button below shows how to get the file from your app."
    ),
    reader.CORRUPT: N_(
        "This file is damaged before its first record, so there is nothing in it I can read. "
        "Nothing was saved. If your app can export the run again in another format (.gpx or "
        ".tcx), please send that."
    ),
    reader.EMPTY: N_("This file is empty. Nothing was saved."),
    reader.NO_TIMES: N_(
        "This file has no times in it: it looks like a planned route, a workout or settings "
        "rather than a recorded session, so there is nothing to count. Nothing was saved."
    ),
    reader.TOO_SHORT: N_(
        "This recording holds less than a minute of movement, too short to count as a session. "
        "Nothing was saved."
    ),
    reader.NOT_RUN: N_(
        "This recording is not a run or a walk (it looks like cycling, swimming or another "
        "sport), so it does not count towards your plan. Nothing was saved."
    ),
    reader.TOO_LARGE: N_(
        "This file is larger than 20 MB, more than Telegram lets me download. Nothing was "
        "saved."
    ),
    DOWNLOAD: N_("I could not download the file from Telegram just now. Please send it again."),
}
# the refusals after which the guide to getting a file helps
GUIDE_AFTER = frozenset({reader.FORMAT, reader.CORRUPT, reader.NO_TIMES})


@dataclass(frozen=True)
class Upload:
    """A document as read before the transaction: its summary, or why it was refused."""

    activity: Activity | None = None
    problem: str | None = None
    sha256: str = ""
    synced: bool = False  # brought by the intervals.icu poller, not sent by the runner


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
    return await read(data, name)


async def read(data: bytes, name: str, *, synced: bool = False) -> Upload:
    """Read a recording's bytes in a worker thread (a sent file, or one the intervals.icu
    poller fetched: ``synced``)."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        activity = await asyncio.to_thread(reader.read, data, name)
    except Unreadable as bad:
        return Upload(problem=bad.reason, sha256=digest, synced=synced)
    except Exception:  # a parser tripping over odd bytes: the file is unreadable
        log.exception("a %s file could not be read", name.rsplit(".", 1)[-1] or "document")
        return Upload(problem=reader.CORRUPT, sha256=digest, synced=synced)
    return Upload(activity=activity, sha256=digest, synced=synced)


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
        problem = upload.problem if upload.problem in PROBLEMS else reader.CORRUPT
        keyboard = watch_guide.button(ctx) if problem in GUIDE_AFTER else None
        ctx.say(ctx._(PROBLEMS[problem]), keyboard)
        await engine.reask(ctx)
        return
    if view.say_if_inactive(ctx):
        return
    a = upload.activity
    if not a.dated:
        await _ask_the_day(ctx, upload)
        return
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
    if upload.synced:
        lines.insert(0, ctx._("New from intervals.icu:"))
    lines += _how_it_was_read(ctx, a)
    lo, hi = CADENCE_RANGE
    if a.cadence_spm and lo <= a.cadence_spm <= hi and a.cadence_spm != ctx.runner.cadence_spm:
        ctx.runner.cadence_spm = a.cadence_spm
        lines.append(
            ctx._(
                "Your cadence cues now start from your own cadence, {spm} steps a minute."
            ).format(spm=ctx.tr.number(a.cadence_spm))
        )
    planned = await _planned(ctx, day)
    existing = await records.checkin_of_day(ctx.session, ctx.runner.id, day)
    if existing is not None:
        measured = await records.attach_activities(ctx.session, existing, [row])
        if measured and over_plan(planned, measured[1]) and existing.outcome != Outcome.OVER:
            records.mark_over(existing, *measured)
            lines.append(await _over(ctx, day, planned, *measured, existing.distance_m or 0.0))
        elif existing.outcome in records.MEASURED_OUTCOMES:
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
    recordings = await records.unattached_activities(ctx.session, ctx.runner.id, day)
    measured_now = checkin.measured_answers(recordings)
    if checkin.measured_outcome(measured_now, planned) is Outcome.OVER:
        distance = sum(r.distance_m for r in recordings)
        minutes, running = measured_now["minutes"], measured_now["running_minutes"]
        lines.append(await _over(ctx, day, planned, minutes, running, distance))
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
    answers = await _prefilled(ctx, day, planned)
    if upload.synced:
        answers[checkin.SYNCED] = True
    await engine.start(ctx, checkin.FLOW, answers)


# ---------------------------------------------------------------- a recording with no date
DAYS_BACK = ("0", "1", "2")  # today, yesterday, 2 days ago: the check-in's own window


async def _ask_the_day(ctx: Ctx, upload: Upload) -> None:
    """A watch whose clock was never set: the file holds the session but not its day, so the
    runner says which day it was (the recording waits in the question's answers)."""
    assert upload.activity is not None
    state = await engine.current(ctx)
    if state is not None:
        ctx.say(
            ctx._(
                "This recording does not say which day it was made. Let's finish these "
                "questions first; then send the file again and tell me the day."
            )
        )
        await engine.reask(ctx)
        return
    a = upload.activity
    summary_line = ctx._("Your recording: {summary}.").format(summary=summary(ctx, a))
    ctx.say(summary_line)
    await engine.start(ctx, DAY_FLOW, {RECORDING: _as_answers(a), SHA: upload.sha256})


def _as_answers(a: Activity) -> dict[str, Any]:
    values = asdict(a)
    values["start"] = a.start.isoformat()
    values["left_out"] = list(a.left_out)
    return values


def _from_answers(values: dict[str, Any]) -> Activity:
    return Activity(**{
        **values,
        "start": datetime.fromisoformat(values["start"]),
        "left_out": tuple(values.get("left_out") or ()),
    })


async def _dated(ctx: Ctx, answers: engine.Answers) -> None:
    """The runner said the day: the recording is read as if its file had said so (it ended
    by noon that day, or by now today)."""
    recording = answers.get(RECORDING)
    if not isinstance(recording, dict):  # nothing to date (never so when asked by _ask_the_day)
        ctx.say(ctx._("That question has closed."))
        return
    a = _from_answers(recording)
    day = ctx.today - timedelta(days=int(answers["day"]))
    noon = datetime.combine(day, time(12), tzinfo=ctx.zone).astimezone(UTC)
    latest = ctx.now - timedelta(seconds=a.elapsed_s) - FUTURE_SLACK
    start = min(noon, latest) if day == ctx.today else noon
    upload = Upload(activity=replace(a, start=start, dated=True), sha256=str(answers[SHA]))
    await received(ctx, upload)


RECORDING, SHA = "_recording", "_sha256"
DAY_FLOW = engine.register(
    engine.Flow(
        name="watchday",
        title=N_("Your recording"),
        steps=(
            engine.Step(
                "day",
                N_(
                    "This recording does not say which day it was made (the watch's clock was "
                    "not set). Which day was it?"
                ),
                engine.choice(*DAYS_BACK),
                [
                    [
                        engine.Option("0", N_("Today")),
                        engine.Option("1", N_("Yesterday")),
                        engine.Option("2", N_("2 days ago")),
                    ]
                ],
            ),
        ),
        finish=_dated,
    )
)


async def _planned(ctx: Ctx, day: date) -> Prescription:
    """The session planned for ``day``, as it was before that day's check-ins (a check-in
    moves the day's own plan on: the session is done)."""
    _, history = await decisions.current(ctx)
    before = replace(history, checkins=tuple(c for c in history.checkins if c.day < day))
    return plan_week(before, day)[0].prescription


def _how_it_was_read(ctx: Ctx, a: Activity) -> list[str]:
    """What the runner should know about how the file was read: cut short, or only its legs
    on foot counted."""
    lines: list[str] = []
    if a.cut and a.from_totals:
        lines.append(
            ctx._(
                "The file is damaged after its first {kept} min, so the rest of the recording "
                "cannot be read; the summary your watch or app saved at its start gives the "
                "whole session, and that is what I counted."
            ).format(kept=ctx.tr.number(round((a.kept_s or 0) / 60)))
        )
    elif a.cut:
        lines.append(
            ctx._(
                "The file ends in damaged data (it was probably cut short while saving or "
                "sending): I counted the {kept} min recorded before that."
            ).format(kept=ctx.tr.number(round((a.kept_s or a.elapsed_s) / 60)))
        )
    if a.from_label:
        lines.append(
            ctx._(
                "This recording has no distance, speed or steps in it (heart rate only), so I "
                "counted it as your watch names it."
            )
        )
    if a.left_out:
        lines.append(
            ctx._(
                "This recording holds more than one sport: only the part on foot counts for "
                "your plan."
            )
        )
    return lines


async def _over(
    ctx: Ctx, day: date, planned: Prescription, minutes: int, running: int, distance: float
) -> str:
    """A session measured well over the plan: the runner's words and the care team's
    alert."""
    await overrun.publish(ctx, day, planned, minutes, running, distance)
    return "\n" + await overrun.words(ctx, planned, minutes, running, distance) + "\n"


async def _prefilled(ctx: Ctx, day: date, planned: Prescription) -> engine.Answers:
    """The check-in's answers as measured: outcome, minutes and running minutes of every
    recording of the day, kept with whatever was already answered about that session."""
    recordings = await records.unattached_activities(ctx.session, ctx.runner.id, day)
    measured = checkin.measured_answers(recordings)

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
