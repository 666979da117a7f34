"""storage/ owns every SQL statement: models, migrations and the queries the bot runs."""

from storage.db import Database, create_engine, normalize_url

__all__ = ["Database", "create_engine", "normalize_url"]
