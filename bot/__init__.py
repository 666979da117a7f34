"""bot/: wiring only — the application factory, the command line, the scheduler tick, delivery."""
