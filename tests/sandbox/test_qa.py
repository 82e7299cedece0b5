"""The sandbox's QA endpoints in-process: the request journal, scripted answers per order,
and the polling verdict; each driven through the project's own client where a client is
what the feature is about."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import NotFoundError, RateLimitedError, ServerError
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.journal import JOURNAL_LIMIT, Entry, Journal
from tote_track.sandbox.scripts import MAX_DELAY_MS, MAX_RESPONSES
from tote_track.sandbox.store import MemoryStore

from .conftest import START, TOKEN, FakeClock, client_for, create_order

MISSING = "00000000-0000-4000-8000-000000000000"
LOOPBACK_URL = "http://127.0.0.1/v1/online-ordering"
SECRET = "tok-QA-7f3a9c1e5b"


async def no_sleep(delay: float) -> None:
    return None


def tote_client(app: FastAPI, *, retries: int = 0, token: str = TOKEN) -> ToteClient:
    """The project's client, in-process (a loopback name: the token may go over http)."""
    return ToteClient(
        ClientConfig(LOOPBACK_URL, token),
        transport=httpx.ASGITransport(app=app),
        max_retries=retries,
        sleep=no_sleep,
    )


async def journal(client: httpx.AsyncClient, order_id: str | None = None) -> list[dict[str, Any]]:
    params = {"order_id": order_id} if order_id else None
    answer = await client.get("/sandbox/requests", params=params)
    assert answer.status_code == 200
    entries: list[dict[str, Any]] = answer.json()["requests"]
    return entries


def reads(entries: list[dict[str, Any]], order_id: str) -> list[int | None]:
    path = f"/v1/online-ordering/orders/{order_id}"
    return [e["status"] for e in entries if e["method"] == "GET" and e["path"] == path]


# -- the journal -----------------------------------------------------------------------


async def test_the_journal_lists_a_clients_requests_with_their_status(engine: Engine) -> None:
    app = create_app(token=SECRET, engine=engine)
    async with client_for(app, {"Authorization": f"Bearer {SECRET}"}) as client:
        await check_the_journal(app, client)


async def check_the_journal(app: FastAPI, client: httpx.AsyncClient) -> None:
    order_id = (await create_order(client))["id"]
    await client.delete("/sandbox/requests")
    async with tote_client(app, token=SECRET) as tote:
        await tote.get_order(order_id)
        with pytest.raises(NotFoundError):
            await tote.get_order(MISSING)
        await tote.list_orders(limit=5)
    async with client_for(app, {"Authorization": "Bearer not-the-token"}) as stranger:
        await stranger.get(f"/orders/{order_id}")
    await client.get(f"/orders/{SECRET}")  # a token pasted where an id goes

    cleared, *entries = await journal(client)
    assert (cleared["method"], cleared["path"]) == (
        "DELETE",
        "/v1/online-ordering/sandbox/requests",
    )
    seen = [(e["method"], e["path"], e["status"], e["order_id"]) for e in entries]
    assert seen == [
        ("GET", f"/v1/online-ordering/orders/{order_id}", 200, order_id),
        ("GET", f"/v1/online-ordering/orders/{MISSING}", 404, MISSING),
        ("GET", "/v1/online-ordering/orders", 200, None),
        ("GET", f"/v1/online-ordering/orders/{order_id}", 401, order_id),
        ("GET", "/v1/online-ordering/orders/<redacted>", 400, None),
    ]
    first = entries[0]
    assert first["at"].endswith("Z")
    assert first["at"].startswith(START.date().isoformat())
    assert first["request_id"].startswith("req_")
    assert first["stage"] == "payment"  # PENDING and unpaid: the guide's payment row
    text = (await client.get("/sandbox/requests")).text
    assert SECRET not in text
    assert "not-the-token" not in text

    mine = await journal(client, order_id.upper())
    assert {e["order_id"] for e in mine} == {order_id}
    assert reads(mine, order_id) == [200, 401]


async def test_the_journal_is_cleared_and_its_filter_checked(client: httpx.AsyncClient) -> None:
    await client.get("/orders")
    cleared = await client.delete("/sandbox/requests")
    assert cleared.status_code == 200
    assert cleared.json()["requests_deleted"] >= 1
    # A request is recorded once answered: the DELETE is the first entry after it.
    entries = await journal(client)
    assert [(e["method"], e["path"]) for e in entries] == [
        ("DELETE", "/v1/online-ordering/sandbox/requests")
    ]
    refused = await client.get("/sandbox/requests", params={"order_id": "nope"})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "The order_id parameter must be a UUID; got 'nope'."
    )


def test_the_journal_keeps_the_last_entries_only() -> None:
    kept = Journal(limit=3)
    for second in range(5):
        kept.record(Entry(START, "GET", f"/{second}", 200, None, 0.0))
    assert [entry.path for entry in kept.entries()] == ["/2", "/3", "/4"]
    assert Journal().limit == JOURNAL_LIMIT == 10_000


async def test_a_dropped_connection_is_recorded_without_a_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    order_id = (await create_order(client))["id"]
    await client.put("/sandbox/faults", json={"drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(f"/orders/{order_id}")
    await client.delete("/sandbox/faults")
    assert reads(await journal(client, order_id), order_id) == [None]


# -- scripts ---------------------------------------------------------------------------


async def test_a_script_of_two_503s_answers_two_gets_then_200(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    order_id = (await create_order(client))["id"]
    loaded = await client.post(
        f"/sandbox/orders/{order_id}/script",
        json={"responses": [{"status": 503}, {"status": 503}]},
    )
    assert loaded.json() == {
        "order_id": order_id,
        "responses": [{"status": 503}, {"status": 503}],
    }
    async with tote_client(app) as tote:
        for _ in range(2):
            with pytest.raises(ServerError) as failed:
                await tote.get_order(order_id)
            assert failed.value.status_code == 503
            assert failed.value.request_id is not None
        order = await tote.get_order(order_id)
    assert order.id == order_id
    assert reads(await journal(client, order_id), order_id) == [503, 503, 200]
    left = await client.get(f"/sandbox/orders/{order_id}/script")
    assert left.json()["responses"] == []


async def test_the_clients_retries_ride_out_a_scripted_outage(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    order_id = (await create_order(client))["id"]
    script = {"responses": [{"status": 503}, {"status": 429, "retry_after": 2}]}
    await client.post(f"/sandbox/orders/{order_id}/script", json=script)
    async with tote_client(app, retries=2) as tote:
        assert (await tote.get_order(order_id)).id == order_id
    assert reads(await journal(client, order_id), order_id) == [503, 429, 200]


async def test_scripted_errors_use_the_envelope_and_retry_after(
    client: httpx.AsyncClient,
) -> None:
    order_id = (await create_order(client))["id"]
    script = {"responses": [{"status": 429, "retry_after": 2}, {"status": 429}, {"status": 404}]}
    await client.post(f"/sandbox/orders/{order_id}/script", json=script)
    limited = await client.get(f"/orders/{order_id}")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["X-Request-Id"] == limited.json()["error"]["request_id"]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert (await client.get(f"/orders/{order_id}")).headers["Retry-After"] == "1"
    missing = await client.get(f"/orders/{order_id}")
    assert missing.json()["error"]["code"] == "not_found"
    assert missing.json()["error"]["message"] == (
        "The sandbox answered 404, as this order's script asked."
    )
    assert (await client.get(f"/orders/{order_id}")).status_code == 200


async def test_a_script_answers_the_cancel_and_keeps_nothing_for_its_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    order_id = (await create_order(client))["id"]
    await client.post(f"/sandbox/orders/{order_id}/script", json={"responses": [{"status": 500}]})
    key = {"Idempotency-Key": "qa-cancel-1"}
    first = await client.post(f"/orders/{order_id}/cancel", json={"reason": "x"}, headers=key)
    assert first.status_code == 500
    again = await client.post(f"/orders/{order_id}/cancel", json={"reason": "x"}, headers=key)
    assert again.status_code == 200
    assert again.json()["status"] == "CANCELLED"
    assert "Idempotent-Replayed" not in again.headers


async def test_a_scripted_200_waits_its_delay_and_skips_the_faults(clock: FakeClock) -> None:
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)

    engine = Engine(MemoryStore(), clock=clock, rng=random.Random(1), sleep=sleep)
    async with client_for(create_app(token=TOKEN, engine=engine)) as client:
        order_id = (await create_order(client))["id"]
        await client.put("/sandbox/faults", json={"error_rate": 1.0})
        script = {"responses": [{"status": 200, "delay_ms": 3000}]}
        await client.post(f"/sandbox/orders/{order_id}/script", json=script)
        served = await client.get(f"/orders/{order_id}")
        failed = await client.get(f"/orders/{order_id}")
    assert served.status_code == 200
    assert waits == [3.0]
    assert failed.status_code in (500, 503)  # the script used up: the faults are back


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"responses": []}, "A script holds 1 to 50 responses; this one has 0."),
        (
            {"responses": [{"status": 200}] * (MAX_RESPONSES + 1)},
            f"A script holds 1 to 50 responses; this one has {MAX_RESPONSES + 1}.",
        ),
        (
            {"responses": [{"status": 201}]},
            "A scripted status must be one of 200, 401, 404, 408, 429, 500, 502, 503, 504; "
            "got 201.",
        ),
        (
            {"responses": [{"status": 500, "retry_after": 3}]},
            "retry_after goes with a 429 or 503 answer, not with 500.",
        ),
        (
            {"responses": [{"status": 200, "delay_ms": MAX_DELAY_MS + 1}]},
            "delay_ms must be whole milliseconds from 0 to 30000; got 30001.",
        ),
        (
            {"responses": [{"status": "503"}]},
            'status must be an HTTP status from 100 to 599; got "503".',
        ),
    ],
)
async def test_a_bad_script_is_refused_with_a_sentence(
    client: httpx.AsyncClient, body: dict[str, Any], sentence: str
) -> None:
    order_id = (await create_order(client))["id"]
    answer = await client.post(f"/sandbox/orders/{order_id}/script", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == sentence
    assert (await client.get(f"/sandbox/orders/{order_id}/script")).json()["responses"] == []


async def test_a_script_needs_an_order_and_goes_with_a_reset(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        f"/sandbox/orders/{MISSING}/script", json={"responses": [{"status": 503}]}
    )
    assert unknown.status_code == 404
    order_id = (await create_order(client))["id"]
    await client.post(f"/sandbox/orders/{order_id}/script", json={"responses": [{"status": 503}]})
    dropped = await client.delete(f"/sandbox/orders/{order_id}/script")
    assert dropped.json()["responses"] == []
    assert (await client.get(f"/orders/{order_id}")).status_code == 200
    await client.post(f"/sandbox/orders/{order_id}/script", json={"responses": [{"status": 503}]})
    await client.post("/sandbox/reset")
    assert (await client.get(f"/sandbox/orders/{order_id}/script")).json()["responses"] == []


# -- the polling verdict ---------------------------------------------------------------


async def verdict(client: httpx.AsyncClient, order_id: str, **params: str) -> dict[str, Any]:
    answer = await client.get(f"/sandbox/orders/{order_id}/polling", params=params)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def test_ten_gets_a_tenth_of_a_second_apart_are_too_fast(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    order_id = (await create_order(client))["id"]
    for _ in range(10):
        assert (await client.get(f"/orders/{order_id}")).status_code == 200
        clock.advance(0.1)
    judged = await verdict(client, order_id)
    assert judged["verdict"] == "too_fast"
    intervals = judged["intervals"]
    assert len(intervals) == 9
    assert {i["stage"] for i in intervals} == {"payment"}
    assert [i["expected"] for i in intervals[:4]] == [1.0, 2.0, 4.0, 5.0]
    assert all(i["verdict"] == "too_fast" for i in intervals)
    assert all(0.05 < i["seconds"] <= 0.1 for i in intervals)


async def test_the_guides_schedule_is_ok_and_a_stall_too_slow(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    order_id = (await create_order(client))["id"]
    for wait in (1, 2, 4, 5, 5):
        await client.get(f"/orders/{order_id}")
        clock.advance(wait)
    await client.get(f"/orders/{order_id}")
    judged = await verdict(client, order_id)
    assert judged["verdict"] == "ok"
    assert [i["expected"] for i in judged["intervals"]] == [1.0, 2.0, 4.0, 5.0, 5.0]
    clock.advance(60)
    await client.get(f"/orders/{order_id}")
    stalled = await verdict(client, order_id)
    assert stalled["verdict"] == "too_slow"
    assert stalled["intervals"][-1]["maximum"] == 5.0


async def test_retry_after_must_be_honoured_and_a_change_restarts(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    order_id = (await create_order(client))["id"]
    await client.post(
        f"/sandbox/orders/{order_id}/script",
        json={"responses": [{"status": 429, "retry_after": 8}]},
    )
    await client.get(f"/orders/{order_id}")
    clock.advance(8)
    await client.get(f"/orders/{order_id}")
    clock.advance(0.2)
    await client.post(f"/sandbox/orders/{order_id}/events", json={"type": "payment_completed"})
    await client.get(f"/orders/{order_id}")  # early, at once after the change: not judged
    judged = await verdict(client, order_id)
    assert judged["verdict"] == "ok"
    first, second = judged["intervals"]
    assert (first["expected"], first["after"]) == (8.0, "429, Retry-After 8 s")
    assert (second["stage"], second["expected"]) == ("after_change", None)

    await client.post(
        f"/sandbox/orders/{order_id}/script",
        json={"responses": [{"status": 503, "retry_after": 8}]},
    )
    await client.get(f"/orders/{order_id}")
    clock.advance(2)  # 2 s after a Retry-After of 8
    await client.get(f"/orders/{order_id}")
    assert (await verdict(client, order_id))["verdict"] == "too_fast"


async def test_the_verdict_takes_a_speed_and_checks_its_order(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    order_id = (await create_order(client))["id"]
    for wait in (0.5, 1.0):  # the payment row at twice the speed: 0.5 s, doubling
        await client.get(f"/orders/{order_id}")
        clock.advance(wait)
    await client.get(f"/orders/{order_id}")
    assert (await verdict(client, order_id))["verdict"] == "too_fast"
    assert (await verdict(client, order_id, speed="2"))["verdict"] == "ok"
    refused = await client.get(f"/sandbox/orders/{order_id}/polling", params={"speed": "0"})
    assert refused.json()["error"]["message"] == (
        "The speed parameter must be a number above 0 and at most 1000; got '0'."
    )
    assert (await client.get(f"/sandbox/orders/{MISSING}/polling")).status_code == 404


async def test_the_control_client_reads_the_journal_script_and_verdict(app: FastAPI) -> None:
    async with tote_client(app) as tote:
        control = SandboxControl(tote)
        order = await control.create_order()
        await control.script(order.id, [{"status": 503}])
        with pytest.raises(ServerError):
            await tote.get_order(order.id)
        await tote.get_order(order.id)
        entries = await control.requests(order.id)
        judged = await control.polling(order.id, speed=2)
        await control.script(order.id, [{"status": 429}])
        with pytest.raises(RateLimitedError):
            await tote.get_order(order.id)
    assert [e["status"] for e in entries if e["method"] == "GET"] == [503, 200]
    assert judged["verdict"] == "too_fast"
    assert judged["intervals"][0]["after"] == "503"


async def test_the_openapi_document_describes_the_qa_endpoints(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    base = "/v1/online-ordering/sandbox"
    assert set(paths[f"{base}/requests"]) == {"get", "delete"}
    assert set(paths[f"{base}/orders/{{order_id}}/script"]) == {"get", "post", "delete"}
    polling = paths[f"{base}/orders/{{order_id}}/polling"]["get"]
    assert polling["operationId"] == "sandboxJudgePolling"
    assert {p["name"] for p in polling["parameters"]} == {"order_id", "speed"}
    verdict_schema = schema["components"]["schemas"]["PollingVerdict"]
    assert verdict_schema["properties"]["verdict"]["enum"] == ["ok", "too_fast", "too_slow"]
    script = schema["components"]["schemas"]["ScriptedAnswer"]
    assert set(script["properties"]) == {"status", "retry_after", "delay_ms"}
