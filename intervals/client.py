"""The intervals.icu HTTP client (aiohttp, already runcoach's server and the double's).

Endpoints, as intervals.icu documents them (docs/watch-import.md says where we are unsure):

* OAuth: the runner is sent to ``/oauth/authorize?client_id&redirect_uri&scope&state``; the
  code comes back to runcoach's redirect and is exchanged at ``POST /api/oauth/token``
  (form data) for a bearer token and the athlete's id and name. A refresh token and
  ``expires_in``, when given, are kept and used (``grant_type=refresh_token``).
* A personal API key: HTTP basic auth, user ``API_KEY``.
* ``GET /api/v1/athlete/{id}/activities?oldest=&newest=``: the activities of those days;
  ``GET /api/v1/activity/{id}/file``: the original file (FIT, GPX, TCX; maybe gzipped).
* ``POST /api/v1/athlete/{id}/events``, ``PUT``/``DELETE …/events/{event id}``: the
  calendar.

A 429 is waited out (``Retry-After``, else an exponential back-off) and retried; a 401 on an
OAuth token refreshes it once (the new tokens are handed to ``on_refresh`` at once, before
the request is retried, so a rotated refresh token is never lost) and retries; a token near
its expiry is refreshed before use. Tokens never reach a log line.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from intervals.config import SCOPES, IntervalsConfig

log = logging.getLogger(__name__)

OAUTH, KEY = "oauth", "key"
EARLY = timedelta(minutes=5)  # refresh a token this long before it expires
MAX_429 = 6  # waits for one request before the service counts as unavailable
MAX_ERRORS = 3  # 5xx and connection errors


class Denied(Exception):
    """The account no longer lets runcoach in (a revoked grant, a wrong key)."""


class Unavailable(Exception):
    """intervals.icu did not answer usefully after the retries (rate limit, outage)."""


@dataclass(frozen=True)
class Credentials:
    owner: int  # the runner's id (for ``on_refresh``)
    athlete_id: str
    method: str  # oauth | key
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never the tokens
        return f"Credentials(owner={self.owner}, athlete_id={self.athlete_id!r})"


OnRefresh = Callable[[Credentials], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


class Client:
    def __init__(
        self,
        config: IntervalsConfig,
        *,
        on_refresh: OnRefresh | None = None,
        clock: Callable[[], datetime] = _now,
        backoff: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.on_refresh = on_refresh
        self.clock = clock
        self.backoff = backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.waited_429 = 0  # requests answered 429 and retried (bench, tests)
        self.refreshes = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # ------------------------------------------------------------ OAuth
    def authorize_url(self, state: str) -> str:
        query = urlencode({
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_url,
            "scope": SCOPES,
            "state": state,
        })
        return f"{self.config.api_url}/oauth/authorize?{query}"

    async def _token(self, owner: int, form: dict[str, str]) -> tuple[Credentials, str]:
        form = {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            **form,
        }
        url = f"{self.config.api_url}/api/oauth/token"
        for attempt in range(MAX_429):
            try:
                async with self._http().post(url, data=form) as response:
                    if response.status == 429:
                        await self._wait(response, attempt)
                        continue
                    if response.status in (400, 401, 403):
                        raise Denied(f"token endpoint answered {response.status}")
                    if response.status >= 300:
                        raise Unavailable(f"token endpoint answered {response.status}")
                    body = await response.json()
            except aiohttp.ClientError as exc:
                raise Unavailable(type(exc).__name__) from exc
            athlete = body.get("athlete") or {}
            expires_in = body.get("expires_in")
            creds = Credentials(
                owner=owner,
                athlete_id=str(athlete.get("id") or ""),
                method=OAUTH,
                access_token=str(body["access_token"]),
                refresh_token=body.get("refresh_token") or form.get("refresh_token"),
                expires_at=(
                    self.clock() + timedelta(seconds=float(expires_in)) if expires_in else None
                ),
            )
            return creds, str(athlete.get("name") or "")
        raise Unavailable("rate limited")

    async def exchange(self, owner: int, code: str) -> tuple[Credentials, str]:
        """The code the redirect brought → the runner's credentials and athlete name."""
        return await self._token(owner, {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_url,
        })

    async def refresh(self, creds: Credentials) -> Credentials:
        if creds.method != OAUTH or not creds.refresh_token:
            raise Denied("the token expired and cannot be refreshed")
        fresh, _ = await self._token(creds.owner, {
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
        })
        fresh = replace(fresh, athlete_id=fresh.athlete_id or creds.athlete_id)
        self.refreshes += 1
        if self.on_refresh is not None:
            await self.on_refresh(fresh)
        return fresh

    async def revoke(self, creds: Credentials) -> None:
        """Give the token back (RFC 7009 style; best effort, see docs/watch-import.md)."""
        if creds.method != OAUTH:
            return  # a personal key is the runner's own: only they can change it
        url = f"{self.config.api_url}/api/oauth/revoke"
        form = {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "token": creds.access_token,
        }
        try:
            async with self._http().post(url, data=form) as response:
                if response.status >= 300 and response.status != 404:
                    log.info("intervals.icu: revocation answered %s", response.status)
        except aiohttp.ClientError as exc:
            log.info("intervals.icu: revocation failed (%s)", type(exc).__name__)

    # ------------------------------------------------------------ the API
    async def _wait(self, response: aiohttp.ClientResponse, attempt: int) -> None:
        self.waited_429 += 1
        raw = response.headers.get("Retry-After", "")
        delay = float(raw) if raw.replace(".", "", 1).isdigit() else self.backoff * 2**attempt
        await asyncio.sleep(min(delay, 60.0))

    def _auth(self, creds: Credentials) -> dict[str, Any]:
        if creds.method == KEY:  # basic auth, user API_KEY
            basic = base64.b64encode(f"API_KEY:{creds.access_token}".encode()).decode()
            return {"headers": {"Authorization": f"Basic {basic}"}}
        return {"headers": {"Authorization": f"Bearer {creds.access_token}"}}

    async def request(
        self, creds: Credentials, method: str, path: str, **kwargs: Any
    ) -> tuple[Credentials, Any]:
        """One API call: (the credentials now in force, the JSON or bytes answered)."""
        if (
            creds.method == OAUTH
            and creds.refresh_token
            and creds.expires_at is not None
            and creds.expires_at - self.clock() < EARLY
        ):
            creds = await self.refresh(creds)
        refreshed = errors = waits = 0
        url = f"{self.config.api_url}{path}"
        while True:
            try:
                async with self._http().request(
                    method, url, **self._auth(creds), **kwargs
                ) as response:
                    if response.status == 429 and waits < MAX_429:
                        await self._wait(response, waits)
                        waits += 1
                        continue
                    if response.status == 401 and creds.method == OAUTH and not refreshed:
                        refreshed += 1
                        creds = await self.refresh(creds)
                        continue
                    if response.status in (401, 403):
                        raise Denied(f"{method} {path.split('/')[3]}: {response.status}")
                    if response.status == 404 and method == "DELETE":
                        return creds, None  # gone already
                    if response.status >= 500 and errors < MAX_ERRORS:
                        errors += 1
                        await asyncio.sleep(self.backoff * 2**errors)
                        continue
                    if response.status >= 300:
                        raise Unavailable(f"{method} answered {response.status}")
                    if response.content_type == "application/json":
                        return creds, await response.json()
                    return creds, await response.read()
            except aiohttp.ClientError as exc:
                errors += 1
                if errors > MAX_ERRORS:
                    raise Unavailable(type(exc).__name__) from exc
                await asyncio.sleep(self.backoff * 2**errors)

    async def athlete(self, creds: Credentials) -> tuple[Credentials, dict[str, Any]]:
        creds, body = await self.request(creds, "GET", f"/api/v1/athlete/{creds.athlete_id}")
        return creds, body if isinstance(body, dict) else {}

    async def activities(
        self, creds: Credentials, oldest: date, newest: date
    ) -> tuple[Credentials, list[dict[str, Any]]]:
        creds, body = await self.request(
            creds,
            "GET",
            f"/api/v1/athlete/{creds.athlete_id}/activities",
            params={"oldest": oldest.isoformat(), "newest": newest.isoformat()},
        )
        return creds, [a for a in body or () if isinstance(a, dict)]

    async def file(self, creds: Credentials, activity_id: str) -> tuple[Credentials, bytes]:
        creds, body = await self.request(creds, "GET", f"/api/v1/activity/{activity_id}/file")
        return creds, body if isinstance(body, bytes) else b""

    async def create_event(
        self, creds: Credentials, event: dict[str, Any]
    ) -> tuple[Credentials, str]:
        creds, body = await self.request(
            creds, "POST", f"/api/v1/athlete/{creds.athlete_id}/events", json=event
        )
        return creds, str((body or {}).get("id", ""))

    async def update_event(
        self, creds: Credentials, event_id: str, event: dict[str, Any]
    ) -> Credentials:
        creds, _ = await self.request(
            creds, "PUT", f"/api/v1/athlete/{creds.athlete_id}/events/{event_id}", json=event
        )
        return creds

    async def delete_event(self, creds: Credentials, event_id: str) -> Credentials:
        creds, _ = await self.request(
            creds, "DELETE", f"/api/v1/athlete/{creds.athlete_id}/events/{event_id}"
        )
        return creds
