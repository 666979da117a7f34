"""Reactions to what a conversation did, one way: a flow publishes an event; subscribers,
registered in one place at start-up (conversations/bootstrap.py), react in the same
transaction. The flow that published never imports them.

    await events.publish(ctx, events.DecisionTaken(decision))

A subscriber is ``async def react(ctx, event)``; it may read and write through ``ctx`` (its
session is the update's) and queue messages to other chats with ``ctx.other``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from conversations.context import Ctx
from progression import Decision, RedFlag


@dataclass(frozen=True)
class DecisionTaken:
    """A decision about to be stored after new answers (a check-in, a morning check, a
    reassessment, a clearance, or the stored history read again by /today and the prompt).
    Published before it is saved: ``previous`` subscribers can still read the last one."""

    decision: Decision


@dataclass(frozen=True)
class RedFlagsReported:
    """The runner reported warning signs (onboarding's screen or the weekly re-screen)."""

    flags: frozenset[RedFlag]


@dataclass(frozen=True)
class SessionOverPlan:
    """A session a recording measured well over the plan (progression.over_plan): the care
    team is alerted. ``planned_kind`` is the session kind planned that day."""

    day: date
    planned_kind: str
    planned_minutes: int
    planned_running: int
    minutes: int
    running: int
    distance_m: float


@dataclass(frozen=True)
class DataDeleting:
    """The runner confirmed /delete: everything about them is about to go."""


E = TypeVar("E")
Subscriber = Callable[[Ctx, Any], Awaitable[None]]
_SUBSCRIBERS: dict[type, list[Subscriber]] = {}


def subscribe(kind: type[E], react: Callable[[Ctx, E], Awaitable[None]]) -> None:
    """Call ``react`` for every event of ``kind`` (once, however often it is subscribed)."""
    handlers = _SUBSCRIBERS.setdefault(kind, [])
    if react not in handlers:
        handlers.append(react)


async def publish(ctx: Ctx, event: object) -> None:
    """Every subscriber of the event's kind, in the order they subscribed."""
    for react in _SUBSCRIBERS.get(type(event), ()):
        await react(ctx, event)
