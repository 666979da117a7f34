"""Buttons that are not answers to a step (language choice, daily-prompt buttons, confirmations).

Their callback data is ``a|<name>|<argument>``; each conversation module registers its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations.context import Ctx

ActionFn = Callable[[Ctx, str], Awaitable[None]]
ACTIONS: dict[str, ActionFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name] = fn
        return fn

    return register


def data(name: str, argument: str = "") -> str:
    return f"a|{name}|{argument}"


Command = Callable[[Ctx], Awaitable[None]]
# Commands each conversation module contributes: name -> coroutine(ctx). Order = menu order.
COMMAND_ACTIONS: dict[str, Command] = {}


def command(*names: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        for name in names:
            COMMAND_ACTIONS[name] = fn
        return fn

    return register
