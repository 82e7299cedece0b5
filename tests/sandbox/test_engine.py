"""The engine's rules, without HTTP, against both stores."""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tote_track.api.models import (
    FulfillmentStatus,
    HandoffMode,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    PaymentStatus,
)
from tote_track.sandbox.engine import (
    DEFAULT_LOCATION_ID,
    Engine,
    MoneyInput,
    NewHandoff,
    NewItem,
    NewOrder,
    NewPayment,
    decode_cursor,
    encode_cursor,
)
from tote_track.sandbox.errors import (
    CancelNotAllowed,
    EventNotAllowed,
    InvalidRequest,
    OrderNotFound,
)
from tote_track.sandbox.store import OrderFilter, OrderRecord, SqliteStore
from tote_track.tracking.lifecycle import (
    FULFILLMENT_TRANSITIONS,
    ORDER_TRANSITIONS,
    LifecycleEvent,
    allowed_events,
)

from .conftest import START, FakeClock

OS = OrderStatus
FS = FulfillmentStatus
PS = PaymentStatus
EV = LifecycleEvent


def plan(*amounts: int, method: PaymentMethod = PaymentMethod.CREDIT_CARD) -> list[NewPayment]:
    return [NewPayment(amount=MoneyInput(amount=a), payment_method=method) for a in amounts]


def states(order: Order) -> tuple[str, str, str]:
    return (order.status.value, order.payment_status.value, order.fulfillment_status.value)


def fire(engine: Engine, order_id: str, *events: str) -> Order:
    order = engine.get_order(order_id)
    for event in events:
        order = engine.apply_event(order_id, event)
    return order


# -- creation -------------------------------------------------------------------------------


def test_default_order_is_the_guides_example(
    engine: Engine, guide_order_json: dict[str, Any]
) -> None:
    order = engine.create_order()
    data = json.loads(engine.get_record(order.id).json)
    for field in ("location_id", "handoff", "subtotal", "total_tax", "total_discount", "total"):
        assert data[field] == guide_order_json[field], field
    assert [(i["name"], i["quantity"], i["item_total"]) for i in data["items"]] == [
        (i["name"], i["quantity"], i["item_total"]) for i in guide_order_json["items"]
    ]
    assert states(order) == ("PENDING", "UNPAID", "PENDING")
    assert data["total_paid"] == {"amount": 0, "currency": "USD"}
    assert data["balance_due"] == {"amount": 1945, "currency": "USD"}
    assert data["payments"] == []
    assert data["created_at"] == data["updated_at"] == "2026-01-31T10:07:00Z"


def test_tax_is_rounded_half_up_per_location() -> None:
    other = "00000000-0000-4000-8000-000000000001"
    engine = Engine(tax_bps={other: 1000})
    body = NewOrder(items=[NewItem(name="Thing", quantity=2, unit_price=MoneyInput(amount=500))])
    assert engine.create_order(body).total_tax.amount == 83  # 1000 x 8.25% = 82.5
    elsewhere = engine.create_order(body.model_copy(update={"location_id": other}))
    assert (elsewhere.total_tax.amount, elsewhere.total.amount) == (100, 1100)
    assert engine.tax_bps(DEFAULT_LOCATION_ID) == 825


def test_created_order_keeps_explicit_fields(engine: Engine) -> None:
    body = NewOrder(
        location_id="ABCDEFAB-0000-4000-8000-000000000000",
        handoff=NewHandoff(mode=HandoffMode.DELIVERY, delivery_instructions="Ring twice"),
        items=[NewItem(name="Tea", unit_price=MoneyInput(amount=300, currency="EUR"))],
        created_at=datetime(2025, 1, 1, 12, tzinfo=UTC),
    )
    order = engine.create_order(body)
    assert order.location_id == "abcdefab-0000-4000-8000-000000000000"
    assert order.handoff.mode == HandoffMode.DELIVERY
    assert order.handoff.delivery_instructions == "Ring twice"
    assert order.total.currency == "EUR"
    assert order.created_at == order.updated_at == datetime(2025, 1, 1, 12, tzinfo=UTC)


def test_mixed_currencies_are_refused(engine: Engine) -> None:
    body = NewOrder(
        items=[
            NewItem(name="A", unit_price=MoneyInput(amount=100)),
            NewItem(name="B", unit_price=MoneyInput(amount=100, currency="EUR")),
        ]
    )
    with pytest.raises(InvalidRequest, match="one currency"):
        engine.create_order(body)


def test_a_plan_larger_than_the_total_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidRequest, match="more than the order total of 1945"):
        engine.create_order(NewOrder(payments=plan(1000, 1000)))


def test_unknown_order_is_not_found(engine: Engine) -> None:
    with pytest.raises(OrderNotFound) as caught:
        engine.get_order("f9a8b7c6-d5e4-3210-fedc-ba9876543210")
    assert caught.value.status_code == 404
    with pytest.raises(OrderNotFound):
        engine.apply_event("f9a8b7c6-d5e4-3210-fedc-ba9876543210", "accept")
    with pytest.raises(OrderNotFound):
        engine.cancel("f9a8b7c6-d5e4-3210-fedc-ba9876543210", "reason")


# -- events ---------------------------------------------------------------------------------


def test_the_guides_typical_progression(engine: Engine) -> None:
    order = engine.create_order()
    seen = [states(order)]
    for event in ("payment_completed", "accept", "start_preparing", "ready", "picked_up"):
        seen.append(states(engine.apply_event(order.id, event)))
    assert seen == [
        ("PENDING", "UNPAID", "PENDING"),
        ("CONFIRMED", "PAID", "PENDING"),
        ("CONFIRMED", "PAID", "IN_PROGRESS"),
        ("CONFIRMED", "PAID", "PREPARING"),
        ("CONFIRMED", "PAID", "READY_FOR_PICKUP"),
        ("COMPLETED", "PAID", "FULFILLED"),
    ]


def test_delivery_orders_end_delivered(engine: Engine) -> None:
    body = NewOrder(handoff=NewHandoff(mode=HandoffMode.DELIVERY))
    order = engine.create_order(body)
    fire(engine, order.id, "payment_completed", "accept", "start_preparing", "ready")
    with pytest.raises(EventNotAllowed, match="READY_FOR_PICKUP"):
        engine.apply_event(order.id, "picked_up")
    done = engine.apply_event(order.id, "delivered")
    assert states(done) == ("COMPLETED", "PAID", "DELIVERED")
    returned = engine.apply_event(order.id, "returned")
    assert states(returned) == ("COMPLETED", "PAID", "RETURNED")
    assert returned.payments == done.payments


def test_pickup_orders_cannot_be_delivered(engine: Engine) -> None:
    order = engine.create_order(NewOrder(handoff=NewHandoff(mode=HandoffMode.PICKUP)))
    fire(engine, order.id, "payment_completed", "accept", "start_preparing", "ready")
    with pytest.raises(EventNotAllowed) as caught:
        engine.apply_event(order.id, "delivered")
    assert caught.value.code == "event_not_allowed"
    assert "allowed now: picked_up, store_cancel" in caught.value.message


def test_unknown_event_is_invalid(engine: Engine) -> None:
    order = engine.create_order()
    with pytest.raises(InvalidRequest, match="Unknown event 'teleport'"):
        engine.apply_event(order.id, "teleport")


EXPECTED_EFFECT: dict[LifecycleEvent, tuple[str | None, str | None]] = {
    EV.ACCEPT: (None, "IN_PROGRESS"),
    EV.START_PREPARING: (None, "PREPARING"),
    EV.READY: (None, "READY_FOR_PICKUP"),
    EV.PICKED_UP: ("COMPLETED", "FULFILLED"),
    EV.DELIVERED: ("COMPLETED", "DELIVERED"),
    EV.RETURNED: ("COMPLETED", "RETURNED"),
    EV.STORE_CANCEL: ("CANCELLED", "CANCELLED"),
    EV.VOID: ("VOIDED", "CANCELLED"),
    EV.PAYMENT_FAILED: ("FAILED", "CANCELLED"),
    EV.PAYMENT_COMPLETED: ("CONFIRMED", None),
    EV.PAYMENT_STARTED: (None, None),
}


def _replay(engine: Engine, body: NewOrder, path: tuple[LifecycleEvent, ...]) -> Order:
    order = engine.create_order(body)
    return fire(engine, order.id, *path)


@pytest.mark.parametrize(
    "body",
    [
        NewOrder(handoff=NewHandoff(mode=HandoffMode.KIOSK)),
        NewOrder(handoff=NewHandoff(mode=HandoffMode.DELIVERY)),
        NewOrder(payments=plan(1000, 945)),
    ],
    ids=["pickup-modes", "delivery", "split-plan"],
)
def test_every_event_from_every_reachable_state(body: NewOrder) -> None:
    """Walk every reachable state; in each, try every event: the allowed ones do what the
    design says along the diagrams' edges, the others are refused naming the state."""
    engine = Engine()
    start = engine.create_order(body)
    queue: deque[tuple[LifecycleEvent, ...]] = deque([()])
    visited = {states(start)}
    refused = allowed_count = 0
    while queue:
        path = queue.popleft()
        before = _replay(engine, body, path)
        legal = allowed_events(
            before.status, before.payment_status, before.fulfillment_status, before.handoff.mode
        )
        for event in LifecycleEvent:
            order = _replay(engine, body, path)
            if event not in legal:
                with pytest.raises(EventNotAllowed) as caught:
                    engine.apply_event(order.id, event)
                assert order.status.value in caught.value.message
                assert order.fulfillment_status.value in caught.value.message
                assert engine.get_order(order.id) == order  # nothing changed
                refused += 1
                continue
            try:
                after = engine.apply_event(order.id, event)
            except EventNotAllowed as exc:
                # The only refusal within allowed_events: a second start with the whole
                # balance already in flight.
                problem = (event, "already being processed" in exc.message)
                assert problem == (EV.PAYMENT_STARTED, True)
                continue
            allowed_count += 1
            status, fulfillment = EXPECTED_EFFECT[event]
            assert after.status.value == (status or before.status.value), event
            assert after.fulfillment_status.value == (
                fulfillment or before.fulfillment_status.value
            ), event
            if after.status != before.status:
                assert after.status in ORDER_TRANSITIONS[before.status]
            if after.fulfillment_status != before.fulfillment_status:
                assert (
                    after.fulfillment_status in FULFILLMENT_TRANSITIONS[before.fulfillment_status]
                )
            assert after.updated_at > before.updated_at
            if states(after) not in visited:
                visited.add(states(after))
                queue.append((*path, event))
    assert refused > 0
    assert allowed_count >= len(visited) - 1
    assert {s[0] for s in visited} == {m.value for m in OrderStatus}


def test_payment_events_without_a_plan_use_one_card_payment(engine: Engine) -> None:
    order = engine.create_order()
    started = engine.apply_event(order.id, "payment_started")
    assert states(started) == ("PENDING", "PROCESSING", "PENDING")
    [payment] = started.payments
    assert (payment.status, payment.payment_method, payment.amount.amount) == (
        PaymentState.PENDING,
        PaymentMethod.CREDIT_CARD,
        1945,
    )
    with pytest.raises(EventNotAllowed, match="already being processed"):
        engine.apply_event(order.id, "payment_started")
    completed = engine.apply_event(order.id, "payment_completed")
    assert [p.status for p in completed.payments] == [PaymentState.COMPLETED]
    assert completed.payments[0].id == payment.id
    assert (completed.total_paid.amount, completed.balance_due.amount) == (1945, 0)
    assert states(completed) == ("CONFIRMED", "PAID", "PENDING")


def test_split_payments_are_partially_paid_then_paid(engine: Engine) -> None:
    order = engine.create_order(
        NewOrder(payments=plan(1000) + plan(945, method=PaymentMethod.GIFT_CARD))
    )
    assert order.payments == []
    started = engine.apply_event(order.id, "payment_started")
    assert [(p.amount.amount, p.status) for p in started.payments] == [(1000, PaymentState.PENDING)]
    first = engine.apply_event(order.id, "payment_completed")
    assert states(first) == ("CONFIRMED", "PARTIALLY_PAID", "PENDING")
    assert (first.total_paid.amount, first.balance_due.amount) == (1000, 945)
    second = engine.apply_event(order.id, "payment_completed")
    assert states(second) == ("CONFIRMED", "PAID", "PENDING")
    assert [(p.amount.amount, p.payment_method.value, p.status.value) for p in second.payments] == [
        (1000, "CREDIT_CARD", "COMPLETED"),
        (945, "GIFT_CARD", "COMPLETED"),
    ]
    assert (second.total_paid.amount, second.balance_due.amount) == (1945, 0)


def test_a_short_plan_is_topped_up_by_card(engine: Engine) -> None:
    order = engine.create_order(NewOrder(payments=plan(500, method=PaymentMethod.CASH)))
    fire(engine, order.id, "payment_completed")
    topped = engine.apply_event(order.id, "payment_completed")
    assert [(p.amount.amount, p.payment_method.value) for p in topped.payments] == [
        (500, "CASH"),
        (1445, "CREDIT_CARD"),
    ]
    assert topped.payment_status == PS.PAID


def test_payment_failed_fails_the_order(engine: Engine) -> None:
    order = engine.create_order(NewOrder(payments=plan(1000, 945)))
    fire(engine, order.id, "payment_started", "payment_started")
    failed = engine.apply_event(order.id, "payment_failed")
    assert states(failed) == ("FAILED", "UNPAID", "CANCELLED")
    assert [p.status for p in failed.payments] == [PaymentState.FAILED] * 2
    with pytest.raises(EventNotAllowed, match="status FAILED"):
        engine.apply_event(order.id, "payment_completed")


def test_payment_failed_with_nothing_in_flight_records_the_failed_attempt(
    engine: Engine,
) -> None:
    order = engine.create_order()
    failed = engine.apply_event(order.id, "payment_failed")
    assert [(p.status, p.amount.amount) for p in failed.payments] == [(PaymentState.FAILED, 1945)]
    assert failed.status == OS.FAILED


def test_void_voids_payments_in_flight(engine: Engine) -> None:
    order = engine.create_order()
    fire(engine, order.id, "payment_started")
    voided = engine.apply_event(order.id, "void")
    assert states(voided) == ("VOIDED", "UNPAID", "CANCELLED")
    assert [p.status for p in voided.payments] == [PaymentState.VOIDED]
    assert voided.balance_due.amount == 1945


@pytest.mark.parametrize("stage", [("start_preparing",), ("start_preparing", "ready")])
def test_store_cancel_settles_payments_like_a_cancel(engine: Engine, stage: tuple[str]) -> None:
    order = engine.create_order()
    fire(engine, order.id, "payment_completed", "accept", *stage)
    cancelled = engine.apply_event(order.id, "store_cancel")
    assert states(cancelled) == ("CANCELLED", "UNPAID", "CANCELLED")
    assert [p.status for p in cancelled.payments] == [PaymentState.REFUNDED]
    assert (cancelled.total_paid.amount, cancelled.balance_due.amount) == (0, 1945)


# -- cancel ---------------------------------------------------------------------------------


def test_cancel_matches_the_guides_example(
    engine: Engine, guide_cancel_json: dict[str, Any]
) -> None:
    order = engine.create_order()
    fire(engine, order.id, "payment_completed")
    cancelled = json.loads(engine.cancel_record(order.id, "Customer changed their mind").json)
    for field, value in guide_cancel_json.items():
        if field != "id":
            assert cancelled[field] == value, field
    assert [p["status"] for p in cancelled["payments"]] == ["REFUNDED"]


def test_cancel_voids_in_flight_and_refunds_taken_payments(engine: Engine) -> None:
    order = engine.create_order(NewOrder(payments=plan(1000, 945)))
    fire(engine, order.id, "payment_completed", "payment_started", "accept")
    before = engine.get_order(order.id)
    assert [p.status for p in before.payments] == [PaymentState.COMPLETED, PaymentState.PENDING]
    cancelled = engine.cancel(order.id, "Changed my mind")
    assert [(p.id, p.status, p.amount.amount) for p in cancelled.payments] == [
        (before.payments[0].id, PaymentState.REFUNDED, 1000),
        (before.payments[1].id, PaymentState.VOIDED, 945),
    ]
    assert states(cancelled) == ("CANCELLED", "UNPAID", "CANCELLED")
    assert (cancelled.total_paid.amount, cancelled.balance_due.amount) == (0, 1945)


def test_cancel_of_an_unpaid_order(engine: Engine) -> None:
    order = engine.create_order()
    cancelled = engine.cancel(order.id, "Oops")
    assert states(cancelled) == ("CANCELLED", "UNPAID", "CANCELLED")
    assert cancelled.payments == []


@pytest.mark.parametrize(
    ("events", "state_words"),
    [
        (("payment_completed", "accept", "start_preparing"), "fulfillment PREPARING"),
        (("payment_completed", "accept", "start_preparing", "ready"), "READY_FOR_PICKUP"),
        (("payment_completed", "accept", "start_preparing", "ready", "picked_up"), "COMPLETED"),
        (("void",), "status VOIDED"),
        (("payment_failed",), "status FAILED"),
    ],
)
def test_cancel_is_refused_once_preparing_or_final(
    engine: Engine, events: tuple[str, ...], state_words: str
) -> None:
    order = engine.create_order()
    before = fire(engine, order.id, *events)
    with pytest.raises(CancelNotAllowed) as caught:
        engine.cancel(order.id, "Too late")
    message = caught.value.message
    assert caught.value.status_code == 409
    assert state_words in message
    assert "contact the store" in message.lower()
    assert engine.get_order(order.id) == before


# -- time -----------------------------------------------------------------------------------


def test_updated_at_strictly_increases_even_when_the_clock_stands_still(
    engine: Engine,
) -> None:
    order = engine.create_order()
    stamps = [order.updated_at]
    for event in ("payment_started", "payment_completed", "accept"):
        stamps.append(engine.apply_event(order.id, event).updated_at)
    assert stamps == sorted(set(stamps))
    assert stamps[-1] - stamps[0] == timedelta(microseconds=3)


def test_updated_at_follows_the_clock(engine: Engine, clock: FakeClock) -> None:
    order = engine.create_order()
    clock.advance(90)
    assert engine.apply_event(order.id, "payment_completed").updated_at == START + timedelta(
        seconds=90
    )


def test_a_naive_clock_is_taken_as_utc() -> None:
    engine = Engine(clock=lambda: datetime(2026, 1, 1, 8, 0))
    assert engine.create_order().created_at == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


# -- listing --------------------------------------------------------------------------------


def _make(engine: Engine, clock: FakeClock, n: int, **fields: Any) -> list[Order]:
    orders = []
    for _ in range(n):
        orders.append(engine.create_order(NewOrder(**fields)))
        clock.advance(60)
    return orders


def test_list_is_newest_first_with_ids_breaking_ties(engine: Engine, clock: FakeClock) -> None:
    same_time = [engine.create_order() for _ in range(5)]
    clock.advance(1)
    newest = engine.create_order()
    page = engine.list_orders(limit=10)
    older = sorted((o.id for o in same_time), reverse=True)
    assert [o.id for o in page.data] == [newest.id, *older]
    assert page.pagination.has_more is False
    assert page.pagination.next_cursor is None


def test_list_filters_combine(engine: Engine, clock: FakeClock) -> None:
    other = "00000000-0000-4000-8000-00000000000a"
    orders = _make(engine, clock, 4)
    there = _make(engine, clock, 2, location_id=other)
    fire(engine, orders[0].id, "payment_completed", "accept")
    fire(engine, there[0].id, "payment_completed")
    found = engine.list_orders(OrderFilter(status=OS.CONFIRMED), limit=100).data
    assert {o.id for o in found} == {orders[0].id, there[0].id}
    found = engine.list_orders(
        OrderFilter(status=OS.CONFIRMED, fulfillment_status=FS.IN_PROGRESS), limit=100
    ).data
    assert [o.id for o in found] == [orders[0].id]
    found = engine.list_orders(OrderFilter(location_id=other), limit=100).data
    assert [o.id for o in found] == [there[1].id, there[0].id]
    assert all(not hasattr(o, "items") for o in found)


def test_date_filters_are_inclusive(engine: Engine, clock: FakeClock) -> None:
    orders = _make(engine, clock, 5)
    window = OrderFilter(date_from=orders[1].created_at, date_to=orders[3].created_at)
    found = engine.list_orders(window, limit=100).data
    assert [o.id for o in found] == [orders[3].id, orders[2].id, orders[1].id]
    found = engine.list_orders(window, limit=2).data
    assert [o.id for o in found] == [orders[3].id, orders[2].id]


def test_cursors_stay_correct_while_orders_are_added(engine: Engine, clock: FakeClock) -> None:
    orders = _make(engine, clock, 7)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = engine.list_orders(limit=3, cursor=cursor)
        seen += [o.id for o in page.data]
        _make(engine, clock, 2)  # newer orders arrive between pages
        if not page.pagination.has_more:
            break
        cursor = page.pagination.next_cursor
    assert seen == [o.id for o in reversed(orders)]


def test_cursor_is_opaque_base64_json(engine: Engine, clock: FakeClock) -> None:
    orders = _make(engine, clock, 3)
    page = engine.list_orders(limit=1)
    assert page.pagination.has_more is True
    cursor = page.pagination.next_cursor
    assert cursor is not None
    assert decode_cursor(cursor) == (orders[-1].created_at, orders[-1].id)
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded == {"created_at": orders[-1].created_at.isoformat(), "id": orders[-1].id}


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "!!!",
        "abc",
        _b64([1, 2]),
        _b64({"created_at": "2026-01-01T00:00:00Z"}),
        _b64({"created_at": "yesterday", "id": "f9a8b7c6-d5e4-3210-fedc-ba9876543210"}),
        _b64({"created_at": "2026-01-01T00:00:00", "id": "f9a8b7c6-d5e4-3210-fedc-ba9876543210"}),
        _b64({"created_at": "2026-01-01T00:00:00Z", "id": 7}),
        _b64({"created_at": "2026-01-01T00:00:00Z", "id": "x", "more": 1}),
        "A" * 600,
    ],
)
def test_bad_cursors_are_invalid_requests(engine: Engine, cursor: str) -> None:
    with pytest.raises(InvalidRequest, match="cursor"):
        engine.list_orders(cursor=cursor)


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_outside_1_to_100_is_invalid(engine: Engine, limit: int) -> None:
    with pytest.raises(InvalidRequest, match="limit"):
        engine.list_orders(limit=limit)


def test_encode_cursor_round_trips_other_offsets() -> None:
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    key = (moment, "f9a8b7c6-d5e4-3210-fedc-ba9876543210")
    assert decode_cursor(encode_cursor(key)) == key


# -- storage --------------------------------------------------------------------------------


def test_reset_empties_the_store(engine: Engine) -> None:
    engine.create_order()
    engine.create_order()
    assert engine.count() == 2
    assert engine.reset() == 2
    assert engine.count() == 0
    assert engine.list_orders().data == []


def test_sqlite_keeps_orders_and_plans_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "orders.db"
    first = Engine(SqliteStore(path))
    order = first.create_order(NewOrder(payments=plan(1000, 945)))
    fire(first, order.id, "payment_completed")
    first.store.close()
    second = Engine(SqliteStore(path), rng=random.Random(0))
    again = second.get_order(order.id)
    assert again.payment_status == PS.PARTIALLY_PAID
    assert second.apply_event(order.id, "payment_completed").payment_status == PS.PAID
    assert second.list_orders().data[0].id == order.id
    second.store.close()


def test_records_serialise_once_and_round_trip(engine: Engine) -> None:
    order = engine.create_order()
    record = engine.get_record(order.id)
    assert record.json is record.json
    clone = OrderRecord.from_json(record.json, None, record.plan)
    assert clone.order == order
    assert clone.summary_json == record.summary_json
    assert b'"items"' not in clone.summary_json


def test_memory_store_refuses_to_move_an_order_in_time() -> None:
    engine = Engine()
    order = engine.create_order()
    moved = order.model_copy(update={"created_at": order.created_at + timedelta(seconds=1)})
    with pytest.raises(ValueError, match="never changes"):
        engine.store.put(OrderRecord(moved))


def test_allowed_events_of_an_order(engine: Engine) -> None:
    order = engine.create_order()
    assert engine.allowed_events(order.id) == [
        EV.PAYMENT_STARTED,
        EV.PAYMENT_COMPLETED,
        EV.PAYMENT_FAILED,
        EV.VOID,
    ]


def test_sqlite_is_durable_and_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore(tmp_path / "durable.db")
    assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    engine = Engine(store)
    order = engine.create_order()

    def broken(record: object) -> None:
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(store, "_put_idempotency", broken)
    with pytest.raises(sqlite3.OperationalError):
        engine.cancel_record(order.id, "x", idempotency=("key", "fingerprint"))
    assert engine.get_order(order.id).status == OS.PENDING  # the order write rolled back
    store.close()


def test_an_id_rng_makes_every_id_reproducible() -> None:
    def ids(seed: int) -> list[str]:
        engine = Engine(clock=FakeClock(), id_rng=random.Random(seed))
        order = engine.create_order(None)
        order = engine.apply_event(order.id, LifecycleEvent.PAYMENT_COMPLETED)
        return [order.id, *(item.id for item in order.items), order.payments[0].id]

    first = ids(7)
    assert first == ids(7)
    assert first != ids(8)
    assert len(set(first)) == len(first)
    assert all(uuid_version(i) == 4 for i in first)


def uuid_version(value: str) -> int | None:
    import uuid

    return uuid.UUID(value).version
