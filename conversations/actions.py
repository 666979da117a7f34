"""The registry of commands and of buttons that are not answers to a step (language choice,
the daily prompt's buttons, confirmations). Each conversation module registers its own;
``conversations/router.py`` runs them (and points a chat with no plan yet to /start first).

A button's callback data is ``a|<name>|<argument>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations.context import Ctx

ActionFn = Callable[[Ctx, str], Awaitable[None]]
ACTIONS: dict[str, ActionFn] = {}

Command = Callable[[Ctx], Awaitable[None]]
# Commands each conversation module contributes: name -> coroutine(ctx).
COMMAND_ACTIONS: dict[str, Command] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    """Register a button's coroutine; ``fn`` is returned unchanged for direct calls."""

    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[name] = fn
        return fn

    return register


def data(name: str, argument: str = "") -> str:
    return f"a|{name}|{argument}"


def command(*names: str) -> Callable[[Command], Command]:
    """Register ``fn`` for these commands; ``fn`` is returned unchanged for direct calls."""

    def register(fn: Command) -> Command:
        for name in names:
            COMMAND_ACTIONS[name] = fn
        return fn

    return register
