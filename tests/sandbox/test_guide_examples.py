"""The guide's own Python examples, run against a local sandbox over a real socket.

Each example is taken word for word from ``tests/fixtures/guide_python_examples.md`` (a copy
of the guide's code blocks) and executed with ``requests``. Only what must change to point it
at the sandbox is substituted: the base URL, the access token, and the guide's example order
id (which does not exist here) by an order created through the control API first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
import requests

from tote_track.sandbox.server import EmbeddedSandbox

FIXTURES = Path(__file__).parent.parent / "fixtures"
GUIDE_BASE_URL = "https://sandbox.api.tote.ai/v1/online-ordering"
GUIDE_ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
GUIDE_LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
OTHER_LOCATION = "2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f"


def guide_examples() -> dict[str, str]:
    text = (FIXTURES / "guide_python_examples.md").read_text()
    found = re.findall(r"^## (\w+)\n\n```python\n(.*?)```", text, re.S | re.M)
    return dict(found)


EXAMPLES = guide_examples()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as sb:
        yield sb


@pytest.fixture
def control(sandbox: EmbeddedSandbox) -> Iterator[httpx.Client]:
    """An empty sandbox for each example, and a client of its control endpoints."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        assert client.post("/sandbox/reset").status_code in (200, 204)
        yield client


def make_order(
    control: httpx.Client,
    *events: str,
    location_id: str = GUIDE_LOCATION,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"location_id": location_id}
    if created_at is not None:
        body["created_at"] = created_at.isoformat()
    response = control.post("/sandbox/orders", json=body)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    for event in events:
        response = control.post(f"/sandbox/orders/{order['id']}/events", json={"type": event})
        assert response.status_code == 200, response.text
        order = response.json()
    return order


PAID = ("payment_started", "payment_completed")
READY = (*PAID, "accept", "start_preparing", "ready")


def run_example(
    name: str,
    sandbox: EmbeddedSandbox,
    namespace: dict[str, Any] | None = None,
    *,
    order_id: str | None = None,
) -> dict[str, Any]:
    """Execute the guide's example ``name``; returns its variables."""
    code = EXAMPLES[name].replace(GUIDE_BASE_URL, sandbox.base_url)
    code = code.replace("YOUR_ACCESS_TOKEN", sandbox.token)
    scope = setup_namespace(sandbox) if namespace is None else namespace
    if order_id is not None:
        code = code.replace(GUIDE_ORDER_ID, order_id)
        # The later examples use the ``order_id`` an earlier one defined.
        scope["order_id"] = order_id
    exec(compile(code, f"<guide example {name}>", "exec"), scope)
    return scope


def setup_namespace(sandbox: EmbeddedSandbox) -> dict[str, Any]:
    """What the guide's first example defines for the ones after it (BASE_URL, headers)."""
    return {
        "requests": requests,
        "BASE_URL": sandbox.base_url,
        "headers": {"Authorization": f"Bearer {sandbox.token}"},
    }


def test_the_fixture_holds_the_guides_eight_examples() -> None:
    assert list(EXAMPLES) == [
        "retrieve_order",
        "orders_at_location",
        "orders_needing_attention",
        "orders_from_today",
        "fetch_all_orders",
        "poll_order_status",
        "cancel_order",
        "cancel_409",
    ]


def test_retrieving_a_single_order(
    sandbox: EmbeddedSandbox, control: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    created = make_order(control, *PAID, "accept", "start_preparing")
    scope = run_example("retrieve_order", sandbox, {}, order_id=created["id"])
    assert scope["response"].status_code == 200
    total = created["total"]["amount"]
    assert capsys.readouterr().out.splitlines() == [
        "Status: CONFIRMED",
        "Payment: PAID",
        "Fulfillment: PREPARING",
        f"Total: ${total / 100:.2f}",
        f"Paid: ${total / 100:.2f}",
        "Balance due: $0.00",
    ]
    assert scope["order"]["id"] == created["id"]
    assert {"items", "payments", "handoff"} <= set(scope["order"])


def test_orders_at_a_location(
    sandbox: EmbeddedSandbox, control: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    here = [make_order(control) for _ in range(22)]
    make_order(control, location_id=OTHER_LOCATION)
    scope = run_example("orders_at_location", sandbox)
    orders = scope["orders"]
    assert len(orders) == 20  # the example's limit
    assert scope["pagination"]["has_more"] is True
    assert {o["location_id"] for o in orders} == {GUIDE_LOCATION}
    newest_first = [o["id"] for o in reversed(here)][:20]
    assert [o["id"] for o in orders] == newest_first
    assert all("items" not in o and "payments" not in o for o in orders)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{newest_first[0]} | PENDING | PENDING | $")


def test_orders_needing_attention(
    sandbox: EmbeddedSandbox, control: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    ready = {make_order(control, *READY)["id"] for _ in range(3)}
    make_order(control, *PAID, "accept")
    make_order(control, *READY, "picked_up")
    make_order(control, *READY, location_id=OTHER_LOCATION)
    scope = run_example("orders_needing_attention", sandbox)
    assert {o["id"] for o in scope["ready_orders"]} == ready
    assert capsys.readouterr().out == "3 orders ready for pickup\n"


def test_orders_from_today(sandbox: EmbeddedSandbox, control: httpx.Client) -> None:
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = {make_order(control)["id"], make_order(control, created_at=midnight)["id"]}
    make_order(control, created_at=midnight - timedelta(seconds=1))
    make_order(control, created_at=now - timedelta(days=3))
    scope = run_example("orders_from_today", sandbox)
    assert {o["id"] for o in scope["todays_orders"]} == today


def test_fetch_all_orders_follows_the_cursors(
    sandbox: EmbeddedSandbox, control: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    confirmed = {make_order(control, "payment_completed")["id"] for _ in range(55)}
    make_order(control)  # pending
    make_order(control, "payment_completed", location_id=OTHER_LOCATION)
    pages: list[str] = []

    def get(*args: Any, **kwargs: Any) -> Any:
        response = requests.get(*args, **kwargs)
        pages.append(response.request.path_url)
        return response

    scope = setup_namespace(sandbox)
    # The example as written, with each page request noted on the way.
    scope["requests"] = SimpleNamespace(get=get)
    run_example("fetch_all_orders", sandbox, scope)
    assert {o["id"] for o in scope["all_confirmed"]} == confirmed
    assert len(scope["all_confirmed"]) == 55  # no order twice
    assert len(pages) == 2  # limit 50: two pages
    assert "cursor=" in pages[1]
    assert capsys.readouterr().out == "Total confirmed orders: 55\n"


def test_polling_returns_once_the_order_is_ready(
    sandbox: EmbeddedSandbox, control: httpx.Client
) -> None:
    ready = make_order(control, *READY)
    scope = run_example("poll_order_status", sandbox, order_id=ready["id"])
    assert scope["order"]["fulfillment_status"] == "READY_FOR_PICKUP"


def test_polling_stops_when_the_order_is_cancelled(
    sandbox: EmbeddedSandbox, control: httpx.Client
) -> None:
    order = make_order(control, *PAID)
    cancelled = control.post(
        f"/orders/{order['id']}/cancel",
        headers={"Idempotency-Key": str(uuid4())},
        json={"reason": "Customer changed their mind"},
    )
    assert cancelled.status_code == 200
    with pytest.raises(Exception, match="Order was cancelled"):
        run_example("poll_order_status", sandbox, order_id=order["id"])


def test_cancelling_an_order(sandbox: EmbeddedSandbox, control: httpx.Client) -> None:
    order = make_order(control, "payment_started")
    scope = setup_namespace(sandbox)
    # The guide's first cancel example uses uuid4 before the next one imports it.
    scope["uuid4"] = uuid4
    run_example("cancel_order", sandbox, scope, order_id=order["id"])
    response = scope["cancel_response"]
    assert response.status_code == 200
    body = response.json()
    # The guide's example response: nothing was paid, so UNPAID and the whole total due.
    assert body["id"] == order["id"]
    assert body["status"] == "CANCELLED"
    assert body["payment_status"] == "UNPAID"
    assert body["fulfillment_status"] == "CANCELLED"
    assert body["total_paid"] == {"amount": 0, "currency": "USD"}
    assert body["balance_due"] == order["total"]
    assert response.headers["X-Request-Id"]


def test_handling_the_409_conflict(
    sandbox: EmbeddedSandbox, control: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    preparing = make_order(control, *PAID, "accept", "start_preparing")
    scope = setup_namespace(sandbox)
    run_example("cancel_409", sandbox, scope, order_id=preparing["id"])
    assert scope["cancel_response"].status_code == 409
    assert scope["cancel_response"].json()["error"]["code"] == "cancel_not_allowed"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Cannot cancel: ")
    assert len(out[0]) > len("Cannot cancel: ") + 10
    assert out[1:] == [
        "The order is already being prepared.",
        "Contact the store directly to request cancellation.",
    ]

    queued = make_order(control, *PAID, "accept")
    scope = setup_namespace(sandbox)
    run_example("cancel_409", sandbox, scope, order_id=queued["id"])
    assert capsys.readouterr().out.splitlines() == [
        "Order cancelled successfully.",
        "Status: CANCELLED",
    ]
    after = control.get(f"/orders/{queued['id']}").json()
    assert {p["status"] for p in after["payments"]} == {"REFUNDED"}
