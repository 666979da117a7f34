"""PTB's HTTP layer on aiohttp instead of httpx.

Every reply, edit and prompt is one Bot API request. With PTB's default ``HTTPXRequest`` a
request cost about 1.2 ms of CPU on loopback against 0.16 ms with aiohttp's client (3,000
form posts, ten at a time, server included; httpx goes through anyio, and httpcore walks its
whole pool on each request), and a check-in step makes two requests: a quarter of the step
(docs/performance.md). aiohttp is already here (the webhook server, the Mini App).

What "delivered or not" means to bot/delivery.py is kept: a connection that was never made
(refused, connect timeout, no free connection in the pool) raises with the aiohttp error as
the cause, listed in :data:`NOT_SENT`; a timeout or a broken connection after the request
went out is a ``TimedOut`` / ``NetworkError`` whose cause is not.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# raised before the request reached the server: safe to send again
NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` on one ``aiohttp.ClientSession``; the timeouts
    and the pool size mean what they mean for PTB's ``HTTPXRequest`` (the write timeout has
    no aiohttp equivalent: a write that stalls ends with the read timeout)."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=None),
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(
        self, read: ODVInput[float], connect: ODVInput[float], pool: ODVInput[float]
    ) -> aiohttp.ClientTimeout:
        read_s = self._read_timeout if isinstance(read, DefaultValue) else read
        connect_s = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool_s = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        # aiohttp's ``connect`` covers waiting for a pooled connection and making one
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        return aiohttp.ClientTimeout(
            total=None, connect=waiting, sock_connect=connect_s, sock_read=read_s
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        body: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            fields = request_data.json_parameters
            if files:
                form = aiohttp.FormData()
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = fields
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                timeout=self._timeout(read_timeout, connect_timeout, pool_timeout),
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut("Timed out before the request was sent") from err
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
