"""Words and numbers for people: money, the three status fields, the handoff, durations.

Pure formatting of API values; the tracker, the board and ``watch`` share it so that an
order reads the same everywhere. :func:`printable` makes any text safe to show in a
terminal; every human-readable output passes a server's (or a user's) words through it,
and :func:`shown_text` cuts them to a length a screen can show first: a server may send an
item name of megabytes or an order of thousands of items (:data:`ITEMS_SHOWN`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from tote_track.api.errors import printable, shorten
from tote_track.api.statuses import (
    FulfillmentStatus,
    HandoffMode,
    OrderStatus,
    PaymentState,
    PaymentStatus,
)

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import Handoff, Money, Order, OrderSummary, Payment

__all__ = [
    "CURRENCY_EXPONENTS",
    "CURRENCY_SYMBOLS",
    "DISPLAY_LIMIT",
    "ENDED_UNSUCCESSFULLY",
    "ITEMS_SHOWN",
    "VALUE_LIMIT",
    "CancelRefusal",
    "MoneyRow",
    "StatusLine",
    "cancel_refusal",
    "delivery_note",
    "format_duration",
    "format_money",
    "handoff_summary",
    "money_rows",
    "more_words",
    "payment_state_words",
    "payment_words",
    "printable",
    "return_money_words",
    "settlement_lines",
    "shown_text",
    "status_breakdown",
    "street_address",
    "vehicle_description",
]

DISPLAY_LIMIT = 200
"""The most characters of one string from a server (an item name, an address, a message)
any output shows; the rest is cut with an ellipsis where it is shown."""
VALUE_LIMIT = 40
"""The most characters of a value a table or a line shows (a status, a payment method): the
API's values are short words; a longer one is a server's mistake, cut so a row stays a row."""
ITEMS_SHOWN = 50
"""The most items (and the most payments) an order's screen lists; the others are counted
("and 19,950 more items"), so an order of 20,000 items is laid out as fast as a small one."""


def shown_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """``text`` as an output shows it: at most ``limit`` characters (the last an ellipsis
    when cut) and :func:`printable`. Cutting first keeps the cost of a megabyte string to
    the characters shown."""
    return printable(shorten(text, limit))


def more_words(hidden: int, noun: str) -> str:
    """``and 1 more item``, ``and 19,950 more items``: what a cut list leaves out."""
    return f"and {hidden:,} more {noun}{'' if hidden == 1 else 's'}"


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
    """One row of the status breakdown.

    ``value`` is the field as the API sent it; ``words`` is the customer's sentence for it
    (the three rows never contradict each other); ``reference`` is the guide's own meaning,
    for QA (the tracker's help shows it), never the main text.
    """

    field: str
    value: str
    words: str
    reference: str


# The guide's reference tables ("Order Status Lifecycle", "Payment Status Overview", "All 8
# fulfillment states"), word for word: for QA, under the tracker's help.
_STATUS_REFERENCE: Mapping[OrderStatus, str] = {
    OrderStatus.PENDING: "Order created from checkout. Awaiting payment.",
    OrderStatus.CONFIRMED: "At least one payment completed. Order accepted by the store.",
    OrderStatus.COMPLETED: "Order fulfilled and closed.",
    OrderStatus.FAILED: "Order could not be processed (e.g., all payments failed).",
    OrderStatus.VOIDED: "Order voided before any fulfillment began.",
    OrderStatus.CANCELLED: "Order cancelled by customer or system.",
}
_PAYMENT_REFERENCE: Mapping[PaymentStatus, str] = {
    PaymentStatus.UNPAID: "No payments submitted yet.",
    PaymentStatus.PROCESSING: "One or more payments are pending or authorized.",
    PaymentStatus.PARTIALLY_PAID: "Some payments completed, balance remaining.",
    PaymentStatus.PAID: "Total paid covers the order total.",
}
_FULFILLMENT_REFERENCE: Mapping[FulfillmentStatus, str] = {
    FulfillmentStatus.PENDING: "Order created, not yet accepted by the store.",
    FulfillmentStatus.IN_PROGRESS: "Store accepted the order and is queuing it.",
    FulfillmentStatus.PREPARING: "Store staff actively assembling the order.",
    FulfillmentStatus.READY_FOR_PICKUP: "Order assembled and waiting for the customer.",
    FulfillmentStatus.FULFILLED: "Customer received the order at the store.",
    FulfillmentStatus.DELIVERED: "Order delivered to the customer's address.",
    FulfillmentStatus.RETURNED: "Order returned after fulfillment.",
    FulfillmentStatus.CANCELLED: "Fulfillment cancelled before completion.",
}
_UNKNOWN_REFERENCE = "Not in the guide this version of the tracker was built from."

# What a customer reads, one consistent sentence per field: ``status`` is the overall
# outcome, ``payment_status`` the money, ``fulfillment_status`` where the food is.
_STATUS_WORDS: Mapping[OrderStatus, str] = {
    OrderStatus.PENDING: "Placed · waiting for payment",
    OrderStatus.CONFIRMED: "Confirmed · sent to the store",
    OrderStatus.COMPLETED: "Complete",
    OrderStatus.FAILED: "Not sent to the store · the payment didn't go through",
    OrderStatus.VOIDED: "Called off before payment",
    OrderStatus.CANCELLED: "Cancelled",
}
_PAYMENT_WORDS: Mapping[PaymentStatus, str] = {
    PaymentStatus.UNPAID: "Nothing paid yet",
    PaymentStatus.PROCESSING: "Your payment is being processed",
    PaymentStatus.PARTIALLY_PAID: "Partly paid · {due} still to pay",
    PaymentStatus.PAID: "Paid in full",
}
_FULFILLMENT_WORDS: Mapping[FulfillmentStatus, str] = {
    FulfillmentStatus.PENDING: "Waiting for the store to accept it",
    FulfillmentStatus.IN_PROGRESS: "Accepted · in the store's queue",
    FulfillmentStatus.PREPARING: "Being prepared",
    FulfillmentStatus.READY_FOR_PICKUP: "Ready · waiting for you",
    FulfillmentStatus.FULFILLED: "Picked up",
    FulfillmentStatus.DELIVERED: "Delivered",
    FulfillmentStatus.RETURNED: "Returned",
    FulfillmentStatus.CANCELLED: "Cancelled",
}
_READY_FOR_DRIVER = "Ready · waiting for the driver"
_UNKNOWN_WORDS = "Shown as the store's system sent it"

ENDED_UNSUCCESSFULLY: frozenset[OrderStatus] = frozenset(
    {OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.VOIDED}
)
"""Statuses of an order that ended without being handed over: nothing is owed."""


def status_breakdown(order: Order | OrderSummary) -> tuple[StatusLine, StatusLine, StatusLine]:
    """The order's three status fields: the API's value, the customer's words, the guide's.

    Values this version does not know are shown as the server sent them.
    """
    fulfillment = order.fulfillment_status
    if fulfillment == FulfillmentStatus.READY_FOR_PICKUP and order.handoff.mode == (
        HandoffMode.DELIVERY
    ):
        fulfillment_words: str | None = _READY_FOR_DRIVER
    else:
        fulfillment_words = _FULFILLMENT_WORDS.get(fulfillment)
    return (
        _line("Order", order.status, _STATUS_WORDS, _STATUS_REFERENCE),
        StatusLine(
            "Payment",
            order.payment_status.value,
            payment_words(order),
            _PAYMENT_REFERENCE.get(order.payment_status, _UNKNOWN_REFERENCE),
        ),
        StatusLine(
            "Fulfillment",
            fulfillment.value,
            fulfillment_words or _UNKNOWN_WORDS,
            _FULFILLMENT_REFERENCE.get(fulfillment, _UNKNOWN_REFERENCE),
        ),
    )


def _line(
    field: str,
    value: OrderStatus,
    words: Mapping[OrderStatus, str],
    reference: Mapping[OrderStatus, str],
) -> StatusLine:
    return StatusLine(
        field,
        value.value,
        words.get(value, _UNKNOWN_WORDS),
        reference.get(value, _UNKNOWN_REFERENCE),
    )


def payment_words(order: Order | OrderSummary) -> str:
    """The payment row in words. On an order that ended without a handoff it says what
    happened to the money (refunded, voided, nothing taken), never that money is due."""
    from tote_track.api.models import Order  # loaded already: there is an order

    if order.status in ENDED_UNSUCCESSFULLY and order.payment_status == PaymentStatus.UNPAID:
        states = {p.status for p in order.payments} if isinstance(order, Order) else set()
        if PaymentState.REFUNDED in states:
            return "Refunded"
        if PaymentState.VOIDED in states:
            return "Never charged"
        if isinstance(order, Order):
            return "No payment was taken"
        return "Nothing to pay"
    words = _PAYMENT_WORDS.get(order.payment_status)
    if words is None:
        return _UNKNOWN_WORDS
    return words.format(due=format_money(order.balance_due))


# One payment's status in the customer's words (the API's value is shown beside it).
_PAYMENT_STATE_WORDS: Mapping[PaymentState, str] = {
    PaymentState.PENDING: "Processing",
    PaymentState.AUTHORIZED: "Approved, not yet charged",
    PaymentState.CAPTURED: "Charged",
    PaymentState.COMPLETED: "Paid",
    PaymentState.FAILED: "Didn't go through",
    PaymentState.VOIDED: "Never charged",
    PaymentState.REFUNDED: "Refunded",
}


def payment_state_words(state: PaymentState) -> str:
    """One payment's status in words: ``Paid``, ``Never charged``, ``Refunded``; a status
    this version does not know, as the server sent it."""
    return _PAYMENT_STATE_WORDS.get(state, state.value)


def return_money_words(order: Order | OrderSummary) -> str:
    """What the customer can expect about the money of a returned order: a return leaves
    the payments alone (refunds for returns come from the store), so say whether the API
    shows a refund yet."""
    from tote_track.api.models import Order  # loaded already: there is an order

    refunded = (
        [p for p in order.payments if p.status == PaymentState.REFUNDED]
        if isinstance(order, Order)
        else []
    )
    if refunded:
        total = refunded[0].amount
        for payment in refunded[1:]:
            total = total + payment.amount
        return f"The store refunded {format_money(total)}."
    return (
        "A refund for a return comes from the store; none shows on this order yet. "
        "Contact the store about it."
    )


def _method(payment: Payment) -> str:
    return payment.payment_method.label.lower()


def settlement_lines(order: Order) -> tuple[str, ...]:
    """What happened to the money of an order that ended without a handoff, one line per
    payment ("Refunded $19.45 to your credit card"); () while the order is under way or
    was completed.

    The payments carry it: a VOIDED one was never charged, a REFUNDED one was paid back.
    """
    if order.status not in ENDED_UNSUCCESSFULLY:
        return ()
    lines = []
    for payment in order.payments[:ITEMS_SHOWN]:
        amount = format_money(payment.amount)
        method = _method(payment)
        if payment.status == PaymentState.REFUNDED:
            lines.append(f"Refunded {amount} to your {method}")
        elif payment.status == PaymentState.VOIDED:
            lines.append(f"{amount} on your {method} was never charged")
        elif payment.status == PaymentState.FAILED:
            lines.append(f"{amount} on your {method} didn't go through: not charged")
        elif payment.status in (PaymentState.CAPTURED, PaymentState.COMPLETED):
            lines.append(f"Charged {amount} to your {method}")
    if not lines:
        lines.append("No payment was taken")
    if len(order.payments) > ITEMS_SHOWN:
        lines.append(more_words(len(order.payments) - ITEMS_SHOWN, "payment"))
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class MoneyRow:
    """One row of the money panel: ``Total | $19.45``, ``strong`` for the totals."""

    label: str
    amount: str
    strong: bool = False


def money_rows(order: Order | OrderSummary) -> tuple[MoneyRow, ...]:
    """Subtotal, tax, discount, total, then what was paid and what is due.

    "Balance due" shows only while the order is under way and something is due: a
    finished order never says the customer owes money (the API's ``balance_due`` still
    holds the total after a cancel). On an order that ended without a handoff the
    settlement (refunded, voided, nothing taken) takes the place of paid and due.
    """
    from tote_track.api.models import Money, Order  # loaded already: there is an order

    discount = order.total_discount
    shown_discount = Money(amount=-discount.amount, currency=discount.currency)
    rows = [
        MoneyRow("Subtotal", format_money(order.subtotal)),
        MoneyRow("Tax", format_money(order.total_tax)),
        MoneyRow("Discount", format_money(shown_discount if discount.amount > 0 else discount)),
        MoneyRow("Total", format_money(order.total), strong=True),
    ]
    if order.status in ENDED_UNSUCCESSFULLY:
        if isinstance(order, Order):
            rows += [MoneyRow(line, "") for line in settlement_lines(order)]
        return tuple(rows)
    rows.append(MoneyRow("Paid", format_money(order.total_paid)))
    if order.status != OrderStatus.COMPLETED and order.balance_due.amount != 0:
        rows.append(MoneyRow("Balance due", format_money(order.balance_due), strong=True))
    return tuple(rows)


def handoff_summary(handoff: Handoff) -> str:
    """One line about the handoff: ``Curbside · Silver Toyota Camry``,
    ``Delivery · 12 Main St, Springfield``, ``Pickup``, ``Kiosk``."""
    mode = handoff.mode.label
    if handoff.mode == HandoffMode.CURBSIDE:
        detail = vehicle_description(handoff)
    elif handoff.mode == HandoffMode.DELIVERY and handoff.delivery_address is not None:
        detail = street_address(handoff)
        city = handoff.delivery_address.city
        if city and city.strip():
            detail = f"{detail}, {city.strip()}" if detail else city.strip()
    else:
        detail = ""
    return f"{mode} · {detail}" if detail else mode


def street_address(handoff: Handoff) -> str:
    """``12 Main St, Apt 4B``: a delivery's ``line1`` and ``line2`` as given; "" when
    neither is."""
    address = handoff.delivery_address
    if address is None:
        return ""
    parts = (address.line1, address.line2)
    return ", ".join(part.strip() for part in parts if part and part.strip())


def delivery_note(handoff: Handoff) -> str:
    """``Note for the driver: Leave at the front desk.``, from ``delivery_instructions``;
    "" when there are none (or the order is not a delivery)."""
    said = handoff.delivery_instructions
    if handoff.mode != HandoffMode.DELIVERY or not said or not said.strip():
        return ""
    return f"Note for the driver: {' '.join(said.split())}"


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


@dataclass(frozen=True, slots=True)
class CancelRefusal:
    """What the customer reads when the API refuses a cancel (409): said once."""

    title: str
    sentence: str
    """Why, in one sentence."""
    next_step: str
    """What to do now, in one sentence."""
    details: str | None
    """The server's own message (printable), for whoever wants it; None when it said nothing."""


def cancel_refusal(server_message: str) -> CancelRefusal:
    """The refusal of a cancel: one sentence, one next step, the server's words as details.

    The server's message restates the refusal in the API's terms (statuses, payment
    states), so it is kept out of the main text and offered only as details.
    """
    said = printable(" ".join(server_message.split()))
    return CancelRefusal(
        title="Too late to cancel online",
        sentence="The store has already started on this order.",
        next_step="To cancel it now, contact the store directly.",
        details=said or None,
    )
