"""The conformance rules on the guide's own example and on answers that bend it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.hostile_server import order_summary
from tote_track.tracking.conformance import (
    Check,
    cancel_checks,
    error_checks,
    filter_checks,
    filter_probes,
    order_checks,
    page_checks,
    pagination_checks,
    summary_of,
)

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


def failed(checks: list[Check]) -> dict[str, Check]:
    return {check.path: check for check in checks if not check.passed}


def page(*rows: dict[str, Any], has_more: bool = False, cursor: str | None = None) -> Any:
    return {"data": list(rows), "pagination": {"has_more": has_more, "next_cursor": cursor}}


def test_the_guides_example_order_passes_every_check(guide_order_json: dict[str, Any]) -> None:
    checks = order_checks("order", guide_order_json, ORDER_ID)
    assert failed(checks) == {}
    names = {check.check for check in checks}
    assert {"order.status", "order.total.amount", "order.items[].item_total.amount"} <= names
    assert {"order.payments[].payment_method", "order.created_at", "order.handoff.mode"} <= names
    assert summary_of(checks) == (len(checks), 0)


def test_an_unknown_status_and_an_amount_as_a_string_are_named(
    guide_order_json: dict[str, Any],
) -> None:
    order = copy.deepcopy(guide_order_json)
    order["fulfillment_status"] = "SHIPPED"
    order["total"]["amount"] = "1945"
    order["items"][1]["item_total"]["amount"] = 3.98
    problems = failed(order_checks("order", order, ORDER_ID))
    assert set(problems) == {
        "order.fulfillment_status",
        "order.total.amount",
        "order.items[1].item_total.amount",
    }
    shipped = problems["order.fulfillment_status"]
    assert shipped.got == '"SHIPPED"'
    assert shipped.expected.startswith("one of PENDING, IN_PROGRESS, PREPARING")
    assert problems["order.total.amount"].got == '"1945"'
    assert "minor units" in problems["order.total.amount"].expected
    # A failing element is reported under its array's check, at its own path.
    assert problems["order.items[1].item_total.amount"].check == "order.items[].item_total.amount"


@pytest.mark.parametrize(
    ("change", "path", "got"),
    [
        ({"created_at": "2026-01-31T10:07:00"}, "order.created_at", '"2026-01-31T10:07:00"'),
        ({"created_at": 1769854020}, "order.created_at", "1769854020"),
        ({"updated_at": "2026-01-31T10:06:00Z"}, "order.updated_at", '"2026-01-31T10:06:00Z"'),
        ({"location_id": "store-7"}, "order.location_id", '"store-7"'),
        ({"payment_status": None}, "order.payment_status", "missing"),
        ({"id": "00000000-0000-4000-8000-000000000000"}, "order.id", None),
        ({"handoff": "CURBSIDE"}, "order.handoff", '"CURBSIDE"'),
        ({"items": {}}, "order.items", "{}"),
    ],
)
def test_fields_that_bend_the_guide_fail_at_their_path(
    guide_order_json: dict[str, Any], change: dict[str, Any], path: str, got: str | None
) -> None:
    order = {**copy.deepcopy(guide_order_json), **change}
    if change.get("payment_status", "") is None:
        del order["payment_status"]
    problems = failed(order_checks("order", order, ORDER_ID))
    assert path in problems
    if got is not None:
        assert problems[path].got == got


def test_fields_the_guide_does_not_name_are_allowed(guide_order_json: dict[str, Any]) -> None:
    order = {**copy.deepcopy(guide_order_json), "loyalty_points": 12}
    order["total"]["currency"] = "EUR"
    assert failed(order_checks("order", order, ORDER_ID)) == {}
    order["total"]["currency"] = "usd"
    assert set(failed(order_checks("order", order, ORDER_ID))) == {"order.total.currency"}


def test_a_page_of_summaries(guide_order_json: dict[str, Any]) -> None:
    rows = [
        order_summary(guide_order_json, n, created_at=f"2026-01-31T10:0{9 - n}:00Z")
        for n in range(3)
    ]
    assert failed(page_checks("list", page(*rows), limit=3)) == {}
    with_items = [*rows[:2], {**rows[2], "items": []}]
    bad = page(*with_items, has_more=True)
    problems = failed(page_checks("list", bad, limit=2))
    assert set(problems) == {"page.data[2]", "page.data", "page.pagination.next_cursor"}
    assert problems["page.data"].got == "3 orders"
    older_first = page(*reversed(rows))
    assert set(failed(page_checks("list", older_first))) == {"page.data[1].created_at"}


def test_pages_followed_through_the_cursor(guide_order_json: dict[str, Any]) -> None:
    a, b, c = (order_summary(guide_order_json, n) for n in range(3))
    assert (
        failed(pagination_checks("pages", [page(a, b, has_more=True, cursor="x"), page(c)])) == {}
    )
    again = failed(pagination_checks("pages", [page(a, b), page(b, c)]))
    assert list(again) == [f"page 2: {b['id']}"]
    assert again[f"page 2: {b['id']}"].got == "also on page 1"
    assert set(failed(pagination_checks("pages", []))) == {"pagination.next_cursor"}


def test_each_filter_is_probed_with_a_listed_orders_value(
    guide_order_json: dict[str, Any],
) -> None:
    sample = order_summary(guide_order_json)
    probes = {probe.name: probe for probe in filter_probes(sample)}
    assert set(probes) == {"status", "fulfillment_status", "location_id", "date_from", "date_to"}
    assert probes["status"].value == "CONFIRMED"
    later = order_summary(guide_order_json, 1, created_at="2026-02-01T00:00:00Z", status="PENDING")
    assert failed(filter_checks("f", probes["date_to"], page(sample))) == {}
    assert set(failed(filter_checks("f", probes["date_to"], page(later, sample)))) == {
        "page.data[0].created_at"
    }
    assert set(failed(filter_checks("f", probes["status"], page(later)))) == {"page.data[0].status"}
    assert set(failed(filter_checks("f", probes["date_from"], page()))) == {"page.data"}


def test_error_answers_need_the_envelope() -> None:
    envelope = {"error": {"code": "not_found", "message": "No order with that id."}}
    assert failed(error_checks("404", 404, 404, envelope)) == {}
    assert set(failed(error_checks("404", 404, 404, {"detail": "Not Found"}))) == {"error"}
    assert set(failed(error_checks("404", 404, 200, {"error": {"code": "", "message": 7}}))) == {
        "status",
        "error.code",
        "error.message",
    }


def test_a_cancel_is_judged_by_the_state_it_was_sent_in(
    guide_order_json: dict[str, Any], guide_cancel_json: dict[str, Any]
) -> None:
    pending = {**guide_order_json, "fulfillment_status": "PENDING"}
    assert failed(cancel_checks("cancel", pending, 200, guide_cancel_json)) == {}
    refused = {"error": {"code": "cancel_not_allowed", "message": "Preparing."}}
    assert failed(cancel_checks("cancel", guide_order_json, 409, refused)) == {}  # PREPARING
    assert set(failed(cancel_checks("cancel", pending, 409, refused))) >= {"status"}
    assert set(failed(cancel_checks("cancel", guide_order_json, 200, guide_cancel_json))) >= {
        "status"
    }
