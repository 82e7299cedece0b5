from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from tote_track.api.models import (
    CancelResult,
    ErrorEnvelope,
    FulfillmentStatus,
    HandoffMode,
    Money,
    Order,
    OrderStatus,
    OrderSummary,
    Page,
    PaymentState,
)


def test_guide_example_parses(guide_order_json: dict[str, Any]) -> None:
    order = Order.model_validate(guide_order_json)
    assert order.short_code == "F9A8B7"
    assert order.status is OrderStatus.CONFIRMED
    assert order.fulfillment_status is FulfillmentStatus.PREPARING
    assert order.handoff.mode is HandoffMode.CURBSIDE
    assert order.handoff.vehicle_color == "Silver"
    assert order.total == Money(amount=1945, currency="USD")
    assert [i.quantity for i in order.items] == [1, 2]
    assert order.payments[0].status is PaymentState.COMPLETED


def test_guide_example_round_trips(guide_order_json: dict[str, Any]) -> None:
    order = Order.model_validate_json(json.dumps(guide_order_json))
    assert order.model_dump(mode="json", exclude_unset=True) == guide_order_json


def test_guide_cancel_response_parses(guide_cancel_json: dict[str, Any]) -> None:
    result = CancelResult.model_validate(guide_cancel_json)
    assert result.status is OrderStatus.CANCELLED
    assert result.balance_due.amount == 1945
    assert result.model_dump(mode="json") == guide_cancel_json


def test_unknown_enum_values_and_fields_are_kept(guide_order_json: dict[str, Any]) -> None:
    data = dict(guide_order_json, status="ON_HOLD", loyalty={"points": 12})
    data["handoff"] = dict(data["handoff"], mode="DRONE")
    order = Order.model_validate(data)
    assert order.status == "ON_HOLD"
    assert not order.status.known
    assert OrderStatus.CONFIRMED.known
    assert order.handoff.mode == "DRONE"
    assert "ON_HOLD" not in [s.value for s in OrderStatus]
    assert order.model_dump(mode="json", exclude_unset=True) == data


@pytest.mark.parametrize("amount", [19.45, 1945.0, "1945", True, None])
def test_money_rejects_anything_but_an_integer(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate_json(json.dumps({"amount": amount, "currency": "USD"}))


def test_money_arithmetic_keeps_currency() -> None:
    a = Money(amount=1399, currency="USD")
    assert (a + Money(amount=398, currency="USD")).amount == 1797
    assert (a - a).amount == 0
    assert a.times(3).amount == 4197
    with pytest.raises(ValueError, match="USD and EUR"):
        _ = a + Money(amount=1, currency="EUR")


def test_page_and_error_envelopes(guide_order_json: dict[str, Any]) -> None:
    summary = {k: v for k, v in guide_order_json.items() if k not in ("items", "payments")}
    page = Page[OrderSummary].model_validate(
        {"data": [summary], "pagination": {"has_more": True, "next_cursor": "abc"}}
    )
    assert page.pagination.next_cursor == "abc"
    assert page.data[0].short_code == "F9A8B7"
    err = ErrorEnvelope.model_validate(
        {"error": {"code": "not_found", "message": "No order with id x."}}
    )
    assert err.error.code == "not_found"


def test_naive_timestamps_are_rejected(guide_order_json: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate(dict(guide_order_json, created_at="2026-01-31T10:07:00"))
