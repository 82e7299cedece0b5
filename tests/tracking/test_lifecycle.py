from __future__ import annotations

import itertools
from collections import deque

import pytest

from tote_track.api.models import (
    FulfillmentStatus,
    HandoffMode,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentState,
    PaymentStatus,
)
from tote_track.tracking.lifecycle import (
    CANCELLABLE_FULFILLMENT_STATUSES,
    COLLECTION_MODES,
    FULFILLMENT_TRANSITIONS,
    IN_FLIGHT_PAYMENT_STATES,
    ORDER_TRANSITIONS,
    PAID_PAYMENT_STATES,
    TERMINAL_FULFILLMENT_STATUSES,
    TERMINAL_ORDER_STATUSES,
    LifecycleEvent,
    allowed_events,
    balance_not_in_flight,
    can_cancel,
    can_transition_fulfillment,
    can_transition_order,
    cancel_eligibility,
    events_allowed_for,
    is_delivery,
    is_terminal,
    payment_status_of,
    settled_on_cancel,
    target_reachable,
    target_reached,
    total_paid_amount,
)

from .orders import make_order

OS = OrderStatus
FS = FulfillmentStatus
PS = PaymentStatus
EV = LifecycleEvent

# The guide's two mermaid diagrams, copied edge for edge (not derived from the code).
ORDER_EDGES = {
    ("PENDING", "CONFIRMED"),  # Payment completed
    ("PENDING", "FAILED"),  # All payments failed
    ("PENDING", "VOIDED"),  # Voided before payment
    ("PENDING", "CANCELLED"),  # Cancelled by customer
    ("CONFIRMED", "COMPLETED"),  # Order fulfilled
    ("CONFIRMED", "CANCELLED"),  # Cancelled before preparation
}
FULFILLMENT_EDGES = {
    ("PENDING", "IN_PROGRESS"),
    ("PENDING", "CANCELLED"),
    ("IN_PROGRESS", "PREPARING"),
    ("IN_PROGRESS", "CANCELLED"),
    ("PREPARING", "READY_FOR_PICKUP"),
    ("PREPARING", "CANCELLED"),
    ("READY_FOR_PICKUP", "FULFILLED"),
    ("READY_FOR_PICKUP", "DELIVERED"),
    ("READY_FOR_PICKUP", "CANCELLED"),
    ("FULFILLED", "RETURNED"),
    ("DELIVERED", "RETURNED"),
}

# --- the diagrams ---------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OS, OS)))
def test_order_transitions_are_exactly_the_diagram(current: OS, target: OS) -> None:
    assert can_transition_order(current, target) is ((current.value, target.value) in ORDER_EDGES)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(FS, FS)))
def test_fulfillment_transitions_are_exactly_the_diagram(current: FS, target: FS) -> None:
    expected = (current.value, target.value) in FULFILLMENT_EDGES
    assert can_transition_fulfillment(current, target) is expected


def test_transition_tables_cover_every_state() -> None:
    assert set(ORDER_TRANSITIONS) == set(OS)
    assert set(FULFILLMENT_TRANSITIONS) == set(FS)
    assert len(list(OS)) == 6
    assert len(list(FS)) == 8


def test_unknown_states_go_nowhere() -> None:
    assert not can_transition_order(OS("ON_HOLD"), OS.CANCELLED)
    assert not can_transition_order(OS.PENDING, OS("ON_HOLD"))
    assert not can_transition_fulfillment(FS("BAGGING"), FS.CANCELLED)
    assert not can_transition_fulfillment(FS.PREPARING, FS("BAGGING"))


def test_terminal_sets() -> None:
    assert {OS.COMPLETED, OS.FAILED, OS.VOIDED, OS.CANCELLED} == TERMINAL_ORDER_STATUSES
    assert {FS.RETURNED, FS.CANCELLED} == TERMINAL_FULFILLMENT_STATUSES
    assert {FS.PENDING, FS.IN_PROGRESS} == CANCELLABLE_FULFILLMENT_STATUSES
    assert {HandoffMode.PICKUP, HandoffMode.CURBSIDE, HandoffMode.KIOSK} == COLLECTION_MODES


@pytest.mark.parametrize("status", list(OS))
def test_is_terminal(status: OS) -> None:
    expected = status.value in {"COMPLETED", "FAILED", "VOIDED", "CANCELLED"}
    assert is_terminal(make_order(status=status.value)) is expected


def test_unknown_status_is_not_terminal() -> None:
    assert not is_terminal(make_order(status="ON_HOLD"))


def test_is_delivery() -> None:
    assert is_delivery(HandoffMode.DELIVERY)
    assert not any(is_delivery(mode) for mode in COLLECTION_MODES)
    assert not is_delivery(HandoffMode("DRONE"))


# --- cancel eligibility ---------------------------------------------------------------------


@pytest.mark.parametrize("fulfillment", ["PENDING", "IN_PROGRESS"])
@pytest.mark.parametrize("status", ["PENDING", "CONFIRMED"])
def test_cancel_allowed_before_preparation(status: str, fulfillment: str) -> None:
    order = make_order(status, "PAID", fulfillment)
    verdict = cancel_eligibility(order)
    assert verdict.allowed
    assert can_cancel(order)
    assert verdict.reason == "You can cancel until the store starts preparing."


@pytest.mark.parametrize("fulfillment", ["PREPARING", "READY_FOR_PICKUP"])
def test_cancel_refused_once_preparation_started(fulfillment: str) -> None:
    verdict = cancel_eligibility(make_order("CONFIRMED", "PAID", fulfillment))
    assert not verdict.allowed
    assert "Contact the store" in verdict.reason


@pytest.mark.parametrize(
    ("fulfillment", "word"),
    [("FULFILLED", "picked up"), ("DELIVERED", "delivered"), ("RETURNED", "returned")],
)
def test_cancel_refused_once_handed_over(fulfillment: str, word: str) -> None:
    # the order's status may lag behind its fulfillment for a moment
    verdict = cancel_eligibility(make_order("CONFIRMED", "PAID", fulfillment))
    assert not verdict.allowed
    assert verdict.reason == f"This order was {word}; there is nothing to cancel."


def test_cancel_refused_when_fulfillment_already_cancelled() -> None:
    verdict = cancel_eligibility(make_order("CONFIRMED", "PAID", "CANCELLED"))
    assert not verdict.allowed
    assert verdict.reason == "This order is already cancelled; there is nothing to cancel."


def test_every_known_fulfillment_status_has_a_verdict() -> None:
    allowed = {
        fs
        for fs in FS
        if cancel_eligibility(make_order("CONFIRMED", "PAID", fs.value, "DELIVERY")).allowed
    }
    assert allowed == {FS.PENDING, FS.IN_PROGRESS}


@pytest.mark.parametrize(
    ("status", "fulfillment", "words"),
    [
        ("COMPLETED", "FULFILLED", "This order was picked up"),
        ("COMPLETED", "RETURNED", "This order was returned"),
        ("COMPLETED", "READY_FOR_PICKUP", "This order is complete"),
        ("FAILED", "CANCELLED", "This order didn't go through (the payment failed)"),
        ("VOIDED", "CANCELLED", "This order was called off before payment"),
        ("CANCELLED", "CANCELLED", "This order is already cancelled"),
        # a terminal status wins over a fulfillment status that would allow it
        ("CANCELLED", "PENDING", "This order is already cancelled"),
    ],
)
def test_cancel_refused_for_terminal_orders(status: str, fulfillment: str, words: str) -> None:
    verdict = cancel_eligibility(make_order(status, "UNPAID", fulfillment))
    assert not verdict.allowed
    assert verdict.reason == f"{words}; there is nothing to cancel."
    assert "already failed" not in verdict.reason
    assert "voided" not in verdict.reason.lower()


def test_cancel_refused_for_unknown_fulfillment_status() -> None:
    verdict = cancel_eligibility(make_order("CONFIRMED", "PAID", "BAGGING"))
    assert not verdict.allowed
    assert "BAGGING" in verdict.reason
    assert "contact the store" in verdict.reason


# --- payments -------------------------------------------------------------------------------


def pay(state: str, amount: int) -> Payment:
    return Payment(
        id=f"p-{state}-{amount}",
        status=PaymentState(state),
        payment_method=PaymentMethod.CREDIT_CARD,
        amount={"amount": amount, "currency": "USD"},  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("payments", "expected"),
    [
        ([], PS.UNPAID),
        ([pay("PENDING", 1945)], PS.PROCESSING),
        ([pay("AUTHORIZED", 1945)], PS.PROCESSING),
        ([pay("COMPLETED", 1945)], PS.PAID),
        ([pay("CAPTURED", 1945)], PS.PAID),
        ([pay("COMPLETED", 2000)], PS.PAID),  # overpaid is still paid
        ([pay("FAILED", 1945)], PS.UNPAID),
        ([pay("VOIDED", 1945)], PS.UNPAID),
        ([pay("REFUNDED", 1945)], PS.UNPAID),
        # split payments
        ([pay("COMPLETED", 1000)], PS.PARTIALLY_PAID),
        ([pay("COMPLETED", 1000), pay("PENDING", 945)], PS.PARTIALLY_PAID),
        ([pay("COMPLETED", 1000), pay("AUTHORIZED", 945)], PS.PARTIALLY_PAID),
        ([pay("COMPLETED", 1000), pay("FAILED", 945)], PS.PARTIALLY_PAID),
        ([pay("COMPLETED", 1000), pay("CAPTURED", 945)], PS.PAID),
        ([pay("COMPLETED", 1000), pay("REFUNDED", 945)], PS.PARTIALLY_PAID),
        ([pay("REFUNDED", 1000), pay("VOIDED", 945)], PS.UNPAID),
        ([pay("FAILED", 1000), pay("PENDING", 945)], PS.PROCESSING),
        ([pay("SETTLING", 1945)], PS.UNPAID),  # unknown payment states count as nothing
    ],
)
def test_payment_status_of(payments: list[Payment], expected: PS) -> None:
    assert payment_status_of(payments, 1945) is expected


def test_total_paid_counts_only_money_taken() -> None:
    payments = [
        pay("COMPLETED", 1000),
        pay("CAPTURED", 300),
        pay("AUTHORIZED", 200),
        pay("REFUNDED", 50),
        pay("VOIDED", 20),
        pay("FAILED", 5),
    ]
    assert total_paid_amount(payments) == 1300
    assert total_paid_amount([]) == 0


@pytest.mark.parametrize(
    ("state", "settled"),
    [
        ("PENDING", "VOIDED"),
        ("AUTHORIZED", "VOIDED"),
        ("CAPTURED", "REFUNDED"),
        ("COMPLETED", "REFUNDED"),
        ("FAILED", "FAILED"),
        ("VOIDED", "VOIDED"),
        ("REFUNDED", "REFUNDED"),
    ],
)
def test_settled_on_cancel(state: str, settled: str) -> None:
    assert settled_on_cancel(PaymentState(state)) == PaymentState(settled)


def test_payment_state_sets() -> None:
    assert {PaymentState.CAPTURED, PaymentState.COMPLETED} == PAID_PAYMENT_STATES
    assert {PaymentState.PENDING, PaymentState.AUTHORIZED} == IN_FLIGHT_PAYMENT_STATES


# --- allowed events: a walk of every reachable state ----------------------------------------

State = tuple[OS, PS, FS, HandoffMode]


def effects(state: State, event: EV) -> list[State]:
    """Where an event can take an order (the design's event list), independently of the code.

    Payment events may leave a split order partly paid, so some have two outcomes.
    """
    status, payment, fulfillment, mode = state
    if event is EV.PAYMENT_STARTED:
        started = payment if payment in (PS.PARTIALLY_PAID, PS.PAID) else PS.PROCESSING
        return [(status, started, fulfillment, mode)]
    if event is EV.PAYMENT_COMPLETED:
        confirmed = OS.CONFIRMED if status is OS.PENDING else status
        return [(confirmed, paid, fulfillment, mode) for paid in (PS.PARTIALLY_PAID, PS.PAID)]
    if event is EV.PAYMENT_FAILED:
        return [(OS.FAILED, PS.UNPAID, FS.CANCELLED, mode)]
    if event is EV.VOID:
        return [(OS.VOIDED, PS.UNPAID, FS.CANCELLED, mode)]
    step = {
        EV.ACCEPT: FS.IN_PROGRESS,
        EV.START_PREPARING: FS.PREPARING,
        EV.READY: FS.READY_FOR_PICKUP,
        EV.RETURNED: FS.RETURNED,
    }
    if event in step:
        return [(status, payment, step[event], mode)]
    if event is EV.PICKED_UP:
        return [(OS.COMPLETED, payment, FS.FULFILLED, mode)]
    if event is EV.DELIVERED:
        return [(OS.COMPLETED, payment, FS.DELIVERED, mode)]
    assert event is EV.STORE_CANCEL
    return [(OS.CANCELLED, PS.UNPAID, FS.CANCELLED, mode)]


def customer_cancel(state: State) -> State:
    _, _, _, mode = state
    return (OS.CANCELLED, PS.UNPAID, FS.CANCELLED, mode)


def walk() -> tuple[set[State], set[tuple[State, str, State]]]:
    """Every state reachable from checkout in each mode, and every move taken."""
    starts = [(OS.PENDING, PS.UNPAID, FS.PENDING, mode) for mode in HandoffMode]
    seen: set[State] = set(starts)
    moves: set[tuple[State, str, State]] = set()
    queue = deque(starts)
    while queue:
        state = queue.popleft()
        nexts = [(ev.value, t) for ev in allowed_events(*state) for t in effects(state, ev)]
        if can_cancel(make_order(state[0].value, state[1].value, state[2].value, state[3].value)):
            nexts.append(("cancel", customer_cancel(state)))
        for name, target in nexts:
            moves.add((state, name, target))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen, moves


STATES, MOVES = walk()


def test_walk_reaches_every_ending_in_every_mode() -> None:
    for mode in HandoffMode:
        endings = {(s[0], s[2]) for s in STATES if s[3] is mode and s[0] in TERMINAL_ORDER_STATUSES}
        handed_over = FS.DELIVERED if mode is HandoffMode.DELIVERY else FS.FULFILLED
        assert endings == {
            (OS.COMPLETED, handed_over),
            (OS.COMPLETED, FS.RETURNED),
            (OS.FAILED, FS.CANCELLED),
            (OS.VOIDED, FS.CANCELLED),
            (OS.CANCELLED, FS.CANCELLED),
        }


def test_allowed_events_never_leave_the_diagrams() -> None:
    for (status, _, fulfillment, _), name, (status2, _, fulfillment2, _) in MOVES:
        if status2 != status:
            assert (status.value, status2.value) in ORDER_EDGES, name
        if fulfillment2 != fulfillment:
            assert (fulfillment.value, fulfillment2.value) in FULFILLMENT_EDGES, name


def test_the_walk_uses_every_edge_of_both_diagrams() -> None:
    order_edges = {(a[0].value, b[0].value) for a, _, b in MOVES if a[0] != b[0]}
    fulfillment_edges = {(a[2].value, b[2].value) for a, _, b in MOVES if a[2] != b[2]}
    assert order_edges == ORDER_EDGES
    assert fulfillment_edges == FULFILLMENT_EDGES


def test_handoff_events_match_the_mode() -> None:
    for (_, _, _, mode), name, _ in MOVES:
        if name == EV.PICKED_UP:
            assert mode in COLLECTION_MODES or not mode.known
        if name == EV.DELIVERED:
            assert mode is HandoffMode.DELIVERY


def test_store_works_on_confirmed_orders_only() -> None:
    store_events = {EV.ACCEPT, EV.START_PREPARING, EV.READY, EV.PICKED_UP, EV.DELIVERED}
    for (status, _, _, _), name, _ in MOVES:
        if name in store_events:
            assert status is OS.CONFIRMED, name


def test_store_cancel_only_after_preparation_started() -> None:
    for (_, _, fulfillment, _), name, _ in MOVES:
        if name == EV.STORE_CANCEL:
            assert fulfillment in (FS.PREPARING, FS.READY_FOR_PICKUP)
        if name == "cancel":
            assert fulfillment in CANCELLABLE_FULFILLMENT_STATUSES


def test_terminal_states_allow_only_a_return() -> None:
    for state in STATES:
        status, payment, fulfillment, mode = state
        if status in TERMINAL_ORDER_STATUSES:
            expected = (
                [EV.RETURNED]
                if status is OS.COMPLETED and fulfillment in (FS.FULFILLED, FS.DELIVERED)
                else []
            )
            assert allowed_events(status, payment, fulfillment, mode) == expected


def test_allowed_events_in_lifecycle_order() -> None:
    assert allowed_events(OS.PENDING, PS.UNPAID, FS.PENDING, HandoffMode.PICKUP) == [
        EV.PAYMENT_STARTED,
        EV.PAYMENT_COMPLETED,
        EV.PAYMENT_FAILED,
        EV.VOID,
    ]
    assert allowed_events(OS.PENDING, PS.PAID, FS.PENDING, HandoffMode.PICKUP) == []
    assert allowed_events(OS.CONFIRMED, PS.PARTIALLY_PAID, FS.PENDING, HandoffMode.PICKUP) == [
        EV.PAYMENT_STARTED,
        EV.PAYMENT_COMPLETED,
        EV.ACCEPT,
    ]
    assert allowed_events(OS.CONFIRMED, PS.PAID, FS.READY_FOR_PICKUP, HandoffMode.DELIVERY) == [
        EV.DELIVERED,
        EV.STORE_CANCEL,
    ]
    assert allowed_events(OS.CONFIRMED, PS.PAID, FS.READY_FOR_PICKUP, HandoffMode.KIOSK) == [
        EV.PICKED_UP,
        EV.STORE_CANCEL,
    ]


def test_unknown_values_allow_no_store_events() -> None:
    assert allowed_events(OS("ON_HOLD"), PS.PAID, FS.PENDING, HandoffMode.PICKUP) == []
    assert allowed_events(OS.CONFIRMED, PS.PAID, FS("BAGGING"), HandoffMode.PICKUP) == []


def test_no_payment_starts_while_processing_payments_cover_the_balance() -> None:
    summary = make_order("PENDING", "PROCESSING", "PENDING", total_paid=0, balance_due=1945)

    def with_payment(amount: int) -> Order:
        payment = {"id": "p1", "payment_method": "CREDIT_CARD", "status": "PENDING"}
        payment["amount"] = {"amount": amount, "currency": "USD"}
        data = {**summary.model_dump(mode="json"), "items": [], "payments": [payment]}
        return Order.model_validate(data)

    whole, part = with_payment(1945), with_payment(1000)
    assert balance_not_in_flight(whole) == 0
    assert LifecycleEvent.PAYMENT_STARTED not in events_allowed_for(whole)
    assert LifecycleEvent.PAYMENT_COMPLETED in events_allowed_for(whole)
    assert balance_not_in_flight(part) == 945
    assert LifecycleEvent.PAYMENT_STARTED in events_allowed_for(part)


# --- watch targets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fulfillment", "target", "reached", "reachable"),
    [
        ("PENDING", "PENDING", "PENDING", True, True),
        ("PENDING", "PENDING", "CONFIRMED", False, True),
        ("CONFIRMED", "PREPARING", "IN_PROGRESS", True, True),
        ("CONFIRMED", "PREPARING", "READY_FOR_PICKUP", False, True),
        ("COMPLETED", "FULFILLED", "READY_FOR_PICKUP", True, True),
        ("COMPLETED", "FULFILLED", "CONFIRMED", True, True),
        ("COMPLETED", "FULFILLED", "DELIVERED", False, False),
        ("COMPLETED", "RETURNED", "READY_FOR_PICKUP", True, True),
        ("COMPLETED", "RETURNED", "FULFILLED", False, False),  # or was it DELIVERED?
        ("COMPLETED", "FULFILLED", "RETURNED", False, True),
        ("CANCELLED", "CANCELLED", "PREPARING", False, False),  # maybe never prepared
        ("CANCELLED", "CANCELLED", "CANCELLED", True, True),
        ("CONFIRMED", "CANCELLED", "COMPLETED", False, True),  # status not caught up yet
        ("FAILED", "CANCELLED", "CONFIRMED", False, False),
        ("VOIDED", "CANCELLED", "VOIDED", True, True),
        ("CONFIRMED", "ON_HOLD", "READY_FOR_PICKUP", False, True),  # unknown: keep watching
        ("ON_HOLD", "ON_HOLD", "CONFIRMED", False, True),
    ],
)
def test_target_reached_and_reachable_follow_the_state_machines(
    status: str, fulfillment: str, target: str, reached: bool, reachable: bool
) -> None:
    order = make_order(status=status, fulfillment_status=fulfillment)
    assert target_reached(order, target) is reached
    assert target_reachable(order, target) is reachable


@pytest.mark.parametrize(
    ("mode", "target", "reachable"),
    [
        ("PICKUP", "DELIVERED", False),
        ("CURBSIDE", "DELIVERED", False),
        ("KIOSK", "DELIVERED", False),
        ("DELIVERY", "DELIVERED", True),
        ("DELIVERY", "FULFILLED", False),
        ("PICKUP", "FULFILLED", True),
        ("DRONE", "DELIVERED", True),  # a mode this version does not know: keep watching
        ("PICKUP", "READY_FOR_PICKUP", True),
    ],
)
def test_the_handoff_mode_decides_which_handoff_is_in_reach(
    mode: str, target: str, reachable: bool
) -> None:
    order = make_order("PENDING", "UNPAID", "PENDING", mode)
    assert target_reachable(order, target) is reachable
