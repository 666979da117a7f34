"""Buttons that are not answers to a step (language choice, daily-prompt buttons, confirmations).

Their callback data is ``a|<name>|<argument>``; each conversation module registers its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations.context import Ctx

ActionFn = Callable[[Ctx, str], Awaitable[None]]
ACTIONS: dict[str, ActionFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    """Register a button's coroutine. Pressed before the runner has a plan (an old button
    after /delete), a button that needs one points to /start instead; ``fn`` is returned
    unchanged for direct calls."""

    def register(fn: ActionFn) -> ActionFn:
        async def run(ctx: Ctx, argument: str) -> None:
            from conversations import newcomer

            if not await newcomer.button_needs_a_plan(ctx, name):
                await fn(ctx, argument)

        run.__name__ = getattr(fn, "__name__", name)
        ACTIONS[name] = run
        return fn

    return register


def data(name: str, argument: str = "") -> str:
    return f"a|{name}|{argument}"


Command = Callable[[Ctx], Awaitable[None]]
# Commands each conversation module contributes: name -> coroutine(ctx). Order = menu order.
COMMAND_ACTIONS: dict[str, Command] = {}


def command(*names: str) -> Callable[[Command], Command]:
    """Register ``fn`` for these commands. Sent before the runner has a plan, a command that
    needs one points to /start instead (conversations/newcomer.py); ``fn`` itself is
    returned unchanged for direct calls."""

    def register(fn: Command) -> Command:
        for name in names:
            COMMAND_ACTIONS[name] = _unless_no_plan(name, fn)
        return fn

    return register


def _unless_no_plan(name: str, fn: Command) -> Command:
    async def run(ctx: Ctx) -> None:
        from conversations import newcomer

        if not await newcomer.command_needs_a_plan(ctx, name):
            await fn(ctx)

    run.__name__ = getattr(fn, "__name__", name)
    run.__doc__ = fn.__doc__
    return run
