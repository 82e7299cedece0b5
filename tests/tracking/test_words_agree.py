"""No screen contradicts itself: over every state the sandbox can reach, the customer's
words (headline, detail, the three status rows, the stepper, the money, each payment, the
cancel hint) agree with each other and with the order.

The states are enumerated, not sampled: from orders in every handoff mode, paid at once or
split in two payments, every sequence of the sandbox's lifecycle events (and the
customer's cancel) is played on the real engine, each reached state once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tote_track.api.models import Order
from tote_track.api.statuses import FulfillmentStatus, OrderStatus, PaymentState, PaymentStatus
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.tracking.lifecycle import cancel_eligibility, events_allowed_for
from tote_track.tracking.presentation import (
    money_rows,
    payment_state_words,
    settlement_lines,
    status_breakdown,
)
from tote_track.tracking.stepper import Outcome, StepState, progress_of, record_seen

MODES = ("PICKUP", "CURBSIDE", "KIOSK", "DELIVERY")
CANCEL = "customer_cancel"
T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Reached:
    order: Order
    path: tuple[str, ...]
    seen: dict[FulfillmentStatus, datetime]


def _body(mode: str, split: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"handoff": {"mode": mode}}
    if split:
        body["items"] = [{"name": "Sub", "quantity": 1, "unit_price": {"amount": 1797}}]
        body["payments"] = [
            {"amount": {"amount": 1000, "currency": "USD"}, "payment_method": "GIFT_CARD"},
            {"amount": {"amount": 945, "currency": "USD"}, "payment_method": "CREDIT_CARD"},
        ]
    return body


def _play(body: dict[str, Any], path: tuple[str, ...]) -> Reached:
    engine = Engine()
    order = engine.create_order(NewOrder.model_validate(body))
    seen = record_seen({}, order, T0)
    for step, event in enumerate(path, start=1):
        if event == CANCEL:
            order = engine.cancel(order.id, "Changed my mind")
        else:
            order = engine.apply_event(order.id, event)
        seen = record_seen(seen, order, T0 + timedelta(minutes=step))
    return Reached(order, path, seen)


def _key(order: Order) -> tuple[object, ...]:
    return (
        order.status,
        order.payment_status,
        order.fulfillment_status,
        tuple(p.status for p in order.payments),
    )


def reachable(body: dict[str, Any]) -> Iterator[Reached]:
    """Every state reachable from ``body``'s new order, each once (breadth first)."""
    start = _play(body, ())
    known = {_key(start.order)}
    frontier = [start]
    while frontier:
        reached = frontier.pop(0)
        yield reached
        moves = [event.value for event in events_allowed_for(reached.order)]
        if cancel_eligibility(reached.order).allowed:
            moves.append(CANCEL)
        for move in moves:
            after = _play(body, (*reached.path, move))
            if _key(after.order) not in known:
                known.add(_key(after.order))
                frontier.append(after)


def every_state() -> list[Reached]:
    return [
        reached
        for mode in MODES
        for split in (False, True)
        for reached in reachable(_body(mode, split))
    ]


STATES = every_state()


def words_of(reached: Reached) -> list[str]:
    """Everything the customer reads about the order, the API's own values excluded."""
    order = reached.order
    progress = progress_of(order, reached.seen)
    shown_steps = [s.label for s in progress.steps if s.state is not StepState.UPCOMING]
    return [
        progress.headline,
        progress.detail,
        *(line.words for line in status_breakdown(order)),
        *shown_steps,
        progress.ending or "",
        *settlement_lines(order),
        *(row.label for row in money_rows(order)),
        *(payment_state_words(p.status) for p in order.payments),
        cancel_eligibility(order).reason,
    ]


def test_the_enumeration_covers_every_ending_and_both_kinds_of_payment() -> None:
    outcomes = {progress_of(r.order, r.seen).outcome for r in STATES}
    assert outcomes == {None, *Outcome}
    assert {r.order.payment_status for r in STATES} == set(PaymentStatus)
    assert len(STATES) > 100


@pytest.mark.parametrize("reached", STATES, ids=lambda r: "-".join(r.path) or "new")
def test_no_screen_contradicts_itself(reached: Reached) -> None:
    order = reached.order
    words = words_of(reached)
    text = " | ".join(words)
    lower = text.lower()
    progress = progress_of(order, reached.seen)
    states = {p.status for p in order.payments}
    # Never the API's word to a customer (the value column shows VOIDED as sent).
    assert "voided" not in lower
    # Placed is always a done step: nothing may say the order was not placed.
    assert "not placed" not in lower
    # "Went through" only when the money did; never beside money still to pay.
    if "went through" in lower:
        assert order.payment_status == PaymentStatus.PAID
    assert not ("went through" in lower and "still to pay" in lower)
    # A refund is claimed only where a payment was refunded.
    for line in words:
        if line.startswith("Refunded") or "store refunded" in line:
            assert PaymentState.REFUNDED in states, line
    # No invented reasons, no "already failed".
    assert "stepped in" not in lower
    assert "preparation had already started" not in lower
    assert "already failed" not in lower
    # Paid in full means paid; a finished order owes nothing.
    if "Paid in full" in words:
        assert order.payment_status == PaymentStatus.PAID
    if progress.finished:
        assert "Balance due" not in words
        assert "You can cancel" not in text
    # The cancel hint and the stepper agree on whether it is over.
    if cancel_eligibility(order).allowed:
        assert progress.outcome is None
        assert order.fulfillment_status in (
            FulfillmentStatus.PENDING,
            FulfillmentStatus.IN_PROGRESS,
        )
    if order.status == OrderStatus.FAILED:
        assert progress.headline == "Your payment didn't go through."
        assert PaymentState.REFUNDED not in states
    if progress.outcome is Outcome.RETURNED:
        assert "refund" in progress.detail.lower()  # what to expect about the money
