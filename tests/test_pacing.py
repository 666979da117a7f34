"""Pacing scheduled messages: the promised rate is never exceeded, even after the process was
starved of CPU; only as many deliveries are under way as the rate needs; prompts due first
go first; paid broadcasts, off by default, go faster under Telegram's second limit."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from bot.delivery import BEFORE_WRITE, Fence, InFlight, PacedRateLimiter, Pacer, Result, send_outs
from bot.settings import SettingsError, load_settings
from bot_api_double import BotApiDouble
from conversations.context import Out
from storage.models import Runner
from tests.conftest import TOKEN
from tests.test_scheduler import add_runners, bot_with_scheduler, runner_row


async def due_at(db, ids: list[int], when: datetime) -> None:
    async with db.session() as session:
        await session.execute(update(Runner).where(Runner.id.in_(ids)).values(next_due_at=when))


class FakeTime:
    """Virtual time for many tasks at once: ``sleep`` waits until the test's driver moves
    the clock past its wake-up; the driver wakes sleepers a little late at random (as a busy
    machine does), and ``stall`` moves the clock on while everybody sleeps: the process got
    no CPU, and every task whose time came meanwhile wakes at once."""

    def __init__(self, seed: int = 7) -> None:
        self.now = 1000.0
        self.rng = random.Random(seed)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self.stalls = 0.0  # how often the process gets no CPU for a while

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), self._seq, future))
        await future

    def stall(self, seconds: float) -> None:
        self.now += seconds

    async def drive(self, tasks: list[asyncio.Task[None]]) -> None:
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every task run until it sleeps again
                await asyncio.sleep(0)
            if not self._sleepers:
                continue
            wake = self._sleepers[0][0] + self.rng.choice([0.0, 0.0, 0.0005, 0.002, 0.01])
            if self.rng.random() < self.stalls:
                wake += self.rng.choice([0.1, 0.3, 1.5])  # no CPU for a while
            self.now = max(self.now, wake)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                heapq.heappop(self._sleepers)[2].set_result(None)


def assert_kept(stamps: list[float], rate: float) -> None:
    """No two releases closer than ``Pacer.GAP`` intervals; never more than ``rate`` in
    any one second."""
    stamps = sorted(stamps)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= Pacer.GAP / rate - 1e-9, min(gaps)
    for i, start in enumerate(stamps):
        in_window = [t for t in stamps[i:] if t - start < 1.0]
        assert len(in_window) <= rate, (start, len(in_window))


async def test_the_pacer_never_exceeds_its_rate_even_after_the_process_was_starved():
    """Twenty senders share one pacer at 29/s; each request's fence (a short transaction)
    sits between its slot and its write, and now and then the process gets no CPU for up
    to 1.5 s. When it runs again, the requests whose slots passed meanwhile do not go out
    in a burst, and none is released closer to the last than the promise allows."""
    for seed in range(5):
        time = FakeTime(seed)
        time.stalls = 0.02
        pacer = Pacer(29.0, clock=time.clock, sleep=time.sleep)
        stamps: list[float] = []

        async def sender(pacer: Pacer, time: FakeTime, stamps: list[float]) -> None:
            async def fence() -> bool:  # a short transaction, now and then a slow one
                await time.sleep(time.rng.choice([0.003] * 6 + [0.04, 0.12]))
                return True

            for _ in range(15):
                await pacer.wait(stamp=False)
                assert await pacer.stamp(fence)
                stamps.append(time.now)

        tasks = [asyncio.create_task(sender(pacer, time, stamps)) for _ in range(20)]
        await time.drive(tasks)
        assert len(stamps) == 300
        assert_kept(stamps, 29.0)
        # and it keeps the rate: the gaps are close to 1/29 s but for the stalls
        gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
        assert statistics.median(gaps) < 1.1 / 29


async def test_a_kill_finds_at_most_two_deliveries_marked_sending_and_not_written():
    """Ten prompts share a pacer; each one's fence (marking it ``sending``) is a short
    transaction, and SQLite's one writer is busy for a while when they start (a tick's
    claim, a batch of records), so their commits come all at once. A kill loses the
    deliveries marked ``sending`` whose request was not written yet: never more than two
    at any moment, however the commits bunch up."""
    pacer = Pacer(100.0)
    writer = asyncio.Lock()
    marked_not_written = 0
    most = 0

    class Bot:
        async def send_message(self, chat_id: int, text: str, **_: object) -> object:
            nonlocal marked_not_written
            marked_not_written -= 1  # the request is written
            await asyncio.sleep(0.01)  # Telegram's answer
            return type("Message", (), {"message_id": chat_id})()

    async def fence() -> bool:
        nonlocal marked_not_written, most
        async with writer:
            await asyncio.sleep(0.001)  # the update and its commit
        marked_not_written += 1
        most = max(most, marked_not_written)
        return True

    busy = asyncio.Event()

    async def busy_writer() -> None:
        async with writer:
            busy.set()
            await asyncio.sleep(0.15)

    blocker = asyncio.create_task(busy_writer())
    await busy.wait()
    sent = await asyncio.gather(
        *(
            send_outs(Bot(), chat, [Out(text="Time to run")], pacer=pacer, before_send=fence)
            for chat in range(10)
        )
    )
    await blocker
    assert [s.result for s in sent] == [Result.SENT] * 10
    assert marked_not_written == 0
    assert most <= Pacer.FENCED == 2


async def test_the_pacer_after_a_stall_in_its_own_wait_and_a_429_pause():
    time = FakeTime(seed=3)
    pacer = Pacer(10.0, clock=time.clock, sleep=time.sleep)
    stamps: list[float] = []
    paused_at = 0.0

    async def sender() -> None:
        nonlocal paused_at
        for i in range(40):
            await pacer.wait()
            stamps.append(time.now)
            if i == 10:
                time.stall(2.0)  # every slot of the next 2 s has passed: none is caught up
            if i == 20:
                pacer.pause(3.0)  # Telegram's 429
                paused_at = time.now

    await time.drive([asyncio.create_task(sender())])
    assert_kept(stamps, 10.0)
    assert stamps[21] >= paused_at + 3.0
    assert stamps[12] - stamps[11] >= Pacer.GAP / 10.0


async def test_the_in_flight_window_follows_rate_times_latency_and_keeps_the_order():
    window = InFlight(30.0, most=16, latency=0.02)
    assert window.limit == 2  # 30/s x 20 ms, plus one waiting for its slot
    window.latency = 0.25
    assert window.limit == 9
    window.latency = 10.0
    assert window.limit == 16  # never more than the workers there are
    window.latency = 0.02
    assert InFlight(None, most=16).limit == 16  # unpaced: every worker
    tickets = [window.ticket() for _ in range(5)]
    order: list[int] = []

    async def go(ticket: int) -> None:
        await window.enter(ticket)
        order.append(ticket)
        await asyncio.sleep(0.01)
        window.leave(0.02)

    window.skip(tickets[1])  # nothing came of the second (not due after all)
    await asyncio.gather(*(go(t) for t in reversed([tickets[0], *tickets[2:]])))
    assert order == [tickets[0], *tickets[2:]]
    assert window.peak <= 2


async def test_a_fan_out_has_only_a_few_deliveries_under_way_and_goes_oldest_due_first(
    double: BotApiDouble, db, clock
):
    """Sixty runners, half due at 07:00 and half due since 06:58 (added after the others):
    the tick sends the older ones first, in order, at 20/s; and at no moment are more
    requests fenced and unanswered (lost in a kill) than the window allows — rate x the
    latency from a request's slot to its answer, plus one — far fewer than the sixteen
    workers that claim and compose ahead (their rows pending: a kill only delays them)."""
    now = datetime(2026, 3, 2, 7, 0, 30, tzinfo=UTC)
    clock.now = now
    fresh = await add_runners(db, [runner_row(91_000 + i, "UTC", 7 * 60) for i in range(30)])
    older = await add_runners(db, [runner_row(92_000 + i, "UTC", 6 * 60 + 58) for i in range(30)])
    await due_at(db, fresh, now)
    await due_at(db, older, now - timedelta(minutes=2))
    double.delay = 0.01
    on_the_wire: list[int] = []
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        limiter = PacedRateLimiter(rate=20.0)
        app.bot._rate_limiter = limiter
        window = scheduler.window = InFlight(20.0, most=scheduler.concurrency)
        take = Fence.take
        fenced = 0

        async def counting_take(self: Fence) -> bool:
            nonlocal fenced
            ok = await take(self)
            fenced += 1
            answered = sum(1 for c in double.chats() for m in double.sent(c) if not m.edited)
            on_the_wire.append(fenced - answered)
            assert window.inside <= window.limit
            return ok

        Fence.take = counting_take  # type: ignore[method-assign]
        try:
            stats = await scheduler.tick()
        finally:
            Fence.take = take  # type: ignore[method-assign]
    assert stats.sent == 60
    arrivals = sorted(
        (m.date, chat) for chat in double.chats() for m in double.sent(chat) if not m.edited
    )
    firsts = [chat for _, chat in arrivals]
    assert sorted(firsts[:30]) == [92_000 + i for i in range(30)]
    for group in (firsts[:30], firsts[30:]):  # in due order, each group by its runners
        rank = {chat: i for i, chat in enumerate(sorted(group))}
        # requests under way together (the window) may be answered in either order
        assert all(abs(i - rank[chat]) < max(window.widest, 1) for i, chat in enumerate(group))
    assert window.peak <= window.widest < scheduler.concurrency, (window.peak, window.widest)
    assert max(on_the_wire) <= window.widest
    assert BEFORE_WRITE.get() is None


# ---------------------------------------------------------------- paid broadcasts


async def test_the_double_enforces_the_free_and_the_paid_limit():
    async with BotApiDouble() as double:
        double.enforce_rate(5, paid_per_second=12)
        async with httpx.AsyncClient() as http:

            async def send(i: int, paid: bool) -> int:
                body = {"chat_id": 100 + i, "text": "hi"}
                if paid:
                    body["allow_paid_broadcast"] = True
                r = await http.post(f"{double.base_url}{TOKEN}/sendMessage", json=body)
                return r.status_code

            free = [await send(i, False) for i in range(7)]
            assert free.count(200) == 5 and free[5:] == [429, 429]
            paid = [await send(i, True) for i in range(9)]
            # paid broadcasts skip the free limit, but all sends count towards the paid one
            assert paid.count(200) == 7 and paid[7:] == [429, 429]
        assert double.stats["paid_broadcasts"] == 7


def test_paid_broadcasts_are_off_unless_the_operator_turns_them_on(monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name in ("PAID_BROADCAST", "PAID_BROADCAST_RATE"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "none.env"
    assert load_settings(env_file).paid_broadcast is False
    monkeypatch.setenv("PAID_BROADCAST", "on")
    settings = load_settings(env_file)
    assert settings.paid_broadcast and settings.paid_broadcast_rate == 900
    monkeypatch.setenv("PAID_BROADCAST_RATE", "1500")
    with pytest.raises(SettingsError, match="1000"):
        load_settings(env_file)
    monkeypatch.setenv("PAID_BROADCAST", "maybe")
    with pytest.raises(SettingsError, match="on or off"):
        load_settings(env_file)


async def test_with_paid_broadcasts_on_prompts_go_faster_than_the_free_limit(
    double: BotApiDouble, db, clock
):
    """Eighty prompts due at once, the double enforcing 30/s free and 1000/s paid: all go
    as paid broadcasts, paced by the paid pacer (not the free one), with no 429."""
    now = datetime(2026, 3, 2, 7, 0, 30, tzinfo=UTC)
    clock.now = now
    ids = await add_runners(db, [runner_row(93_000 + i, "UTC", 7 * 60) for i in range(80)])
    await due_at(db, ids, now)
    double.enforce_rate(30)
    async with bot_with_scheduler(double, db, clock) as (app, scheduler):
        limiter = PacedRateLimiter(rate=29.0, paid_rate=900.0)
        app.bot._rate_limiter = limiter
        scheduler.paid = True
        scheduler.window = InFlight(900.0, most=scheduler.concurrency)
        stats = await scheduler.tick()
    assert stats.sent == 80
    assert double.stats["paid_broadcasts"] == 80
    assert double.stats.get("too_many_requests", 0) == 0
    assert limiter.paid is not None and len(limiter.paid._released) == 80
    assert not limiter.pacer._released  # the free share stays for runners' replies
