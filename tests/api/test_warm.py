"""The API's connection opened ahead (``api.warm``) and taken over by the client
(``api.adopt``), against the TLS sandbox on a real loopback socket.

A relay in front of the sandbox counts the connections and can refuse every one after the
first, or drop one: so a test sees which connection a request went on.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import httpcore
import httpx
import pytest
import trustme

from tests.conftest import pickup_order
from tote_track.api.adopt import AdoptedStream
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import ApiTimeoutError
from tote_track.api.warm import WarmConnection
from tote_track.sandbox.server import EmbeddedSandbox

DEADLINE = 30.0
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(tls=True) as running:
        yield running


@pytest.fixture(scope="module")
def order_id(sandbox: EmbeddedSandbox) -> str:
    return pickup_order(sandbox, "payment_completed", "accept")


class Relay:
    """A TCP relay on 127.0.0.1 to ``target``: at most ``limit`` connections (the listener
    closes after the last, so any more are refused), each copied both ways."""

    def __init__(self, target: tuple[str, int], *, limit: int = 10) -> None:
        self.target = target
        self.limit = limit
        self.accepted = 0
        self.clients: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._closed = threading.Event()

    def config(self, sandbox: EmbeddedSandbox) -> ClientConfig:
        url = sandbox.base_url.replace(f":{sandbox.port}/", f":{self.port}/")
        return ClientConfig(url, sandbox.token, ca_bundle=sandbox.ca_file)

    def wait_for_connections(self, count: int) -> None:
        deadline = threading.Event()
        for _ in range(int(DEADLINE / 0.01)):
            if self.accepted >= count:
                return
            deadline.wait(0.01)
        raise AssertionError(f"{self.accepted} connections, {count} expected")

    def drop(self, index: int) -> None:
        """Close the ``index``-th connection on the client's side (as a server would)."""
        with contextlib.suppress(OSError):
            self.clients[index].shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        with self._listener:
            while self.accepted < self.limit and not self._closed.is_set():
                try:
                    client, _ = self._listener.accept()
                except OSError:
                    return
                self.clients.append(client)
                self.accepted += 1
                upstream = socket.create_connection(self.target)
                threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for client in self.clients:
            client.close()


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    selector = selectors.DefaultSelector()
    selector.register(client, selectors.EVENT_READ, upstream)
    selector.register(upstream, selectors.EVENT_READ, client)
    try:
        while True:
            for key, _ in selector.select(DEADLINE):
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        return
    finally:
        selector.close()
        upstream.close()
        client.close()


def warm_client(config: ClientConfig, warm: WarmConnection, **options: object) -> ToteClient:
    return ToteClient(
        config,
        ssl_context=warm.trust.result(timeout=DEADLINE),
        warm=warm,
        **options,  # type: ignore[arg-type]
    )


async def test_the_first_request_goes_on_the_connection_opened_ahead(
    sandbox: EmbeddedSandbox, order_id: str
) -> None:
    """The relay takes one connection, then refuses: the warm one carries the request."""
    with Relay(("127.0.0.1", sandbox.port), limit=1) as relay:
        config = relay.config(sandbox)
        warm = WarmConnection(config).start()
        await asyncio.to_thread(relay.wait_for_connections, 1)
        await asyncio.wrap_future(warm.connection)  # the handshakes are done
        async with warm_client(config, warm, max_retries=0) as client:
            order = await client.get_order(order_id)
            again = await client.get_order(order_id)  # kept alive: the same connection
    assert order.id == again.id == order_id
    assert relay.accepted == 1


async def test_a_connection_opened_long_before_is_still_taken(
    sandbox: EmbeddedSandbox, order_id: str
) -> None:
    """Open since longer than the connect timeout (a slow start-up): still the one used."""
    with Relay(("127.0.0.1", sandbox.port), limit=1) as relay:
        config = relay.config(sandbox)
        warm = WarmConnection(config).start()
        await asyncio.wrap_future(warm.connection)
        warm.started -= 60  # as if it had opened a minute ago
        async with warm_client(config, warm, max_retries=0) as client:
            order = await client.get_order(order_id)
    assert order.id == order_id
    assert relay.accepted == 1


async def test_a_connection_the_server_closed_is_not_used(
    sandbox: EmbeddedSandbox, order_id: str
) -> None:
    """Closed before the client took it: the client connects afresh, and gets the order."""
    with Relay(("127.0.0.1", sandbox.port)) as relay:
        config = relay.config(sandbox)
        warm = WarmConnection(config).start()
        await asyncio.wrap_future(warm.connection)
        relay.drop(0)
        await asyncio.sleep(0)  # nothing to wait for: the socket reads as closed at once
        connection = warm.connection.result()
        assert connection is not None
        async with warm_client(config, warm, max_retries=0) as client:
            order = await client.get_order(order_id)
    assert order.id == order_id
    assert relay.accepted == 2


async def test_no_connection_is_opened_where_a_proxy_is_set(
    sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client would go through the proxy: a direct connection is not for it."""
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with Relay(("127.0.0.1", sandbox.port)) as relay:
        warm = WarmConnection(relay.config(sandbox)).start()
        assert await asyncio.wrap_future(warm.connection) is None
        assert warm.take("127.0.0.1", relay.port) is None
    assert relay.accepted == 0
    assert warm.trust.result() is not None  # the trusted CAs still load ahead


def test_plain_http_opens_no_connection() -> None:
    warm = WarmConnection(ClientConfig("http://127.0.0.1:9/v1", None)).start()
    assert warm.trust.result(timeout=DEADLINE) is None
    assert warm.connection.result(timeout=DEADLINE) is None
    assert not warm.opens


async def test_a_connection_nobody_took_is_closed(sandbox: EmbeddedSandbox) -> None:
    with Relay(("127.0.0.1", sandbox.port)) as relay:
        warm = WarmConnection(relay.config(sandbox)).start()
        connection = await asyncio.wrap_future(warm.connection)
        assert connection is not None
        warm.close()
        assert connection.fileno() == -1
        assert warm.take("127.0.0.1", relay.port) is None  # closed: nobody gets it


async def test_only_the_apis_own_address_gets_it(sandbox: EmbeddedSandbox) -> None:
    with Relay(("127.0.0.1", sandbox.port)) as relay:
        warm = WarmConnection(relay.config(sandbox)).start()
        await asyncio.wrap_future(warm.connection)
        assert warm.take("127.0.0.1", relay.port + 1) is None
        assert warm.take("localhost", relay.port) is None
        assert warm.take("127.0.0.1", relay.port) is warm.connection
        assert warm.take("127.0.0.1", relay.port) is None  # once
        warm.close()


@pytest.mark.parametrize("ahead", [False, True], ids=["cold", "warm"])
async def test_a_server_that_never_answers_is_the_same_timeout(ahead: bool, tmp_path: Path) -> None:
    """The request goes out on the adopted connection and its answer never comes: the
    read timeout says the same sentence as on a connection of the client's own."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        threading.Thread(
            target=_tls_then_silence, args=(silent, server_context), daemon=True
        ).start()
        config = ClientConfig(f"https://127.0.0.1:{port}/v1", "t0k", ca_bundle=str(ca_file))
        timeout = httpx.Timeout(5.0, read=0.3)
        if ahead:
            warm = WarmConnection(config).start()
            client = warm_client(config, warm, max_retries=0, timeout=timeout)
        else:
            client = ToteClient(config, max_retries=0, timeout=timeout)
        async with client:
            with pytest.raises(ApiTimeoutError) as info:
                await client.list_orders(limit=1)
    assert str(info.value) == (
        "The Tote API at 127.0.0.1 did not answer in time (while waiting for the answer)"
    )


def _tls_then_silence(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Serve TLS, read the request, never answer."""
    listener.settimeout(DEADLINE)
    with contextlib.suppress(OSError):
        raw, _ = listener.accept()
        with context.wrap_socket(raw, server_side=True) as connection:
            connection.settimeout(DEADLINE)
            connection.recv(65536)
            threading.Event().wait(5)


# -- the adopted stream, against a TLS server on loopback ------------------------------


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


def tls_pair(ca: trustme.CA) -> tuple[ssl.SSLSocket, ssl.SSLSocket]:
    """A client TLS socket (handshake done, as ``api.warm`` leaves it) and its server end."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        raw = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
    server_side: list[ssl.SSLSocket] = []
    handshake = threading.Thread(
        target=lambda: server_side.append(server_context.wrap_socket(accepted, server_side=True))
    )
    handshake.start()
    client = client_context.wrap_socket(raw, server_hostname="127.0.0.1")
    handshake.join(DEADLINE)
    return client, server_side[0]


async def test_an_adopted_stream_carries_bytes_both_ways(tls_ca: trustme.CA) -> None:
    client, server = tls_pair(tls_ca)
    stream = AdoptedStream(client)
    with server:
        assert not stream.went_stale()
        await stream.write(b"ping")
        assert await asyncio.to_thread(server.recv, 4) == b"ping"
        await asyncio.to_thread(server.sendall, b"pong")
        assert await stream.read(4, timeout=DEADLINE) == b"pong"
        assert stream.get_extra_info("ssl_object") is client
        assert stream.get_extra_info("socket") is client
        assert stream.get_extra_info("client_addr") == client.getsockname()
        assert stream.get_extra_info("server_addr") == server.getsockname()
        assert stream.get_extra_info("is_readable") is False
        assert stream.get_extra_info("anything else") is None
        await asyncio.to_thread(server.sendall, b"!")
        await asyncio.to_thread(_until_readable, client)
        assert stream.get_extra_info("is_readable") is True
    await stream.aclose()


def _until_readable(connection: socket.socket) -> None:
    import select

    assert select.select([connection], [], [], DEADLINE)[0], "nothing came"


async def test_a_large_write_waits_for_the_reader(tls_ca: trustme.CA) -> None:
    """More than the socket's buffers hold: the write waits until the server reads."""
    client, server = tls_pair(tls_ca)
    stream = AdoptedStream(client)
    payload = b"x" * (8 * 1024 * 1024)

    def read_all() -> int:
        got = 0
        while got < len(payload):
            got += len(server.recv(1 << 20))
        return got

    with server:
        reader = asyncio.ensure_future(asyncio.to_thread(read_all))
        await stream.write(payload, timeout=DEADLINE)
        assert await reader == len(payload)
    await stream.aclose()


async def test_a_write_nobody_reads_times_out(tls_ca: trustme.CA) -> None:
    client, server = tls_pair(tls_ca)
    stream = AdoptedStream(client)
    with server, pytest.raises(httpcore.WriteTimeout):
        await stream.write(b"x" * (64 * 1024 * 1024), timeout=0.2)
    await stream.aclose()


async def test_the_servers_goodbye_ends_the_stream(tls_ca: trustme.CA) -> None:
    client, server = tls_pair(tls_ca)
    stream = AdoptedStream(client)
    server.settimeout(DEADLINE)
    goodbye = threading.Thread(target=_say_goodbye, args=(server,), daemon=True)
    goodbye.start()  # TLS's close_notify (then waits for the client's)
    assert await stream.read(10, timeout=DEADLINE) == b""
    await stream.aclose()
    goodbye.join(DEADLINE)
    server.close()


def _say_goodbye(server: ssl.SSLSocket) -> None:
    with contextlib.suppress(OSError):
        server.unwrap()


@pytest.mark.parametrize("before_use", [True, False], ids=["before-use", "in-use"])
async def test_a_reset_connection_is_stale_or_ended(tls_ca: trustme.CA, before_use: bool) -> None:
    """Reset by the server: before its first request it is not used; in use, it reads as
    the end of the stream, as httpcore's own TLS stream reads it (httpx then says the
    server disconnected)."""
    client, server = tls_pair(tls_ca)
    stream = AdoptedStream(client)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()  # RST
    await asyncio.to_thread(_until_readable, client)
    if before_use:
        assert stream.went_stale()
    else:
        assert await stream.read(10, timeout=DEADLINE) == b""
    await stream.aclose()


async def test_a_stream_for_another_context_or_name_is_refused(tls_ca: trustme.CA) -> None:
    client, server = tls_pair(tls_ca)
    with server:
        stream = AdoptedStream(client)
        assert await stream.start_tls(client.context, "127.0.0.1") is stream
        with pytest.raises(httpcore.ConnectError):
            await stream.start_tls(ssl.create_default_context(), "127.0.0.1")
        assert client.fileno() == -1  # closed, never used for another host


async def test_a_kept_connection_the_server_closed_is_replaced(
    sandbox: EmbeddedSandbox, order_id: str
) -> None:
    """The adopted connection, kept alive between polls, closed by the server: the next
    poll sees it closed (``is_readable``) and connects afresh."""
    with Relay(("127.0.0.1", sandbox.port)) as relay:
        config = relay.config(sandbox)
        warm = WarmConnection(config).start()
        async with warm_client(config, warm, max_retries=0) as client:
            await client.get_order(order_id)
            relay.drop(0)
            await asyncio.to_thread(_until_readable, warm.connection.result())
            order = await client.get_order(order_id)
    assert order.id == order_id
    assert relay.accepted == 2
