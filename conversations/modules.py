"""Imports every conversation module so that their flows, commands and buttons register."""

from conversations import (  # noqa: F401
    basics,
    checkin,
    delete,
    export,
    morning,
    progress,
    reassess,
    referral,
    settings,
    start,
    today,
)
