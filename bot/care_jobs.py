"""The care team's messages a scheduler tick claims (bot/scheduler.py sends them like prompts):
alerts for events recorded since the last tick, Monday summaries at each member's local Monday
morning, and messages a dead process claimed but never sent. Each is claimed once per (member,
runner, key) with ``INSERT … ON CONFLICT DO NOTHING`` and composed in the member's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.tick import Job, TickStats
from conversations import care_messages
from conversations.context import Ctx, Services
from conversations.engine import SCHEDULED
from storage import careteam as care_store
from storage import delivery as delivery_store
from storage import schedule
from storage.delivery import DROPPED
from storage.models import CareEventRow, Runner

CARE = care_store.CARE


class CareClaims:
    def __init__(
        self,
        services: Services,
        *,
        batch: int,
        cutoff: time,
        lease: timedelta,
        running: Callable[[], bool],
    ) -> None:
        self.services = services
        self.batch = batch
        self.cutoff = cutoff
        self.lease = lease
        self.running = running

    def now(self) -> datetime:
        return self.services.clock()

    async def claim(self, jobs: list[Job], stats: TickStats) -> None:
        """Append this tick's care-team messages to ``jobs``."""
        await self._reclaim(jobs, stats)
        await self._alerts(jobs)
        await self._summaries(jobs, stats)

    def _ctx(self, session: AsyncSession, member: Runner, now: datetime) -> Ctx:
        ctx = Ctx(services=self.services, session=session, runner=member, now=now)
        ctx.extra[SCHEDULED] = True
        return ctx

    async def _alerts(self, jobs: list[Job]) -> None:
        while self.running():
            async with self.services.db.session() as session:
                now = self.now()
                events = await care_store.take_events(session, self.batch)
                for event in events:
                    for link in await care_store.links_of_runner(session, event.runner_id):
                        member = await session.get(Runner, link.member_id)
                        if member is None or member.blocked:
                            continue
                        key = f"alert:{event.id}"
                        claimed = await care_store.claim(
                            session, member.id, event.runner_id, key, now
                        )
                        if claimed is None:
                            continue
                        ctx = self._ctx(session, member, now)
                        care_messages.alert_out(ctx, link, event.kind, event.day, event.detail)
                        jobs.append(Job(CARE, [claimed], member.id, member.chat_id, ctx.out))
            if len(events) < self.batch:
                return

    async def _summaries(self, jobs: list[Job], stats: TickStats) -> None:
        async with self.services.db.session() as session:
            now = self.now()
            for link in await care_store.due_summaries(session, now, self.batch):
                member = await session.get(Runner, link.member_id)
                if member is None:
                    continue
                zone = schedule.zone_of(member)
                local_now = now.astimezone(zone)
                monday = local_now.date()
                due_at = schedule.local_reminder(zone, monday, member.reminder_minute)
                if monday.weekday() != care_store.MONDAY or local_now.time() >= self.cutoff:
                    # not the member's Monday morning (the bot was down, or the time zone
                    # changed): the next one
                    link.next_summary_at = care_store.next_monday(member, now)
                    continue
                if now < due_at:
                    link.next_summary_at = due_at
                    continue
                link.next_summary_at = care_store.next_monday(member, now)
                if member.blocked:
                    continue
                key = f"weekly:{monday.isoformat()}"
                claimed = await care_store.claim(session, member.id, link.runner_id, key, now)
                if claimed is None:
                    continue
                ctx = self._ctx(session, member, now)
                await care_messages.summary_out(ctx, link)
                if not ctx.out:
                    await delivery_store.finish(session, CARE, [claimed], DROPPED, now)
                    stats.dropped += 1
                    continue
                jobs.append(Job(CARE, [claimed], member.id, member.chat_id, ctx.out))

    async def _reclaim(self, jobs: list[Job], stats: TickStats) -> None:
        """Care messages a dead process claimed but never sent: composed afresh."""
        async with self.services.db.session() as session:
            now = self.now()
            for c in await care_store.reclaim_expired(session, now, self.lease, self.batch):
                stats.reclaimed += 1
                member = await session.get(Runner, c.member_id)
                link = await care_store.link(session, c.member_id, c.runner_id)
                ctx = None if member is None else self._ctx(session, member, now)
                kind, _, ref = c.key.partition(":")
                if ctx is not None and link is not None and not ctx.runner.blocked:
                    if kind == "alert" and ref.isdigit():
                        event = await session.get(CareEventRow, int(ref))
                        if event is not None:
                            care_messages.alert_out(ctx, link, event.kind, event.day, event.detail)
                    elif kind == "weekly":
                        await care_messages.summary_out(ctx, link)
                if ctx is None or not ctx.out:
                    await delivery_store.finish(session, CARE, [c.id], DROPPED, now)
                    stats.dropped += 1
                    continue
                chat_id = ctx.runner.chat_id
                jobs.append(Job(CARE, [c.id], c.member_id, chat_id, ctx.out, c.attempts))
