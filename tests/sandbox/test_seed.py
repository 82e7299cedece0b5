"""Sample orders: every mode and state, consistent, over a week, at the named stores."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tote_track.api.models import (
    FulfillmentStatus,
    HandoffMode,
    Order,
    OrderStatus,
    PaymentState,
    PaymentStatus,
)
from tote_track.sandbox.engine import Engine
from tote_track.sandbox.seed import LOCATIONS, ReplayClock, seed_orders
from tote_track.tracking.lifecycle import TERMINAL_ORDER_STATUSES, payment_status_of

NOW = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)


def seeded(n: int, seed: int = 7) -> tuple[Engine, list[Order], ReplayClock]:
    clock = ReplayClock()
    engine = Engine(clock=clock)
    ids = seed_orders(engine, n, random.Random(seed), now=NOW, clock=clock)
    assert len(ids) == n
    return engine, [engine.get_order(order_id) for order_id in ids], clock


def test_a_small_seed_already_shows_every_mode_and_every_state() -> None:
    _, orders, _ = seeded(16)
    assert {o.handoff.mode for o in orders} == set(HandoffMode)
    assert {o.status for o in orders} == set(OrderStatus)
    assert {o.payment_status for o in orders} == set(PaymentStatus)
    assert {o.fulfillment_status for o in orders} == set(FulfillmentStatus)


def test_orders_are_consistent_as_if_customers_and_stores_made_them() -> None:
    _, orders, _ = seeded(120)
    for order in orders:
        subtotal = sum(item.item_total.amount for item in order.items)
        assert order.subtotal.amount == subtotal
        assert order.total.amount == subtotal + order.total_tax.amount
        assert order.total_tax.amount == (subtotal * 825 + 5000) // 10000
        for item in order.items:
            assert item.unit_price is not None
            assert item.item_total.amount == item.unit_price.amount * item.quantity
        assert order.payment_status == payment_status_of(order.payments, order.total.amount)
        assert order.balance_due.amount == order.total.amount - order.total_paid.amount
        if order.status == OrderStatus.CANCELLED:
            assert order.fulfillment_status == FulfillmentStatus.CANCELLED
            assert {p.status for p in order.payments} <= {
                PaymentState.REFUNDED,
                PaymentState.VOIDED,
            }
        if order.fulfillment_status == FulfillmentStatus.DELIVERED:
            assert order.handoff.mode == HandoffMode.DELIVERY
        if order.fulfillment_status == FulfillmentStatus.FULFILLED:
            assert order.handoff.mode != HandoffMode.DELIVERY
        if order.handoff.mode == HandoffMode.CURBSIDE:
            assert order.handoff.vehicle_make
        if order.handoff.mode == HandoffMode.DELIVERY:
            assert order.handoff.delivery_address is not None
            assert order.handoff.delivery_address.line1


def test_a_week_of_orders_at_the_named_stores() -> None:
    _, orders, clock = seeded(200)
    assert clock.fixed is None  # back to real time for serving
    known = {location.id for location in LOCATIONS}
    per_location = Counter(o.location_id for o in orders)
    assert set(per_location) == known
    assert 3 <= len(LOCATIONS) <= 4
    for order in orders:
        assert NOW - timedelta(days=7) <= order.created_at <= NOW
        assert order.created_at <= order.updated_at <= NOW
        if order.status not in TERMINAL_ORDER_STATUSES:
            # Still on its way: a recent order.
            assert order.created_at >= NOW - timedelta(hours=1)
    days = {(NOW - o.created_at).days for o in orders}
    assert len(days) >= 6
    finished = [o for o in orders if o.status in TERMINAL_ORDER_STATUSES]
    assert Counter(o.status for o in finished).most_common(1)[0][0] == OrderStatus.COMPLETED
    # Histories are dated when they happened, not when the sandbox was seeded.
    old = [o for o in finished if o.created_at < NOW - timedelta(days=2)]
    assert old
    assert all(o.updated_at < NOW - timedelta(days=1) for o in old)


def test_menus_have_realistic_prices_in_cents() -> None:
    _, orders, _ = seeded(60)
    prices = [item.unit_price.amount for o in orders for item in o.items if item.unit_price]
    assert min(prices) >= 100
    assert max(prices) <= 3000
    assert all(isinstance(p, int) for p in prices)
    assert {o.total.currency for o in orders} == {"USD"}


def test_split_payments_are_partly_paid_by_gift_card() -> None:
    _, orders, _ = seeded(16)
    partial = [o for o in orders if o.payment_status == PaymentStatus.PARTIALLY_PAID]
    assert partial
    assert partial[0].payments[0].payment_method == "GIFT_CARD"
    assert 0 < partial[0].total_paid.amount < partial[0].total.amount


def test_the_same_seed_gives_the_same_orders() -> None:
    def shape(orders: list[Order]) -> list[tuple[object, ...]]:
        return [
            (o.location_id, o.handoff.mode, o.status, o.fulfillment_status, o.total.amount)
            for o in orders
        ]

    assert shape(seeded(30, seed=3)[1]) == shape(seeded(30, seed=3)[1])
    assert shape(seeded(30, seed=3)[1]) != shape(seeded(30, seed=4)[1])


def test_without_the_clock_events_are_stamped_at_seeding_time() -> None:
    engine = Engine()
    before = datetime.now(UTC)
    ids = seed_orders(engine, 10, random.Random(1), now=NOW)
    updated = [engine.get_order(i).updated_at for i in ids]
    moved = [u for u, i in zip(updated, ids, strict=True) if engine.get_order(i).payments]
    assert moved
    assert all(u >= before for u in moved)


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_seeds(n: int) -> None:
    engine = Engine()
    assert len(seed_orders(engine, n, random.Random(0))) == n
    assert engine.count() == n
