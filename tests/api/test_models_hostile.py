"""Hostile servers: whatever comes back, the client raises nothing but a ToteError.

Bodies are arbitrary JSON, arbitrary bytes, or the guide's example order mutated (keys
dropped, values swapped for other JSON or confusing types, unknown keys added), fed through
the real client over ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tote_track.api.client import RETRY_AFTER_CAP, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import (
    ApiStatusError,
    BadResponseError,
    ServerError,
    ToteError,
)
from tote_track.api.models import CancelResult, Order, OrderSummary, Page

FIXTURES = Path(__file__).parent.parent / "fixtures"
GUIDE_ORDER: dict[str, Any] = json.loads((FIXTURES / "guide_order.json").read_text())
GUIDE_CANCEL: dict[str, Any] = json.loads((FIXTURES / "guide_cancel_response.json").read_text())
GUIDE_PAGE: dict[str, Any] = {
    "data": [{k: v for k, v in GUIDE_ORDER.items() if k not in ("items", "payments")}] * 2,
    "pagination": {"has_more": True, "next_cursor": "abc"},
}
TOKEN = "tok_hostile_S3cr3t"
ORDER_ID = GUIDE_ORDER["id"]

HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "USD", "PAID", "2026-01-31T10:07:00Z", "2026-01-31T10:07:00", "0"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

Call = Callable[[ToteClient], Awaitable[Any]]
CALLS: dict[str, tuple[Call, type[Any]]] = {
    "get_order": (lambda c: c.get_order(ORDER_ID), Order),
    "list_orders": (lambda c: c.list_orders(limit=20), Page),
    "cancel_order": (lambda c: c.cancel_order(ORDER_ID, "Changed my mind"), CancelResult),
}
BASES = {"get_order": GUIDE_ORDER, "list_orders": GUIDE_PAGE, "cancel_order": GUIDE_CANCEL}


async def _no_sleep(delay: float) -> None:
    assert math.isfinite(delay)
    assert 0 <= delay <= RETRY_AFTER_CAP


def run_call(call: Call, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    async def main() -> Any:
        client = ToteClient(
            ClientConfig("https://api.test/v1/online-ordering", TOKEN),
            transport=httpx.MockTransport(handler),
            sleep=_no_sleep,
            max_retries=1,
        )
        async with client:
            return await call(client)

    return asyncio.run(main())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """The base document with 1-4 random edits at random places."""
    doc: Any = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(list(_paths(doc))))
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        new = draw(json_values)
        if not path:
            if action == "replace":
                doc = new
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = new
        elif isinstance(parent[last], dict):
            parent[last][draw(st.text(max_size=12))] = new
        elif isinstance(parent[last], list):
            parent[last].append(new)
        else:
            parent[last] = new
    return doc


def check_outcome(name: str, status: int, body: bytes, headers: dict[str, str]) -> None:
    call, model = CALLS[name]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    result: Any = None
    error: ToteError | None = None
    try:
        result = run_call(call, handler)
    except ToteError as err:
        error = err
    if error is not None:
        text = str(error) + repr(error)
        assert TOKEN not in text
        assert "Traceback" not in text
        assert "errors.pydantic.dev" not in text
        if 200 <= status < 300:
            assert type(error) is BadResponseError
        elif status >= 400:
            assert isinstance(error, ApiStatusError)
            assert error.status_code == status
            if status >= 500:
                assert isinstance(error, ServerError)
    else:
        assert 200 <= status < 300
        assert isinstance(result, model)
        if isinstance(result, Page):
            assert all(isinstance(s, OrderSummary) for s in result.data)


@HOSTILE
@given(name=st.sampled_from(sorted(CALLS)), value=json_values)
def test_arbitrary_json_is_a_result_or_a_bad_response(name: str, value: Any) -> None:
    check_outcome(name, 200, json.dumps(value).encode(), {"Content-Type": "application/json"})


@HOSTILE
@given(data=st.data(), name=st.sampled_from(sorted(CALLS)))
def test_mutated_guide_examples_are_a_result_or_a_bad_response(
    data: st.DataObject, name: str
) -> None:
    doc = data.draw(mutated(BASES[name]))
    check_outcome(name, 200, json.dumps(doc).encode(), {"Content-Type": "application/json"})


@HOSTILE
@given(
    name=st.sampled_from(sorted(CALLS)),
    status=st.integers(min_value=200, max_value=599),
    body=st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | json_values.map(lambda v: json.dumps({"error": v}).encode()),
    retry_after=st.none()
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
    | st.sampled_from(["1e400", "nan", "-inf", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 99 Foo"]),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
)
def test_any_status_and_body_raise_only_tote_errors(
    name: str, status: int, body: bytes, retry_after: str | None, content_type: str
) -> None:
    headers = {"X-Request-Id": "req_h"}
    if content_type:
        headers["Content-Type"] = content_type
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if 300 <= status < 400:
        headers["Location"] = "https://elsewhere.test/"
    check_outcome(name, status, body, headers)


@HOSTILE
@given(doc=mutated(GUIDE_ORDER))
def test_mutated_orders_that_parse_keep_their_shape(doc: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(doc).encode())

    try:
        order = run_call(lambda c: c.get_order(ORDER_ID), handler)
    except BadResponseError:
        return
    assert isinstance(order, Order)
    assert isinstance(order.id, str)
    assert isinstance(order.total.amount, int)
    assert order.created_at.tzinfo is not None


async def _every_order(client: ToteClient) -> list[OrderSummary]:
    return [summary async for summary in client.iter_orders(page_size=2)]


@HOSTILE
@given(
    data=st.data(),
    status=st.sampled_from([200, 200, 200, 301, 400, 404, 429, 500, 503]),
    content_type=st.sampled_from(["application/json", "text/html"]),
)
def test_iter_orders_raises_only_tote_errors_whatever_a_later_page_is(
    data: st.DataObject, status: int, content_type: str
) -> None:
    """The first page is good; the second is anything (iter_orders follows the cursor)."""
    later = data.draw(
        mutated(GUIDE_PAGE).map(lambda v: json.dumps(v).encode())
        | json_values.map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=100),
        label="second page",
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if "cursor" not in request.url.params:
            return httpx.Response(200, json=GUIDE_PAGE)
        return httpx.Response(status, content=later, headers={"Content-Type": content_type})

    orders: list[OrderSummary] = []
    error: ToteError | None = None
    try:
        orders = run_call(_every_order, handler)
    except ToteError as err:
        error = err
    if error is not None:
        text = str(error) + repr(error)
        assert TOKEN not in text
        assert "errors.pydantic.dev" not in text
        if status >= 400:
            assert isinstance(error, ApiStatusError)
            assert error.status_code == status
        else:
            assert isinstance(error, BadResponseError)
        return
    assert status == 200
    assert len(orders) >= 2  # the first page, then whatever the second held
    assert all(isinstance(summary, OrderSummary) for summary in orders)
