"""intervals.icu: the configuration, a pure mapper from a prescribed session to a planned
workout, and an HTTP client (OAuth, activities, original files, calendar events) with
back-off on 429 and a token refresh on 401. Imports only progression's types."""

from intervals.client import Client, Credentials, Denied, Unavailable
from intervals.config import IntervalsConfig, load_config
from intervals.workout import workout

__all__ = [
    "Client",
    "Credentials",
    "Denied",
    "IntervalsConfig",
    "Unavailable",
    "load_config",
    "workout",
]
