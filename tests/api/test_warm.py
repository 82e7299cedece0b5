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
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
import pytest
import trustme

from tests.conftest import pickup_order
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
