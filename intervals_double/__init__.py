"""A loopback intervals.icu double (aiohttp on 127.0.0.1), beside the Bot API double: the
OAuth authorize page (the signed-in athlete approves at once) and token endpoint (codes
single-use, refresh tokens rotated, tokens that expire), a personal API key, activities with
their original files (and the Strava stubs intervals.icu lists but will not pass on),
calendar events, revocation, and injected 429s. Imports nothing of runcoach.

    async with IntervalsDouble() as icu:
        athlete = icu.add_athlete("Ana")
        icu.add_activity(athlete, start, fit_bytes)
"""

from intervals_double.server import Athlete, IntervalsDouble

__all__ = ["Athlete", "IntervalsDouble"]
