"""The sandbox's ASGI layers around the routes: request ids, the bearer token, dropped
connections. Pure ASGI (no per-request ``Request`` objects), since they see every request.

From the outside in (see :class:`tote_track.sandbox.app.SandboxApp`):

1. :class:`DropGuard` carries out an injected dropped connection.
2. :class:`JsonLines` ends every JSON reply with a newline (``curl`` output ends its line).
3. :class:`RequestIds` gives every request an id: the ``X-Request-Id`` header of every
   response (500s included) and the ``request_id`` of every error body.
4. :class:`tote_track.sandbox.journal.JournalLayer` records every request.
5. :class:`BodyLimit` answers 413 to a body over 1 MiB before it is read.
6. FastAPI's error middleware (unexpected exceptions become 500 ``internal``).
7. :class:`BearerAuth` answers 401 ``unauthorized`` without the right bearer token.
8. :class:`tote_track.sandbox.routes.HotReads` serves the two hot reads before routing.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tote_track.sandbox.errors import error_response
from tote_track.sandbox.faults import InjectedDrop

__all__ = ["MAX_BODY_BYTES", "BearerAuth", "BodyLimit", "DropGuard", "JsonLines", "RequestIds"]

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body the sandbox takes (its biggest real one, an order with many
items, is a few KB)."""


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


class JsonLines:
    """Every JSON reply ends with a newline, as a text file's last line does: ``curl`` then
    leaves the shell prompt on a line of its own. ``Content-Length`` counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        is_json = False

        async def send_with_newline(message: Message) -> None:
            nonlocal is_json
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                is_json = message["status"] not in (204, 304) and any(
                    name.lower() == b"content-type" and value.startswith(b"application/json")
                    for name, value in headers
                )
                if is_json:
                    message["headers"] = [
                        (name, str(int(value) + 1).encode())
                        if name.lower() == b"content-length"
                        else (name, value)
                        for name, value in headers
                    ]
            elif (
                message["type"] == "http.response.body"
                and is_json
                and not message.get("more_body", False)
            ):
                message["body"] = message.get("body", b"") + b"\n"
            await send(message)

        await self.app(scope, receive, send_with_newline)


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


class BodyLimit:
    """413 ``invalid_request`` for a body over ``limit`` bytes, before it is read.

    A ``Content-Length`` over the limit is answered at once, without reading a byte of the
    body. A body without one (``Transfer-Encoding: chunked``) is read here, up to the
    limit, and answered 413 as soon as it passes it; one within the limit is handed on
    whole. So no request makes the sandbox hold more than ``limit`` bytes of body.
    """

    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths = [value for name, value in scope["headers"] if name == b"content-length"]
        if lengths:  # the server has refused a malformed or repeated one already
            if lengths[0].strip().isdigit() and int(lengths[0]) > self.limit:
                await self._refuse(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        mib, rest = divmod(self.limit, 1024 * 1024)
        limit = f"{self.limit:,} bytes" if rest or not mib else f"{mib} MiB"
        message = f"The request body is larger than {limit}, the most the sandbox accepts."
        # Connection: close, since the rest of the body is never read.
        response = error_response(scope, 413, "invalid_request", message, {"Connection": "close"})
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` whole, then passes on to the server's own (which
    says when the client goes away)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


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
