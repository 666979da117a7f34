"""The care team's Mini App (a Telegram Web App): a member's runners at a glance, one
runner's chart, decisions and reassessments, and the acts of /patients. Served by the bot's
own aiohttp server (bot/webhook.py, or bot/health.py's port in polling mode); docs/care-team.md.
"""
