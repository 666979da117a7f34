"""Imports every conversation module so that their flows, commands and buttons register."""

from conversations import basics, start  # noqa: F401
