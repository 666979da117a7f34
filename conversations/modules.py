"""Imports every conversation module so that their flows, commands and buttons register."""

from conversations import (  # noqa: F401
    basics,
    careteam,
    checkin,
    delete,
    export,
    morning,
    patients,
    progress,
    reassess,
    referral,
    settings,
    start,
    today,
)
