"""The sandbox refuses a body over 1 MiB with 413 before reading it.

In-process: a ``Content-Length`` over the limit, and a chunked body (no length) that
passes it, get 413 ``invalid_request`` in the API's envelope; a chunked body within the
limit still works. As a real process on loopback: a 64 MiB body, sent with its length or
chunked, gets 413 and the sandbox's peak memory (VmHWM, from /proc) grows under 100 MB.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.sandbox.test_persistence import SandboxProcess, start_sandbox
from tote_track.sandbox.middleware import MAX_BODY_BYTES

from .conftest import create_order

MIB = 1024 * 1024


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


async def test_a_declared_length_over_the_limit_gets_413(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    response = await client.post(
        f"/orders/{order['id']}/cancel",
        content=b" " * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/json", "Idempotency-Key": "k1"},
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == (
        "The request body is larger than 1 MiB, the most the sandbox accepts."
    )
    assert error["request_id"] == response.headers["X-Request-Id"]


async def test_a_chunked_body_over_the_limit_gets_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/sandbox/orders",
        content=chunks(2 * MIB),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "larger than 1 MiB" in response.json()["error"]["message"]


async def test_a_chunked_body_within_the_limit_is_read_whole(client: httpx.AsyncClient) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"handoff": {"mode": '
        yield b'"KIOSK"}}'

    response = await client.post(
        "/sandbox/orders", content=body(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 201, response.text
    assert response.json()["handoff"]["mode"] == "KIOSK"


# -- a real sandbox on loopback ----------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    running = start_sandbox()
    try:
        yield running
    finally:
        running.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def post_64_mib(base_url: str, *, chunked: bool) -> bytes:
    """POST a 64 MiB cancel body on a raw socket; the status line the sandbox answered.

    The body is sent by a thread while this one reads the answer: the sandbox answers
    before reading the body, then closes the connection (the sender sees it reset)."""
    url = urlsplit(base_url)
    assert url.hostname is not None
    sock = socket.create_connection((url.hostname, url.port or 80), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {64 * MIB}"
    head = (
        f"POST {url.path}/orders/00000000-0000-4000-8000-000000000000/cancel HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\nAuthorization: Bearer sandbox\r\nIdempotency-Key: k\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    block = b" " * (64 * 1024)
    if chunked:
        block = b"%x\r\n%s\r\n" % (len(block), block)

    def send() -> None:
        try:
            sock.sendall(head.encode())
            for _ in range(1024):
                sock.sendall(block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:  # the sandbox answered and closed: expected
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    with sock:
        while b"\r\n" not in answer:
            got = sock.recv(4096)
            if not got:
                break
            answer += got
        sender.join(30)
    return answer.split(b"\r\n")[0]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_64_mib_body_gets_413_and_the_sandbox_stays_small(
    sandbox: SandboxProcess, chunked: bool
) -> None:
    pid = sandbox.proc.pid
    before = peak_rss_mb(pid)
    started = time.monotonic()
    status_line = post_64_mib(sandbox.base_url, chunked=chunked)
    took = time.monotonic() - started
    grown = peak_rss_mb(pid) - before
    print(
        f"\n{'chunked' if chunked else 'length'}: {status_line!r} in {took:.2f} s, +{grown:.0f} MB"
    )
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert grown < 100
    with sandbox.client() as client:  # and it goes on serving
        assert client.post("/sandbox/orders").status_code == 201
