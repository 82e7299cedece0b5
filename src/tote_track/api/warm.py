"""The API's connection, opened while the program starts.

Over a real network a new connection costs round trips before the first request can go:
TCP's handshake, then TLS's. Neither needs the client's libraries, only the socket and ssl
modules, and both wait without the GIL: :class:`WarmConnection` opens the connection on a
thread started before the program's heavy imports (Textual's, httpx's, pydantic's), so the
round trips overlap them. The client then sends its first request on that connection
(``api.adopt``), through httpx as every request goes: the request's rules, retries, checks
and error wording are the client's own, and a connection that failed or went stale is simply
not used (the client connects as ever, and says what went wrong as ever).

The thread first loads the trusted CAs (:attr:`WarmConnection.trust`: OpenSSL, without the
GIL), the same context the client is then made with. Nothing is opened for a plain-http API
(loopback only: nothing to hide), nor when a proxy is set in the environment (the client
goes through it; a direct connection could be refused, or hang, on such a network).

This module imports neither httpx nor the models, so that its thread starts before they
load.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from urllib.parse import urlsplit

from tote_track.api.config import CONNECT_TIMEOUT, ClientConfig
from tote_track.api.trust import build_ssl_context

__all__ = ["WarmConnection"]

# httpx reads these for an https:// API (trust_env): with any of them set, it may go
# through a proxy, so no direct connection is opened ahead.
_PROXY_VARIABLES = ("HTTPS_PROXY", "ALL_PROXY")


class WarmConnection:
    """The API's TLS connection, opened on a daemon thread (see the module docstring).

    :meth:`take` hands it to the client once; :meth:`close` drops it if it was not taken.
    """

    def __init__(self, config: ClientConfig, *, environ: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(config.base_url)
        self.host = (parts.hostname or "").lower()
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.config = config
        self.trust: Future[ssl.SSLContext | None] = Future()
        """The verifying context the thread loaded (None for plain http), or the
        :class:`InvalidConfigError` saying why it could not."""
        self.connection: Future[ssl.SSLSocket | None] = Future()
        """The open connection; None when none is opened (see :attr:`opens`), or the
        error that stopped it (the client then connects as ever)."""
        env = os.environ if environ is None else environ
        self.opens = (
            config.uses_tls
            and self.host.isascii()
            and os.name == "posix"  # the client reads it with the event loop's add_reader
            # where the environment's variables are all the proxies there are (macOS has
            # system-wide ones, which httpx reads too)
            and sys.platform != "darwin"
            and not any(env.get(name) or env.get(name.lower()) for name in _PROXY_VARIABLES)
        )
        """Whether a connection is opened at all."""
        self.started = time.monotonic()
        self._taken = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tote-connect", daemon=True)

    def start(self) -> WarmConnection:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def take(self, host: str, port: int) -> Future[ssl.SSLSocket | None] | None:
        """The connection to ``host``:``port``, if it is this one and not taken yet (once:
        a second connection to the API is a new one)."""
        with self._lock:
            if self._taken or not self.opens or (host.lower(), port) != (self.host, self.port):
                return None
            self._taken = True
        return self.connection

    def close(self) -> None:
        """Drop the connection if nobody took it (the program is quitting)."""
        with self._lock:
            taken, self._taken = self._taken, True
        if not taken:
            self.discard()

    def discard(self) -> None:
        """Close the connection once it is open (it will not be used)."""
        self.connection.add_done_callback(_close_connection)

    def _run(self) -> None:
        # Running: a waiter that gives up cannot cancel it.
        self.trust.set_running_or_notify_cancel()
        self.connection.set_running_or_notify_cancel()
        try:
            context = build_ssl_context(self.config.ca_bundle) if self.config.uses_tls else None
        except Exception as error:  # InvalidConfigError: the program says it as ever
            self.trust.set_exception(error)
            self.connection.set_exception(error)
            return
        self.trust.set_result(context)
        if context is None or not self.opens:
            self.connection.set_result(None)
            return
        try:
            connection = _open(context, self.host, self.port)
        except Exception as error:  # OSError, ssl.SSLError: the client's own try says it
            self.connection.set_exception(error)
        else:
            self.connection.set_result(connection)


def _open(context: ssl.SSLContext, host: str, port: int) -> ssl.SSLSocket:
    """TCP, then TLS, to ``host``:``port`` (each handshake within the client's connect timeout)."""
    raw = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio's own
        # The protocol the client speaks (httpcore offers the same on this context).
        context.set_alpn_protocols(["http/1.1"])
        return context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


def _close_connection(future: Future[ssl.SSLSocket | None]) -> None:
    if future.exception() is None:
        connection = future.result()
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()
