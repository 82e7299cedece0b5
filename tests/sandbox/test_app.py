"""The sandbox over HTTP, in-process: every endpoint, every error, auth, faults."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import (
    BadRequestError,
    CancelNotAllowedError,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from tote_track.api.models import ErrorEnvelope, Order, OrderSummary, Page
from tote_track.sandbox import control as sandbox_control
from tote_track.sandbox.app import OPENAPI_PATH, create_app
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.faults import FaultConfig
from tote_track.sandbox.routes import HotReads

from .conftest import AUTH, GUIDE_ORDER_ID, START, FakeClock, client_for, create_order, fire


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    error = ErrorEnvelope.model_validate(body).error
    assert error.code == code
    assert error.message[0].isupper()
    assert error.message.endswith(".")
    assert error.request_id == response.headers["X-Request-Id"]
    return body["error"]


# -- auth and request ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "Authentication required"),
        ({"Authorization": "Basic c2FuZGJveA=="}, "Bearer scheme"),
        ({"Authorization": "Bearer wrong"}, "not valid"),
        ({"Authorization": "Bearer "}, "no token"),
    ],
)
async def test_every_endpoint_needs_the_token(
    app: FastAPI, headers: dict[str, str], words: str
) -> None:
    async with client_for(app, headers) as http:
        for method, path in [
            ("GET", f"/orders/{GUIDE_ORDER_ID}"),
            ("GET", "/orders"),
            ("POST", f"/orders/{GUIDE_ORDER_ID}/cancel"),
            ("POST", "/sandbox/orders"),
            ("POST", "/sandbox/reset"),
            ("DELETE", "/sandbox/faults"),
            ("GET", "/no/such/endpoint"),
        ]:
            response = await http.request(method, path)
            error = assert_error(response, 401, "unauthorized")
            assert words in error["message"]
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert "wrong" not in response.text


async def test_the_scheme_is_case_insensitive_and_the_token_is_not(app: FastAPI) -> None:
    async with client_for(app, {"Authorization": "bearer sandbox"}) as http:
        assert (await http.get("/orders")).status_code == 200
    async with client_for(app, {"Authorization": "Bearer SANDBOX"}) as http:
        assert_error(await http.get("/orders"), 401, "unauthorized")


async def test_a_custom_token() -> None:
    app = create_app(token="s3cret")
    async with client_for(app, {"Authorization": "Bearer s3cret"}) as http:
        assert (await http.get("/orders")).status_code == 200
    async with client_for(app) as http:
        assert_error(await http.get("/orders"), 401, "unauthorized")
    with pytest.raises(ValueError, match="token"):
        create_app(token="")


async def test_openapi_is_public(app: FastAPI) -> None:
    async with client_for(app, {}) as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["X-Request-Id"]
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert set(schema["paths"]) >= {
        "/v1/online-ordering/orders",
        "/v1/online-ordering/orders/{order_id}",
        "/v1/online-ordering/orders/{order_id}/cancel",
        "/v1/online-ordering/sandbox/orders",
        "/v1/online-ordering/sandbox/orders/{order_id}/events",
        "/v1/online-ordering/sandbox/faults",
        "/v1/online-ordering/sandbox/reset",
    }
    assert "HTTPValidationError" not in response.text
    operations = {
        op["operationId"]: op for item in schema["paths"].values() for op in item.values()
    }
    for operation in operations.values():
        assert {"400", "401"} <= set(operation["responses"])
        assert operation["responses"]["401"]["headers"]["X-Request-Id"]["required"] is True
    cancel = operations["cancelOrder"]["responses"]
    assert {"200", "404", "409", "422", "429", "500", "503"} <= set(cancel)
    assert cancel["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    assert cancel["429"]["headers"]["Retry-After"]["required"] is True
    assert [p["name"] for p in operations["listOrders"]["parameters"]] == [
        "status",
        "fulfillment_status",
        "location_id",
        "date_from",
        "date_to",
        "limit",
        "cursor",
    ]
    assert app.openapi() is app.openapi()  # built once
    assert OPENAPI_PATH == "/v1/online-ordering/openapi.json"


async def test_every_response_has_its_own_request_id(client: httpx.AsyncClient) -> None:
    ids = set()
    for path in ("/orders", "/orders", f"/orders/{GUIDE_ORDER_ID}", "/nowhere"):
        response = await client.get(path)
        ids.add(response.headers["X-Request-Id"])
    assert len(ids) == 4


async def test_unknown_routes_and_methods_use_the_envelope(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/nowhere"), 404, "not_found")
    assert "GET /v1/online-ordering/nowhere" in error["message"]
    response = await client.delete("/orders")
    error = assert_error(response, 405, "invalid_request")
    assert response.headers["Allow"] == "GET"
    assert "DELETE" in error["message"]
    options = await client.options("/sandbox/faults")
    assert_error(options, 405, "invalid_request")
    assert options.headers["Allow"] == "DELETE, GET, PUT"


async def test_unexpected_errors_are_internal_with_a_request_id(
    app: FastAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(order_id: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "get_record", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test/v1/online-ordering", headers=AUTH
    ) as http:
        response = await http.get(f"/orders/{GUIDE_ORDER_ID}")
    error = assert_error(response, 500, "internal")
    assert "boom" not in error["message"]


# -- GET /orders/{order_id} -----------------------------------------------------------------


async def test_get_order(client: httpx.AsyncClient, guide_order_json: dict[str, Any]) -> None:
    created = await create_order(client)
    response = await client.get(f"/orders/{created['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    order = response.json()
    assert order == created
    assert set(guide_order_json) <= set(order)
    Order.model_validate(order)
    upper = await client.get(f"/orders/{created['id'].upper()}")
    assert upper.json()["id"] == created["id"]


async def test_get_order_errors(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get(f"/orders/{GUIDE_ORDER_ID}"), 404, "not_found")
    assert GUIDE_ORDER_ID in error["message"]
    for bad in ("123", "f9a8b7c6d5e43210fedcba9876543210", "zzzzzzzz-d5e4-3210-fedc-ba9876543210"):
        error = assert_error(await client.get(f"/orders/{bad}"), 400, "invalid_request")
        assert "not a UUID" in error["message"]
    response = await client.get(f"/orders/{GUIDE_ORDER_ID}", params={"expand": "items"})
    assert assert_error(response, 400, "invalid_request")["message"] == (
        "Unknown query parameter expand; this endpoint takes no query parameters."
    )


# -- GET /orders ----------------------------------------------------------------------------


async def test_list_orders_pages_newest_first(client: httpx.AsyncClient, clock: FakeClock) -> None:
    ids = []
    for _ in range(5):
        ids.append((await create_order(client))["id"])
        clock.advance(1)
    response = await client.get("/orders", params={"limit": 2})
    assert response.status_code == 200
    page = Page[OrderSummary].model_validate(response.json())
    assert [o.id for o in page.data] == ids[::-1][:2]
    assert "items" not in response.json()["data"][0]
    seen = [o.id for o in page.data]
    while page.pagination.has_more:
        await create_order(client)  # an order arriving between pages
        clock.advance(1)
        response = await client.get(
            "/orders", params={"limit": 2, "cursor": page.pagination.next_cursor}
        )
        page = Page[OrderSummary].model_validate(response.json())
        seen += [o.id for o in page.data]
    assert seen == ids[::-1]
    default = (await client.get("/orders")).json()
    assert len(default["data"]) == 7
    assert default["pagination"] == {"has_more": False, "next_cursor": None}


async def test_list_default_limit_is_20(client: httpx.AsyncClient, engine: Engine) -> None:
    for _ in range(21):
        engine.create_order()
    body = (await client.get("/orders")).json()
    assert len(body["data"]) == 20
    assert body["pagination"]["has_more"] is True


async def test_list_filters(client: httpx.AsyncClient, clock: FakeClock) -> None:
    other = "00000000-0000-4000-8000-00000000000b"
    first = await create_order(client)
    clock.advance(3600)
    second = await create_order(client, {"location_id": other})
    clock.advance(3600)
    third = await create_order(client)
    await fire(client, third["id"], "payment_completed", "accept", "start_preparing")

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/orders", params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["data"]]

    assert await ids(status="CONFIRMED") == [third["id"]]
    assert await ids(fulfillment_status="PREPARING") == [third["id"]]
    assert await ids(status="PENDING", location_id=other) == [second["id"]]
    assert await ids(location_id=other.upper()) == [second["id"]]
    assert await ids(date_from="2026-01-31T11:07:00Z") == [third["id"], second["id"]]
    assert await ids(date_to="2026-01-31T11:07:00Z") == [second["id"], first["id"]]
    assert await ids(date_from="2026-01-31T11:07:00+00:00", date_to="2026-01-31T11:07:00Z") == [
        second["id"]
    ]
    assert await ids(date_from="2026-01-31T12:07:00+01:00") == [third["id"], second["id"]]
    assert await ids(date_from="2026-01-31T11:07:00 00:00") == [third["id"], second["id"]]
    assert await ids(date_from="2026-01-31T11:07:00") == [third["id"], second["id"]]
    assert await ids(date_from="2026-01-31", date_to="2026-01-31") == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert await ids(date_to="2026-01-30") == []
    assert await ids(date_from="2026-02-01T00:00:00Z", date_to="2026-01-01T00:00:00Z") == []
    assert len(await ids(date_from="0001-01-01T00:00:00+01:00")) == 3
    assert await ids(date_from="9999-12-31T23:59:59-01:00") == []


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"status": "confirmed"}, "status parameter must be one of"),
        ({"status": "ON_HOLD"}, "status parameter must be one of"),
        ({"fulfillment_status": "DONE"}, "fulfillment_status parameter must be one of"),
        ({"location_id": "store-1"}, "location_id parameter must be a UUID"),
        ({"date_from": "yesterday"}, "date_from parameter must be an ISO 8601"),
        ({"date_to": "2026-13-01"}, "date_to parameter must be an ISO 8601"),
        ({"date_to": "2026-01-01T00:00:00Z" + "0" * 60}, "date_to"),
        ({"cursor": "nope"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"page": "2"}, "Unknown query parameter page"),
        ({"status": ["PENDING", "CONFIRMED"]}, "more than once"),
    ],
)
async def test_list_rejects_malformed_queries(
    client: httpx.AsyncClient, params: dict[str, Any], words: str
) -> None:
    error = assert_error(await client.get("/orders", params=params), 400, "invalid_request")
    assert words in error["message"]


async def test_hot_reads_answer_like_the_routes(
    client: httpx.AsyncClient, engine: Engine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without faults, ``HotReads`` answers the two hot reads before routing; with any fault
    configured they go through the documented routes. Both must give the same answers."""
    ids = []
    for _ in range(3):
        ids.append((await create_order(client))["id"])
        clock.advance(1)
    first_page = (await client.get("/orders", params={"limit": 1})).json()
    location = "B5A7C8D9-E0F1-4A2B-8C3D-4E5F6A7B8C9D"
    requests: list[tuple[str, dict[str, str | list[str]]]] = [
        ("/orders", {}),
        ("/orders", {"limit": "2", "status": "PENDING"}),
        ("/orders", {"cursor": first_page["pagination"]["next_cursor"]}),
        ("/orders", {"date_from": "2026-01-31", "date_to": "2026-01-31T10:07:01 01:00"}),
        ("/orders", {"location_id": location, "fulfillment_status": "PENDING"}),
        ("/orders", {"status": "bogus"}),
        ("/orders", {"page": "2"}),
        ("/orders", {"limit": "0", "date_to": "soon"}),
        ("/orders", {"status": ["PENDING", "PENDING"]}),
        ("/orders", {"cursor": "nope"}),
        (f"/orders/{ids[0]}", {}),
        (f"/orders/{ids[1].upper()}", {}),
        (f"/orders/{GUIDE_ORDER_ID}", {}),
        ("/orders/not-a-uuid", {}),
        (f"/orders/{ids[0]}", {"expand": "items"}),
        (f"/orders/{ids[0]}", {"a": ["1", "2"]}),
        (f"/orders/{ids[0]}/", {}),
        ("/orders/", {}),
    ]

    async def answers() -> list[tuple[int, str, Any]]:
        found = []
        for path, params in requests:
            response = await client.get(path, params=params)
            body = response.json() if response.content else None
            if isinstance(body, dict) and "error" in body:
                assert body["error"].pop("request_id") == response.headers["X-Request-Id"]
            found.append((response.status_code, response.headers.get("content-type", ""), body))
        return found

    answered: list[bool] = []
    answer = HotReads._answer

    def spy(self: HotReads, scope: Any) -> tuple[int, bytes] | None:
        result = answer(self, scope)
        answered.append(result is not None)
        return result

    monkeypatch.setattr(HotReads, "_answer", spy)
    fast = await answers()
    assert answered == [True] * 16 + [False, False]  # the redirects are the router's
    engine.faults.configure(FaultConfig(rate_limit_per_minute=1_000_000))
    assert engine.faults.config.active
    assert await answers() == fast
    assert len(answered) == 18  # under faults, the routes answered
    statuses = [status for status, _, _ in fast]
    assert statuses[:10] == [200, 200, 200, 200, 200, 400, 400, 400, 400, 400]
    assert statuses[10:] == [200, 200, 404, 400, 400, 400, 307, 307]


# -- POST /orders/{order_id}/cancel ---------------------------------------------------------


async def test_cancel_returns_the_full_order(
    client: httpx.AsyncClient, guide_cancel_json: dict[str, Any]
) -> None:
    order = await create_order(client)
    await fire(client, order["id"], "payment_completed", "accept")
    response = await client.post(
        f"/orders/{order['id']}/cancel",
        json={"reason": "Customer changed their mind"},
        headers={"Idempotency-Key": "a"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) > set(guide_cancel_json)
    for field in set(guide_cancel_json) - {"id"}:
        assert body[field] == guide_cancel_json[field]
    assert [p["status"] for p in body["payments"]] == ["REFUNDED"]
    assert (await client.get(f"/orders/{order['id']}")).json() == body


async def test_cancel_without_an_idempotency_key_is_accepted(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    response = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "No key"})
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    again = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "No key"})
    assert_error(again, 409, "cancel_not_allowed")


async def test_cancel_refused_once_preparing(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await fire(client, order["id"], "payment_completed", "accept", "start_preparing")
    response = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "Late"})
    error = assert_error(response, 409, "cancel_not_allowed")
    assert "PREPARING" in error["message"]
    assert "contact the store" in error["message"]
    assert (await client.get(f"/orders/{order['id']}")).json()["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "needs a JSON body"),
        (b"{not json", "not valid JSON"),
        (b"[]", "The request is invalid"),
        (b"{}", "reason"),
        (b'{"reason": ""}', "reason"),
        (b'{"reason": 7}', "reason"),
        (b'{"reason": "' + b"x" * 501 + b'"}', "reason"),
    ],
)
async def test_cancel_rejects_malformed_bodies(
    client: httpx.AsyncClient, content: bytes | None, words: str
) -> None:
    order = await create_order(client)
    response = await client.post(
        f"/orders/{order['id']}/cancel",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert words in assert_error(response, 400, "invalid_request")["message"]


async def test_cancel_errors(client: httpx.AsyncClient) -> None:
    missing = await client.post(f"/orders/{GUIDE_ORDER_ID}/cancel", json={"reason": "x"})
    assert_error(missing, 404, "not_found")
    malformed = await client.post("/orders/42/cancel", json={"reason": "x"})
    assert_error(malformed, 400, "invalid_request")
    order = await create_order(client)
    with_query = await client.post(
        f"/orders/{order['id']}/cancel", params={"force": "1"}, json={"reason": "x"}
    )
    assert_error(with_query, 400, "invalid_request")


async def test_a_body_without_content_type_is_read_as_json(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    response = await client.post(f"/orders/{order['id']}/cancel", content=b'{"reason": "curl"}')
    assert response.status_code == 200, response.text


# -- control endpoints ----------------------------------------------------------------------


async def test_create_order_with_a_body(client: httpx.AsyncClient) -> None:
    body = {
        "location_id": "00000000-0000-4000-8000-00000000000c",
        "handoff": {
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
            "delivery_instructions": "Leave at the door",
        },
        "items": [
            {"name": "Pizza", "quantity": 2, "unit_price": {"amount": 1000, "currency": "USD"}}
        ],
        "payments": [
            {"amount": {"amount": 1000}, "payment_method": "GIFT_CARD"},
            {"amount": {"amount": 1165}},
        ],
        "created_at": "2026-01-30T09:00:00-05:00",
    }
    order = await create_order(client, body)
    assert order["handoff"]["delivery_address"] == {"line1": "12 Main St", "city": "Springfield"}
    assert [(i["name"], i["item_total"]["amount"]) for i in order["items"]] == [("Pizza", 2000)]
    assert (order["subtotal"]["amount"], order["total_tax"]["amount"]) == (2000, 165)
    assert order["payments"] == []
    assert order["created_at"] == "2026-01-30T14:00:00Z"
    paid = await fire(client, order["id"], "payment_completed", "payment_completed")
    assert [p["payment_method"] for p in paid["payments"]] == ["GIFT_CARD", "CREDIT_CARD"]
    assert paid["payment_status"] == "PAID"


@pytest.mark.parametrize(
    "body",
    [
        {"surprise": 1},
        {"location_id": "store-1"},
        {"handoff": {"mode": "BOAT"}},
        {"handoff": {"vehicle_make": "Toyota"}},
        {"items": []},
        {"items": [{"name": "A", "quantity": 0, "unit_price": {"amount": 1}}]},
        {"items": [{"name": "A", "unit_price": {"amount": 1.5}}]},
        {"items": [{"name": "A", "unit_price": {"amount": 100, "currency": "usd"}}]},
        {"payments": [{"amount": {"amount": 5000}}]},
        {"payments": [{"amount": {"amount": 100}, "payment_method": "BITCOIN"}]},
        {"created_at": "2026-01-30T09:00:00"},
        {"created_at": "0001-01-01T00:00:00+14:00"},
        {"created_at": "9999-12-31T23:59:59-14:00"},
        {"created_at": "9999-12-31T23:59:59Z"},
        {"autoplay": {"scenario": "pickup", "speed": 0}},
    ],
)
async def test_create_order_rejects_bad_bodies(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert_error(await client.post("/sandbox/orders", json=body), 400, "invalid_request")


class RecordingAutoplayer:
    def __init__(self) -> None:
        self.started: list[tuple[str, str, float]] = []

    def start(self, order_id: str, scenario: str, speed: float) -> None:
        self.started.append((order_id, scenario, speed))

    async def aclose(self) -> None:
        """Nothing to stop."""


async def test_create_order_with_autoplay(app: FastAPI, client: httpx.AsyncClient) -> None:
    assert app.state.autoplayer is not None  # the lifespan started the real one
    recorder = RecordingAutoplayer()
    app.state.autoplayer = recorder
    order = await create_order(client, {"autoplay": {"scenario": "delivery", "speed": 4}})
    assert recorder.started == [(order["id"], "delivery", 4.0)]
    assert order["handoff"]["mode"] == "DELIVERY"  # the scenario's defaults
    mine = await create_order(
        client,
        {"handoff": {"mode": "KIOSK"}, "autoplay": {"scenario": "delivery"}},
    )
    assert mine["handoff"]["mode"] == "KIOSK"  # the caller's fields win
    assert recorder.started[-1] == (mine["id"], "delivery", 1.0)
    error = assert_error(
        await client.post("/sandbox/orders", json={"autoplay": {"scenario": "teleport"}}),
        400,
        "invalid_request",
    )
    assert "teleport" in error["message"]
    assert "pickup" in error["message"]
    assert len(recorder.started) == 2


async def test_autoplay_needs_a_running_autoplayer(engine: Engine) -> None:
    app = create_app(engine=engine)  # lifespan not started: no autoplayer
    async with client_for(app) as http:
        response = await http.post("/sandbox/orders", json={"autoplay": {"scenario": "pickup"}})
    assert "not available" in assert_error(response, 400, "invalid_request")["message"]
    assert engine.count() == 0


async def test_events_endpoint(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    moved = await fire(client, order["id"], "payment_completed")
    assert (moved["status"], moved["payment_status"]) == ("CONFIRMED", "PAID")
    refused = await client.post(f"/sandbox/orders/{order['id']}/events", json={"type": "picked_up"})
    error = assert_error(refused, 409, "event_not_allowed")
    assert "CONFIRMED" in error["message"]
    assert "allowed now: accept" in error["message"]
    unknown = await client.post(f"/sandbox/orders/{order['id']}/events", json={"type": "fly"})
    assert_error(unknown, 400, "invalid_request")
    missing = await client.post(f"/sandbox/orders/{GUIDE_ORDER_ID}/events", json={"type": "accept"})
    assert_error(missing, 404, "not_found")
    malformed = await client.post("/sandbox/orders/x/events", json={"type": "accept"})
    assert_error(malformed, 400, "invalid_request")


async def test_reset(client: httpx.AsyncClient) -> None:
    await create_order(client)
    await create_order(client)
    response = await client.post("/sandbox/reset")
    assert response.json() == {"orders_deleted": 2}
    assert (await client.get("/orders")).json()["data"] == []


# -- faults ---------------------------------------------------------------------------------


async def test_fault_settings_round_trip(client: httpx.AsyncClient) -> None:
    off = {"error_rate": 0.0, "latency_ms": 0, "rate_limit_per_minute": None, "drop_rate": 0.0}
    assert (await client.get("/sandbox/faults")).json() == off
    settings = {"error_rate": 0.2, "latency_ms": 300, "rate_limit_per_minute": 60}
    response = await client.put("/sandbox/faults", json=settings)
    assert response.json() == {**settings, "drop_rate": 0.0}
    assert (await client.put("/sandbox/faults", json={"drop_rate": 1})).json() == {
        **off,
        "drop_rate": 1.0,
    }  # PUT replaces everything
    assert (await client.delete("/sandbox/faults")).json() == off


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_rate": "0.5"},
        {"latency_ms": -1},
        {"latency_ms": 2.5},
        {"latency_ms": 600_000},
        {"rate_limit_per_minute": 0},
        {"drop_rate": True},
        {"chaos": 1},
    ],
)
async def test_fault_settings_are_validated(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert_error(await client.put("/sandbox/faults", json=body), 400, "invalid_request")


async def test_rate_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await client.put("/sandbox/faults", json={"rate_limit_per_minute": 2})
    order = await create_order(client)
    assert (await client.get("/orders")).status_code == 200
    assert (await client.get(f"/orders/{order['id']}")).status_code == 200
    limited = await client.get("/orders")
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "30"
    clock.advance(10)
    assert (await client.get("/orders")).headers["Retry-After"] == "20"
    cancel = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "x"})
    assert_error(cancel, 429, "rate_limited")
    assert (await client.post("/sandbox/orders")).status_code == 201  # control: unaffected
    clock.advance(20)
    assert (await client.get("/orders")).status_code == 200
    assert_error(await client.get("/orders"), 429, "rate_limited")


async def test_error_rate_answers_5xx_in_the_envelope(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await client.put("/sandbox/faults", json={"error_rate": 1})
    statuses = set()
    for _ in range(12):
        response = await client.get(f"/orders/{order['id']}")
        assert_error(response, response.status_code, "internal")
        statuses.add(response.status_code)
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"
    assert statuses == {500, 503}
    assert await client.post(f"/sandbox/orders/{order['id']}/events", json={"type": "accept"})
    assert (await client.get("/sandbox/faults")).status_code == 200
    assert (await client.post("/sandbox/orders")).status_code == 201


async def test_drops_are_transport_errors_in_process(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await client.put("/sandbox/faults", json={"drop_rate": 1})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await client.get("/orders")
    with pytest.raises(httpx.TransportError):
        await client.post(f"/orders/{order['id']}/cancel", json={"reason": "x"})
    assert await client.get(f"/orders/{order['id']}", headers={"Authorization": "Bearer no"})
    await client.delete("/sandbox/faults")
    assert (await client.get(f"/orders/{order['id']}")).json()["status"] == "PENDING"


async def _outcomes(seed: int) -> list[str]:
    engine = Engine(rng=random.Random(seed))
    app = create_app(engine=engine)
    outcomes = []
    async with client_for(app) as http:
        await http.put("/sandbox/faults", json={"drop_rate": 0.3, "error_rate": 0.3})
        for _ in range(30):
            try:
                outcomes.append(str((await http.get("/orders")).status_code))
            except httpx.TransportError:
                outcomes.append("drop")
    return outcomes


async def test_faults_are_deterministic_with_a_seeded_rng() -> None:
    first = await _outcomes(42)
    assert first == await _outcomes(42)
    assert {"drop", "200"} <= set(first)
    assert {"500", "503"} & set(first)


async def test_latency_waits_before_answering(clock: FakeClock) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    engine = Engine(clock=clock, sleep=fake_sleep)
    app = create_app(engine=engine)
    async with client_for(app) as http:
        await http.put("/sandbox/faults", json={"latency_ms": 250})
        order = await create_order(http)
        await http.get(f"/orders/{order['id']}")
        await http.get("/orders")
        await http.post(f"/orders/{order['id']}/cancel", json={"reason": "slow"})
        await http.post("/sandbox/reset")
    assert waits == [0.25, 0.25, 0.25]


RETRY_SEED = 4

# -- through the project's own client -------------------------------------------------------


@pytest.fixture
async def tote(app: FastAPI) -> AsyncIterator[ToteClient]:
    config = ClientConfig(base_url="http://127.0.0.1/v1/online-ordering", token="sandbox")

    async def no_sleep(seconds: float) -> None:
        """Retries do not wait in tests."""

    async with ToteClient(config, transport=httpx.ASGITransport(app=app), sleep=no_sleep) as client:
        yield client


async def test_the_client_drives_every_endpoint(tote: ToteClient, clock: FakeClock) -> None:
    control = SandboxControl(tote)
    await control.reset()
    made = []
    for _ in range(5):
        made.append(await control.create_order())
        clock.advance(1)
    order = made[-1]
    assert (await tote.get_order(order.id)).total.amount == 1945
    page = await tote.list_orders(limit=2, date_from=START - timedelta(hours=1))
    assert [o.id for o in page.data] == [made[4].id, made[3].id]
    assert [o.id async for o in tote.iter_orders(page_size=2)] == [o.id for o in made[::-1]]
    await control.fire_event(order.id, "payment_completed")
    result = await tote.cancel_order(order.id, "Changed my mind")
    assert (result.status, result.payment_status, result.balance_due.amount) == (
        "CANCELLED",
        "UNPAID",
        1945,
    )
    with pytest.raises(CancelNotAllowedError) as caught:
        await tote.cancel_order(order.id, "Again")
    assert caught.value.code == "cancel_not_allowed"
    assert caught.value.request_id
    with pytest.raises(NotFoundError):
        await tote.get_order(GUIDE_ORDER_ID)
    with pytest.raises(ConflictError):
        await control.fire_event(order.id, "accept")
    with pytest.raises(BadRequestError):
        await control.set_faults(error_rate=3.0)
    assert (await control.set_faults(latency_ms=0, rate_limit_per_minute=100))[
        "rate_limit_per_minute"
    ] == 100
    await control.clear_faults()


async def test_the_client_retries_through_injected_errors(app: FastAPI, engine: Engine) -> None:
    waits: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        waits.append(seconds)

    config = ClientConfig(base_url="http://127.0.0.1/v1/online-ordering", token="sandbox")
    order = engine.create_order()
    async with ToteClient(
        config, transport=httpx.ASGITransport(app=app), sleep=recording_sleep
    ) as tote:
        await SandboxControl(tote).set_faults(error_rate=0.3, drop_rate=0.1)
        engine.faults.rng.seed(RETRY_SEED)
        fetched = [await tote.get_order(order.id) for _ in range(6)]
    assert {o.id for o in fetched} == {order.id}
    assert waits  # some attempts failed and were retried


async def test_the_client_reports_a_wrong_token(app: FastAPI) -> None:
    config = ClientConfig(base_url="http://127.0.0.1/v1/online-ordering", token="nope")
    async with ToteClient(config, transport=httpx.ASGITransport(app=app)) as client:
        with pytest.raises(UnauthorizedError) as caught:
            await client.list_orders()
    assert "nope" not in str(caught.value)


async def test_a_drop_under_a_server_closes_its_transport() -> None:
    """Under uvicorn, ``receive`` is a bound method of the request cycle, which holds the
    connection's transport: a drop closes it and sends nothing."""

    class Transport:
        def __init__(self, cycle: Cycle) -> None:
            self.cycle = cycle
            self.closed = False

        def close(self) -> None:
            self.closed = True
            asyncio.get_running_loop().call_soon(setattr, self.cycle, "disconnected", True)

    class Cycle:
        def __init__(self) -> None:
            self.disconnected = False
            self.transport = Transport(self)
            self.sent: list[dict[str, Any]] = []

        async def receive(self) -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(self, message: dict[str, Any]) -> None:
            self.sent.append(message)

    app = create_app()
    app.state.engine.faults.configure(FaultConfig(drop_rate=1))
    cycle = Cycle()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/online-ordering/orders",
        "raw_path": b"/v1/online-ordering/orders",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"sandbox.test"), (b"authorization", b"Bearer sandbox")],
        "server": ("127.0.0.1", 8787),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, cycle.receive, cycle.send)
    assert cycle.transport.closed
    assert cycle.disconnected
    assert cycle.sent == []


async def test_a_scenario_whose_defaults_do_not_fit_is_refused(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Scenarios:
        SCENARIO_NAMES = ("odd",)

        @staticmethod
        def scenario_order_body(name: str) -> dict[str, Any]:
            return {"handoff": {"mode": "SUBMARINE"}}

    monkeypatch.setattr(sandbox_control, "autoplay", Scenarios)
    app.state.autoplayer = RecordingAutoplayer()
    response = await client.post("/sandbox/orders", json={"autoplay": {"scenario": "odd"}})
    assert "handoff.mode" in assert_error(response, 400, "invalid_request")["message"]


async def test_a_form_encoded_body_is_told_to_send_json(client: httpx.AsyncClient) -> None:
    created = await client.post("/sandbox/orders")
    order_id = created.json()["id"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = await client.post(
        f"/sandbox/orders/{order_id}/events", content=b'{"type":"accept"}', headers=form
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "Content-Type: application/json" in error["message"]
    assert "application/x-www-form-urlencoded" in error["message"]


async def test_every_json_reply_ends_with_a_newline() -> None:
    app = create_app(token="sandbox")
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer sandbox"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http,
    ):
        base = "/v1/online-ordering"
        created = await http.post(f"{base}/sandbox/orders", headers=headers)
        order_id = created.json()["id"]
        replies = [
            created,
            await http.get(f"{base}/orders/{order_id}", headers=headers),
            await http.get(f"{base}/orders?limit=2", headers=headers),
            await http.get(f"{base}/orders/nope", headers=headers),  # an error envelope
            await http.get(f"{base}/orders", headers={}),  # 401
            await http.post(
                f"{base}/sandbox/orders/{order_id}/events", headers=headers, json={"type": "x"}
            ),
            await http.get(f"{base}/openapi.json"),
        ]
    for reply in replies:
        assert reply.headers["content-type"].startswith("application/json")
        assert reply.content.endswith(b"}\n"), reply.request.url
        assert int(reply.headers["content-length"]) == len(reply.content)
