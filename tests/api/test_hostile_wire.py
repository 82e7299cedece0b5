"""The client against a hostile API on a loopback socket: endless pages, odd dates, echoed
secrets, huge strings. Each case is one a real server could send; none may crash the client,
loop forever, or put the token anywhere a person or a log could read it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from typing import Any

import pytest
from pydantic import ValidationError

from tests.hostile_server import (
    Answer,
    HostileServer,
    Seen,
    endless_pages,
    error_reply,
    json_reply,
    order_summary,
)
from tote_track.api.client import DEFAULT_MAX_ORDERS, DEFAULT_MAX_PAGES, ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import (
    SERVER_TEXT_LIMIT,
    BadResponseError,
    NotFoundError,
    PaginationLimitError,
    ToteError,
)
from tote_track.api.models import EARLIEST_MOMENT, LATEST_MOMENT, OrderSummary, check_moment

TOKEN = "tok-HOSTILE-SECRET-0123456789"
ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


async def drain(client: ToteClient, **kwargs: Any) -> list[OrderSummary]:
    return [summary async for summary in client.iter_orders(**kwargs)]


@pytest.fixture
async def client(hostile_server: HostileServer) -> AsyncIterator[ToteClient]:
    async with ToteClient(ClientConfig(hostile_server.base_url, TOKEN), max_retries=0) as made:
        yield made


# -- 3. pagination is bounded ------------------------------------------------------------------


def test_the_default_bounds_are_documented_numbers() -> None:
    assert (DEFAULT_MAX_PAGES, DEFAULT_MAX_ORDERS) == (1000, 100_000)


async def test_endless_pages_stop_at_max_pages(
    hostile_server: HostileServer, client: ToteClient, guide_order_json: dict[str, Any]
) -> None:
    hostile_server.route("GET", "/orders", endless_pages([order_summary(guide_order_json)]))
    got: list[OrderSummary] = []

    async def collect() -> None:
        async for order in client.iter_orders(max_pages=5):
            got.append(order)

    with pytest.raises(PaginationLimitError) as caught:
        await collect()
    assert len(hostile_server.requests) == 5
    assert len(got) == 5
    error = caught.value
    assert isinstance(error, BadResponseError)
    assert "5 pages" in str(error)
    assert "narrow" in str(error)


async def test_orders_stop_at_max_orders(
    hostile_server: HostileServer, client: ToteClient, guide_order_json: dict[str, Any]
) -> None:
    rows = [order_summary(guide_order_json, n) for n in range(3)]
    hostile_server.route("GET", "/orders", endless_pages(rows))
    got: list[OrderSummary] = []

    async def collect() -> None:
        async for order in client.iter_orders(max_orders=7):
            got.append(order)

    with pytest.raises(PaginationLimitError, match="7 orders"):
        await collect()
    assert len(got) == 7
    assert len(hostile_server.requests) == 3


async def test_exactly_max_orders_and_no_more_is_not_an_error(
    hostile_server: HostileServer, client: ToteClient, guide_order_json: dict[str, Any]
) -> None:
    rows = [order_summary(guide_order_json, n) for n in range(3)]
    pages = iter(
        [
            {"data": rows, "pagination": {"has_more": True, "next_cursor": "c1"}},
            {"data": rows, "pagination": {"has_more": False, "next_cursor": None}},
        ]
    )
    hostile_server.route("GET", "/orders", lambda seen: json_reply(next(pages))(seen))
    assert len(await drain(client, max_orders=6, max_pages=2)) == 6


async def test_an_empty_page_that_says_more_follow_is_an_error(
    hostile_server: HostileServer, client: ToteClient
) -> None:
    hostile_server.route("GET", "/orders", endless_pages([]))
    with pytest.raises(BadResponseError, match="empty page"):
        await drain(client)
    assert len(hostile_server.requests) == 1


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
async def test_the_bounds_are_checked(client: ToteClient, bad: Any) -> None:
    with pytest.raises((ValueError, TypeError), match="max_pages must be"):
        await drain(client, max_pages=bad)
    with pytest.raises((ValueError, TypeError), match="max_orders must be"):
        await drain(client, max_orders=bad)


async def test_a_huge_cursor_is_not_kept_page_after_page(
    hostile_server: HostileServer, client: ToteClient, guide_order_json: dict[str, Any]
) -> None:
    """The repeated-cursor check keeps a digest, not every cursor the server sent."""
    row = order_summary(guide_order_json)
    counter = count()

    def answer(seen: Seen) -> Answer:
        cursor = f"{next(counter)}" + "x" * 1000
        return json_reply({"data": [row], "pagination": {"has_more": True, "next_cursor": cursor}})(
            seen
        )

    hostile_server.route("GET", "/orders", answer)
    with pytest.raises(PaginationLimitError):
        await drain(client, max_pages=3)
    assert len(hostile_server.requests) == 3


# -- 4. odd dates ------------------------------------------------------------------------------

EAST = timezone(timedelta(hours=14))
WEST = timezone(timedelta(hours=-14))


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
async def test_an_order_dated_at_the_end_of_time_is_a_bad_response_not_an_overflow(
    hostile_server: HostileServer,
    client: ToteClient,
    guide_order_json: dict[str, Any],
    text: str,
) -> None:
    hostile_server.route(
        "GET", r"/orders/[^/]+", json_reply({**guide_order_json, "created_at": text})
    )
    hostile_server.route(
        "GET",
        "/orders",
        json_reply(
            {
                "data": [order_summary(guide_order_json, updated_at=text)],
                "pagination": {"has_more": False},
            }
        ),
    )
    with pytest.raises(BadResponseError, match="created_at") as caught:
        await client.get_order(ORDER_ID)
    assert "0001-01-03" in str(caught.value)
    assert "9999-12-29" in str(caught.value)
    with pytest.raises(BadResponseError, match="updated_at"):
        await client.list_orders()


def test_every_accepted_moment_can_be_shown_in_any_zone() -> None:
    for moment in (EARLIEST_MOMENT, LATEST_MOMENT):
        assert check_moment(moment) is moment
        for zone in (EAST, WEST, timezone(timedelta(hours=23, minutes=59)), UTC):
            moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            (moment.astimezone(zone) + timedelta(hours=3)).astimezone(UTC)


@pytest.mark.parametrize(
    "moment",
    [
        EARLIEST_MOMENT - timedelta(microseconds=1),
        LATEST_MOMENT + timedelta(microseconds=1),
        datetime(1, 1, 1, tzinfo=EAST),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_moments_that_cannot_be_shown_everywhere_are_refused(moment: datetime) -> None:
    with pytest.raises(ValueError, match="between"):
        check_moment(moment)


def test_the_models_refuse_them_too(guide_order_json: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="between"):
        OrderSummary.model_validate(
            order_summary(guide_order_json, created_at="9999-12-31T23:59:59Z")
        )
    ordinary = OrderSummary.model_validate(order_summary(guide_order_json))
    assert ordinary.created_at.year == 2026


# -- 6. server text: no token, no 10 KB ------------------------------------------------------


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert len(text) < 2000, f"{len(text)} characters"


def every_part(error: ToteError) -> str:
    return " ".join(
        [str(error), repr(error), error.message, error.code or "", error.request_id or ""]
    )


async def test_a_token_echoed_in_the_request_id_header_is_scrubbed(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    hostile_server.route(
        "GET",
        r"/orders/[^/]+",
        error_reply(404, "not_found", "No such order.", headers={"X-Request-Id": f"req-{TOKEN}"}),
    )
    with pytest.raises(NotFoundError) as caught:
        await client.get_order(ORDER_ID)
    error = caught.value
    assert error.request_id == "req-<redacted>"
    assert_clean(every_part(error))
    assert "req-<redacted>" in caplog.text
    assert_clean(caplog.text)


async def test_a_token_in_the_envelope_is_scrubbed_everywhere(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    envelope = {"error": {"code": f"bad_{TOKEN}", "message": f"No {TOKEN}.", "request_id": TOKEN}}
    hostile_server.route("GET", r"/orders/[^/]+", json_reply(envelope, 404))
    with pytest.raises(NotFoundError) as caught:
        await client.get_order(ORDER_ID)
    assert_clean(every_part(caught.value))
    assert "<redacted>" in caught.value.request_id  # type: ignore[operator]
    assert_clean(caplog.text)


async def test_a_token_in_the_request_id_of_a_success_is_scrubbed(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    hostile_server.route(
        "GET",
        r"/orders/[^/]+",
        lambda _: Answer(200, b"<html>", {"X-Request-Id": TOKEN, "Content-Type": "text/html"}),
    )
    with pytest.raises(BadResponseError) as caught:
        await client.get_order(ORDER_ID)
    assert caught.value.request_id == "<redacted>"
    assert_clean(every_part(caught.value))
    assert_clean(caplog.text)


async def test_huge_server_strings_are_cut(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    huge = "A" * 10_000
    envelope = {"error": {"code": huge, "message": huge, "request_id": huge}}
    hostile_server.route("GET", r"/orders/[^/]+", json_reply(envelope, 404, {"X-Request-Id": huge}))
    with pytest.raises(NotFoundError) as caught:
        await client.get_order(ORDER_ID)
    error = caught.value
    for part in (error.message, error.code, error.request_id):
        assert part is not None
        assert len(part) <= SERVER_TEXT_LIMIT
        assert part.endswith("…")
    assert_clean(every_part(error))
    assert_clean(caplog.text)


async def test_a_token_cut_in_half_by_the_limit_does_not_leak_its_start(
    hostile_server: HostileServer, client: ToteClient
) -> None:
    message = "x" * (SERVER_TEXT_LIMIT - 10) + TOKEN
    hostile_server.route("GET", r"/orders/[^/]+", error_reply(404, "not_found", message))
    with pytest.raises(NotFoundError) as caught:
        await client.get_order(ORDER_ID)
    assert TOKEN[:8] not in caught.value.message


async def test_a_redirect_location_is_scrubbed_and_cut(
    hostile_server: HostileServer, client: ToteClient
) -> None:
    location = f"https://evil.example/{TOKEN}/" + "p" * 10_000
    hostile_server.route(
        "GET", r"/orders/[^/]+", lambda _: Answer(302, b"", {"Location": location})
    )
    with pytest.raises(BadResponseError, match="redirected") as caught:
        await client.get_order(ORDER_ID)
    assert_clean(every_part(caught.value))
    assert "evil.example" in str(caught.value)


async def test_control_characters_in_server_strings_are_made_visible(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    hostile_server.route(
        "GET",
        r"/orders/[^/]+",
        error_reply(404, "not\x1b[2J", "Gone\x1b]0;pwned\x07.", headers={"X-Request-Id": "r\x1bc"}),
    )
    with pytest.raises(NotFoundError) as caught:
        await client.get_order(ORDER_ID)
    assert "\x1b" not in every_part(caught.value)
    assert "\x07" not in every_part(caught.value)
    assert "\x1b" not in caplog.text


async def test_a_huge_order_id_is_cut_in_the_log_and_errors(
    hostile_server: HostileServer, client: ToteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tote_track")
    hostile_server.route("GET", r"/orders/.+", error_reply(404, "not_found", "No such order."))
    with pytest.raises(NotFoundError) as caught:
        await client.get_order("9" * 2000)
    assert len(str(caught.value)) < 500
    assert len(caplog.text) < 2000
