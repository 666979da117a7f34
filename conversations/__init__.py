"""conversations/: one module per conversation, with its keyboards; handlers stay thin."""

from conversations.context import Ctx, Out, Services

__all__ = ["Ctx", "Out", "Services"]
