"""The tracker's first request: the frame first, then the order's GET at once, with what
showing the order needs (pydantic, the models, the panels) loading while it is out; a short
code's lookup and that GET sent on a thread while Textual loads (``api.early``,
``tui.tracker.run``), the app reading their answer, or their error, as it reads its own.

The orderings are checked against loopback servers that never answer: the real program in a
pty (the frame is on the terminal when the GET arrives), and the app in-process (the GET has
reached the server when the order's modules start loading).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import pickup_order
from tests.tui.support import FakeClock, screen_text, settle
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.early import EarlyCall
from tote_track.api.errors import NotFoundError
from tote_track.api.models import short_code
from tote_track.api.warm import WarmConnection
from tote_track.headless import OrderLookupError, order_id_of
from tote_track.run import CommandFailed, pause_collection, resume_collection
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tui.tracker import app as app_module
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.run import FirstRequest

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 60.0
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


def read_available(fd: int) -> bytes:
    """Whatever the program wrote to its terminal so far (nothing waited for)."""
    data = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the program closed its side
            break
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def tracker_in_a_terminal(base_url: str) -> Iterator[int]:
    """``tote-track ORDER_ID`` in a pty against ``base_url``; yields the pty's side to read
    the screen from. The program is stopped on the way out."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(TOTE_TRACK), ORDER_ID, "--base-url", base_url, "--token", "t0k"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color"},
        start_new_session=True,
        close_fds=True,
    )
    os.close(follower)
    try:
        yield leader
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=DEADLINE)
        os.close(leader)


def test_the_frame_comes_first_then_the_request_at_once() -> None:
    """``tote-track ID`` in a terminal: the frame is painted, and the order's GET reaches the
    server (which never answers) with the frame already on the terminal."""
    code = short_code(ORDER_ID).encode()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(DEADLINE)
        base_url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        with tracker_in_a_terminal(base_url) as screen:
            connection, _ = server.accept()
            with connection:
                request = read_request(connection)
                painted = read_available(screen)  # the moment the request arrived
        assert request.startswith(f"GET /v1/orders/{ORDER_ID} HTTP/1.1".encode())
        assert code in painted
        assert b"Fetching order" in painted


def test_the_connection_opens_before_the_frame() -> None:
    """``tote-track ID`` with an ``https://`` API in a terminal: the TLS handshake's first
    message reaches the server (which never answers it) before the frame is painted, and
    the frame follows all the same (``api.warm``: the connection opens while Textual loads).
    """
    code = short_code(ORDER_ID).encode()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(DEADLINE)
        base_url = f"https://127.0.0.1:{server.getsockname()[1]}/v1"
        with tracker_in_a_terminal(base_url) as screen:
            connection, _ = server.accept()
            with connection:
                connection.settimeout(DEADLINE)
                hello = connection.recv(5)
                before = read_available(screen)  # the moment the hello arrived
                painted = before
                deadline = time.monotonic() + DEADLINE
                while code not in painted:
                    assert time.monotonic() < deadline, "the frame was never painted"
                    select.select([screen], [], [], 1.0)
                    painted += read_available(screen)
        assert hello[:2] == b"\x16\x03"  # a TLS handshake record
        assert code not in before


def read_request(connection: socket.socket) -> bytes:
    """The request line and headers a client sent (raises at the deadline)."""
    connection.settimeout(DEADLINE)
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(65536)
        assert chunk, "the client closed the connection before its request"
        request += chunk
    return request


async def test_what_shows_an_order_loads_while_the_first_request_is_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first GET leaves before pydantic, the models and the panels load
    (``load_order_modules``), and they load while it waits for its answer: here a server
    that has the request and never answers."""
    loads: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        config = ClientConfig(f"http://127.0.0.1:{server.getsockname()[1]}/v1", "t0k")

        def load_order_modules() -> None:  # on the app's worker thread
            try:
                connection, _ = server.accept()
            except BlockingIOError:  # the client has not even connected
                loads.append(b"")
                return
            with connection:
                try:
                    loads.append(connection.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT))
                except BlockingIOError:  # connected, the request not sent
                    loads.append(b"")

        monkeypatch.setattr(app_module, "load_order_modules", load_order_modules)
        app = TrackerApp(
            lambda: ToteClient(config, max_retries=0), ORDER_ID, auto_poll=False, tz=UTC
        )
        async with app.run_test(size=(100, 34)) as pilot:
            deadline = time.monotonic() + DEADLINE
            while not loads:
                assert time.monotonic() < deadline, "the order's modules never loaded"
                await pilot.pause(0.01)
            assert app.order is None  # no answer: it is still out
    assert loads[0].startswith(f"GET /v1/orders/{ORDER_ID} HTTP/1.1".encode())


def tracker_on(sandbox: EmbeddedSandbox, order_id: str, first: FirstRequest | None) -> TrackerApp:
    return TrackerApp(
        lambda: ToteClient(sandbox.config, max_retries=0),
        order_id,
        clock=FakeClock().clock,
        auto_poll=False,
        tz=UTC,
        first=None if first is None else first.call.outcome,
    )


async def order_reads(sandbox: EmbeddedSandbox, order_id: str) -> list[str]:
    """The sandbox's journal: the requests that named the order, as ``METHOD path``."""
    async with ToteClient(sandbox.config) as client:
        journal = await SandboxControl(client).requests(order_id)
    return [f"{entry['method']} {entry['path']}" for entry in journal]


@pytest.mark.parametrize("how", ["id", "link", "code"])
async def test_the_answer_sent_ahead_is_the_first_load(live: EmbeddedSandbox, how: str) -> None:
    """The order is shown from the first request's answer: the app sends no GET of its own
    for it. A link gives the id at once; a code is looked up first, on the same call."""
    order_id = await asyncio.to_thread(pickup_order, live, "payment_completed", "accept")
    text = {
        "id": order_id,
        "link": f"https://shop.example/orders/{order_id}",
        "code": short_code(order_id),
    }[how]
    first = FirstRequest(live.config, text)
    assert first.found.done() is (how != "code")  # only a code needs the API to be known
    assert await asyncio.to_thread(first.order_id) == order_id
    app = tracker_on(live, order_id, first)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
    assert f"Order {short_code(order_id)}" in shown
    assert "Progress" in shown  # the order's panels
    assert "Fetching order" not in shown
    path = f"/v1/online-ordering/orders/{order_id}"
    assert (await order_reads(live, order_id)).count(f"GET {path}") == 1


async def test_an_error_of_the_first_request_shows_as_the_apps_own(
    live: EmbeddedSandbox,
) -> None:
    """A first request that fails (here: no such order) ends as the same screen, word for
    word, as when the app's own client gets that answer."""
    first = FirstRequest(live.config, MISSING)
    with pytest.raises(NotFoundError):
        await asyncio.wrap_future(first.call.outcome)
    screens = []
    for ahead in (first, None):
        app = tracker_on(live, MISSING, ahead)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(pilot)
            screens.append(screen_text(app))
            assert app.exit_code == 4
    assert "Order not found" in screens[0]
    assert screens[0] == screens[1]


async def test_a_codes_lookup_fails_in_the_same_words(live: EmbeddedSandbox) -> None:
    """No order with the code, and a lookup the API refuses: the same error (class, words,
    exit code) as the lookup before the tracker always raised."""
    refused = ClientConfig(live.base_url, "not-the-token")
    for config, expected, words in (
        (live.config, OrderLookupError, "No order with the code ABCDEF among"),
        (refused, CommandFailed, "could not look up the code ABCDEF: "),
    ):
        errors = []
        for lookup in (
            FirstRequest(config, "ABCDEF").order_id,
            partial(order_id_of, config, "ABCDEF"),
        ):
            with pytest.raises(expected) as caught:
                await asyncio.to_thread(lookup)
            failed = caught.value
            errors.append((type(failed), failed.message, failed.exit_code, failed.lines))
        assert errors[0] == errors[1]
        assert errors[0][1].startswith(words)
        assert errors[0][2] == 4


async def test_a_first_request_still_out_stops_when_the_app_quits() -> None:
    """``cancel`` (the tracker quitting) ends a call that waits on a server that never
    answers: its thread leaves nothing running."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        config = ClientConfig(f"http://127.0.0.1:{server.getsockname()[1]}/v1", "t0k")

        async def call(client: ToteClient) -> object:
            return await client.get_order_reply(ORDER_ID, max_retries=0)

        early = EarlyCall(WarmConnection(config).start(), call).start()
        connection, _ = await asyncio.to_thread(server.accept)
        with connection:
            early.cancel()
            stopped = await asyncio.to_thread(early.outcome.exception, DEADLINE)
        assert isinstance(stopped, asyncio.CancelledError)


@pytest.mark.parametrize("found", [True, False], ids=["shown", "not-found"])
async def test_the_collector_runs_again_after_the_first_answer(
    live: EmbeddedSandbox, found: bool
) -> None:
    """``track`` pauses the cyclic collector while the tracker starts
    (``run.pause_collection``); the first answer, an order or an error, ends the pause."""
    order_id = (
        await asyncio.to_thread(pickup_order, live, "payment_completed") if found else MISSING
    )
    pause_collection()
    try:
        app = tracker_on(live, order_id, None)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(pilot)
            assert (app.order is not None) is found
            assert gc.isenabled()
    finally:
        resume_collection()
