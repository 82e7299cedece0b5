"""Words and numbers for people: money, the three status fields, the handoff, durations.

Pure formatting of API values; the tracker, the board and ``watch`` share it so that an
order reads the same everywhere. :func:`printable` makes any text safe to show in a
terminal; every human-readable output passes a server's (or a user's) words through it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tote_track.api.models import (
    FulfillmentStatus,
    Handoff,
    HandoffMode,
    Money,
    OrderStatus,
    OrderSummary,
    PaymentStatus,
)

__all__ = [
    "CURRENCY_EXPONENTS",
    "CURRENCY_SYMBOLS",
    "StatusLine",
    "format_duration",
    "format_money",
    "handoff_summary",
    "printable",
    "status_breakdown",
    "vehicle_description",
]

# Every C0 control (ESC, BEL, CR, LF, TAB...), DEL and every C1 control, each mapped to a
# visible stand-in of one cell: the Unicode "control pictures" (ESC -> ␛, BEL -> ␇, LF ->
# ␊, DEL -> ␡), and U+FFFD for the C1 controls, which have no picture. A terminal then
# shows an escape sequence as inert text (``␛]0;title␇``) instead of acting on it.
_VISIBLE_CONTROLS: Mapping[int, str] = MappingProxyType(
    {
        **{code: chr(0x2400 + code) for code in range(0x20)},
        0x7F: "\u2421",
        **dict.fromkeys(range(0x80, 0xA0), "\ufffd"),
    }
)


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character replaced by a visible one.

    Use it on everything a server or a user wrote (item names, statuses, error messages,
    ids) before it reaches a human-readable output; JSON output keeps the exact text.
    Each character stays one character, so widths and short codes keep their length.
    """
    return text.translate(_VISIBLE_CONTROLS)


# Minor units per currency (ISO 4217 exponents) for the currencies the tracker knows.
# Any other currency is taken to have 2 decimals, and is shown with its code.
CURRENCY_EXPONENTS: Mapping[str, int] = MappingProxyType(
    {
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
)
DEFAULT_EXPONENT = 2

# Symbols written before the amount; a known currency without one is shown with its code.
CURRENCY_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {
        "USD": "$",
        "EUR": "€",
        "GBP": "£",
        "CAD": "CA$",
        "AUD": "A$",
        "JPY": "¥",
        "KRW": "₩",
    }
)


def format_money(money: Money) -> str:
    """``$19.45``, ``€3.00``, ``¥500``, ``1,234.500 BHD``, ``12.00 XYZ``; ``-$3.00``.

    The amount is integer minor units; the exponent comes from ``CURRENCY_EXPONENTS``
    (2 for a currency not listed). Thousands are grouped with commas.
    """
    code = money.currency.upper()
    exponent = CURRENCY_EXPONENTS.get(code, DEFAULT_EXPONENT)
    sign = "-" if money.amount < 0 else ""
    whole, minor = divmod(abs(money.amount), 10**exponent)
    number = f"{whole:,}"
    if exponent:
        number += f".{minor:0{exponent}d}"
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}"


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One row of the status breakdown: ``Payment | Payment received | The total is paid.``"""

    field: str
    value: str
    meaning: str


# The guide's tables ("Order Status Lifecycle", "Payment Status Overview", "All 8
# fulfillment states"), with the quick-reference wording for the values: "Payment
# received" when PAID, the overall outcome for ``status``, the progress steps for
# fulfillment.
_STATUS_WORDS: Mapping[OrderStatus, tuple[str, str]] = {
    OrderStatus.PENDING: ("Pending", "Order created from checkout. Awaiting payment."),
    OrderStatus.CONFIRMED: (
        "Confirmed",
        "At least one payment completed. Order accepted by the store.",
    ),
    OrderStatus.COMPLETED: ("Completed", "Order fulfilled and closed."),
    OrderStatus.FAILED: (
        "Failed",
        "Order could not be processed (e.g., all payments failed).",
    ),
    OrderStatus.VOIDED: ("Voided", "Order voided before any fulfillment began."),
    OrderStatus.CANCELLED: ("Cancelled", "Order cancelled by customer or system."),
}

_PAYMENT_WORDS: Mapping[PaymentStatus, tuple[str, str]] = {
    PaymentStatus.UNPAID: ("Unpaid", "No payments submitted yet."),
    PaymentStatus.PROCESSING: ("Processing", "A payment is being processed."),
    PaymentStatus.PARTIALLY_PAID: ("Partially paid", "Some payments completed; {due} still due."),
    PaymentStatus.PAID: ("Payment received", "The order is fully covered."),
}

_ENDED_UNPAID = frozenset({OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.VOIDED})
_NOTHING_CHARGED = ("Nothing charged", "Any payment was voided or refunded in full.")

_FULFILLMENT_WORDS: Mapping[FulfillmentStatus, tuple[str, str]] = {
    FulfillmentStatus.PENDING: ("Placed", "Order created, not yet accepted by the store."),
    FulfillmentStatus.IN_PROGRESS: ("Accepted", "Store accepted the order and is queuing it."),
    FulfillmentStatus.PREPARING: ("Preparing", "Store staff actively assembling the order."),
    FulfillmentStatus.READY_FOR_PICKUP: ("Ready", "Order assembled and waiting for the customer."),
    FulfillmentStatus.FULFILLED: ("Picked up", "Customer received the order at the store."),
    FulfillmentStatus.DELIVERED: ("Delivered", "Order delivered to the customer's address."),
    FulfillmentStatus.RETURNED: ("Returned", "Order returned after fulfillment."),
    FulfillmentStatus.CANCELLED: ("Cancelled", "Fulfillment cancelled before completion."),
}
_OUT_FOR_DELIVERY = ("Out for delivery", "Order assembled and on its way with the driver.")

_UNKNOWN_MEANING = "A value this version of the tracker does not know yet, shown as sent."


def status_breakdown(order: OrderSummary) -> tuple[StatusLine, StatusLine, StatusLine]:
    """The order detail's "full status breakdown": status, payment and fulfillment rows.

    Values this version does not know are shown as the server sent them.
    """
    status = _STATUS_WORDS.get(order.status)
    payment = _PAYMENT_WORDS.get(order.payment_status)
    if order.fulfillment_status == FulfillmentStatus.READY_FOR_PICKUP and (
        order.handoff.mode == HandoffMode.DELIVERY
    ):
        fulfillment: tuple[str, str] | None = _OUT_FOR_DELIVERY
    else:
        fulfillment = _FULFILLMENT_WORDS.get(order.fulfillment_status)
    if order.payment_status == PaymentStatus.UNPAID and order.status in _ENDED_UNPAID:
        # After a cancel, a failure or a void, "no payments submitted yet" would mislead:
        # payments may have been submitted, then voided or refunded.
        payment = _NOTHING_CHARGED
    if payment is not None:
        payment = (payment[0], payment[1].format(due=format_money(order.balance_due)))
    return (
        _line("Status", order.status.value, status),
        _line("Payment", order.payment_status.value, payment),
        _line("Fulfillment", order.fulfillment_status.value, fulfillment),
    )


def _line(field: str, raw: str, words: tuple[str, str] | None) -> StatusLine:
    if words is None:
        return StatusLine(field, raw, _UNKNOWN_MEANING)
    return StatusLine(field, *words)


def handoff_summary(handoff: Handoff) -> str:
    """One line about the handoff: ``Curbside · Silver Toyota Camry``,
    ``Delivery · 12 Main St, Springfield``, ``Pickup``, ``Kiosk``."""
    mode = handoff.mode.label
    if handoff.mode == HandoffMode.CURBSIDE:
        detail = vehicle_description(handoff)
    elif handoff.mode == HandoffMode.DELIVERY and handoff.delivery_address is not None:
        address = handoff.delivery_address
        parts = (address.line1, address.city)
        detail = ", ".join(part.strip() for part in parts if part and part.strip())
    else:
        detail = ""
    return f"{mode} · {detail}" if detail else mode


def vehicle_description(handoff: Handoff) -> str:
    """``Silver Toyota Camry`` from whichever vehicle fields are given; "" when none."""
    parts = (handoff.vehicle_color, handoff.vehicle_make, handoff.vehicle_model)
    return " ".join(part.strip() for part in parts if part and part.strip())


def format_duration(seconds: float) -> str:
    """``5 s``, ``1 min 5 s``, ``2 h 3 min`` (rounded to the nearest second; hours drop the
    seconds; negative durations read as ``0 s``)."""
    if not math.isfinite(seconds):
        raise ValueError(f"not a finite duration: {seconds}")
    total = max(0, math.floor(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
