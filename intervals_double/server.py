"""The intervals.icu double's server and state (see the package docstring)."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

CLIENT_ID, CLIENT_SECRET = "runcoach-test", "double-secret"
STRAVA_NOTE = "STRAVA activities are not available via the API"


@dataclass
class Athlete:
    id: str
    name: str
    api_key: str
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Token:
    athlete: str
    expires_at: float
    refresh: str


class IntervalsDouble:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, token_ttl: float = 3600) -> None:
        self.host, self.port = host, port
        self.token_ttl = token_ttl
        self.athletes: dict[str, Athlete] = {}
        self.signed_in: str | None = None  # who approves at the authorize page
        self.codes: dict[str, tuple[str, str, float]] = {}  # code -> athlete, redirect, when
        self.tokens: dict[str, Token] = {}  # access token -> its grant
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> athlete
        self.revoked: list[str] = []
        self.log: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self._faults: list[tuple[int, float | None]] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------ the control side
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_athlete(self, name: str) -> Athlete:
        athlete = Athlete(f"i{next(self._ids) + 1000}", name, secrets.token_hex(8))
        self.athletes[athlete.id] = athlete
        self.signed_in = self.signed_in or athlete.id
        return athlete

    def add_activity(
        self,
        athlete: Athlete,
        start: datetime,
        data: bytes | None,
        *,
        kind: str = "Run",
        source: str = "GARMIN_CONNECT",
        name: str = "Morning Run",
    ) -> str:
        activity_id = f"i{next(self._ids) + 50000}"
        local = start.replace(tzinfo=None).isoformat(timespec="seconds")
        if source == "STRAVA":  # listed, but intervals.icu does not pass it on
            row = {"id": activity_id, "start_date_local": local, "type": kind,
                   "source": source, "_note": STRAVA_NOTE}
        else:
            row = {"id": activity_id, "start_date_local": local, "type": kind,
                   "source": source, "name": name}
            athlete.files[activity_id] = data or b""
        athlete.activities[activity_id] = row
        return activity_id

    def expire_tokens(self) -> None:
        """Every access token given so far has expired (their refresh tokens still work)."""
        for token in self.tokens.values():
            token.expires_at = 0.0

    def fail_next(self, count: int, status: int = 429, retry_after: float | None = 0.01) -> None:
        """The next ``count`` API requests are answered ``status`` (a 429 with Retry-After)."""
        self._faults += [(status, retry_after)] * count

    def answered(self, status: int) -> int:
        return sum(1 for _m, _p, s in self.log if s == status)

    # ------------------------------------------------------------ serving
    async def __aenter__(self) -> IntervalsDouble:
        app = web.Application(middlewares=[self._logged])
        app.router.add_get("/oauth/authorize", self._authorize)
        app.router.add_post("/api/oauth/token", self._token)
        app.router.add_post("/api/oauth/revoke", self._revoke)
        app.router.add_get("/api/v1/athlete/{id}", self._athlete)
        app.router.add_get("/api/v1/athlete/{id}/activities", self._activities)
        app.router.add_get("/api/v1/activity/{aid}/file", self._file)
        app.router.add_post("/api/v1/athlete/{id}/events", self._create_event)
        app.router.add_put("/api/v1/athlete/{id}/events/{eid}", self._update_event)
        app.router.add_delete("/api/v1/athlete/{id}/events/{eid}", self._delete_event)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _logged(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/api/v1/") and self._faults:
            status, retry_after = self._faults.pop(0)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            response: web.StreamResponse = web.json_response(
                {"error": "injected"}, status=status, headers=headers
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = exc
        self.log.append((request.method, request.path, response.status))
        if isinstance(response, web.HTTPException):
            raise response
        return response

    # ------------------------------------------------------------ OAuth
    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("client_id") != CLIENT_ID or not q.get("redirect_uri"):
            raise web.HTTPBadRequest(text="unknown application")
        if self.signed_in is None:
            raise web.HTTPFound(f"{q['redirect_uri']}?{urlencode({'error': 'access_denied'})}")
        code = secrets.token_hex(8)
        self.codes[code] = (self.signed_in, q["redirect_uri"], time.monotonic())
        query = urlencode({"code": code, "state": q.get("state", "")})
        raise web.HTTPFound(f"{q['redirect_uri']}?{query}")

    def _grant(self, athlete_id: str) -> dict[str, Any]:
        access, refresh = secrets.token_hex(12), secrets.token_hex(12)
        self.tokens[access] = Token(athlete_id, time.time() + self.token_ttl, refresh)
        self.refresh_tokens[refresh] = athlete_id
        athlete = self.athletes[athlete_id]
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.token_ttl),
            "scope": "ACTIVITY:READ,CALENDAR:WRITE",
            "athlete": {"id": athlete.id, "name": athlete.name},
        }

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = form.get("grant_type", "authorization_code")
        if grant == "refresh_token":
            athlete_id = self.refresh_tokens.pop(str(form.get("refresh_token", "")), None)
            if athlete_id is None:
                return web.json_response({"error": "invalid_grant"}, status=400)
            # the old access tokens of that grant go with it
            for access, token in list(self.tokens.items()):
                if token.refresh == form.get("refresh_token"):
                    del self.tokens[access]
            return web.json_response(self._grant(athlete_id))
        found = self.codes.pop(str(form.get("code", "")), None)
        if found is None or time.monotonic() - found[2] > 120:
            return web.json_response({"error": "invalid_grant"}, status=400)
        return web.json_response(self._grant(found[0]))

    async def _revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = self.tokens.pop(str(form.get("token", "")), None)
        if token is not None:
            self.refresh_tokens.pop(token.refresh, None)
            self.revoked.append(str(form.get("token")))
        return web.Response(status=200)

    # ------------------------------------------------------------ the API
    def _who(self, request: web.Request) -> Athlete:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = self.tokens.get(header[7:])
            if token is None or token.expires_at < time.time():
                raise web.HTTPUnauthorized(text="token expired or unknown")
            return self.athletes[token.athlete]
        if header.startswith("Basic "):
            user, _, key = base64.b64decode(header[6:]).decode().partition(":")
            for athlete in self.athletes.values():
                if user == "API_KEY" and secrets.compare_digest(key, athlete.api_key):
                    return athlete
        raise web.HTTPUnauthorized(text="no credentials")

    def _owner(self, request: web.Request) -> Athlete:
        athlete = self._who(request)
        if request.match_info.get("id") not in (athlete.id, "0", None):
            raise web.HTTPForbidden(text="another athlete")
        return athlete

    async def _athlete(self, request: web.Request) -> web.Response:
        athlete = self._owner(request)
        return web.json_response({"id": athlete.id, "name": athlete.name})

    async def _activities(self, request: web.Request) -> web.Response:
        athlete = self._owner(request)
        oldest = date.fromisoformat(request.query["oldest"][:10])
        newest = date.fromisoformat(request.query.get("newest", "9999-12-31")[:10])
        rows = [
            a for a in athlete.activities.values()
            if oldest <= date.fromisoformat(a["start_date_local"][:10]) <= newest
        ]
        return web.json_response(sorted(rows, key=lambda a: a["start_date_local"], reverse=True))

    async def _file(self, request: web.Request) -> web.Response:
        athlete = self._who(request)
        aid = request.match_info["aid"]
        if aid not in athlete.activities:
            raise web.HTTPNotFound(text="no such activity")
        if aid not in athlete.files:
            return web.json_response({"error": STRAVA_NOTE}, status=422)
        return web.Response(body=athlete.files[aid], content_type="application/octet-stream")

    async def _create_event(self, request: web.Request) -> web.Response:
        athlete = self._owner(request)
        event = dict(await request.json())
        if event.get("category") != "WORKOUT" or not event.get("start_date_local"):
            raise web.HTTPUnprocessableEntity(text="category and start_date_local needed")
        event["id"] = next(self._ids) + 90000
        athlete.events[str(event["id"])] = event
        return web.json_response(event)

    async def _update_event(self, request: web.Request) -> web.Response:
        athlete = self._owner(request)
        eid = request.match_info["eid"]
        if eid not in athlete.events:
            raise web.HTTPNotFound(text="no such event")
        athlete.events[eid] = {**athlete.events[eid], **dict(await request.json()), "id": int(eid)}
        return web.json_response(athlete.events[eid])

    async def _delete_event(self, request: web.Request) -> web.Response:
        athlete = self._owner(request)
        if athlete.events.pop(request.match_info["eid"], None) is None:
            raise web.HTTPNotFound(text="no such event")
        return web.json_response({"id": request.match_info["eid"]})
