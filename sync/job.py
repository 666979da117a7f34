"""The intervals.icu poller: one repeating job (the bot's JobQueue, like the scheduler's
tick). Each tick:

1. revokes the tokens of accounts just unlinked (/disconnect, /delete), after removing the
   workouts written from that day on;
2. for each link whose poll is due: lists the activities of the check-in's window, takes each
   new run or walk once (a unique row, in the same transaction as the check-in it opens:
   conversations/connect.synced → the upload path), says one line for a run intervals.icu
   may not pass on (Strava), and writes the calendar when the plan changed (or the day
   did): a workout created, updated or removed per day.

No request is made while a database transaction is open. A 429 is waited out by the client;
a 401 refreshes the token (stored at once); an account that refuses runcoach is unlinked
and the runner told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from conversations import calendar, checkin, connect, watch
from conversations.context import Ctx, Services
from conversations.sender import Sender
from intervals.client import OAUTH, Client, Credentials, Denied, Unavailable
from intervals.workout import fingerprint
from storage import sync as store
from storage.models import Runner, SyncLinkRow
from sync.deliver import as_runner

log = logging.getLogger(__name__)

JOB_NAME = "intervals-sync"
RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun", "Walk"})
LATER = 4  # after an outage, the next poll waits this many intervals


@dataclass
class Stats:
    taken: int = 0
    skipped: int = 0
    written: int = 0
    removed: int = 0
    revoked: int = 0
    errors: int = 0


class SyncJob:
    def __init__(self, services: Services, bot: Any, sender: Sender | None, *,
                 backoff: float = 1.0) -> None:
        assert services.intervals is not None
        self.services = services
        self.config = services.intervals
        self.bot = bot
        self.sender = sender
        self.vault = store.Vault(self.config.sync_key)
        self.client = Client(self.config, on_refresh=self._refreshed, backoff=backoff)

    async def close(self) -> None:
        await self.client.close()

    def _creds(self, runner_id: int, t: store.Tokens) -> Credentials:
        return Credentials(runner_id, t.athlete_id, t.method, t.access_token, t.refresh_token,
                           t.expires_at)

    async def _refreshed(self, creds: Credentials) -> None:
        tokens = store.Tokens(creds.athlete_id, creds.method, creds.access_token,
                              creds.refresh_token, creds.expires_at)
        async with self.services.db.session() as session:
            await store.store_refreshed(session, self.vault, creds.owner, tokens)

    # ------------------------------------------------------------ the tick
    async def tick(self) -> Stats:
        stats = Stats()
        await self._revoke(stats)
        now = self.services.clock()
        async with self.services.db.session() as session:
            due = [link.runner_id for link in await store.due_links(session, now)]
        for runner_id in due:
            try:
                await self.poll(runner_id, stats)
            except Exception:
                stats.errors += 1
                log.exception("intervals.icu: the poll of runner %s failed", runner_id)
        return stats

    async def poll(self, runner_id: int, stats: Stats) -> None:
        now = self.services.clock()
        interval = timedelta(seconds=self.config.poll_seconds)
        async with self.services.db.session() as session:
            runner = await session.get(Runner, runner_id)
            if runner is None:
                return
            today = Ctx(services=self.services, session=session, runner=runner, now=now).today
            claim = await store.claim_poll(session, self.vault, runner_id, now, today, interval)
        if claim is None:
            return  # not due, or taken by another process
        creds = self._creds(runner_id, claim.tokens)
        try:
            if not claim.named:
                creds = await self._name(creds)
            if claim.fetch:
                creds = await self._activities(creds, today, stats)
            if claim.calendar:
                await self._calendar(creds, stats)
        except Denied:
            log.info("intervals.icu: runner %s's account refused access; unlinked", runner_id)
            await self._unlink(runner_id)
        except Unavailable as exc:
            stats.errors += 1
            log.info("intervals.icu: unavailable for runner %s (%s)", runner_id, exc)
            async with self.services.db.session() as session:
                await store.polled(session, runner_id, now + LATER * interval)
                if claim.calendar:
                    await store.calendar_due(session, runner_id)  # written next time
        except Exception:
            if claim.calendar:
                async with self.services.db.session() as session:
                    await store.calendar_due(session, runner_id)  # written next time
            raise

    async def _name(self, creds: Credentials) -> Credentials:
        """A personal key's first use: checked, and the athlete's name kept."""
        creds, body = await self.client.athlete(creds)
        name = str(body.get("name") or creds.athlete_id)
        async with self.services.db.session() as session:
            link = await session.get(SyncLinkRow, creds.owner)
            if link is not None:
                link.athlete_name = name[:128]
        return creds

    async def _unlink(self, runner_id: int) -> None:
        async def act(ctx: Ctx) -> None:
            if await store.disconnect(ctx.session, ctx.runner.id, ctx.today):
                connect.refused(ctx)

        await as_runner(self.services, self.bot, self.sender, runner_id, act)

    # ------------------------------------------------------------ runs in
    async def _activities(self, creds: Credentials, today: date, stats: Stats) -> Credentials:
        oldest = today - timedelta(days=checkin.SESSION_DAY_MAX_AGE + 1)
        creds, found = await self.client.activities(creds, oldest, today + timedelta(days=1))
        wanted = [a for a in found if str(a.get("type")) in RUN_TYPES and a.get("id")]
        async with self.services.db.session() as session:
            known = await store.known_activities(
                session, creds.owner, [str(a["id"]) for a in wanted]
            )
        for a in sorted(wanted, key=lambda a: str(a.get("start_date_local", ""))):
            activity_id = str(a["id"])
            if activity_id in known:
                continue
            if a.get("_note") or a.get("source") == "STRAVA":
                await self._skip(creds.owner, activity_id, str(a.get("start_date_local", "")))
                stats.skipped += 1
                continue
            creds, data = await self.client.file(creds, activity_id)
            upload = await watch.read(data, "", synced=True)
            await self._take(creds.owner, activity_id, upload, stats)
        return creds

    async def _take(
        self, runner_id: int, activity_id: str, upload: watch.Upload, stats: Stats
    ) -> None:
        async def act(ctx: Ctx) -> None:
            if await store.claim_activity(ctx.session, ctx.runner.id, activity_id, "taken",
                                          ctx.now):
                stats.taken += 1
                await connect.synced(ctx, upload)

        await as_runner(self.services, self.bot, self.sender, runner_id, act)

    async def _skip(self, runner_id: int, activity_id: str, local: str) -> None:
        try:
            day: date | None = datetime.fromisoformat(local).date()
        except ValueError:
            day = None

        async def act(ctx: Ctx) -> None:
            if await store.claim_activity(ctx.session, ctx.runner.id, activity_id, "skipped",
                                          ctx.now):
                connect.not_passed_on(ctx, day or ctx.today)

        await as_runner(self.services, self.bot, self.sender, runner_id, act)

    # ------------------------------------------------------------ the calendar out
    async def _calendar(self, creds: Credentials, stats: Stats) -> None:
        runner_id = creds.owner
        now = self.services.clock()
        async with self.services.db.session() as session:
            runner = await session.get(Runner, runner_id)
            if runner is None:
                return
            ctx = Ctx(services=self.services, session=session, runner=runner, now=now)
            today = ctx.today
            wanted = await calendar.workouts(ctx)
            written = {day: (row.event_id, row.fingerprint)
                       for day, row in (await store.events_of(session, runner_id)).items()}
        for day, event in sorted(wanted.items()):
            mark = fingerprint(event)
            old = written.get(day)
            if old is not None and old[1] == mark:
                continue
            if old is None:
                creds, event_id = await self.client.create_event(creds, event)
            else:
                event_id = old[0]
                creds = await self.client.update_event(creds, event_id, event)
            stats.written += 1
            async with self.services.db.session() as session:
                if await store.link_of(session, runner_id) is not None:
                    await store.event_written(session, runner_id, day, event_id, mark)
        for day, (event_id, _mark) in sorted(written.items()):
            if day < today or day in wanted:
                continue  # the past stays as it was planned
            creds = await self.client.delete_event(creds, event_id)
            stats.removed += 1
            async with self.services.db.session() as session:
                await store.event_removed(session, runner_id, day)
        async with self.services.db.session() as session:
            await store.calendar_written(session, runner_id, today)

    # ------------------------------------------------------------ unlinked accounts
    async def _revoke(self, stats: Stats) -> None:
        async with self.services.db.session() as session:
            rows = [(r.id, r.athlete_id, r.method, r.access_token, list(r.event_ids))
                    for r in await store.revocations(session)]
        for row_id, athlete_id, method, sealed, event_ids in rows:
            try:
                creds = Credentials(0, athlete_id, method, self.vault.open(sealed))
                for event_id in event_ids:
                    creds = await self.client.delete_event(creds, event_id)
                if method == OAUTH:
                    await self.client.revoke(creds)
            except Denied:
                pass  # revoked already: nothing left to do
            except ValueError:
                log.warning("intervals.icu: a token to revoke cannot be decrypted; dropped")
            except Unavailable:
                continue  # the next tick tries again
            async with self.services.db.session() as session:
                await store.revoked(session, row_id)
            stats.revoked += 1


# ---------------------------------------------------------------- wiring (bot/)
async def _tick_job(context: Any) -> None:
    job: SyncJob = context.application.bot_data[JOB_NAME]
    await job.tick()


def install(application: Any) -> None:
    """Register the poller on the application's JobQueue when intervals.icu is configured."""
    services: Services = application.bot_data["services"]
    if services.intervals is None or application.job_queue is None:
        return
    sender = application.bot_data.get("sender")
    job = SyncJob(services, application.bot, sender if isinstance(sender, Sender) else None)
    application.bot_data[JOB_NAME] = job
    interval = min(60.0, services.intervals.poll_seconds)
    application.job_queue.run_repeating(
        _tick_job,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
