"""intervals.icu in motion (issue 29): the poller (runs in, the calendar out, revocations)
and the OAuth redirect on runcoach's own web server. Sits between bot/ (which wires it:
``sync.web.add_routes`` and ``sync.job.install``) and conversations/ (what the runner is
told), storage/ and intervals/ (the HTTP client); nothing but bot/ imports it."""
