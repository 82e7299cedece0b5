"""The guide's two state machines, cancel eligibility and the lifecycle events.

Pure rules: no I/O, no clock. The sandbox applies these rules and the tracker explains
them, so both agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tote_track.api.errors import shorten
from tote_track.api.statuses import (
    FulfillmentStatus,
    HandoffMode,
    OrderStatus,
    PaymentState,
    PaymentStatus,
)

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import Order, OrderSummary, Payment

OS = OrderStatus
FS = FulfillmentStatus

# "Order Status Lifecycle" diagram, edge for edge.
ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OS.PENDING: frozenset({OS.CONFIRMED, OS.FAILED, OS.VOIDED, OS.CANCELLED}),
    OS.CONFIRMED: frozenset({OS.COMPLETED, OS.CANCELLED}),
    OS.COMPLETED: frozenset(),
    OS.FAILED: frozenset(),
    OS.VOIDED: frozenset(),
    OS.CANCELLED: frozenset(),
}

# "Fulfillment Status Lifecycle" diagram, edge for edge.
FULFILLMENT_TRANSITIONS: Mapping[FulfillmentStatus, frozenset[FulfillmentStatus]] = {
    FS.PENDING: frozenset({FS.IN_PROGRESS, FS.CANCELLED}),
    FS.IN_PROGRESS: frozenset({FS.PREPARING, FS.CANCELLED}),
    FS.PREPARING: frozenset({FS.READY_FOR_PICKUP, FS.CANCELLED}),
    FS.READY_FOR_PICKUP: frozenset({FS.FULFILLED, FS.DELIVERED, FS.CANCELLED}),
    FS.FULFILLED: frozenset({FS.RETURNED}),
    FS.DELIVERED: frozenset({FS.RETURNED}),
    FS.RETURNED: frozenset(),
    FS.CANCELLED: frozenset(),
}

TERMINAL_ORDER_STATUSES: frozenset[OrderStatus] = frozenset(
    status for status, targets in ORDER_TRANSITIONS.items() if not targets
)
TERMINAL_FULFILLMENT_STATUSES: frozenset[FulfillmentStatus] = frozenset(
    status for status, targets in FULFILLMENT_TRANSITIONS.items() if not targets
)
CANCELLABLE_FULFILLMENT_STATUSES: frozenset[FulfillmentStatus] = frozenset(
    {FS.PENDING, FS.IN_PROGRESS}
)
# Fulfillment past the handoff, or cancelled: nothing left to cancel.
_ENDED_FULFILLMENT_STATUSES: frozenset[FulfillmentStatus] = frozenset(
    {FS.FULFILLED, FS.DELIVERED, FS.RETURNED, FS.CANCELLED}
)
# Handoff modes where the customer collects the order (fulfillment ends in FULFILLED).
COLLECTION_MODES: frozenset[HandoffMode] = frozenset(
    {HandoffMode.PICKUP, HandoffMode.CURBSIDE, HandoffMode.KIOSK}
)


def can_transition_order(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ORDER_TRANSITIONS.get(current, frozenset())


def can_transition_fulfillment(current: FulfillmentStatus, target: FulfillmentStatus) -> bool:
    return target in FULFILLMENT_TRANSITIONS.get(current, frozenset())


def is_terminal(order: OrderSummary) -> bool:
    """True when the order's overall ``status`` can no longer change."""
    return order.status in TERMINAL_ORDER_STATUSES


def is_delivery(mode: HandoffMode) -> bool:
    return mode == HandoffMode.DELIVERY


# Why an order that ended has nothing to cancel, in the customer's words (the stepper and
# the status panel say the same).
_ENDED_WORDS: Mapping[OrderStatus, str] = {
    OS.COMPLETED: "This order is complete",
    OS.FAILED: "This order didn't go through (the payment failed)",
    OS.VOIDED: "This order was called off before payment",
    OS.CANCELLED: "This order is already cancelled",
}
_HANDED_OVER_WORDS: Mapping[FulfillmentStatus, str] = {
    FS.FULFILLED: "This order was picked up",
    FS.DELIVERED: "This order was delivered",
    FS.RETURNED: "This order was returned",
    FS.CANCELLED: "This order is already cancelled",
}


@dataclass(frozen=True, slots=True)
class CancelEligibility:
    allowed: bool
    reason: str
    """One sentence for the customer: why they can or cannot cancel, and what to do."""


def cancel_eligibility(order: OrderSummary) -> CancelEligibility:
    """Whether the API will accept a cancel now (the guide's "Cancellation rules")."""
    ended = _ENDED_WORDS.get(order.status)
    if order.status == OS.COMPLETED:  # say how: picked up, delivered, returned
        ended = _HANDED_OVER_WORDS.get(order.fulfillment_status, ended)
    if ended is not None:
        return CancelEligibility(False, f"{ended}; there is nothing to cancel.")
    if order.fulfillment_status in CANCELLABLE_FULFILLMENT_STATUSES:
        return CancelEligibility(True, "You can cancel until the store starts preparing.")
    if order.fulfillment_status in _ENDED_FULFILLMENT_STATUSES:
        # ``status`` may not have caught up yet; the handoff (or cancel) already happened.
        ended = _HANDED_OVER_WORDS[order.fulfillment_status]
        return CancelEligibility(False, f"{ended}; there is nothing to cancel.")
    if not order.fulfillment_status.known:
        return CancelEligibility(
            False,
            f"The order is in a state this tracker does not know "
            f"({order.fulfillment_status.value}); contact the store to cancel.",
        )
    if order.fulfillment_status == FS.READY_FOR_PICKUP:
        return CancelEligibility(
            False,
            "Your order is ready, so it can no longer be cancelled online. Contact the store "
            "directly to ask them to cancel it.",
        )
    return CancelEligibility(
        False,
        "The store has started preparing this order, so it can no longer be cancelled "
        "online. Contact the store directly to ask them to cancel it.",
    )


def can_cancel(order: OrderSummary) -> bool:
    return cancel_eligibility(order).allowed


def payment_status_of(payments: Iterable[Payment], total_amount: int) -> PaymentStatus:
    """The guide's aggregate: PAID > PARTIALLY_PAID > PROCESSING > UNPAID.

    ``total_amount`` is the order total in minor units. Refunded and voided payments count
    as nothing paid.
    """
    paid = 0
    in_flight = False
    for payment in payments:
        if payment.status in PAID_PAYMENT_STATES:
            paid += payment.amount.amount
        elif payment.status in IN_FLIGHT_PAYMENT_STATES:
            in_flight = True
    if paid > 0 and paid >= total_amount:
        return PaymentStatus.PAID
    if paid > 0:
        return PaymentStatus.PARTIALLY_PAID
    if in_flight:
        return PaymentStatus.PROCESSING
    return PaymentStatus.UNPAID


def total_paid_amount(payments: Iterable[Payment]) -> int:
    return sum(p.amount.amount for p in payments if p.status in PAID_PAYMENT_STATES)


PAID_PAYMENT_STATES: frozenset[PaymentState] = frozenset(
    {PaymentState.CAPTURED, PaymentState.COMPLETED}
)
IN_FLIGHT_PAYMENT_STATES: frozenset[PaymentState] = frozenset(
    {PaymentState.PENDING, PaymentState.AUTHORIZED}
)


def settled_on_cancel(state: PaymentState) -> PaymentState:
    """What a cancel does to one payment: void what was not taken, refund what was."""
    if state in IN_FLIGHT_PAYMENT_STATES:
        return PaymentState.VOIDED
    if state in PAID_PAYMENT_STATES:
        return PaymentState.REFUNDED
    return state


class LifecycleEvent(StrEnum):
    """Events that move an order along the diagrams (the sandbox's control API)."""

    PAYMENT_STARTED = "payment_started"
    PAYMENT_COMPLETED = "payment_completed"
    PAYMENT_FAILED = "payment_failed"
    VOID = "void"
    ACCEPT = "accept"
    START_PREPARING = "start_preparing"
    READY = "ready"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    RETURNED = "returned"
    STORE_CANCEL = "store_cancel"


def allowed_events(
    status: OrderStatus,
    payment_status: PaymentStatus,
    fulfillment_status: FulfillmentStatus,
    mode: HandoffMode,
) -> list[LifecycleEvent]:
    """Every event that is legal in this state, in lifecycle order.

    The store works on confirmed orders only: ``accept`` needs ``status`` CONFIRMED.
    """
    ev = LifecycleEvent
    events: list[LifecycleEvent] = []
    if status == OS.PENDING:
        if payment_status != PaymentStatus.PAID:
            events += [ev.PAYMENT_STARTED, ev.PAYMENT_COMPLETED, ev.PAYMENT_FAILED]
        if payment_status in (PaymentStatus.UNPAID, PaymentStatus.PROCESSING):
            events.append(ev.VOID)
    if status == OS.CONFIRMED:
        if payment_status != PaymentStatus.PAID:
            # Split payments: the rest of the plan can still be paid once confirmed.
            events += [ev.PAYMENT_STARTED, ev.PAYMENT_COMPLETED]
        if fulfillment_status == FS.PENDING:
            events.append(ev.ACCEPT)
        elif fulfillment_status == FS.IN_PROGRESS:
            events.append(ev.START_PREPARING)
        elif fulfillment_status == FS.PREPARING:
            events += [ev.READY, ev.STORE_CANCEL]
        elif fulfillment_status == FS.READY_FOR_PICKUP:
            events.append(ev.DELIVERED if is_delivery(mode) else ev.PICKED_UP)
            events.append(ev.STORE_CANCEL)
    if status == OS.COMPLETED and fulfillment_status in (FS.FULFILLED, FS.DELIVERED):
        events.append(ev.RETURNED)
    return events


def balance_not_in_flight(order: Order) -> int:
    """Minor units of the balance that no processing payment covers yet."""
    in_flight = sum(p.amount.amount for p in order.payments if p.status in IN_FLIGHT_PAYMENT_STATES)
    return order.balance_due.amount - in_flight


def events_allowed_for(order: Order) -> list[LifecycleEvent]:
    """``allowed_events`` refined by the payments: no new payment can start while the
    payments already processing cover the whole balance."""
    events = allowed_events(
        order.status, order.payment_status, order.fulfillment_status, order.handoff.mode
    )
    if balance_not_in_flight(order) <= 0:
        events = [event for event in events if event is not LifecycleEvent.PAYMENT_STARTED]
    return events


def completed(order: OrderSummary) -> bool:
    """Whether the order ended well: ``status`` COMPLETED, whatever its fulfillment (a
    return after the handoff does not undo the completion)."""
    return order.status == OS.COMPLETED


# Each field's state machine, as the guide draws it, from the state every order starts in.
_MACHINES: tuple[tuple[str, Mapping[Any, frozenset[Any]]], ...] = (
    ("status", ORDER_TRANSITIONS),
    ("fulfillment_status", FULFILLMENT_TRANSITIONS),
)


def _reachable(
    graph: Mapping[str, Iterable[str]], start: str, avoid: str | None = None
) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt != avoid and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


# -- watch --until: a state to reach ----------------------------------------------------------

TARGETS: tuple[str, ...] = tuple(
    dict.fromkeys([s.value for s in OrderStatus] + [s.value for s in FulfillmentStatus])
)
"""Every value ``--until`` accepts: the ``status`` values, then the ``fulfillment_status``
values (PENDING and CANCELLED are both, once)."""


def parse_target(text: str) -> str:
    """The ``--until`` value in the API's spelling (``ready-for-pickup`` -> READY_FOR_PICKUP).

    Raises ValueError naming every accepted value.
    """
    value = text.strip().upper().replace("-", "_").replace(" ", "_")
    if value in TARGETS:
        return value
    statuses = ", ".join(s.value for s in OrderStatus)
    fulfillment = ", ".join(s.value for s in FulfillmentStatus)
    raise ValueError(
        f"{shorten(text, 100)!r} is not an order state. Use a status ({statuses}) or a fulfillment "
        f"status ({fulfillment}); case does not matter."
    )


def target_reached(order: OrderSummary, target: str) -> bool:
    """Whether ``order`` is at ``target`` (a status or fulfillment status value) or has
    certainly passed through it.

    Passed through: every path of the field's state machine from PENDING to the current
    value goes through ``target`` (an order seen FULFILLED was READY_FOR_PICKUP, even if no
    poll caught it there; one seen CANCELLED may never have been PREPARING).
    """
    for name, graph in _MACHINES:
        if target not in graph:
            continue
        current = str(getattr(order, name).value)
        if current not in graph:  # a value this version does not know
            continue
        if current == target or current not in _reachable(graph, "PENDING", avoid=target):
            return True
    return False


# The handoff that ends each kind of mode: a pickup is never DELIVERED, a delivery never
# FULFILLED (picked up at the store).
_HANDOFF_OUT_OF_REACH: Mapping[str, frozenset[HandoffMode]] = {
    FS.DELIVERED.value: COLLECTION_MODES,
    FS.FULFILLED.value: frozenset({HandoffMode.DELIVERY}),
}


def handoff_out_of_reach(order: OrderSummary, target: str) -> bool:
    """Whether ``target`` is a handoff the order's mode never ends in (DELIVERED for a
    pickup, FULFILLED for a delivery)."""
    return order.handoff.mode in _HANDOFF_OUT_OF_REACH.get(target, frozenset())


def target_reachable(order: OrderSummary, target: str) -> bool:
    """Whether ``order`` got to ``target`` or may still get there (True while a value is
    unknown). The handoff mode decides the handoff: a pickup order can never be DELIVERED,
    nor a delivery FULFILLED."""
    if target_reached(order, target):
        return True
    if handoff_out_of_reach(order, target):
        return False
    for name, graph in _MACHINES:
        if target not in graph:
            continue
        current = str(getattr(order, name).value)
        if current not in graph or target in _reachable(graph, current):
            return True
    return False
