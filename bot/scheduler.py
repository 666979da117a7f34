"""The scheduler: one short periodic tick; the database decides who is due.

Each tick

1. prunes old ``inbox`` rows (at most once an hour) and marks ``sending`` deliveries of dead
   processes ``uncertain``;
2. schedules active/paused runners never scheduled before (``next_due_at`` NULL);
3. takes over ``pending`` deliveries whose claim lease expired (their process died before
   sending) and sends them;
4. pages through ``runners.next_due_at <= now`` (an index range scan, ``batch`` rows at a
   time, so memory stays flat) and, for each runner, in one transaction: works out the due
   kinds for the runner's local date, claims one delivery row per kind
   (``INSERT … ON CONFLICT DO NOTHING``), composes the message and moves ``next_due_at`` to
   the next local reminder time. After the commit the message is fenced (pending → sending),
   paced and sent; the rows end ``sent``, ``blocked``, ``failed`` or ``uncertain``.
5. claims the care team's alerts and Monday summaries, composed in each member's language.

Prompts and care-team messages take one send path (``_send``) and one delivery cycle
(``storage/delivery.py``); only what is claimed and composed differs.

Two processes ticking against one PostgreSQL never both send: the unique key hands each
(runner, kind, local date) to one of them, and a process that finds today's daily row taken
does not send its own leftovers.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.care_jobs import CareClaims
from bot.delivery import (
    DEFAULT_RATE,
    InFlight,
    PacedRateLimiter,
    Pacer,
    Result,
    Sent,
    Turn,
    send_outs,
)
from bot.tick import Job, TickStats, Work, pipeline
from conversations.context import Ctx, Out, Services
from conversations.engine import SCHEDULED
from conversations.prompts import (
    CLINICIAN,
    DAILY,
    MORNING,
    NUDGE,
    WEEKLY,
    WELCOME_BACK,
    missed_a_session,
)
from conversations.prompts import (
    compose as default_compose,
)
from conversations.sender import Together
from storage import careteam as care_store
from storage import delivery as delivery_store
from storage import outbox, schedule
from storage import runners as runner_store
from storage.delivery import DROPPED, PENDING, UNCERTAIN
from storage.models import Runner
from storage.records import MEASURED_OUTCOMES

log = logging.getLogger(__name__)

JOB_NAME = "runcoach-scheduler-tick"
Compose = Callable[[Ctx, list[str]], Awaitable[None]]

NUDGE_AFTER_DAYS = 3  # no check-in for this many days → a nudge, at most one per this period
RAN = MEASURED_OUTCOMES  # check-in outcomes that earn a morning-after check (over too)
MAX_ATTEMPTS = 5  # sends of one delivery that failed transiently before it counts as failed
RETRY_DELAY = timedelta(minutes=5)  # a runner whose claim raised is looked at again then
PROMPTS, CARE = schedule.PROMPTS, care_store.CARE  # what the scheduler delivers
STATUS = {  # a delivery row's status after a send (retry_later: pending or failed)
    Result.SENT: delivery_store.SENT,
    Result.BLOCKED: delivery_store.BLOCKED,
    Result.UNCERTAIN: delivery_store.UNCERTAIN,
}


Step = Callable[[AsyncSession], Awaitable[Any]]  # one delivery's part of a transaction


async def _each(session: AsyncSession, steps: Sequence[Step]) -> dict[Step, Any]:
    return {step: await step(session) for step in steps}


class Scheduler:
    """Everything one process needs to tick; ``install`` keeps one in ``bot_data``."""

    def __init__(
        self,
        bot: Any,
        services: Services,
        *,
        cutoff_hour: int = 21,
        rate: float | None = DEFAULT_RATE,
        batch: int = 200,
        concurrency: int = 16,
        paid_rate: float | None = None,
        lease: timedelta = timedelta(minutes=2),
        grace: timedelta = timedelta(minutes=30),
        prune_every: timedelta = timedelta(hours=1),
        inbox_keep: timedelta = timedelta(days=7),
        compose: Compose | None = None,
        running: Callable[[], bool] = lambda: True,
        backoff: float = 1.0,
    ) -> None:
        self.bot = bot
        self.services = services
        self.cutoff = time(min(max(cutoff_hour, 0), 23))
        # paid broadcasts (``paid_rate``, an operator's choice): prompts and care messages go
        # with ``allow_paid_broadcast`` at up to that rate
        self.paid = bool(paid_rate)
        if paid_rate:
            rate = paid_rate
        limiter = getattr(bot, "rate_limiter", None)
        window_rate = rate
        if isinstance(limiter, PacedRateLimiter):
            rate = None  # the bot paces every request already
            pacer = limiter.paid if self.paid and limiter.paid is not None else limiter.pacer
            window_rate = pacer.rate
        self.pacer = Pacer(rate)
        # how many deliveries are past their turn at once: rate x observed latency, plus one
        self.window = InFlight(window_rate, most=concurrency)
        self.batch = batch
        self.concurrency = concurrency
        self.lease = lease
        self.grace = grace
        self.prune_every = prune_every
        self.inbox_keep = inbox_keep
        self.compose = compose or default_compose
        self.running = running
        self.backoff = backoff
        self._lock = asyncio.Lock()
        # the fences and the records of the sends under way, those asked for meanwhile
        # committed in one transaction (on SQLite one writer at a time: a transaction each
        # was a third of a paid broadcast's time, docs/performance.md)
        self._steps: Together[Step, dict[Step, Any]] = Together(
            services.db, _each, "scheduler-steps"
        )
        self._claims: Together[Step, dict[Step, Any]] | None = None
        if getattr(services.db, "is_sqlite", False):
            self._claims = Together(services.db, _each, "scheduler-claims")
        self.care = CareClaims(
            services, batch=batch, cutoff=self.cutoff, lease=lease, running=running
        )
        self._last_prune: datetime | None = None
        self.last: TickStats | None = None

    def now(self) -> datetime:
        return self.services.clock()

    # ------------------------------------------------------------------ the tick

    async def tick(self) -> TickStats:
        """One pass. Ticks of one process run one at a time; other processes may overlap."""
        async with self._lock:
            stats = TickStats()
            started = monotonic.perf_counter()
            try:
                await self._housekeeping(stats)
                await self._schedule_new(stats)
                await self.reclaim(stats)
                await self._due(stats)
                await self._care(stats)
            finally:
                stats.seconds = monotonic.perf_counter() - started
                self.last = stats
            if stats.claimed or stats.dropped or stats.errors:
                log.info("scheduler tick: %s", stats)
            return stats

    async def _housekeeping(self, stats: TickStats) -> None:
        now = self.now()
        db = self.services.db
        if self._last_prune is None or now - self._last_prune >= self.prune_every:
            async with db.session() as session:
                await runner_store.prune_inbox(session, now - self.inbox_keep)
            self._last_prune = now
            stats.pruned = True
        async with db.session() as session:
            for what in (PROMPTS, CARE):
                await delivery_store.expire_sending(session, what, now, self.lease * 5)

    async def _schedule_new(self, stats: TickStats) -> None:
        seen: set[int] = set()
        while self.running():
            now = self.now()
            async with self.services.db.session() as session:
                runners = await schedule.unscheduled_runners(session, self.batch)
                fresh = [r for r in runners if r.id not in seen]
                for runner in fresh:
                    seen.add(runner.id)
                    runner.next_due_at = schedule.first_due(runner, now)
                stats.scheduled += len(fresh)
            if len(runners) < self.batch or not fresh:
                return

    async def reclaim(self, stats: TickStats) -> None:
        async def pages() -> AsyncIterator[list[Work]]:
            while self.running():
                async with self.services.db.session() as session:
                    claims = await schedule.reclaim_expired(
                        session, self.now(), self.lease, self.batch
                    )
                if not claims:
                    return
                stats.reclaimed += len(claims)
                yield [partial(self._retake, c, stats) for c in claims]

        await self._pipeline(pages())

    async def _due(self, stats: TickStats) -> None:
        async def pages() -> AsyncIterator[list[Work]]:
            after: tuple[datetime, int] | None = None
            while self.running():
                now = self.now()
                found = monotonic.perf_counter()
                async with self.services.db.session() as session:
                    rows = await schedule.due_runners(session, now, self.batch, after)
                    stats.find_seconds += monotonic.perf_counter() - found
                    gone = [r.id for r in rows if r.blocked or r.status not in schedule.SCHEDULED]
                    await schedule.park(session, gone)
                if not rows:
                    return
                stats.parked += len(gone)
                stats.looked_at += len(rows) - len(gone)
                parked = set(gone)
                yield [partial(self._runner, r.id, stats) for r in rows if r.id not in parked]
                if len(rows) < self.batch:
                    return
                # page on from the last row read, whatever became of it: no row twice
                after = (rows[-1].next_due_at, rows[-1].id)

        await self._pipeline(pages())

    async def _pipeline(self, pages: AsyncIterator[list[Work]]) -> None:
        """The pages' work on ``concurrency`` workers (bot/tick.py)."""
        await pipeline(
            pages,
            concurrency=self.concurrency,
            batch=self.batch,
            running=self.running,
            window=self.window,
        )

    # ------------------------------------------------------------------ one runner

    async def _runner(self, runner_id: int, stats: TickStats) -> None:
        try:
            job = await self._claim(runner_id, stats)
        except Exception:
            stats.errors += 1
            log.exception("scheduler: runner %s could not be prepared; retrying later", runner_id)
            try:
                async with self.services.db.session() as session:
                    await schedule.set_next_due(session, runner_id, self.now() + RETRY_DELAY)
            except Exception:
                log.exception("scheduler: could not postpone runner %s", runner_id)
            return
        if job is not None:
            stats.claimed += 1
            await self._send(job, stats)

    async def _claim(self, runner_id: int, stats: TickStats) -> Job | None:
        """Claim and compose the runner's message for today, in one transaction: on SQLite
        with the claims of the other runners asked for meanwhile (one writer at a time, so
        a transaction each was most of a paid broadcast's time)."""
        step = partial(self._claim_in, runner_id, stats)
        if self._claims is not None:
            return await self._together(step, self._claims)
        async with self.services.db.session() as session:
            return await step(session)

    async def _claim_in(
        self, runner_id: int, stats: TickStats, session: AsyncSession
    ) -> Job | None:
        runner = await session.get(Runner, runner_id)
        now = self.now()
        if runner is None or runner.next_due_at is None or runner.next_due_at > now:
            return None  # somebody else moved it on meanwhile
        if runner.blocked or runner.status not in schedule.SCHEDULED:
            runner.next_due_at = None
            return None
        zone = schedule.zone_of(runner)
        local_now = now.astimezone(zone)
        today = local_now.date()
        due_at = schedule.local_reminder(zone, today, runner.reminder_minute)
        tomorrow_at = schedule.local_reminder(
            zone, today + timedelta(days=1), runner.reminder_minute
        )
        kinds: list[str] = []
        if runner.status == schedule.REFERRED:
            # no sessions while referred: once a week, "has a clinician seen you?"
            if today.weekday() != runner.reassess_weekday or now < due_at:
                runner.next_due_at = schedule.next_weekly(runner, now)
                return None
            kinds.append(CLINICIAN)
            tomorrow_at = schedule.next_weekly(runner, now, after_today=True)
        elif runner.status == "paused":
            until = runner.paused_until
            if until is None:
                runner.next_due_at = now + timedelta(days=1)
                return None
            if today < until or now < due_at:
                runner.next_due_at = schedule.local_reminder(
                    zone, max(today, until), runner.reminder_minute
                )
                return None
            runner.status = "active"
            runner.paused_until = None
            kinds.append(WELCOME_BACK)
        else:
            missed = runner.next_due_at.astimezone(zone).date()
            if missed < today:  # downtime: that day's prompt is recorded as dropped
                await schedule.claim(session, runner.id, [DAILY], missed, now, status=DROPPED)
            if now < due_at:
                runner.next_due_at = due_at
                return None
        if CLINICIAN not in kinds:
            kinds.append(DAILY)
            kinds += await self._extra_kinds(session, runner, today, kinds)
        if self._late(local_now, now, due_at):
            dropped = await schedule.claim(
                session, runner.id, kinds, today, now, status=DROPPED
            )
            stats.dropped += 1 if dropped else 0
            runner.next_due_at = tomorrow_at
            return None
        ids = await schedule.claim(session, runner.id, kinds, today, now)
        if ids and kinds[0] not in ids:
            # today's message was claimed by another process: do not send a second one
            await delivery_store.finish(session, PROMPTS, list(ids.values()), DROPPED, now)
            ids = {}
        outs: list[Out] = []
        if ids:
            ctx = Ctx(services=self.services, session=session, runner=runner, now=now)
            ctx.extra[SCHEDULED] = True  # never discards a conversation in progress
            await self.compose(ctx, [k for k in kinds if k in ids])
            outs = ctx.out
            if not outs:
                await delivery_store.finish(
                    session, PROMPTS, list(ids.values()), DROPPED, now
                )
                stats.dropped += 1
        runner.next_due_at = tomorrow_at  # last: the runner row is locked only from here
        if not ids or not outs:
            return None
        return Job(PROMPTS, list(ids.values()), runner.id, runner.chat_id, outs)

    async def _extra_kinds(
        self, session: AsyncSession, runner: Runner, today: date, due: list[str]
    ) -> list[str]:
        kinds: list[str] = []
        facts = await schedule.due_facts(
            session,
            runner.id,
            today - timedelta(days=1),
            RAN,
            WELCOME_BACK,
            NUDGE,
            today - timedelta(days=NUDGE_AFTER_DAYS - 1),
            today,
        )
        if facts.ran_yesterday and not facts.morning_done:
            kinds.append(MORNING)
        if today.weekday() == runner.reassess_weekday:
            kinds.append(WEEKLY)
        if WELCOME_BACK in due:
            return kinds  # back from a pause: the welcome is enough
        # quiet since the last check-in, onboarding or return from a pause
        since = runner.consent_at or runner.created_at
        quiet_since = [since.astimezone(schedule.zone_of(runner)).date() if since else today]
        for day in (facts.last_checkin, facts.last_welcome_back):
            if day is not None:
                quiet_since.append(day)
        quiet = today - max(quiet_since) >= timedelta(days=NUDGE_AFTER_DAYS)
        if (
            quiet
            and not facts.nudged
            and await missed_a_session(session, runner, today, max(quiet_since))
        ):
            kinds.append(NUDGE)
        return kinds

    def _late(self, local_now: datetime, now: datetime, due_at: datetime) -> bool:
        """Past the cut-off, a prompt is sent only when it is on time (within the grace)."""
        return now - due_at > self.grace and local_now.time() >= self.cutoff

    async def _retake(self, claim: schedule.Claimed, stats: TickStats) -> None:
        """Send rows a dead process claimed but never sent (composed afresh)."""
        try:
            async with self.services.db.session() as session:
                now = self.now()
                runner = await session.get(Runner, claim.runner_id)
                ids = list(claim.ids.values())
                if runner is None:
                    return
                zone = schedule.zone_of(runner)
                local_now = now.astimezone(zone)
                due_at = schedule.local_reminder(zone, claim.local_date, runner.reminder_minute)
                if (
                    runner.blocked
                    or runner.status != (schedule.REFERRED if CLINICIAN in claim.ids else "active")
                    or local_now.date() != claim.local_date
                    or self._late(local_now, now, due_at)
                ):
                    await delivery_store.finish(session, PROMPTS, ids, DROPPED, now)
                    stats.dropped += 1
                    return
                ctx = Ctx(services=self.services, session=session, runner=runner, now=now)
                ctx.extra[SCHEDULED] = True  # never discards a conversation in progress
                await self.compose(ctx, list(claim.ids))
                if not ctx.out:
                    await delivery_store.finish(session, PROMPTS, ids, DROPPED, now)
                    stats.dropped += 1
                    return
                job = Job(PROMPTS, ids, runner.id, runner.chat_id, ctx.out, claim.attempts)
        except Exception:
            stats.errors += 1
            log.exception("scheduler: could not retake deliveries of runner %s", claim.runner_id)
            return
        stats.claimed += 1
        await self._send(job, stats)

    # ------------------------------------------------------------------ sending

    async def _send(self, job: Job, stats: TickStats) -> None:
        """Fence, pace and send one claimed message, then settle its rows: the one path of
        prompts and care-team messages alike. It takes its turn in the in-flight window
        (bot/delivery.InFlight): in the order the due query found it, and only while few
        enough are under way."""
        for out in job.outs:  # a chart renders here, after the claim committed
            if callable(out.photo):
                try:
                    out.photo = await asyncio.to_thread(out.photo)
                except Exception:  # the message still goes out, without its chart
                    log.exception("scheduler: a chart failed to render")
                    out.photo = None
        db = self.services.db
        lost = False
        turn: Turn | None = None

        async def fence() -> bool:
            nonlocal lost
            ok = bool(await self._together(partial(self._fence, job)))
            lost = not ok
            if ok and turn is not None:
                turn.released()  # the window's latency counts from here to the answer
            return ok

        async def unfence() -> None:
            async with db.session() as session:
                await delivery_store.finish(session, job.what, job.ids, PENDING, self.now())

        try:
            async with self.window.turn() as turn:  # from its turn to Telegram's answer
                sent = await send_outs(
                    self.bot,
                    job.chat_id,
                    job.outs,
                    pacer=self.pacer,
                    before_send=fence,
                    release=unfence,
                    backoff=self.backoff,
                    paid=self.paid,
                )
        except Exception:
            # We cannot tell whether Telegram got it: the rows stay ``sending`` and become
            # ``uncertain``; never sent twice.
            stats.errors += 1
            log.exception("scheduler: sending to runner %s failed", job.runner_id)
            async with db.session() as session:
                await delivery_store.finish(session, job.what, job.ids, UNCERTAIN, self.now())
            return
        if lost:  # taken over elsewhere, or (a care message) the member was removed meanwhile
            log.info("scheduler: delivery to runner %s taken over or revoked", job.runner_id)
            return
        stats.add(sent.result)
        if job.what is PROMPTS:  # care-team messages are not counted as prompts
            metrics.count_prompt(sent.result.value)
        status = STATUS.get(sent.result, delivery_store.FAILED)
        if sent.result is Result.RETRY_LATER and job.attempts + 1 < MAX_ATTEMPTS:
            status = PENDING
        await self._together(partial(self._record, job, sent, status))

    async def _together(
        self, step: Step, batch: Together[Step, dict[Step, Any]] | None = None
    ) -> Any:
        """``step`` committed with the others asked for meanwhile; alone when that
        transaction failed (so one bad step does not fail the others; a counter it moved
        before the failure may count twice)."""
        try:
            return (await (batch or self._steps)([step]))[step]
        except Exception:
            async with self.services.db.session() as session:
                return await step(session)

    async def _fence(self, job: Job, session: AsyncSession) -> bool:
        return await delivery_store.fence(session, job.what, job.ids, self.now())

    async def _record(self, job: Job, sent: Sent, status: str, session: AsyncSession) -> None:
        await delivery_store.finish(session, job.what, job.ids, status, self.now(), sent.message_id)
        for out, mid in zip(job.outs, sent.message_ids, strict=False):
            if out.question_version is not None and job.what is PROMPTS:  # opened a flow
                await outbox.record_question(session, job.runner_id, out.question_version, mid)
        if sent.result is Result.BLOCKED:
            await schedule.block(session, job.runner_id)

    # ------------------------------------------------------------------ the care team

    async def _care(self, stats: TickStats) -> None:
        """Care-team alerts (events recorded since the last tick) and Monday summaries (each
        member's local Monday morning): claimed once per (member, runner, key) with
        ``INSERT … ON CONFLICT DO NOTHING``, composed in the member's language, then fenced
        (only while the member still follows the runner) and sent like prompts."""
        jobs: list[Job] = []
        try:
            await self.care.claim(jobs, stats)
        except Exception:
            stats.errors += 1
            log.exception("scheduler: care-team messages failed; the next tick tries again")
        for job in jobs:
            stats.claimed += 1
            try:
                await self._send(job, stats)
            except Exception:  # its row stays pending: taken over after the lease
                stats.errors += 1
                log.exception("scheduler: a care-team message to %s failed", job.runner_id)
