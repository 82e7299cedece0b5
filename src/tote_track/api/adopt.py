"""The client's first connection, taken over from :class:`~tote_track.api.warm.WarmConnection`.

httpcore asks its network backend for every new connection. :class:`AdoptingBackend` answers
the first one to the API with the connection opened ahead (waiting for it, within the
connect timeout, if its handshakes are still under way), and every other one, or that one
when it failed or went stale, as httpcore's own backend does. Past the connection, the
request is httpx's as ever: the TLS step is a no-op on a connection already secured with the
client's own context, and httpcore's trace still marks it.

The adopted socket is read and written without blocking, waking on the event loop's
``add_reader``/``add_writer``; its errors and timeouts are httpcore's own exceptions, which
httpx maps as for any connection.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from tote_track.api.warm import WarmConnection

__all__ = ["LIMITS", "AdoptedStream", "AdoptingBackend", "adopting_transport"]

_SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
"""httpx's default limits, given to its transport and to the pool made again for it."""


def adopting_transport(
    warm: WarmConnection, *, verify: ssl.SSLContext, trust_env: bool
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, whose pool takes its first connection to the API from ``warm``.

    httpx does not pass a network backend through; its pool is made again here, with the
    arguments it gets by default, plus the backend (the one attribute httpx keeps it in).
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=trust_env, limits=LIMITS)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=verify,
        max_connections=LIMITS.max_connections,
        max_keepalive_connections=LIMITS.max_keepalive_connections,
        keepalive_expiry=LIMITS.keepalive_expiry,
        network_backend=AdoptingBackend(warm),
    )
    return transport


class AdoptingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, but for the first connection to the API (see the module
    docstring)."""

    def __init__(self, warm: WarmConnection) -> None:
        self._warm = warm
        self._default = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        adopted = await self._adopt(host, port, within=timeout)
        if adopted is not None:
            return adopted
        return await self._default.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def _adopt(self, host: str, port: int, within: float | None) -> AdoptedStream | None:
        pending = self._warm.take(host, port)
        if pending is None:
            return None
        if not pending.done():  # its handshakes are still under way: within the timeout
            left = None if within is None else within - (time.monotonic() - self._warm.started)
            try:
                async with asyncio.timeout(None if left is None else max(left, 0.0)):
                    await asyncio.wrap_future(pending)
            except Exception:  # still stuck (or failed): the client's own try says why
                self._warm.discard()
                return None
        if pending.exception() is not None:  # failed: the client's own try says why
            return None
        connection = pending.result()
        if connection is None:
            return None
        adopted = AdoptedStream(connection)
        if adopted.went_stale():
            await adopted.aclose()
            return None
        return adopted

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - the client never dials a socket file
        return await self._default.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._default.sleep(seconds)


class AdoptedStream(httpcore.AsyncNetworkStream):
    """An open TLS socket, read and written without blocking on the running event loop."""

    def __init__(self, connection: ssl.SSLSocket) -> None:
        connection.setblocking(False)
        self._socket = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        while True:
            try:
                return self._socket.recv(max_bytes)
            except ssl.SSLWantReadError:
                await self._ready(reading=True, within=timeout, error=httpcore.ReadTimeout)
            except ssl.SSLWantWriteError:  # a renegotiation or key update writing
                await self._ready(reading=False, within=timeout, error=httpcore.ReadTimeout)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""  # closed, with or without TLS's goodbye: the end of the stream
            except OSError as error:
                raise httpcore.ReadError(str(error) or type(error).__name__) from error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        view = memoryview(buffer)
        while view:
            try:
                view = view[self._socket.send(view) :]
            except ssl.SSLWantWriteError:
                await self._ready(reading=False, within=timeout, error=httpcore.WriteTimeout)
            except ssl.SSLWantReadError:
                await self._ready(reading=True, within=timeout, error=httpcore.WriteTimeout)
            except OSError as error:
                raise httpcore.WriteError(str(error) or type(error).__name__) from error

    def went_stale(self) -> bool:
        """Whether the server closed the connection (or spoke unasked) before its first
        request. TLS 1.3 servers send session tickets after the handshake: reading them is
        OpenSSL's, and leaves nothing to read."""
        if not _is_readable(self._socket):
            return False
        try:
            self._socket.recv(1)  # anything at all, before a request, is not an answer
        except ssl.SSLWantReadError:  # only the tickets: alive
            return False
        except OSError:  # ssl.SSLError included: closed
            return True
        return True  # closed (b""), or bytes nobody asked for

    async def aclose(self) -> None:
        self._socket.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        """Secured already, with the client's own context, for the API's own host name."""
        if ssl_context is not self._socket.context or (
            server_hostname is not None and server_hostname != self._socket.server_hostname
        ):
            self._socket.close()
            raise httpcore.ConnectError("the connection opened ahead is not for this request")
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._socket
        if info == "client_addr":
            return self._socket.getsockname()
        if info == "server_addr":
            return self._socket.getpeername()
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return _is_readable(self._socket)
        return None

    async def _ready(
        self, *, reading: bool, within: float | None, error: Callable[[str], Exception]
    ) -> None:
        """Until the socket can be read (or written), within ``within`` seconds."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        descriptor = self._socket.fileno()
        if reading:
            loop.add_reader(descriptor, _wake, ready)
        else:
            loop.add_writer(descriptor, _wake, ready)
        try:
            async with asyncio.timeout(within):
                await ready
        except TimeoutError:
            raise error("timed out") from None
        finally:
            if reading:
                loop.remove_reader(descriptor)
            else:
                loop.remove_writer(descriptor)


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


def _is_readable(connection: socket.socket) -> bool:
    """Whether the socket has something to read (before a request: it closed, or is stale)."""
    if isinstance(connection, ssl.SSLSocket) and connection.pending():
        return True
    readable, _, _ = select.select([connection], [], [], 0)
    return bool(readable)
