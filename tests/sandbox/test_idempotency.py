"""Idempotency keys of the cancel endpoint: replay, reuse, in flight, expiry, races."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.errors import InvalidRequest
from tote_track.sandbox.idempotency import fingerprint_of, parse_key
from tote_track.sandbox.store import SqliteStore

from .conftest import GUIDE_ORDER_ID, FakeClock, client_for, create_order, fire
from .test_app import assert_error


async def cancel(
    client: httpx.AsyncClient, order_id: str, key: str | None, reason: str = "Changed my mind"
) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await client.post(f"/orders/{order_id}/cancel", json={"reason": reason}, headers=headers)


# -- the key itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [(None, None), ("abc", "abc"), ('"abc"', "abc"), ("  abc  ", "abc"), ("a b", "a b")],
)
def test_parse_key(raw: str | None, key: str | None) -> None:
    assert parse_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "words"),
    [("", "empty"), ('""', "empty"), ("k" * 256, "256 characters"), ("caf\u00e9", "ASCII")],
)
def test_parse_key_rejects(raw: str, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        parse_key(raw)


def test_fingerprints_ignore_key_order_but_not_values() -> None:
    one = fingerprint_of("POST", "/x", {"a": 1, "b": 2})
    assert one == fingerprint_of("post", "/x", {"b": 2, "a": 1})
    assert one != fingerprint_of("POST", "/y", {"a": 1, "b": 2})
    assert one != fingerprint_of("POST", "/x", {"a": 1, "b": 3})


async def test_key_lengths_over_http(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    too_long = await cancel(client, order["id"], "k" * 256)
    assert "255" in assert_error(too_long, 400, "invalid_request")["message"]
    control = await client.post(
        f"/orders/{order['id']}/cancel",
        json={"reason": "x"},
        headers={"Idempotency-Key": "a\tb"},
    )
    assert_error(control, 400, "invalid_request")
    assert (await client.get(f"/orders/{order['id']}")).json()["status"] == "PENDING"
    assert (await cancel(client, order["id"], "k" * 255)).status_code == 200


# -- replay ---------------------------------------------------------------------------------


async def test_same_key_same_body_replays_the_first_response(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await fire(client, order["id"], "payment_completed")
    first = await cancel(client, order["id"], "key-1")
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    again = await cancel(client, order["id"], "key-1")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    payments = (await client.get(f"/orders/{order['id']}")).json()["payments"]
    assert [p["status"] for p in payments] == ["REFUNDED"]  # refunded once


async def test_quoted_and_plain_keys_are_the_same_key(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    first = await cancel(client, order["id"], '"quoted"')
    again = await cancel(client, order["id"], "quoted")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content


async def test_errors_are_replayed_too(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await fire(client, order["id"], "payment_completed", "accept", "start_preparing")
    refused = await cancel(client, order["id"], "late")
    assert_error(refused, 409, "cancel_not_allowed")
    replay = await cancel(client, order["id"], "late")
    assert (replay.status_code, replay.content) == (409, refused.content)
    assert replay.headers["Idempotent-Replayed"] == "true"
    missing = await cancel(client, GUIDE_ORDER_ID, "nobody")
    assert_error(missing, 404, "not_found")
    assert (await cancel(client, GUIDE_ORDER_ID, "nobody")).content == missing.content


async def test_same_key_different_request_is_422(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    other = await create_order(client)
    assert (await cancel(client, order["id"], "shared")).status_code == 200
    reason = await cancel(client, order["id"], "shared", reason="Another reason")
    assert_error(reason, 422, "idempotency_key_reused")
    elsewhere = await cancel(client, other["id"], "shared")
    assert_error(elsewhere, 422, "idempotency_key_reused")
    assert (await client.get(f"/orders/{other['id']}")).json()["status"] == "PENDING"


async def test_invalid_requests_do_not_use_up_the_key(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    bad = await client.post(
        f"/orders/{order['id']}/cancel", json={"reason": ""}, headers={"Idempotency-Key": "k"}
    )
    assert_error(bad, 400, "invalid_request")
    good = await cancel(client, order["id"], "k")
    assert good.status_code == 200
    assert "Idempotent-Replayed" not in good.headers


async def test_injected_faults_do_not_use_up_the_key(client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await client.put("/sandbox/faults", json={"error_rate": 1})
    failed = await cancel(client, order["id"], "retry-me")
    assert failed.status_code in (500, 503)
    await client.put("/sandbox/faults", json={"drop_rate": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await cancel(client, order["id"], "retry-me")
    await client.delete("/sandbox/faults")
    retried = await cancel(client, order["id"], "retry-me")
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


async def test_keys_are_kept_24_hours(client: httpx.AsyncClient, clock: FakeClock) -> None:
    order = await create_order(client)
    first = await cancel(client, order["id"], "day")
    clock.advance(24 * 3600 - 1)
    assert (await cancel(client, order["id"], "day")).content == first.content
    clock.advance(1)
    expired = await cancel(client, order["id"], "day")
    assert "Idempotent-Replayed" not in expired.headers
    assert_error(expired, 409, "cancel_not_allowed")  # processed afresh: already cancelled


async def test_purge_forgets_old_keys(engine: Engine, client: httpx.AsyncClient) -> None:
    order = await create_order(client)
    await cancel(client, order["id"], "old")
    assert engine.idempotency.purge() == 0
    assert engine.store.get_idempotency("old") is not None
    engine_clock: FakeClock = engine._clock  # type: ignore[assignment]
    engine_clock.advance(24 * 3600 + 1)
    assert engine.idempotency.purge() == 1
    assert engine.store.get_idempotency("old") is None


async def test_keys_survive_a_restart_with_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    first_app = create_app(store=SqliteStore(path))
    async with client_for(first_app) as http:
        order = await create_order(http)
        first = await cancel(http, order["id"], "durable")
    first_app.state.engine.store.close()
    second_app = create_app(store=SqliteStore(path))
    async with client_for(second_app) as http:
        again = await cancel(http, order["id"], "durable")
    second_app.state.engine.store.close()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content


# -- in flight and races --------------------------------------------------------------------


async def test_a_key_in_flight_gets_409(clock: FakeClock) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def held(seconds: float) -> None:
        entered.set()
        await release.wait()

    engine = Engine(clock=clock, sleep=held)
    app = create_app(engine=engine)
    async with client_for(app) as http:
        order = await create_order(http)
        await http.put("/sandbox/faults", json={"latency_ms": 10})
        first = asyncio.create_task(cancel(http, order["id"], "slow"))
        await entered.wait()  # the first request holds the key, mid-processing
        busy = await cancel(http, order["id"], "slow")
        error = assert_error(busy, 409, "idempotency_key_in_use")
        assert "still being processed" in error["message"]
        assert busy.headers["Retry-After"] == "1"
        different = await cancel(http, order["id"], "slow", reason="Something else")
        assert_error(different, 422, "idempotency_key_reused")
        release.set()
        done = await first
        assert done.status_code == 200
        replay = await cancel(http, order["id"], "slow")
        assert replay.headers["Idempotent-Replayed"] == "true"


async def _race(
    app: FastAPI, keys: list[str | None]
) -> tuple[list[httpx.Response], dict[str, object]]:
    async with client_for(app) as http:
        order = await create_order(http)
        await fire(http, order["id"], "payment_completed")
        responses = await asyncio.gather(*(cancel(http, order["id"], key) for key in keys))
        final = (await http.get(f"/orders/{order['id']}")).json()
    return list(responses), final


@pytest.mark.parametrize("interleave", [False, True], ids=["plain", "with-latency"])
async def test_fifty_cancels_with_one_key(
    engine: Engine, interleave: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(engine=engine)
    if interleave:
        # Every request yields to the others in the middle of its processing.
        async def yield_a_few(seconds: float) -> None:
            for _ in range(5):
                await asyncio.sleep(0)

        monkeypatch.setattr(engine.faults, "_sleep", yield_a_few)
        engine.faults.configure(engine.faults.config.model_copy(update={"latency_ms": 1}))
    responses, final = await _race(app, ["one-key"] * 50)
    applied = [
        r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    ]
    assert len(applied) == 1
    for response in responses:
        if response.status_code == 200:
            assert response.content == applied[0].content
        else:
            assert_error(response, 409, "idempotency_key_in_use")
    assert [p["status"] for p in final["payments"]] == ["REFUNDED"]  # type: ignore[index]
    assert final["status"] == "CANCELLED"


@pytest.mark.parametrize("interleave", [False, True], ids=["plain", "with-latency"])
async def test_fifty_cancels_with_different_keys(
    engine: Engine, interleave: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(engine=engine)
    if interleave:

        async def yield_a_few(seconds: float) -> None:
            for _ in range(5):
                await asyncio.sleep(0)

        monkeypatch.setattr(engine.faults, "_sleep", yield_a_few)
        engine.faults.configure(engine.faults.config.model_copy(update={"latency_ms": 1}))
    keys: list[str | None] = [f"key-{n}" for n in range(49)] + [None]
    responses, final = await _race(app, keys)
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {200: 1, 409: 49}
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "cancel_not_allowed")
    assert [p["status"] for p in final["payments"]] == ["REFUNDED"]  # type: ignore[index]


async def test_concurrent_cancels_from_threads_apply_once() -> None:
    """The engine's lock holds across threads too (a server thread and a test thread)."""
    engine = Engine(rng=random.Random(0))
    order = engine.create_order()
    engine.apply_event(order.id, "payment_completed")

    def attempt() -> str:
        try:
            engine.cancel(order.id, "race")
        except Exception as exc:
            return type(exc).__name__
        return "ok"

    results = await asyncio.gather(*(asyncio.to_thread(attempt) for _ in range(20)))
    assert Counter(results) == {"ok": 1, "CancelNotAllowed": 19}
