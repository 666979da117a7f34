#!/bin/sh
# The container's entrypoint: bring the schema up to date, then run the bot in its place
# (exec: it gets SIGTERM from `docker stop` directly and stops gracefully within 10 s).
# Several replicas starting together migrate one after the other (an advisory lock).
set -e
runcoach migrate
exec runcoach run "$@"
