"""The sandbox's ASGI layers around the routes: request ids, the bearer token, dropped
connections. Pure ASGI (no per-request ``Request`` objects), since they see every request.

From the outside in (see :class:`tote_track.sandbox.app.SandboxApp`):

1. :class:`DropGuard` carries out an injected dropped connection.
2. :class:`RequestIds` gives every request an id: the ``X-Request-Id`` header of every
   response (500s included) and the ``request_id`` of every error body.
3. :class:`tote_track.sandbox.journal.JournalLayer` records every request.
4. FastAPI's error middleware (unexpected exceptions become 500 ``internal``).
5. :class:`BearerAuth` answers 401 ``unauthorized`` without the right bearer token.
6. :class:`tote_track.sandbox.routes.HotReads` serves the two hot reads before routing.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tote_track.sandbox.errors import error_response
from tote_track.sandbox.faults import InjectedDrop

__all__ = ["BearerAuth", "DropGuard", "RequestIds"]


class DropGuard:
    """Turns an injected dropped connection into a closed socket (under uvicorn) or
    ``httpx.RemoteProtocolError`` (in-process, through ``httpx.ASGITransport``): in both
    cases the client sees a transport error and no response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except InjectedDrop:
            # uvicorn's receive is a bound method of the request cycle, which holds the
            # connection's transport: close it, so the client sees the connection end
            # without a response. Elsewhere (in-process) raise what httpx raises then.
            cycle = getattr(receive, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response."
                ) from None
            transport.close()
            for _ in range(10):  # let the server see the disconnection before returning
                if getattr(cycle, "disconnected", True):
                    break
                await asyncio.sleep(0)


class RequestIds:
    """``req_<32 hex>`` in ``scope["state"]["request_id"]`` and in ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BearerAuth:
    """``Authorization: Bearer TOKEN`` on every request but the public ``public_paths``
    (the OpenAPI document, which holds no data). The scheme is case-insensitive, the
    token is not; it is compared in constant time and never echoed."""

    def __init__(self, app: ASGIApp, *, token: str, public_paths: frozenset[str]) -> None:
        self.app = app
        self._expected = f"bearer {token}".encode()
        self._public = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self._public:
            problem = self._problem(scope)
            if problem is not None:
                response = error_response(
                    scope, 401, "unauthorized", problem, {"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> str | None:
        values = [v for k, v in scope["headers"] if k == b"authorization"]
        if not values:
            return "Authentication required: send the header 'Authorization: Bearer <token>'."
        value = values[0].strip()
        if value.lower() == b"bearer":
            return "The Authorization header has no token after 'Bearer'."
        if value[:7].lower() != b"bearer ":
            return "The Authorization header must use the Bearer scheme: 'Bearer <token>'."
        given = b"bearer " + value[7:].strip()
        if len(values) > 1 or not hmac.compare_digest(given, self._expected):
            return "The bearer token is not valid for this server."
        return None
