"""Imports every conversation module so that their flows, commands and buttons register."""

from conversations import (  # noqa: F401
    basics,
    checkin,
    morning,
    reassess,
    settings,
    start,
    today,
)

from conversations import delete, export, progress  # noqa: F401  # isort: skip
