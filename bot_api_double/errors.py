"""The Bot API's error replies: :class:`ApiError` becomes an ``{"ok": false}`` answer, and
:class:`Drop` breaks the connection with none."""

from __future__ import annotations

from typing import Any

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """Raised inside method handlers; becomes an ``{"ok": false}`` reply."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Drop(Exception):
    """The connection breaks before any answer (``hang``: after waiting a while)."""

    def __init__(self, hang: bool = False) -> None:
        super().__init__()
        self.hang = hang
