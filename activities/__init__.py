"""Run recordings from a watch or phone (FIT, GPX, TCX): bytes in, a summary out. Pure: no
Telegram, no database, no clock (docs/watch-import.md)."""
