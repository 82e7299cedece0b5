"""What the money panel and the settlement lines say, above all on a finished order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_fixture
from tote_track.api.models import Order
from tote_track.tracking.presentation import MoneyRow, money_rows, payment_words, settlement_lines


def order_with(
    status: str,
    payment_status: str,
    fulfillment: str,
    payments: list[tuple[str, str, int]],
    *,
    paid: int,
    due: int,
) -> Order:
    data: dict[str, Any] = load_fixture("guide_order.json")
    data.update(
        status=status,
        payment_status=payment_status,
        fulfillment_status=fulfillment,
        total_paid={"amount": paid, "currency": "USD"},
        balance_due={"amount": due, "currency": "USD"},
        payments=[
            {
                "id": f"p{n}",
                "status": state,
                "payment_method": method,
                "amount": {"amount": amount, "currency": "USD"},
            }
            for n, (state, method, amount) in enumerate(payments)
        ],
    )
    return Order.model_validate(data)


def labels(order: Order) -> list[str]:
    return [row.label for row in money_rows(order)]


def test_an_order_under_way_shows_paid_and_only_a_real_balance() -> None:
    paid = order_with("CONFIRMED", "PAID", "PREPARING", [("COMPLETED", "CREDIT_CARD", 1945)],
                      paid=1945, due=0)  # fmt: skip
    assert money_rows(paid)[-1] == MoneyRow("Paid", "$19.45")
    assert "Balance due" not in labels(paid)
    waiting = order_with("PENDING", "UNPAID", "PENDING", [], paid=0, due=1945)
    assert money_rows(waiting)[-1] == MoneyRow("Balance due", "$19.45", strong=True)


@pytest.mark.parametrize(
    ("status", "payments", "lines", "payment_row"),
    [
        (
            "CANCELLED",
            [("REFUNDED", "CREDIT_CARD", 1945)],
            ("Refunded $19.45 to your credit card",),
            "Refunded",
        ),
        (
            "VOIDED",
            [("VOIDED", "CREDIT_CARD", 1945)],
            ("$19.45 on your credit card was never charged",),
            "Never charged",
        ),
        ("CANCELLED", [], ("No payment was taken",), "No payment was taken"),
        (
            "FAILED",
            [("FAILED", "DEBIT_CARD", 1945)],
            ("$19.45 on your debit card didn't go through: not charged",),
            "No payment was taken",
        ),
        (
            "CANCELLED",
            [("REFUNDED", "GIFT_CARD", 1000), ("VOIDED", "CREDIT_CARD", 945)],
            (
                "Refunded $10.00 to your gift card",
                "$9.45 on your credit card was never charged",
            ),
            "Refunded",
        ),
    ],
)
def test_a_finished_order_never_says_balance_due(
    status: str, payments: list[tuple[str, str, int]], lines: tuple[str, ...], payment_row: str
) -> None:
    # The API still says balance_due = total after a cancel (the guide's own example).
    order = order_with(status, "UNPAID", "CANCELLED", payments, paid=0, due=1945)
    assert "Balance due" not in labels(order)
    assert "Paid" not in labels(order)
    assert settlement_lines(order) == lines
    assert labels(order)[4:] == list(lines)  # the outcome takes the place of paid and due
    assert payment_words(order) == payment_row


def test_a_refunded_card_is_never_said_to_be_uncharged() -> None:
    order = order_with("CANCELLED", "UNPAID", "CANCELLED", [("REFUNDED", "CREDIT_CARD", 1945)],
                       paid=0, due=1945)  # fmt: skip
    said = " ".join([*settlement_lines(order), payment_words(order)]).lower()
    assert "nothing charged" not in said
    assert "never charged" not in said


def test_a_completed_order_has_no_settlement_and_no_balance() -> None:
    order = order_with("COMPLETED", "PAID", "FULFILLED", [("COMPLETED", "CREDIT_CARD", 1945)],
                       paid=1945, due=0)  # fmt: skip
    assert settlement_lines(order) == ()
    assert labels(order) == ["Subtotal", "Tax", "Discount", "Total", "Paid"]
