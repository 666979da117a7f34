# runcoach: the production image (webhook mode behind a TLS proxy, PostgreSQL).
# Build: docker build -t runcoach .     Run: see compose.yaml and README "Production".
# Pinned by digest (the tag's multi-platform index): a rebuilt tag cannot change what we
# build on. To move to a newer base: docker buildx imagetools inspect <image:tag>
# (docs/operations.md, "The image").
FROM python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
# Exactly the locked dependencies, each checked against its hash (requirements.lock); then
# runcoach itself, built with the locked setuptools and nothing resolved on the way.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY conversations ./conversations
COPY storage ./storage
COPY locales ./locales
COPY progression ./progression
COPY reports ./reports
COPY activities ./activities
COPY bot_api_double ./bot_api_double
COPY intervals ./intervals
COPY intervals_double ./intervals_double
COPY sync ./sync
COPY miniapp ./miniapp
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin runcoach
COPY --chmod=755 docker/entrypoint.sh /usr/local/bin/runcoach-entrypoint

# Never root. The database is PostgreSQL (DATABASE_URL), so nothing is written here.
USER runcoach

ENV PORT=8080 \
    LOG_FORMAT=json
EXPOSE 8080
# /healthz on PORT (webhook mode) or HEALTH_PORT (polling mode)
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["runcoach", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["runcoach-entrypoint"]
