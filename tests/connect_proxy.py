"""A small HTTP CONNECT proxy on loopback, for tests of ``HTTPS_PROXY`` / ``NO_PROXY``.

``with ConnectProxy() as proxy:`` listens on ``127.0.0.1`` and a free port (``proxy.url``).
For each CONNECT it records the target (``proxy.targets``), opens the tunnel and copies bytes
both ways; every byte the client sent, the CONNECT head included, is kept in
``proxy.from_client``, so a test can assert what the proxy could read in clear.

``ConnectProxy(answer=407)`` (or 403, ...) answers every CONNECT with that status instead,
like a proxy that wants a password or forbids the host. A request that is not a CONNECT
(plain http sent through the proxy) is recorded in ``proxy.plain_requests`` and answered 502.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from http import HTTPStatus
from types import TracebackType
from typing import Self

HEAD_LIMIT = 64 * 1024


class ConnectProxy:
    def __init__(self, answer: int = 200) -> None:
        self.answer = answer
        self.targets: list[str] = []
        self.plain_requests: list[str] = []
        self.from_client = bytearray()
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.from_client += data

    def _handle(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        self._record(head)
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, _, rest = request_line.partition(" ")
        if method != "CONNECT":
            with self._lock:
                self.plain_requests.append(request_line)
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        target = rest.split(" ", 1)[0]
        with self._lock:
            self.targets.append(target)
        if self.answer != 200:
            phrase = HTTPStatus(self.answer).phrase
            extra = b'Proxy-Authenticate: Basic realm="corp"\r\n' if self.answer == 407 else b""
            client.sendall(
                f"HTTP/1.1 {self.answer} {phrase}\r\n".encode()
                + extra
                + b"Content-Length: 0\r\n\r\n"
            )
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pump(client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while True:
                for key, _ in selector.select(timeout=30):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    if source is client:
                        self._record(data)
                    try:
                        key.data.sendall(data)
                    except OSError:
                        return

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
