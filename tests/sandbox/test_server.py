"""Serving the sandbox on a real loopback socket: embedded in a thread, and as a command."""

from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import ApiConnectionError, CancelNotAllowedError, NotFoundError
from tote_track.api.models import FulfillmentStatus, OrderStatus, PaymentStatus
from tote_track.sandbox.seed import LOCATIONS
from tote_track.sandbox.server import (
    MIN_PUBLIC_TOKEN_BITS,
    EmbeddedSandbox,
    build_app,
    run_sandbox,
    token_bits,
    weak_public_token,
)
from tote_track.sandbox.tls import server_names

from .test_persistence import start_sandbox

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(orders=5) as sb:
        yield sb


@pytest.fixture
def http(sandbox: EmbeddedSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client
        client.delete("/sandbox/faults")


# --------------------------------------------------------------------------- embedded


def test_embedded_sandbox_answers_over_tcp(sandbox: EmbeddedSandbox, http: httpx.Client) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1/online-ordering", sandbox.base_url)
    assert sandbox.port > 0
    listing = http.get("/orders", params={"limit": 100})
    assert listing.status_code == 200
    assert listing.headers["X-Request-Id"]
    seeded = listing.json()["data"]
    assert len(seeded) >= 5
    order = http.get(f"/orders/{seeded[0]['id']}")
    assert order.status_code == 200
    assert order.headers["X-Request-Id"]
    assert order.headers["X-Request-Id"] != listing.headers["X-Request-Id"]
    assert order.json()["id"] == seeded[0]["id"]
    assert "items" in order.json()


def test_a_wrong_token_is_401_with_the_envelope(sandbox: EmbeddedSandbox) -> None:
    response = httpx.get(
        f"{sandbox.base_url}/orders", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["X-Request-Id"]


def test_events_and_cancel_over_tcp(http: httpx.Client) -> None:
    created = http.post("/sandbox/orders")
    assert created.status_code == 201
    order_id = created.json()["id"]
    assert UUID.match(order_id)
    for event in ("payment_started", "payment_completed", "accept"):
        moved = http.post(f"/sandbox/orders/{order_id}/events", json={"type": event})
        assert moved.status_code == 200
    assert moved.json()["fulfillment_status"] == "IN_PROGRESS"
    not_now = http.post(f"/sandbox/orders/{order_id}/events", json={"type": "delivered"})
    assert not_now.status_code == 409
    assert not_now.json()["error"]["code"] == "event_not_allowed"
    cancel = http.post(
        f"/orders/{order_id}/cancel",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"reason": "Customer changed their mind"},
    )
    assert cancel.status_code == 200
    assert cancel.headers["X-Request-Id"]
    assert cancel.json()["status"] == "CANCELLED"


async def test_the_tote_client_tracks_and_cancels_on_the_embedded_sandbox(
    sandbox: EmbeddedSandbox,
) -> None:
    async with ToteClient(sandbox.config) as client:
        control = SandboxControl(client)
        order = await control.create_order({"handoff": {"mode": "KIOSK"}})
        order = await control.fire_event(order.id, "payment_completed")
        assert (order.status, order.payment_status) == (OrderStatus.CONFIRMED, PaymentStatus.PAID)
        fetched = await client.get_order(order.id)
        assert fetched == order
        page = await client.list_orders(limit=2)
        assert len(page.data) == 2
        assert page.pagination.has_more
        every = [summary.id async for summary in client.iter_orders(page_size=3)]
        assert order.id in every
        assert len(every) == len(set(every))
        result = await client.cancel_order(order.id, "Ordered by mistake")
        assert result.fulfillment_status == FulfillmentStatus.CANCELLED
        with pytest.raises(CancelNotAllowedError):
            await client.cancel_order(order.id, "Again")
        with pytest.raises(NotFoundError):
            await client.get_order(str(uuid.uuid4()))


def test_a_dropped_connection_is_a_transport_error(
    sandbox: EmbeddedSandbox, http: httpx.Client
) -> None:
    order_id = http.get("/orders", params={"limit": 1}).json()["data"][0]["id"]
    assert http.put("/sandbox/faults", json={"drop_rate": 1.0}).status_code == 200
    with pytest.raises(httpx.TransportError):
        http.get(f"/orders/{order_id}")

    async def through_the_client() -> None:
        async with ToteClient(sandbox.config, max_retries=0) as client:
            await client.get_order(order_id)

    with pytest.raises(ApiConnectionError):
        asyncio.run(through_the_client())
    assert http.delete("/sandbox/faults").status_code in (200, 204)
    assert http.get(f"/orders/{order_id}").status_code == 200


def test_an_autoplayed_scenario_moves_the_order_by_itself(http: httpx.Client) -> None:
    created = http.post(
        "/sandbox/orders", json={"autoplay": {"scenario": "payment_failed", "speed": 200}}
    )
    assert created.status_code == 201
    order_id = created.json()["id"]
    for _ in range(200):
        order = http.get(f"/orders/{order_id}").json()
        if order["status"] == "FAILED":
            break
        time.sleep(0.02)
    assert (order["status"], order["fulfillment_status"]) == ("FAILED", "CANCELLED")


async def test_async_with_starts_and_stops(capfd: pytest.CaptureFixture[str]) -> None:
    async with EmbeddedSandbox(token="a-private-token", orders=2) as sb:
        async with ToteClient(sb.config) as client:
            page = await client.list_orders()
        base_url = sb.base_url
        assert sb.running
        # Requests that make the server log (a dropped connection) print nothing either.
        headers = {"Authorization": "Bearer a-private-token"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as raw:
            await raw.put("/sandbox/faults", json={"drop_rate": 1.0})
            with pytest.raises(httpx.TransportError):
                await raw.get("/orders")
    assert len(page.data) == 2
    assert not sb.running
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as after:
            await after.get(f"{base_url}/orders", timeout=2)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_embedded_sandbox_shows_no_token_and_needs_starting() -> None:
    sb = EmbeddedSandbox(token="a-private-token")
    assert "a-private-token" not in repr(sb)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sb.base_url
    with pytest.raises(ValueError, match="token"):
        EmbeddedSandbox(token="")
    with sb:
        config = sb.config
        assert isinstance(config, ClientConfig)
        assert config.token == "a-private-token"
        assert config.base_url == sb.base_url
        assert "a-private-token" not in repr(sb)
        thread = sb._thread
    assert thread is not None
    assert not thread.is_alive()


def test_embedded_sandbox_keeps_orders_in_a_db_file(tmp_path: Path) -> None:
    db = tmp_path / "orders.sqlite3"
    with EmbeddedSandbox(orders=3, db=db) as sb:
        first = httpx.get(f"{sb.base_url}/orders", headers={"Authorization": "Bearer sandbox"})
    with EmbeddedSandbox(orders=3, db=db) as sb:
        again = httpx.get(f"{sb.base_url}/orders", headers={"Authorization": "Bearer sandbox"})
    assert len(first.json()["data"]) == 3
    assert again.json()["data"] == first.json()["data"]


def test_a_failed_start_is_an_error_not_a_hang(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="failed to start"),
        EmbeddedSandbox(db=tmp_path / "no-such-dir" / "x.db"),
    ):
        pass


# --------------------------------------------------------------------------- run_sandbox


def test_refuses_a_public_address_with_the_default_token() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_sandbox(host="0.0.0.0", port=0, token="sandbox", db=None, orders=0, out=out, err=err)
    assert code == 2
    assert "0.0.0.0" in err.getvalue()
    assert "--token" in err.getvalue()
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("Q", "a token of one character repeated"),
        ("a" * 40, "a token of one character repeated"),
        ("fifteen-chars-Q", "a token of 15 characters (about 53 bits"),
        ("ab" * 20, "a token of 40 characters (about 2 bits"),
        ("Tr0ub4dor&3Tr0ub4dor&3", "a token of 22 characters (about 36 bits"),
        ("1a88b968ee9b81d4", "a token of 16 characters (about 48 bits"),
    ],
)
def test_refuses_a_public_address_with_a_token_easy_to_guess(token: str, why: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_sandbox(host="0.0.0.0", port=0, token=token, db=None, seed=0, out=out, err=err)
    assert code == 2
    said = err.getvalue()
    assert said.startswith(f"Error: refusing to listen on 0.0.0.0 with {why}")
    assert "64 needed" in said or "repeated" in said
    assert "secrets.token_urlsafe" in said
    assert token not in said
    assert out.getvalue() == ""


def test_a_random_token_may_guard_a_public_address() -> None:
    made = [secrets.token_urlsafe(16) for _ in range(20)]
    made += [secrets.token_hex(16) for _ in range(20)]
    for token in [*made, "tok_LEAKCHECK_8c1f0e2d9b7a4e55", "correct horse battery staple"]:
        assert token_bits(token) >= MIN_PUBLIC_TOKEN_BITS, token
        assert weak_public_token(token) is None


def test_the_estimate_counts_characters_not_their_kinds() -> None:
    assert token_bits("a" * 64) == 0
    assert token_bits("abcdefghijklmnop") == 64  # 16 different: 4 bits each
    assert token_bits("ab" * 32) == 2  # a pattern repeated counts once
    assert token_bits("abcdefghijklmnop" * 2) == 64


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out, err = io.StringIO(), io.StringIO()
        code = run_sandbox(
            host="127.0.0.1", port=port, token="sandbox", db=None, orders=0, out=out, err=err
        )
    assert code == 1
    assert f"port {port}" in err.getvalue()
    assert "already in use" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def _command() -> list[str]:
    script = Path(sys.executable).with_name("tote-track")
    if script.exists():
        return [str(script)]
    found = shutil.which("tote-track")
    return [found] if found else [sys.executable, "-m", "tote_track"]


def test_the_command_prints_its_url_and_stops_cleanly_on_ctrl_c() -> None:
    server = start_sandbox(command=_command())
    try:
        assert 'Authorization: Bearer sandbox"' in server.banner
        response = httpx.get(
            f"{server.base_url}/orders", headers={"Authorization": "Bearer sandbox"}
        )
        assert response.status_code == 200
    finally:
        out, err = server.stop(signal.SIGINT)
    assert server.proc.returncode == 0
    assert "Traceback" not in err
    assert "Sandbox stopped." in out


def test_the_banner_lists_the_stores_for_the_board() -> None:
    server = start_sandbox(command=_command())
    try:
        banner = server.banner
    finally:
        server.stop(signal.SIGTERM)
    assert "tote-track board --location" in banner
    for location in LOCATIONS:
        assert f"{location.id}  {location.name}" in banner


def _sample_ids(*args: str) -> list[str]:
    server = start_sandbox(*args, command=_command())
    try:
        listing = httpx.get(
            f"{server.base_url}/orders",
            params={"limit": 100},
            headers={"Authorization": "Bearer sandbox"},
        )
    finally:
        server.stop(signal.SIGTERM)
    return [order["id"] for order in listing.json()["data"]]


def test_seed_makes_the_sample_orders_and_their_ids_reproducible() -> None:
    first = _sample_ids("--orders", "6", "--seed", "7")
    assert len(first) == 6
    assert _sample_ids("--orders", "6", "--seed", "7") == first
    assert set(_sample_ids("--orders", "6", "--seed", "8")).isdisjoint(first)
    assert set(_sample_ids("--orders", "6")).isdisjoint(first)  # no seed: random ids


def test_seeded_ids_never_repeat_one_already_in_the_file(tmp_path: Path) -> None:
    db = tmp_path / "orders.db"
    made = []
    for _ in range(2):
        app = build_app(token="sandbox", db=db, orders=3, seed=7)
        engine = app.state.engine
        made.append(engine.create_order().id)
        engine.store.close()
    assert made[0] != made[1]
    fresh = build_app(token="sandbox", db=None, orders=3, seed=7).state.engine.create_order()
    assert fresh.id == made[0]


def test_a_private_token_is_never_printed_and_sigterm_stops_cleanly() -> None:
    server = start_sandbox("--token", "s3cret-value-123", command=_command())
    try:
        response = httpx.get(
            f"{server.base_url}/orders", headers={"Authorization": "Bearer s3cret-value-123"}
        )
        assert response.status_code == 200
    finally:
        out, err = server.stop(signal.SIGTERM)
    assert server.proc.returncode == 0
    assert "s3cret-value-123" not in server.banner + out + err
    assert "the token you passed with --token" in server.banner + out


def test_the_command_refuses_0000_with_the_default_token() -> None:
    result = subprocess.run(
        [*_command(), "sandbox", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert result.stdout == ""


def test_run_sandbox_serves_until_ctrl_c_in_process(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    seen: dict[str, object] = {}

    def client_then_ctrl_c() -> None:
        match = None
        for _ in range(500):  # until the banner is out (the server is up)
            match = re.search(r"http://\S+/v1/online-ordering", out.getvalue())
            if match and "Press Ctrl-C" in out.getvalue():
                break
            time.sleep(0.02)
        if match is None:
            return  # the assertions below report it; never interrupt the test run itself
        try:
            headers = {"Authorization": "Bearer sandbox"}
            listing = httpx.get(f"{match.group(0)}/orders", headers=headers, timeout=10)
            seen["status"] = listing.status_code
            seen["count"] = len(listing.json()["data"])
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would

    helper = threading.Thread(target=client_then_ctrl_c)
    helper.start()
    code = run_sandbox(
        host="127.0.0.1", port=0, token="sandbox", db=tmp_path / "o.db", orders=4, out=out, err=err
    )
    helper.join(10)
    assert code == 0
    assert seen == {"status": 200, "count": 4}
    assert "4 orders, stored in" in out.getvalue()
    assert out.getvalue().endswith("Sandbox stopped.\n")
    assert err.getvalue() == ""


def test_an_address_that_is_not_ours_is_one_clear_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    # 192.0.2.1 is reserved for documentation: never an address of this machine.
    code = run_sandbox(
        host="192.0.2.1", port=0, token="t0ken-of-16-chars", db=None, orders=0, out=out, err=err
    )
    assert code == 1
    assert err.getvalue().startswith("Error: cannot listen on 192.0.2.1 port 0")
    assert out.getvalue() == ""


def test_an_unusable_db_file_is_one_clear_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    bad = tmp_path / "missing" / "orders.db"
    code = run_sandbox(
        host="127.0.0.1", port=0, token="sandbox", db=bad, orders=0, out=out, err=err
    )
    assert code == 1
    assert f"--db {bad}" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def refused_certificate(certfile: Path, keyfile: Path | None = None) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_sandbox(
        host="127.0.0.1",
        port=0,
        token="sandbox",
        db=None,
        orders=0,
        certfile=str(certfile),
        keyfile=None if keyfile is None else str(keyfile),
        out=out,
        err=err,
    )
    assert out.getvalue() == ""
    return code, err.getvalue()


def test_a_certificate_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    assert refused_certificate(missing) == (
        2,
        f"Error: cannot serve HTTPS: {missing} does not exist.\n",
    )


def test_a_certificate_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    code, said = refused_certificate(tmp_path)  # a folder, not a file
    assert code == 2
    assert said.startswith(f"Error: cannot serve HTTPS: {tmp_path} cannot be read (")


def test_a_certificate_and_key_that_are_not_pem_are_both_named(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("hello")
    key.write_text("world")
    code, said = refused_certificate(cert, key)
    assert code == 2
    assert said.startswith(f"Error: cannot serve HTTPS: {cert} and {key} are not a PEM")
    assert "--keyfile" not in said


def test_tls_ca_files_that_cannot_be_written_are_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out, err = io.StringIO(), io.StringIO()
    db = blocker / "orders.db"  # its CA folder would live inside a regular file
    code = run_sandbox(
        host="127.0.0.1", port=0, token="sandbox", db=db, orders=0, tls=True, out=out, err=err
    )
    assert code == 1
    assert err.getvalue().startswith(f"Error: cannot write the sandbox's CA files to {db}.tls: ")
    assert out.getvalue() == ""


def test_the_local_ca_certifies_the_name_the_sandbox_listens_on() -> None:
    assert server_names("sandbox.test")[0] == "sandbox.test"
    assert server_names("192.168.1.20")[0] == "192.168.1.20"
    # A wildcard address is no name a client connects to: the loopback names only.
    assert server_names("0.0.0.0") == server_names("127.0.0.1") == server_names("[::]")
    assert "0.0.0.0" not in server_names("0.0.0.0")
