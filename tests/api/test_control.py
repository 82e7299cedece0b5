from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import BadResponseError, ConflictError, ServerError
from tote_track.api.models import FulfillmentStatus, Order
from tote_track.tracking.lifecycle import LifecycleEvent

BASE = "http://127.0.0.1:8787/v1/online-ordering"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


class Server:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1]


async def no_sleep(delay: float) -> None:
    return None


def control_for(server: Server) -> tuple[ToteClient, SandboxControl]:
    client = ToteClient(
        ClientConfig(BASE, "sandbox"), transport=httpx.MockTransport(server), sleep=no_sleep
    )
    return client, SandboxControl(client)


async def test_create_order_without_body(guide_order_json: dict[str, Any]) -> None:
    server = Server(httpx.Response(201, json=guide_order_json))
    client, control = control_for(server)
    async with client:
        order = await control.create_order()
    assert isinstance(order, Order)
    assert order.id == ORDER_ID
    (request,) = server.requests
    assert request.method == "POST"
    assert request.url.path == "/v1/online-ordering/sandbox/orders"
    assert request.content == b""
    assert request.headers["Authorization"] == "Bearer sandbox"


async def test_create_order_with_body_is_not_retried(guide_order_json: dict[str, Any]) -> None:
    server = Server(httpx.Response(503, json={"error": {"code": "internal", "message": "x"}}))
    client, control = control_for(server)
    body = {"handoff": {"mode": "DELIVERY"}, "payments": [{"amount": {"amount": 5}}]}
    async with client:
        with pytest.raises(ServerError):
            await control.create_order(body)
    assert len(server.requests) == 1
    assert json.loads(server.requests[0].content) == body


async def test_fire_event_posts_the_type(guide_order_json: dict[str, Any]) -> None:
    moved = dict(guide_order_json, fulfillment_status="READY_FOR_PICKUP")
    server = Server(httpx.Response(200, json=moved))
    client, control = control_for(server)
    async with client:
        order = await control.fire_event(ORDER_ID, LifecycleEvent.READY)
    assert order.fulfillment_status is FulfillmentStatus.READY_FOR_PICKUP
    (request,) = server.requests
    assert request.url.path == f"/v1/online-ordering/sandbox/orders/{ORDER_ID}/events"
    assert json.loads(request.content) == {"type": "ready"}


async def test_fire_event_not_allowed_is_a_conflict_sent_once() -> None:
    error = {"error": {"code": "event_not_allowed", "message": "Order is COMPLETED."}}
    server = Server(httpx.Response(409, json=error))
    client, control = control_for(server)
    async with client:
        with pytest.raises(ConflictError, match="Order is COMPLETED"):
            await control.fire_event(ORDER_ID, "ready")
    assert len(server.requests) == 1


async def test_fire_event_checks_the_order_id() -> None:
    server = Server(httpx.Response(200, json={}))
    client, control = control_for(server)
    async with client:
        with pytest.raises(ValueError, match="order_id"):
            await control.fire_event("", "ready")
    assert server.requests == []


async def test_fire_event_with_an_invalid_answer_is_a_bad_response() -> None:
    server = Server(httpx.Response(200, json={"id": ORDER_ID}))
    client, control = control_for(server)
    async with client:
        with pytest.raises(BadResponseError, match="not a valid order"):
            await control.fire_event(ORDER_ID, "ready")


async def test_set_faults_sends_only_given_settings() -> None:
    settings: dict[str, Any] = {
        "error_rate": 0.2,
        "latency_ms": 300,
        "rate_limit_per_minute": 60,
        "drop_rate": 0,
    }
    server = Server(
        httpx.Response(200, json=settings),
        httpx.Response(200, json={"error_rate": 0.5}),
    )
    client, control = control_for(server)
    async with client:
        assert await control.set_faults(**settings) == settings
        assert await control.set_faults(error_rate=0.5) == {"error_rate": 0.5}
    first, second = server.requests
    assert first.method == "PUT"
    assert first.url.path == "/v1/online-ordering/sandbox/faults"
    assert json.loads(first.content) == settings
    assert json.loads(second.content) == {"error_rate": 0.5}


async def test_set_faults_tolerates_no_content_and_refuses_non_objects() -> None:
    server = Server(httpx.Response(204), httpx.Response(200, json=[1]))
    client, control = control_for(server)
    async with client:
        assert await control.set_faults(latency_ms=10) == {}
        with pytest.raises(BadResponseError, match="other than an object"):
            await control.set_faults(latency_ms=10)


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(204), httpx.Response(200, content=b""), httpx.Response(200, json={})],
)
async def test_clear_faults_and_reset(answer: httpx.Response) -> None:
    server = Server(answer)
    client, control = control_for(server)
    async with client:
        await control.clear_faults()
        await control.reset()
    assert [(r.method, r.url.path) for r in server.requests] == [
        ("DELETE", "/v1/online-ordering/sandbox/faults"),
        ("POST", "/v1/online-ordering/sandbox/reset"),
    ]


def test_repr_shows_the_base_url_only() -> None:
    _client, control = control_for(Server())
    assert repr(control) == f"SandboxControl(base_url={BASE!r})"
