"""``tote-track conformance`` against the sandbox on a loopback socket (every check passes,
nothing is written), against a hostile loopback server that bends the guide (exit 1, each
bend named by its field's path), and against nothing at all (exit 4)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from tests.hostile_server import Answer, HostileServer, Seen, order_summary
from tote_track import cli
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.server import EmbeddedSandbox

TOKEN = "tok-CONFORMANCE-5e1f0c77"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
CLOSED_PORT_URL = "http://127.0.0.1:9/v1/online-ordering"


def conformance(base_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli.main, ["conformance", "--base-url", base_url, "--token", TOKEN, *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for text in (result.stdout, result.stderr):
        assert TOKEN not in text
        assert "Traceback" not in text
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(token=TOKEN, orders=8, seed=11) as running:
        yield running


def control(sandbox: EmbeddedSandbox, work: Any) -> Any:
    async def run() -> Any:
        async with ToteClient(sandbox.config, max_retries=0) as client:
            return await work(SandboxControl(client))

    return asyncio.run(run())


def upstream_requests(sandbox: EmbeddedSandbox) -> list[tuple[str, str]]:
    entries = control(sandbox, lambda c: c.requests())
    return [
        (e["method"], e["path"].removeprefix("/v1/online-ordering"))
        for e in entries
        if "/sandbox/" not in e["path"]
    ]


def test_conformance_passes_on_the_sandbox_and_only_reads(sandbox: EmbeddedSandbox) -> None:
    control(sandbox, lambda c: c.clear_requests())
    code, out, _ = conformance(sandbox.base_url, "--json")
    report = json.loads(out)
    assert code == 0, [c for c in report["checks"] if not c["passed"]]
    assert report["failed"] == 0
    assert report["passed"] == len(report["checks"]) > 80
    assert report["writes"].startswith("none (read-only")
    areas = {check["area"] for check in report["checks"]}
    assert {"GET /orders", "GET /orders/{id}", "404 unknown order", "401 made-up token"} <= areas
    for name in ("status", "fulfillment_status", "location_id", "date_from", "date_to"):
        assert f"GET /orders?{name}" in areas
    seen = upstream_requests(sandbox)
    assert {method for method, _ in seen} == {"GET"}
    cursors = [path for _, path in seen if path == "/orders"]
    assert len(cursors) >= 1 + 1 + 5  # the page, the followed pages, the five filters


def test_the_text_report_has_a_row_per_check(sandbox: EmbeddedSandbox) -> None:
    code, out, _ = conformance(sandbox.base_url)
    assert code == 0
    assert "Writes: none (read-only; --cancel ORDER checks cancel)" in out
    assert "  PASS  order.total.amount: " in out
    assert "  PASS  status=" in out
    assert out.rstrip().endswith("failed.")
    assert " 0 failed." in out


def test_cancel_is_checked_only_when_asked_and_says_so(sandbox: EmbeddedSandbox) -> None:
    order = control(sandbox, lambda c: c.create_order())
    control(sandbox, lambda c: c.clear_requests())
    code, out, _ = conformance(sandbox.base_url, "--order", order.id, "--cancel", order.id)
    assert code == 0, out
    assert f"Writes: cancels order {order.id}" in out
    assert "  PASS  cancel.status is CANCELLED" in out
    posts = [path for method, path in upstream_requests(sandbox) if method != "GET"]
    assert posts == [f"/orders/{order.id}/cancel"]


def answer(payload: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def with_token(reply: Answer) -> Callable[[Seen], Answer]:
    """``reply`` to the right token, 401 in the envelope to any other."""
    refused = answer({"error": {"code": "unauthorized", "message": "Bad token."}}, 401)
    return lambda seen: reply if seen.headers.get("authorization") == f"Bearer {TOKEN}" else refused


@pytest.fixture
def bent_api(guide_order_json: dict[str, Any]) -> Iterator[HostileServer]:
    """An API that sends an unknown fulfillment status and an amount as a string (and a
    404 that echoes the token)."""
    order = copy.deepcopy(guide_order_json)
    order["fulfillment_status"] = "SHIPPED"
    order["total"]["amount"] = "1945"
    row = order_summary(order)
    row["id"] = ORDER_ID
    page = {"data": [row], "pagination": {"has_more": False, "next_cursor": None}}
    echo = {"error": {"code": "not_found", "message": f"No such order for {TOKEN}."}}
    with HostileServer() as server:
        server.route("GET", "/orders", with_token(answer(page)))
        server.route("GET", "/orders/[0-9a-f-]{36}", with_token(answer(echo, 404)))
        server.route("GET", f"/orders/{ORDER_ID}", with_token(answer(order)))  # wins: latest
        yield server


def test_conformance_fails_on_an_api_that_bends_the_guide(bent_api: HostileServer) -> None:
    code, out, _ = conformance(bent_api.base_url)
    assert code == 1
    assert "FAIL  order.fulfillment_status: expected one of PENDING, IN_PROGRESS" in out
    assert 'got "SHIPPED"' in out
    assert "FAIL  order.total.amount: expected an integer number of minor units" in out
    assert 'got "1945"' in out
    assert "FAIL  page.data[].fulfillment_status (at page.data[0].fulfillment_status)" in out
    assert "<redacted>" in out  # the echoed token, replaced
    code, out, _ = conformance(bent_api.base_url, "--json")
    report = json.loads(out)
    failures = {c["path"]: c["got"] for c in report["checks"] if not c["passed"]}
    assert failures["order.fulfillment_status"] == '"SHIPPED"'
    assert failures["order.total.amount"] == '"1945"'
    assert code == 1
    assert {seen.method for seen in bent_api.requests} == {"GET"}


def test_an_unreachable_api_exits_4(sandbox: EmbeddedSandbox) -> None:
    code, out, err = conformance(CLOSED_PORT_URL)
    assert code == 4
    assert out == ""
    assert err.startswith("Error: Could not reach the Tote API at 127.0.0.1:9")
    result = CliRunner().invoke(
        cli.main, ["conformance", "--base-url", sandbox.base_url, "--token", "not-the-token"]
    )
    assert result.exit_code == 4
    assert "refused the token" in result.stderr
