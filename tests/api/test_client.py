from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from tote_track import __version__
from tote_track.api import client as client_module
from tote_track.api.client import (
    BACKOFF_CAP,
    RETRY_AFTER_CAP,
    Reply,
    ToteClient,
    parse_model,
    parse_retry_after,
)
from tote_track.api.config import ClientConfig
from tote_track.api.errors import (
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    BadRequestError,
    BadResponseError,
    CancelNotAllowedError,
    ConflictError,
    IdempotencyKeyInUseError,
    InsecureTransportError,
    InvalidConfigError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ToteError,
    UnauthorizedError,
    UnprocessableError,
    error_for_status,
)
from tote_track.api.models import CancelResult, FulfillmentStatus, Order, OrderStatus
from tote_track.api.network import ConnectionTrace

BASE = "https://api.test/v1/online-ordering"
TOKEN = "tok_live_S3cr3tValue_9f8e7d"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)
Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Server:
    """A scripted server: answers each request with the next step, recording requests."""

    def __init__(self, *steps: Step, repeat_last: bool = True) -> None:
        self.steps = list(steps)
        self.repeat_last = repeat_last
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        index = len(self.requests) - 1
        if index >= len(self.steps):
            assert self.repeat_last, f"unexpected request #{index + 1}: {request.url}"
            index = len(self.steps) - 1
        step = self.steps[index]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class CeilingRandom(random.Random):
    """Jitter that always picks the top of the range, to check the backoff ceilings."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make_client(
    handler: Handler,
    *,
    token: str | None = TOKEN,
    sleep: FakeSleep | None = None,
    **kwargs: Any,
) -> ToteClient:
    return ToteClient(
        ClientConfig(base_url=BASE, token=token),
        transport=httpx.MockTransport(handler),
        sleep=sleep or FakeSleep(),
        **kwargs,
    )


def error_response(
    status: int, code: str, message: str, *, request_id: str | None = "req_123", **headers: str
) -> httpx.Response:
    all_headers = dict(headers)
    if request_id:
        all_headers["X-Request-Id"] = request_id
    return httpx.Response(
        status,
        json={"error": {"code": code, "message": message}},
        headers={k.replace("_", "-"): v for k, v in all_headers.items()},
    )


def summary_of(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in order.items() if k not in ("items", "payments")}
    data.update(changes)
    return data


# -- success -------------------------------------------------------------------------


async def test_get_order_parses_and_sends_the_right_headers(
    guide_order_json: dict[str, Any],
) -> None:
    server = Server(httpx.Response(200, json=guide_order_json))
    async with make_client(server) as client:
        order = await client.get_order(ORDER_ID)
    assert isinstance(order, Order)
    assert order.short_code == "F9A8B7"
    assert order.fulfillment_status is FulfillmentStatus.PREPARING
    (request,) = server.requests
    assert request.method == "GET"
    assert request.url.path == f"/v1/online-ordering/orders/{ORDER_ID}"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == f"tote-track/{__version__}"
    assert request.headers["Accept"] == "application/json"


async def test_an_order_reply_read_later_is_the_order_and_a_bad_one_says_why(
    guide_order_json: dict[str, Any],
) -> None:
    """get_order is get_order_reply then read_order: the request and the reading of its
    answer can happen apart (a first request sent while a program starts)."""
    server = Server(httpx.Response(200, json=guide_order_json, headers={"X-Request-Id": "r1"}))
    async with make_client(server) as client:
        reply = await client.get_order_reply(ORDER_ID)
        direct = await client.get_order(ORDER_ID)
    assert ToteClient.read_order(reply) == direct
    assert (reply.status_code, reply.request_id) == (200, "r1")
    broken = Reply({"id": ORDER_ID}, 200, "r2")
    with pytest.raises(BadResponseError, match="not a valid order") as caught:
        ToteClient.read_order(broken)
    assert (caught.value.status_code, caught.value.request_id) == (200, "r2")


async def test_on_wait_is_called_once_when_the_request_only_waits_on_the_network() -> None:
    """The trace tells ``on_wait`` when a request has nothing left to do but wait: its TLS
    handshake started, or (on an open connection) it waits for the answer; once."""
    calls: list[str] = []
    trace = ConnectionTrace(on_wait=lambda: calls.append("waiting"))
    await trace("connection.connect_tcp.started", {"host": "api.example", "port": 443})
    await trace("connection.connect_tcp.complete", {})
    assert calls == []
    await trace("connection.start_tls.started", {})
    await trace("http11.receive_response_headers.started", {})
    assert calls == ["waiting"]
    assert trace.phase == "start_tls"  # the trace still follows the connection
    reused = ConnectionTrace(on_wait=lambda: calls.append("reused"))
    await trace("http11.send_request_headers.started", {})
    await reused("http11.receive_response_headers.started", {})
    assert calls == ["waiting", "reused"]


async def test_no_token_means_no_authorization_header(guide_order_json: dict[str, Any]) -> None:
    server = Server(httpx.Response(200, json=guide_order_json))
    async with make_client(server, token=None) as client:
        await client.get_order(ORDER_ID)
    assert "Authorization" not in server.requests[0].headers


async def test_order_id_is_escaped_into_one_path_segment(
    guide_order_json: dict[str, Any],
) -> None:
    server = Server(httpx.Response(200, json=guide_order_json))
    async with make_client(server) as client:
        await client.get_order("../sandbox/reset?x=1")
    assert server.requests[0].url.raw_path == (
        b"/v1/online-ordering/orders/..%2Fsandbox%2Freset%3Fx%3D1"
    )


@pytest.mark.parametrize("bad_id", ["", "   "])
async def test_empty_order_id_is_refused_locally(bad_id: str) -> None:
    server = Server(httpx.Response(200, json={}))
    async with make_client(server) as client:
        with pytest.raises(ValueError, match="order_id"):
            await client.get_order(bad_id)
    assert server.requests == []


async def test_client_is_an_async_context_manager_that_closes() -> None:
    client = make_client(Server(httpx.Response(200, json={})))
    async with client as entered:
        assert entered is client
    with pytest.raises(RuntimeError):
        await client.request_json("GET", "/orders")


def test_client_repr_shows_the_base_url_only() -> None:
    client = make_client(Server())
    assert repr(client) == f"ToteClient(base_url={BASE!r})"
    assert client.base_url == BASE
    assert client.max_retries == 2
    assert client.config.token == TOKEN
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_max_retries_must_be_a_non_negative_int(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        make_client(Server(), max_retries=bad)


# -- error statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "invalid_request", BadRequestError),
        (401, "unauthorized", UnauthorizedError),
        (403, "forbidden", UnauthorizedError),
        (404, "not_found", NotFoundError),
        (409, "cancel_not_allowed", CancelNotAllowedError),
        (409, "something_else", ConflictError),
        (422, "idempotency_key_reused", UnprocessableError),
        (418, "teapot", ApiStatusError),
    ],
)
async def test_client_errors_map_to_classes_and_are_not_retried(
    status: int, code: str, cls: type[ApiStatusError]
) -> None:
    sleep = FakeSleep()
    server = Server(error_response(status, code, "Something is wrong."))
    async with make_client(server, sleep=sleep) as client:
        with pytest.raises(cls) as info:
            await client.get_order(ORDER_ID)
    assert type(info.value) is cls
    assert len(server.requests) == 1
    assert sleep.delays == []
    err = info.value
    assert err.status_code == status
    assert err.code == code
    assert err.request_id == "req_123"
    assert err.message == "Something is wrong."
    assert not err.transient
    assert str(err) == f"Something is wrong ({code}, HTTP {status}, request req_123)"


async def test_not_found_reads_as_a_sentence() -> None:
    server = Server(error_response(404, "not_found", "Order not found."))
    async with make_client(server) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_order(ORDER_ID)
    assert str(info.value) == "Order not found (not_found, HTTP 404, request req_123)"
    assert repr(info.value) == (
        "NotFoundError(message='Order not found.', code='not_found', status_code=404, "
        "request_id='req_123')"
    )


async def test_request_id_falls_back_to_the_envelope() -> None:
    response = httpx.Response(
        404, json={"error": {"code": "not_found", "message": "Nope", "request_id": "req_body"}}
    )
    async with make_client(Server(response)) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_order(ORDER_ID)
    assert info.value.request_id == "req_body"


async def test_fastapi_style_detail_is_used_as_message() -> None:
    response = httpx.Response(401, json={"detail": "Not authenticated"})
    async with make_client(Server(response)) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.get_order(ORDER_ID)
    assert info.value.message == "Not authenticated"
    assert info.value.code is None


async def test_cancel_not_allowed_is_sent_exactly_once() -> None:
    sleep = FakeSleep()
    server = Server(error_response(409, "cancel_not_allowed", "Order is already being prepared."))
    async with make_client(server, sleep=sleep, max_retries=5) as client:
        with pytest.raises(CancelNotAllowedError) as info:
            await client.cancel_order(ORDER_ID, "Changed my mind")
    assert len(server.requests) == 1
    assert sleep.delays == []
    assert isinstance(info.value, ConflictError)
    assert info.value.attempts == 1
    assert "already being prepared" in str(info.value)


# -- retries -------------------------------------------------------------------------


async def test_idempotency_key_in_use_is_retried_with_the_same_key(
    guide_cancel_json: dict[str, Any],
) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(409, "idempotency_key_in_use", "Still processing."),
        httpx.Response(200, json=guide_cancel_json),
    )
    async with make_client(server, sleep=sleep) as client:
        result = await client.cancel_order(ORDER_ID, "Changed my mind")
    assert result.status is OrderStatus.CANCELLED
    assert len(server.requests) == 2
    assert len(sleep.delays) == 1
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(keys) == 1


async def test_idempotency_key_in_use_exhausted_raises_its_class() -> None:
    server = Server(error_response(409, "idempotency_key_in_use", "Still processing."))
    async with make_client(server) as client:
        with pytest.raises(IdempotencyKeyInUseError) as info:
            await client.cancel_order(ORDER_ID, "Changed my mind")
    assert info.value.transient
    assert len(server.requests) == 3


async def test_429_retry_after_seconds_is_the_wait(guide_order_json: dict[str, Any]) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(429, "rate_limited", "Slow down.", Retry_After="3"),
        httpx.Response(200, json=guide_order_json),
    )
    async with make_client(server, sleep=sleep) as client:
        order = await client.get_order(ORDER_ID)
    assert order.id == ORDER_ID
    assert sleep.delays == [3.0]
    assert len(server.requests) == 2


async def test_429_retry_after_http_date_is_measured_against_the_server_date(
    guide_order_json: dict[str, Any],
) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(
            429,
            "rate_limited",
            "Slow down.",
            Retry_After="Sat, 31 Jan 2026 10:07:07 GMT",
            Date="Sat, 31 Jan 2026 10:07:00 GMT",
        ),
        httpx.Response(200, json=guide_order_json),
    )
    async with make_client(server, sleep=sleep) as client:
        await client.get_order(ORDER_ID)
    assert sleep.delays == [7.0]


async def test_retry_after_far_away_is_capped(guide_order_json: dict[str, Any]) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(429, "rate_limited", "Slow down.", Retry_After="3600"),
        error_response(
            429, "rate_limited", "Slow down.", Retry_After="Fri, 31 Dec 9999 23:59:59 GMT"
        ),
        httpx.Response(200, json=guide_order_json),
    )
    async with make_client(server, sleep=sleep) as client:
        await client.get_order(ORDER_ID)
    assert sleep.delays == [RETRY_AFTER_CAP, RETRY_AFTER_CAP]


async def test_429_exhausted_carries_retry_after() -> None:
    sleep = FakeSleep()
    server = Server(error_response(429, "rate_limited", "Slow down.", Retry_After="2"))
    async with make_client(server, sleep=sleep) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.get_order(ORDER_ID)
    assert info.value.retry_after == 2.0
    assert info.value.attempts == 3
    assert sleep.delays == [2.0, 2.0]
    assert str(info.value).endswith("; gave up after 3 attempts")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_then_succeed(
    status: int, guide_order_json: dict[str, Any]
) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(status, "internal", "Boom."),
        error_response(status, "internal", "Boom."),
        httpx.Response(200, json=guide_order_json),
    )
    async with make_client(server, sleep=sleep) as client:
        order = await client.get_order(ORDER_ID)
    assert order.id == ORDER_ID
    assert len(server.requests) == 3
    assert len(sleep.delays) == 2
    assert 0 <= sleep.delays[0] <= 0.5
    assert 0 <= sleep.delays[1] <= 1.0


async def test_503_retry_after_is_honoured(guide_order_json: dict[str, Any]) -> None:
    sleep = FakeSleep()
    server = Server(
        error_response(503, "internal", "Maintenance.", Retry_After="1.5"),
        httpx.Response(200, json=guide_order_json),
    )
    async with make_client(server, sleep=sleep) as client:
        await client.get_order(ORDER_ID)
    assert sleep.delays == [1.5]


async def test_retries_exhausted_raise_server_error() -> None:
    sleep = FakeSleep()
    server = Server(error_response(500, "internal", "Boom."))
    async with make_client(server, sleep=sleep) as client:
        with pytest.raises(ServerError) as info:
            await client.get_order(ORDER_ID)
    assert len(server.requests) == 3
    assert len(sleep.delays) == 2
    assert info.value.transient
    assert info.value.attempts == 3
    assert str(info.value) == (
        "Boom (internal, HTTP 500, request req_123); gave up after 3 attempts"
    )


async def test_max_retries_zero_sends_once() -> None:
    server = Server(error_response(503, "internal", "Boom."))
    async with make_client(server, max_retries=0) as client:
        with pytest.raises(ServerError):
            await client.get_order(ORDER_ID)
    assert len(server.requests) == 1


async def test_request_json_without_retry_sends_once() -> None:
    sleep = FakeSleep()
    server = Server(error_response(503, "internal", "Boom."))
    async with make_client(server, sleep=sleep) as client:
        with pytest.raises(ServerError):
            await client.request_json("POST", "/sandbox/orders", max_retries=0)
    assert len(server.requests) == 1
    assert sleep.delays == []


async def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    sleep = FakeSleep()
    server = Server(httpx.Response(500, json={}))
    async with make_client(server, sleep=sleep, max_retries=7, rng=CeilingRandom()) as client:
        with pytest.raises(ServerError):
            await client.get_order(ORDER_ID)
    assert sleep.delays == [0.5, 1.0, 2.0, 4.0, BACKOFF_CAP, BACKOFF_CAP, BACKOFF_CAP]
    assert len(server.requests) == 8


async def test_backoff_jitter_stays_in_range() -> None:
    sleep = FakeSleep()
    server = Server(httpx.Response(500, json={}))
    async with make_client(server, sleep=sleep, max_retries=6, rng=random.Random(7)) as client:
        with pytest.raises(ServerError):
            await client.get_order(ORDER_ID)
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(0 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))
    assert len(set(sleep.delays)) > 1  # jittered, not a fixed schedule


@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (httpx.ConnectError("Connection refused"), ApiConnectionError),
        (httpx.RemoteProtocolError("Server disconnected"), ApiConnectionError),
        (httpx.ReadTimeout("timed out"), ApiTimeoutError),
        (httpx.ConnectTimeout("timed out"), ApiTimeoutError),
    ],
)
async def test_network_failures_are_retried(
    failure: Exception, cls: type[ToteError], guide_order_json: dict[str, Any]
) -> None:
    sleep = FakeSleep()
    ok = httpx.Response(200, json=guide_order_json)
    server = Server(failure, ok)
    async with make_client(server, sleep=sleep) as client:
        assert (await client.get_order(ORDER_ID)).id == ORDER_ID
    assert len(server.requests) == 2
    assert len(sleep.delays) == 1

    server = Server(failure)
    async with make_client(server) as client:
        with pytest.raises(cls) as info:
            await client.get_order(ORDER_ID)
    assert type(info.value) is cls
    assert len(server.requests) == 3
    assert info.value.status_code is None
    assert "api.test" in str(info.value)
    assert isinstance(info.value, ApiConnectionError)
    if isinstance(failure, httpx.ReadTimeout):
        assert "while waiting for the answer" in str(info.value)


async def test_a_hanging_server_hits_the_attempt_timeout() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    transport = httpx.MockTransport(hang)
    client = ToteClient(
        ClientConfig(BASE, TOKEN),
        transport=transport,
        max_retries=0,
        attempt_timeout=0.01,
        sleep=FakeSleep(),
    )
    async with client:
        with pytest.raises(ApiTimeoutError, match=r"did not answer in time \(within 0\.01 s"):
            await client.get_order(ORDER_ID)


# -- bodies that are not the API's JSON ----------------------------------------------

HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


async def test_html_on_success_is_a_bad_response() -> None:
    server = Server(httpx.Response(200, content=HTML, headers={"Content-Type": "text/html"}))
    async with make_client(server) as client:
        with pytest.raises(BadResponseError) as info:
            await client.get_order(ORDER_ID)
    assert len(server.requests) == 1
    assert str(info.value) == "The server's answer was not the API's JSON (text/html) (HTTP 200)"


async def test_html_error_page_keeps_the_status_class_and_is_retried() -> None:
    server = Server(
        httpx.Response(
            502, content=HTML, headers={"Content-Type": "text/html", "X-Request-Id": "req_p"}
        )
    )
    async with make_client(server) as client:
        with pytest.raises(ServerError) as info:
            await client.get_order(ORDER_ID)
    assert len(server.requests) == 3
    text = str(info.value)
    assert "not the API's JSON (text/html)" in text
    assert "HTTP 502" in text
    assert "req_p" in text
    assert "<html>" not in text


async def test_empty_success_body_is_a_bad_response() -> None:
    async with make_client(Server(httpx.Response(200, content=b""))) as client:
        with pytest.raises(BadResponseError, match="empty answer"):
            await client.get_order(ORDER_ID)


async def test_empty_error_body_says_so() -> None:
    async with make_client(Server(httpx.Response(404, content=b""))) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_order(ORDER_ID)
    assert info.value.message == "Not found; the answer was empty"


async def test_json_error_body_in_another_shape_says_so() -> None:
    async with make_client(Server(httpx.Response(400, json=["nope"]))) as client:
        with pytest.raises(BadRequestError) as info:
            await client.get_order(ORDER_ID)
    assert (
        info.value.message == "The request was not valid; the answer was not the API's error format"
    )


async def test_json_that_fails_validation_is_a_bad_response(
    guide_order_json: dict[str, Any],
) -> None:
    body = dict(guide_order_json, total={"amount": 19.45, "currency": "USD"})
    del body["status"]
    server = Server(httpx.Response(200, json=body, headers={"X-Request-Id": "req_v"}))
    async with make_client(server) as client:
        with pytest.raises(BadResponseError) as info:
            await client.get_order(ORDER_ID)
    text = str(info.value)
    assert text.startswith("The server's answer is not a valid order: status: Field required")
    assert "total.amount" in text
    assert "request req_v" in text
    for noise in ("pydantic", "errors.pydantic.dev", "Traceback", "input_value", "19.45"):
        assert noise not in text
    assert len(server.requests) == 1


async def test_many_validation_problems_are_summarised() -> None:
    async with make_client(Server(httpx.Response(200, json={}))) as client:
        with pytest.raises(BadResponseError, match=r"and \d+ more"):
            await client.get_order(ORDER_ID)


async def test_json_null_is_a_bad_response() -> None:
    async with make_client(Server(httpx.Response(200, content=b"null"))) as client:
        with pytest.raises(BadResponseError, match="not a valid order"):
            await client.get_order(ORDER_ID)


async def test_deeply_nested_json_is_a_bad_response() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    async with make_client(Server(httpx.Response(200, content=body))) as client:
        with pytest.raises(BadResponseError):
            await client.get_order(ORDER_ID)


async def test_redirect_is_not_followed() -> None:
    server = Server(httpx.Response(301, headers={"Location": "https://elsewhere.test/v1"}))
    async with make_client(server) as client:
        with pytest.raises(BadResponseError, match=r"redirected to https://elsewhere\.test/v1"):
            await client.get_order(ORDER_ID)
    assert len(server.requests) == 1


async def test_oversized_body_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 10)
    async with make_client(Server(httpx.Response(200, content=b"[" + b"1," * 50 + b"1]"))) as c:
        with pytest.raises(BadResponseError, match="larger than"):
            await c.request_json("GET", "/orders")


async def test_undecodable_body_is_a_bad_response() -> None:
    response = httpx.Response(
        200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"}
    )
    async with make_client(Server(response)) as client:
        with pytest.raises(BadResponseError, match="could not be decoded"):
            await client.get_order(ORDER_ID)


async def test_request_json_no_content_and_allow_empty() -> None:
    server = Server(httpx.Response(204), httpx.Response(200, content=b""))
    async with make_client(server) as client:
        assert await client.request_json("DELETE", "/sandbox/faults") is None
        assert await client.request_json("POST", "/sandbox/reset", allow_empty=True) is None
        with pytest.raises(BadResponseError):
            await client.request_json("POST", "/sandbox/reset")


async def test_request_json_returns_decoded_json_and_sends_body() -> None:
    server = Server(httpx.Response(200, json={"ok": [1, 2]}))
    async with make_client(server) as client:
        payload = await client.request_json(
            "PUT", "/sandbox/faults", json={"a": 1}, params={"p": "q"}, headers={"X-T": "1"}
        )
    assert payload == {"ok": [1, 2]}
    (request,) = server.requests
    assert json.loads(request.content) == {"a": 1}
    assert request.url.params["p"] == "q"
    assert request.headers["X-T"] == "1"


@pytest.mark.parametrize("path", ["https://elsewhere.test/steal", "orders", "/orders/\x00"])
async def test_request_json_refuses_paths_that_leave_the_base_url(path: str) -> None:
    server = Server(httpx.Response(200, json={}))
    async with make_client(server) as client:
        with pytest.raises(ValueError, match="path"):
            await client.request_json("GET", path)
    assert server.requests == []


def test_parse_model_reports_runaway_recursion() -> None:
    class Hostile(BaseModel):
        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> Hostile:
            raise RecursionError

    with pytest.raises(BadResponseError, match="nested too deeply") as info:
        parse_model(Hostile, {}, "thing", status_code=200, request_id="req_r")
    assert info.value.request_id == "req_r"


# -- cancel --------------------------------------------------------------------------


async def test_cancel_sends_one_key_for_every_retry_and_a_new_key_per_call(
    guide_cancel_json: dict[str, Any],
) -> None:
    server = Server(
        error_response(503, "internal", "Boom."),
        httpx.ConnectError("reset"),
        httpx.Response(200, json=guide_cancel_json),
        httpx.Response(200, json=guide_cancel_json),
    )
    async with make_client(server) as client:
        result = await client.cancel_order(ORDER_ID, "Customer changed their mind")
        assert isinstance(result, CancelResult)
        assert result.balance_due.amount == 1945
        await client.cancel_order(ORDER_ID, "Customer changed their mind")
    assert len(server.requests) == 4
    keys = [r.headers["Idempotency-Key"] for r in server.requests]
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    assert uuid.UUID(keys[0]).version == 4
    for request in server.requests:
        assert request.method == "POST"
        assert request.url.path == f"/v1/online-ordering/orders/{ORDER_ID}/cancel"
        assert json.loads(request.content) == {"reason": "Customer changed their mind"}


async def test_cancel_uses_a_given_key(guide_cancel_json: dict[str, Any]) -> None:
    server = Server(httpx.Response(200, json=guide_cancel_json))
    async with make_client(server) as client:
        await client.cancel_order(ORDER_ID, "x", idempotency_key="my-key-1")
    assert server.requests[0].headers["Idempotency-Key"] == "my-key-1"


@pytest.mark.parametrize(
    ("reason", "key", "match"),
    [
        ("", None, "reason"),
        ("x" * 501, None, "reason"),
        ("ok", "", "idempotency_key"),
        ("ok", "k" * 256, "idempotency_key"),
        ("ok", "bad\nkey", "idempotency_key"),
    ],
)
async def test_cancel_arguments_are_checked_locally(
    reason: str, key: str | None, match: str
) -> None:
    server = Server(httpx.Response(200, json={}))
    async with make_client(server) as client:
        with pytest.raises(ValueError, match=match):
            await client.cancel_order(ORDER_ID, reason, idempotency_key=key)
    assert server.requests == []


async def test_cancel_result_may_be_the_whole_order(guide_order_json: dict[str, Any]) -> None:
    body = dict(guide_order_json, status="CANCELLED", fulfillment_status="CANCELLED")
    async with make_client(Server(httpx.Response(200, json=body))) as client:
        result = await client.cancel_order(ORDER_ID, "x")
    assert result.status is OrderStatus.CANCELLED
    assert result.model_extra is not None
    assert "items" in result.model_extra


# -- listing -------------------------------------------------------------------------


def page(
    items: Iterable[dict[str, Any]], *, has_more: bool, cursor: str | None = None
) -> httpx.Response:
    return httpx.Response(
        200,
        json={"data": list(items), "pagination": {"has_more": has_more, "next_cursor": cursor}},
    )


async def test_list_orders_serializes_every_filter(guide_order_json: dict[str, Any]) -> None:
    server = Server(page([summary_of(guide_order_json)], has_more=False))
    paris = timezone(timedelta(hours=2))
    async with make_client(server) as client:
        result = await client.list_orders(
            status=OrderStatus.CONFIRMED,
            fulfillment_status="READY_FOR_PICKUP",
            location_id="b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d",
            date_from=datetime(2026, 1, 31, 12, 0, tzinfo=paris),
            date_to=datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
            limit=20,
            cursor="eyJpZCI6ImIyIn0=",
        )
    assert result.data[0].short_code == "F9A8B7"
    assert not result.pagination.has_more
    (request,) = server.requests
    assert request.url.path == "/v1/online-ordering/orders"
    assert dict(request.url.params) == {
        "status": "CONFIRMED",
        "fulfillment_status": "READY_FOR_PICKUP",
        "location_id": "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d",
        "date_from": "2026-01-31T10:00:00Z",
        "date_to": "2026-01-31T23:59:59Z",
        "limit": "20",
        "cursor": "eyJpZCI6ImIyIn0=",
    }


async def test_list_orders_without_filters_sends_no_params() -> None:
    server = Server(page([], has_more=False))
    async with make_client(server) as client:
        result = await client.list_orders()
    assert result.data == []
    assert server.requests[0].url.query == b""


async def test_naive_datetime_is_taken_as_local_time() -> None:
    server = Server(page([], has_more=False))
    naive = datetime(2026, 1, 31, 8, 30)
    async with make_client(server) as client:
        await client.list_orders(date_from=naive)
    expected = naive.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert server.requests[0].url.params["date_from"] == expected
    assert expected.endswith("Z")


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"limit": 0}, ValueError),
        ({"limit": 101}, ValueError),
        ({"limit": -5}, ValueError),
        ({"limit": True}, TypeError),
        ({"limit": "20"}, TypeError),
        ({"status": ""}, ValueError),
        ({"date_from": "2026-01-31"}, TypeError),
    ],
)
async def test_list_orders_checks_arguments_locally(
    kwargs: dict[str, Any], exc: type[Exception]
) -> None:
    server = Server(page([], has_more=False))
    async with make_client(server) as client:
        with pytest.raises(exc):
            await client.list_orders(**kwargs)
    assert server.requests == []


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_inclusive(limit: int) -> None:
    server = Server(page([], has_more=False))
    async with make_client(server) as client:
        await client.list_orders(limit=limit)
    assert server.requests[0].url.params["limit"] == str(limit)


async def test_iter_orders_follows_cursors_over_three_pages(
    guide_order_json: dict[str, Any],
) -> None:
    ids = [f"{n:02d}" + ORDER_ID[2:] for n in range(7)]
    rows = [summary_of(guide_order_json, id=i) for i in ids]
    server = Server(
        page(rows[:3], has_more=True, cursor="c1"),
        page(rows[3:6], has_more=True, cursor="c2"),
        page(rows[6:], has_more=False, cursor=None),
        repeat_last=False,
    )
    async with make_client(server) as client:
        seen = [
            s.id
            async for s in client.iter_orders(status="CONFIRMED", location_id="loc", page_size=3)
        ]
    assert seen == ids
    assert len(server.requests) == 3
    assert [r.url.params.get("cursor") for r in server.requests] == [None, "c1", "c2"]
    for request in server.requests:
        assert request.url.params["status"] == "CONFIRMED"
        assert request.url.params["location_id"] == "loc"
        assert request.url.params["limit"] == "3"


async def test_iter_orders_default_page_size_is_the_maximum() -> None:
    server = Server(page([], has_more=False))
    async with make_client(server) as client:
        assert [s async for s in client.iter_orders()] == []
    assert server.requests[0].url.params["limit"] == "100"


async def test_iter_orders_stops_on_a_repeated_cursor(guide_order_json: dict[str, Any]) -> None:
    server = Server(
        page([summary_of(guide_order_json)], has_more=True, cursor="c1"),
        page([summary_of(guide_order_json)], has_more=True, cursor="c2"),
        page([summary_of(guide_order_json)], has_more=True, cursor="c1"),
        repeat_last=False,
    )
    got = []

    async def collect(client: ToteClient) -> None:
        async for summary in client.iter_orders():
            got.append(summary)

    async with make_client(server) as client:
        with pytest.raises(BadResponseError, match="already sent"):
            await collect(client)
    assert len(server.requests) == 3
    assert len(got) == 3


async def test_iter_orders_stops_when_more_is_promised_without_a_cursor(
    guide_order_json: dict[str, Any],
) -> None:
    server = Server(
        page([summary_of(guide_order_json)], has_more=True, cursor=None), repeat_last=False
    )
    async with make_client(server) as client:
        with pytest.raises(BadResponseError, match="no next_cursor"):
            _ = [s async for s in client.iter_orders()]
    assert len(server.requests) == 1


async def test_iter_orders_checks_page_size() -> None:
    server = Server(page([], has_more=False))
    async with make_client(server) as client:
        with pytest.raises(ValueError, match="page_size"):
            _ = [s async for s in client.iter_orders(page_size=0)]
    assert server.requests == []


async def test_invalid_page_is_a_bad_response() -> None:
    server = Server(httpx.Response(200, json={"data": "nope"}))
    async with make_client(server) as client:
        with pytest.raises(BadResponseError, match="not a valid page of orders"):
            await client.list_orders()


# -- the token never leaks -----------------------------------------------------------


async def test_token_is_absent_from_logs_errors_and_reprs(
    caplog: pytest.LogCaptureFixture, guide_order_json: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track.api")
    echo = f"Token {TOKEN} is not valid"
    server = Server(
        error_response(500, "internal", "Boom.", request_id="req_1"),
        httpx.Response(200, json=guide_order_json, headers={"X-Request-Id": "req_2"}),
        error_response(401, "unauthorized", echo),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.ConnectError(f"failed with {TOKEN}"),
        *[error_response(429, f"code_{TOKEN}", "x", Retry_After="1")] * 3,
        httpx.Response(302, headers={"Location": f"https://x.test/?t={TOKEN}"}),
    )
    errors: list[ToteError] = []
    async with make_client(server, max_retries=2) as client:
        await client.get_order(ORDER_ID)
        for _ in range(5):
            try:
                await client.get_order(ORDER_ID)
            except ToteError as err:
                errors.append(err)
        assert TOKEN not in repr(client)
    assert len(errors) == 5
    for caught in errors:
        assert TOKEN not in str(caught)
        assert TOKEN not in repr(caught)
        assert TOKEN not in str(caught.args)
        assert TOKEN not in (caught.code or "")
    assert [type(e) for e in errors] == [
        UnauthorizedError,
        ApiConnectionError,
        RateLimitedError,
        BadResponseError,
        BadResponseError,
    ]
    assert "<redacted>" in str(errors[0])
    assert "<redacted>" in str(errors[1])
    assert errors[2].code == "code_<redacted>"
    assert "<redacted>" in str(errors[3])
    assert caplog.records, "the client logs at DEBUG"
    messages = [r.getMessage() for r in caplog.records]
    for message in messages:
        assert TOKEN not in message
    text = "\n".join(messages)
    assert f"GET /orders/{ORDER_ID} -> 500 (request req_1, attempt 1" in text
    assert f"GET /orders/{ORDER_ID} -> 200 (request req_2, attempt 2" in text
    assert "ServerError; retrying in" in text
    assert "ConnectError (attempt 1)" in text
    assert "retrying in 1.00 s (attempt 2 of 3)" in text
    assert all(r.name == "tote_track.api" for r in caplog.records)


async def test_a_short_public_token_is_not_scrubbed_from_sentences() -> None:
    message = "A fault injected by the sandbox."
    server = Server(error_response(404, "not_found", message))
    async with make_client(server, token="sandbox") as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_order(ORDER_ID)
    assert info.value.message == message


# -- Retry-After parsing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        (None, None, None),
        ("5", None, 5.0),
        (" 1.5 ", None, 1.5),
        ("0", None, 0.0),
        ("-1", None, None),
        ("nan", None, None),
        ("inf", None, None),
        ("soon", None, None),
        ("", None, None),
        ("Sat, 31 Jan 2026 10:07:30 GMT", "Sat, 31 Jan 2026 10:07:00 GMT", 30.0),
        ("Sat, 31 Jan 2026 10:06:00 GMT", "Sat, 31 Jan 2026 10:07:00 GMT", 0.0),
        ("Sat, 31 Jan 2026 10:06:00 GMT", "garbage", 0.0),  # past against the local clock
        ("Sat, 31 Jan 2026 10:07:30 -0000", "Sat, 31 Jan 2026 10:07:00 GMT", 30.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None, RETRY_AFTER_CAP),
        ("99999", None, RETRY_AFTER_CAP),
    ],
)
def test_parse_retry_after(value: str | None, date: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, date) == expected


# -- the error classes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, None, BadRequestError),
        (401, None, UnauthorizedError),
        (403, None, UnauthorizedError),
        (404, "not_found", NotFoundError),
        (409, None, ConflictError),
        (409, "cancel_not_allowed", CancelNotAllowedError),
        (409, "idempotency_key_in_use", IdempotencyKeyInUseError),
        (409, "idempotency_key_reused", ConflictError),
        (422, None, UnprocessableError),
        (429, "rate_limited", RateLimitedError),
        (500, None, ServerError),
        (599, None, ServerError),
        (405, None, ApiStatusError),
    ],
)
def test_error_for_status(status: int, code: str | None, cls: type[ApiStatusError]) -> None:
    assert error_for_status(status, code) is cls


def test_only_transient_errors_are_marked_so() -> None:
    transient = {ApiConnectionError, ApiTimeoutError, RateLimitedError, ServerError}
    transient.add(IdempotencyKeyInUseError)
    every = [
        ToteError,
        ApiStatusError,
        BadRequestError,
        UnauthorizedError,
        NotFoundError,
        ConflictError,
        CancelNotAllowedError,
        UnprocessableError,
        BadResponseError,
        InsecureTransportError,
        InvalidConfigError,
        *transient,
    ]
    for cls in every:
        assert cls.transient is (cls in transient), cls
    assert issubclass(InsecureTransportError, ToteError)
    assert issubclass(InvalidConfigError, ValueError)


def test_error_text_without_details_or_message() -> None:
    assert str(ToteError("")) == "The Tote API request failed"
    assert str(ToteError("Plain.")) == "Plain"
    assert repr(ToteError("Plain.")) == "ToteError(message='Plain.')"
    err = RateLimitedError("Slow down", code="rate_limited", status_code=429, retry_after=2.0)
    err.attempts = 3
    assert str(err) == "Slow down (rate_limited, HTTP 429); gave up after 3 attempts"
    assert repr(err) == (
        "RateLimitedError(message='Slow down', code='rate_limited', status_code=429, "
        "retry_after=2.0, attempts=3)"
    )
    assert err.args == ("Slow down",)


# -- real sockets (loopback only) ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_real_refused_connection_is_an_api_connection_error() -> None:
    sleep = FakeSleep()
    config = ClientConfig(f"http://127.0.0.1:{free_port()}/v1/online-ordering", TOKEN)
    async with ToteClient(config, sleep=sleep, max_retries=1) as client:
        with pytest.raises(ApiConnectionError) as info:
            await client.get_order(ORDER_ID)
    assert type(info.value) is ApiConnectionError
    assert info.value.attempts == 2
    assert len(sleep.delays) == 1
    assert str(info.value).startswith("Could not reach the Tote API at 127.0.0.1")
    assert not info.value.reached  # no server there: the few attempts of an unreached API


async def start_raw_server(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1/online-ordering"


async def test_real_silent_server_is_a_read_timeout() -> None:
    hung_up = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1024):  # never answer; wait for the client to hang up
            pass
        writer.close()
        await writer.wait_closed()
        hung_up.set()

    server, base = await start_raw_server(silent)
    async with server:
        timeout = httpx.Timeout(5.0, read=0.05)
        client = ToteClient(ClientConfig(base, TOKEN), timeout=timeout, max_retries=0)
        async with client:
            with pytest.raises(ApiTimeoutError, match="while waiting for the answer") as info:
                await client.get_order(ORDER_ID)
        assert info.value.reached  # connected: a server is there, only slow
        await asyncio.wait_for(hung_up.wait(), 5)
        server.close()


async def test_real_dropped_connection_is_retried_then_reported() -> None:
    seen = 0

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal seen
        seen += 1
        await reader.read(1)
        writer.close()
        await writer.wait_closed()

    server, base = await start_raw_server(drop)
    async with server:
        sleep = FakeSleep()
        async with ToteClient(ClientConfig(base, TOKEN), sleep=sleep) as client:
            with pytest.raises(ApiConnectionError) as info:
                await client.get_order(ORDER_ID)
        server.close()
    assert seen == 3
    assert len(sleep.delays) == 2
    assert info.value.attempts == 3
    assert info.value.reached  # the server took the request and hung up: it was reached


async def test_https_verifies_certificates_and_plain_http_skips_the_ca_bundle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ssl

    handed: list[ssl.SSLContext] = []

    class Recording(httpx.AsyncClient):
        """httpx's client, noting the TLS context it is given (``verify=``)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            handed.append(kwargs["verify"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", Recording)
    async with ToteClient(ClientConfig("https://api.example.com/v1", "tok")):
        (secure,) = handed
        assert secure.verify_mode == ssl.CERT_REQUIRED
        assert secure.check_hostname
        assert secure.cert_store_stats()["x509_ca"] > 50  # certifi's bundle
    async with ToteClient(ClientConfig("http://127.0.0.1:8787/v1", "tok")):
        # Never negotiates TLS; even so its context checks certificates (and trusts nobody).
        loopback = handed[-1]
        assert loopback.verify_mode == ssl.CERT_REQUIRED
        assert loopback.check_hostname
        assert loopback.cert_store_stats()["x509_ca"] == 0
    mine = ssl.create_default_context()
    async with ToteClient(ClientConfig("https://api.example.com/v1", "tok"), ssl_context=mine):
        assert handed[-1] is mine  # a context loaded ahead (on a thread) is the one used
