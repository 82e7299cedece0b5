from __future__ import annotations

import pytest

from tote_track.api.models import Handoff, Money
from tote_track.tracking.presentation import (
    CURRENCY_EXPONENTS,
    StatusLine,
    cancel_refusal,
    format_duration,
    format_money,
    handoff_summary,
    printable,
    status_breakdown,
    vehicle_description,
)

from .orders import make_order

# --- format_money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1945, "USD", "$19.45"),
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (300, "EUR", "€3.00"),
        (1999, "GBP", "£19.99"),
        (1050, "CAD", "CA$10.50"),
        (1050, "AUD", "A$10.50"),
        (500, "JPY", "¥500"),
        (12000, "KRW", "₩12,000"),
        (1500, "BHD", "1.500 BHD"),
        (1234500, "KWD", "1,234.500 KWD"),
        (1200, "XYZ", "12.00 XYZ"),
        (123456789, "USD", "$1,234,567.89"),
        (-300, "USD", "-$3.00"),
        (-1, "BHD", "-0.001 BHD"),
        (-1200, "XYZ", "-12.00 XYZ"),
        (1945, "usd", "$19.45"),
    ],
)
def test_format_money(amount: int, currency: str, text: str) -> None:
    assert format_money(Money(amount=amount, currency=currency)) == text


def test_exponent_table() -> None:
    assert dict(CURRENCY_EXPONENTS) == {
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "CAD": 2,
        "AUD": 2,
        "JPY": 0,
        "KRW": 0,
        "BHD": 3,
        "KWD": 3,
    }


def test_guide_example_amounts() -> None:
    # the guide prints amount / 100 with two decimals
    for amount in (1399, 398, 1797, 148, 1945):
        assert format_money(Money(amount=amount, currency="USD")) == f"${amount / 100:.2f}"


# --- status_breakdown -----------------------------------------------------------------------


def test_breakdown_of_the_guide_example() -> None:
    order = make_order("CONFIRMED", "PAID", "PREPARING", "CURBSIDE")
    assert status_breakdown(order) == (
        StatusLine(
            "Order",
            "CONFIRMED",
            "Confirmed · sent to the store",
            "At least one payment completed. Order accepted by the store.",
        ),
        StatusLine("Payment", "PAID", "Paid in full", "Total paid covers the order total."),
        StatusLine(
            "Fulfillment",
            "PREPARING",
            "Being prepared",
            "Store staff actively assembling the order.",
        ),
    )


def test_a_paid_order_waiting_for_the_store_never_says_it_was_accepted() -> None:
    # The guide's reference texts disagree here (CONFIRMED: "accepted by the store";
    # PENDING: "not yet accepted"); the customer's words must not.
    words = [line.words for line in status_breakdown(make_order("CONFIRMED", "PAID", "PENDING"))]
    assert words == [
        "Confirmed · sent to the store",
        "Paid in full",
        "Waiting for the store to accept it",
    ]
    assert not any("accepted" in w.lower() for w in words)


@pytest.mark.parametrize("status", ["PENDING", "CONFIRMED", "COMPLETED", "FAILED", "VOIDED"])
def test_customer_words_never_quote_the_guide(status: str) -> None:
    for line in status_breakdown(make_order(status=status)):
        assert "e.g." not in line.words
        assert "is already" not in line.words
        assert line.words != line.reference


@pytest.mark.parametrize(
    ("payment", "words"),
    [
        ("UNPAID", "Nothing paid yet"),
        ("PROCESSING", "Your payment is being processed"),
        ("PARTIALLY_PAID", "Partly paid · $9.45 still to pay"),
        ("PAID", "Paid in full"),
    ],
)
def test_payment_line(payment: str, words: str) -> None:
    line = status_breakdown(make_order("PENDING", payment, balance_due=945))[1]
    assert (line.field, line.value, line.words) == ("Payment", payment, words)


@pytest.mark.parametrize(
    ("fulfillment", "mode", "words"),
    [
        ("PENDING", "PICKUP", "Waiting for the store to accept it"),
        ("IN_PROGRESS", "PICKUP", "Accepted · in the store's queue"),
        ("PREPARING", "PICKUP", "Being prepared"),
        ("READY_FOR_PICKUP", "PICKUP", "Ready · waiting for you"),
        ("READY_FOR_PICKUP", "CURBSIDE", "Ready · waiting for you"),
        ("READY_FOR_PICKUP", "DELIVERY", "Ready · waiting for the driver"),
        ("FULFILLED", "KIOSK", "Picked up"),
        ("DELIVERED", "DELIVERY", "Delivered"),
        ("RETURNED", "PICKUP", "Returned"),
        ("CANCELLED", "PICKUP", "Cancelled"),
    ],
)
def test_fulfillment_line(fulfillment: str, mode: str, words: str) -> None:
    line = status_breakdown(make_order(fulfillment_status=fulfillment, mode=mode))[2]
    assert (line.field, line.value, line.words) == ("Fulfillment", fulfillment, words)
    assert line.reference


def test_a_delivery_waiting_for_its_driver_is_not_said_to_be_on_its_way() -> None:
    line = status_breakdown(make_order(fulfillment_status="READY_FOR_PICKUP", mode="DELIVERY"))[2]
    assert "on its way" not in line.words
    assert "driver" in line.words


def test_unknown_values_are_shown_as_sent() -> None:
    lines = status_breakdown(make_order("ON_HOLD", "SETTLING", "BAGGING"))
    assert [line.value for line in lines] == ["ON_HOLD", "SETTLING", "BAGGING"]
    assert all(line.words == "Shown as the store's system sent it" for line in lines)
    assert all("guide" in line.reference for line in lines)


# --- handoff_summary ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handoff", "text"),
    [
        (
            {
                "mode": "CURBSIDE",
                "vehicle_make": "Toyota",
                "vehicle_model": "Camry",
                "vehicle_color": "Silver",
            },
            "Curbside · Silver Toyota Camry",
        ),
        (
            {"mode": "CURBSIDE", "vehicle_make": "Toyota", "vehicle_color": "  "},
            "Curbside · Toyota",
        ),
        ({"mode": "CURBSIDE"}, "Curbside"),
        (
            {
                "mode": "DELIVERY",
                "delivery_address": {"line1": "12 Main St", "city": "Springfield", "country": "US"},
            },
            "Delivery · 12 Main St, Springfield",
        ),
        (
            {"mode": "DELIVERY", "delivery_address": {"city": "Springfield"}},
            "Delivery · Springfield",
        ),
        ({"mode": "DELIVERY", "delivery_address": {}}, "Delivery"),
        ({"mode": "DELIVERY"}, "Delivery"),
        ({"mode": "PICKUP"}, "Pickup"),
        ({"mode": "KIOSK"}, "Kiosk"),
        ({"mode": "PICKUP", "vehicle_make": "Toyota"}, "Pickup"),
        ({"mode": "DRONE_DROP"}, "Drone drop"),
    ],
)
def test_handoff_summary(handoff: dict[str, object], text: str) -> None:
    assert handoff_summary(Handoff.model_validate(handoff)) == text


def test_vehicle_description_skips_missing_parts() -> None:
    handoff = Handoff.model_validate({"mode": "CURBSIDE", "vehicle_model": " Camry "})
    assert vehicle_description(handoff) == "Camry"
    assert vehicle_description(Handoff.model_validate({"mode": "CURBSIDE"})) == ""


# --- format_duration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (5, "5 s"),
        (7.6, "8 s"),
        (0.4, "0 s"),
        (59.4, "59 s"),
        (59.5, "1 min"),
        (60, "1 min"),
        (65, "1 min 5 s"),
        (3599, "59 min 59 s"),
        (3600, "1 h"),
        (7380, "2 h 3 min"),
        (7385, "2 h 3 min"),
        (90000, "25 h"),
        (-3, "0 s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -float("inf")])
def test_format_duration_rejects_non_finite(seconds: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        format_duration(seconds)


@pytest.mark.parametrize("status", ["CANCELLED", "FAILED", "VOIDED"])
def test_an_ended_summary_owes_nothing(status: str) -> None:
    order = make_order(status=status, payment_status="UNPAID", fulfillment_status="CANCELLED")
    assert status_breakdown(order)[1].words == "Nothing to pay"


def test_a_pending_unpaid_order_has_nothing_paid_yet() -> None:
    order = make_order(status="PENDING", payment_status="UNPAID", fulfillment_status="PENDING")
    assert status_breakdown(order)[1].words == "Nothing paid yet"


# --- printable ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;owned\x07", "␛]0;owned␇"),
        ("\x1b[2J", "␛[2J"),
        ("\x1bc", "␛c"),
        ("a\nb\rc\td", "a␊b␍c␉d"),
        ("\x00\x7f", "␀␡"),
        ("\x9b2J", "\ufffd2J"),  # C1 CSI: no picture, still never raw
        ("Coke [diet] · ¥500 ✔", "Coke [diet] · ¥500 ✔"),
    ],
)
def test_printable_makes_every_control_character_visible(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert len(printable(text)) == len(text)


def test_printable_leaves_no_control_character() -> None:
    every = "".join(chr(code) for code in range(0x2500))
    assert not [c for c in printable(every) if c < " " or "\x7f" <= c <= "\x9f"]


def test_cancel_refusal_says_it_once_and_keeps_the_server_words_as_details() -> None:
    said = (
        "Order 27C343 cannot be cancelled at status CONFIRMED, payment PAID.\n"
        "Contact the store\x1b[31m."
    )
    refusal = cancel_refusal(said)
    main = f"{refusal.title} {refusal.sentence} {refusal.next_step}"
    assert main.lower().count("contact the store") == 1
    assert "CONFIRMED" not in main
    assert refusal.details is not None
    assert "\x1b" not in refusal.details
    assert "\n" not in refusal.details
    assert refusal.details.startswith("Order 27C343 cannot be cancelled at status CONFIRMED")
    assert cancel_refusal("  ").details is None
