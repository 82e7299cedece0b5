"""The request journal: every request the sandbox answered, the last 10,000.

``GET /sandbox/requests[?order_id=ID]`` lists them oldest first, ``DELETE`` clears them.
An entry holds when the request arrived, its method and path (never its headers or query;
the server's token is redacted should a client paste it into a path), the status answered
(``None`` when the connection was dropped without an answer), the order id the path
names, the request id, how long the answer took, the ``Retry-After`` it carried, and for
an order read, the polling stage (:func:`tote_track.tracking.polling.scenario_for`) of
the order it returned.

:class:`JournalLayer` writes it: a pure ASGI layer just inside
:class:`~tote_track.sandbox.middleware.RequestIds`, so 401s, injected faults and 500s are
recorded too. The route that served an order says which one in ``scope["state"]["order"]``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tote_track.api.errors import redact
from tote_track.tracking.polling import scenario_for

__all__ = ["JOURNAL_LIMIT", "Entry", "Journal", "JournalLayer", "order_id_in"]

JOURNAL_LIMIT = 10_000
"""Entries kept; the oldest goes when a new one comes."""

_ORDER_IN_PATH = re.compile(
    r"/orders/([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})(?:/|$)"
)
FINAL = "final"
"""The stage of an order read whose order polling stops at (a final status)."""


def order_id_in(path: str) -> str | None:
    """The order id a request path names (``/orders/{id}...``), lower-cased."""
    found = _ORDER_IN_PATH.search(path)
    return found.group(1).lower() if found is not None else None


class Entry(NamedTuple):
    """One request as the sandbox answered it (a tuple: cheap to make on every request)."""

    at: datetime
    method: str
    path: str
    status: int | None
    request_id: str | None
    duration: float
    """Seconds from the request's arrival to the end of its answer."""
    retry_after: float | None = None
    stage: str | None = None
    """For a read of one order answered 200: its polling stage, or ``final``."""

    @property
    def order_id(self) -> str | None:
        """The order the path names (worked out when asked, not on every request)."""
        return order_id_in(self.path)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "order_id": self.order_id,
            "request_id": self.request_id,
            "duration_ms": round(self.duration * 1000, 1),
            "retry_after": self.retry_after,
            "stage": self.stage,
        }


class Journal:
    """The last ``limit`` entries, oldest first (a bounded deque)."""

    def __init__(self, limit: int = JOURNAL_LIMIT) -> None:
        self._entries: deque[Entry] = deque(maxlen=limit)

    @property
    def limit(self) -> int | None:
        return self._entries.maxlen

    def record(self, entry: Entry) -> None:
        self._entries.append(entry)

    def entries(self, order_id: str | None = None) -> list[Entry]:
        """Every entry, or those of one order, oldest first."""
        if order_id is None:
            return list(self._entries)
        wanted = order_id.lower()
        return [entry for entry in tuple(self._entries) if entry.order_id == wanted]

    def clear(self) -> int:
        """Forget every entry; returns how many there were."""
        count = len(self._entries)
        self._entries.clear()
        return count


def _retry_after(headers: Any) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _stage(state: Any) -> str | None:
    order = state.get("order") if isinstance(state, dict) else None
    if order is None:
        return None
    scenario = scenario_for(order)
    return FINAL if scenario is None else scenario.value


class JournalLayer:
    """Records every HTTP request in ``journal`` once it is answered (or dropped)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        clock: Callable[[], datetime],
        timer: Callable[[], float],
        secret: str | None = None,
    ) -> None:
        self.app = app
        self._secret = secret
        self._journal = journal
        self._clock = clock
        self._timer = timer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = self._clock()
        started = self._timer()
        answer: dict[str, Any] = {}

        async def send_noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                if message["status"] >= 400:
                    answer["retry_after"] = _retry_after(message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, send_noting)
        finally:
            state = scope.get("state")
            status = answer.get("status")
            path: str = scope["path"]
            if self._secret and self._secret in path:  # a token pasted into a URL
                path = redact(path, self._secret)
            self._journal.record(
                Entry(
                    at,
                    scope["method"],
                    path,
                    status,
                    state.get("request_id") if isinstance(state, dict) else None,
                    max(self._timer() - started, 0.0),
                    answer.get("retry_after"),
                    _stage(state) if status == 200 else None,
                )
            )
