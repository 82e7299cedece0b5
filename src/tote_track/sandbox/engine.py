"""The sandbox's order book: every rule of the API, independent of HTTP.

The state machines, cancel eligibility and the payment aggregate come from
:mod:`tote_track.tracking.lifecycle`; this module applies them to stored orders:

* Totals: ``item_total = unit_price x quantity``, ``subtotal`` their sum, tax at the
  location's rate in basis points rounded half up (8.25% unless configured), no discounts.
* Payments named at creation are a plan; they join ``payments`` when submitted. With no
  plan left, payment events use one CREDIT_CARD payment for what is still due.
* ``updated_at`` moves on every change and strictly increases per order, even when the
  clock repeats itself.

Every method is synchronous and runs under one lock, so an operation (a cancel and its
refunds) happens exactly once however many requests race for it, from any thread. Writes go
through the store before the method returns.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import re
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
)

from tote_track.api.models import (
    Address,
    FulfillmentStatus,
    Handoff,
    HandoffMode,
    Item,
    Money,
    Order,
    OrderStatus,
    OrderSummary,
    Page,
    Pagination,
    Payment,
    PaymentMethod,
    PaymentState,
    PaymentStatus,
    check_moment,
)
from tote_track.sandbox.errors import (
    CancelNotAllowed,
    EventNotAllowed,
    InvalidRequest,
    OrderNotFound,
)
from tote_track.sandbox.faults import WHOLE, Faults
from tote_track.sandbox.idempotency import IdempotencyKeys
from tote_track.sandbox.journal import Journal
from tote_track.sandbox.scripts import Scripts
from tote_track.sandbox.store import (
    IdempotencyRecord,
    MemoryStore,
    OrderFilter,
    OrderRecord,
    OrderStore,
    PlannedPayment,
    SortKey,
)
from tote_track.tracking.lifecycle import (
    IN_FLIGHT_PAYMENT_STATES,
    PAID_PAYMENT_STATES,
    LifecycleEvent,
    allowed_events,
    balance_not_in_flight,
    can_transition_fulfillment,
    can_transition_order,
    cancel_eligibility,
    events_allowed_for,
    is_terminal,
    payment_status_of,
    settled_on_cancel,
    total_paid_amount,
)

__all__ = [
    "DEFAULT_LOCATION_ID",
    "DEFAULT_TAX_BPS",
    "AutoplayRequest",
    "Engine",
    "EventRequest",
    "ListPage",
    "MoneyInput",
    "NewAddress",
    "NewHandoff",
    "NewItem",
    "NewOrder",
    "NewPayment",
    "decode_cursor",
    "encode_cursor",
    "is_uuid",
]

DEFAULT_LOCATION_ID = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
DEFAULT_TAX_BPS = 825
"""8.25%: the guide's example (1797 subtotal, 148 tax, 1945 total) at this rate."""

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
UUID_PATTERN = _UUID.pattern


def is_uuid(value: str) -> bool:
    """True for a UUID in its usual 36-character form (any case)."""
    return _UUID.fullmatch(value) is not None


# ---------------------------------------------------------------------------------------
# Request bodies of the control endpoints.


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text_only(value: object) -> object:
    """A date-time must be written as text (not a number of seconds)."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


class MoneyInput(_Input):
    amount: Annotated[int, Field(ge=1, le=10_000_000), WHOLE] = Field(
        description="Integer minor units (cents for USD)."
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        default="USD", description="ISO 4217 code."
    )

    def money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class NewItem(_Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Annotated[int, Field(ge=1, le=999), WHOLE] = 1
    unit_price: MoneyInput


class NewPayment(_Input):
    amount: MoneyInput
    payment_method: PaymentMethod = PaymentMethod.CREDIT_CARD

    @field_validator("payment_method")
    @classmethod
    def _known_method(cls, value: PaymentMethod) -> PaymentMethod:
        if not value.known:
            raise ValueError(f"unknown payment method {value.value!r}")
        return value


class NewAddress(_Input):
    line1: Annotated[str, Field(max_length=200)] | None = None
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(max_length=2)] | None = None


class NewHandoff(_Input):
    mode: HandoffMode
    vehicle_make: Annotated[str, Field(max_length=50)] | None = None
    vehicle_model: Annotated[str, Field(max_length=50)] | None = None
    vehicle_color: Annotated[str, Field(max_length=50)] | None = None
    delivery_address: NewAddress | None = None
    delivery_instructions: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: HandoffMode) -> HandoffMode:
        if not value.known:
            raise ValueError(f"unknown handoff mode {value.value!r}")
        return value

    def handoff(self) -> Handoff:
        data = self.model_dump(exclude_none=True)
        if self.delivery_address is not None:
            data["delivery_address"] = Address(**self.delivery_address.model_dump())
        return Handoff(**data)


class AutoplayRequest(_Input):
    scenario: Annotated[str, Field(min_length=1, max_length=50)]
    speed: Annotated[float, Strict(), Field(gt=0, le=1000)] = 1.0


def _guide_handoff() -> NewHandoff:
    return NewHandoff(
        mode=HandoffMode.CURBSIDE,
        vehicle_make="Toyota",
        vehicle_model="Camry",
        vehicle_color="Silver",
    )


def _guide_items() -> list[NewItem]:
    return [
        NewItem(name="Build Your Own Sub Sandwich", quantity=1, unit_price=MoneyInput(amount=1399)),
        NewItem(name="Bottled Water", quantity=2, unit_price=MoneyInput(amount=199)),
    ]


class NewOrder(_Input):
    """The body of ``POST /sandbox/orders``. Every field is optional: by default, an order
    like the guide's example (curbside, a silver Toyota Camry, a sub and two waters)."""

    location_id: Annotated[str, Field(pattern=UUID_PATTERN)] = DEFAULT_LOCATION_ID
    handoff: NewHandoff = Field(default_factory=_guide_handoff)
    items: Annotated[list[NewItem], Field(min_length=1, max_length=100)] = Field(
        default_factory=_guide_items
    )
    payments: Annotated[list[NewPayment], Field(max_length=10)] = Field(
        default_factory=list,
        description="Planned (split) payments; each joins `payments` when submitted.",
    )
    created_at: (
        Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(check_moment)] | None
    ) = None
    autoplay: AutoplayRequest | None = Field(
        default=None, description="Drive the order through a scripted scenario."
    )


class EventRequest(_Input):
    """The body of ``POST /sandbox/orders/{order_id}/events``."""

    type: LifecycleEvent


# ---------------------------------------------------------------------------------------
# Cursors.


def encode_cursor(key: SortKey) -> str:
    """An opaque cursor: URL-safe base64 of ``{"created_at": ..., "id": ...}``."""
    created_at, order_id = key
    raw = json.dumps(
        {"created_at": created_at.astimezone(UTC).isoformat(), "id": order_id},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_CURSOR_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,512}$")


def decode_cursor(cursor: str) -> SortKey:
    """The position a cursor names, or :class:`InvalidRequest`."""
    problem = InvalidRequest(
        "The cursor is not one this server issued; pass the next_cursor of a previous "
        "page unchanged."
    )
    if not _CURSOR_CHARS.fullmatch(cursor):
        raise problem
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        created_at = datetime.fromisoformat(data["created_at"])
        order_id = data["id"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise problem from exc
    if (
        not isinstance(order_id, str)
        or not is_uuid(order_id)
        or created_at.tzinfo is None
        or set(data) != {"created_at", "id"}
    ):
        raise problem
    return (created_at.astimezone(UTC), order_id.lower())


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of ``GET /orders``."""

    records: Sequence[OrderRecord]
    has_more: bool
    next_cursor: str | None

    def json(self) -> bytes:
        """The response body, assembled from each order's cached summary JSON."""
        pagination = json.dumps({"has_more": self.has_more, "next_cursor": self.next_cursor})
        return b"".join(
            (
                b'{"data":[',
                b",".join(record.summary_json for record in self.records),
                b'],"pagination":',
                pagination.encode(),
                b"}",
            )
        )

    def page(self) -> Page[OrderSummary]:
        return Page[OrderSummary](
            data=[OrderSummary.model_validate_json(r.summary_json) for r in self.records],
            pagination=Pagination(has_more=self.has_more, next_cursor=self.next_cursor),
        )


# ---------------------------------------------------------------------------------------
# The engine.

OS = OrderStatus
FS = FulfillmentStatus
EV = LifecycleEvent
_MICROSECOND = timedelta(microseconds=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """All orders and every rule of the sandbox API.

    ``rng`` draws the injected faults, ``sleep`` waits their latency, ``tax_bps`` maps
    location ids to their sales tax in basis points. ``id_rng`` makes the ids of new
    orders, items and payments reproducible (screenshots, seeded demos); by default
    they are random UUIDs.
    """

    def __init__(
        self,
        store: OrderStore | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        tax_bps: Mapping[str, int] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        id_rng: random.Random | None = None,
    ) -> None:
        self._id_rng = id_rng
        self.store: OrderStore = store if store is not None else MemoryStore()
        self._clock = clock or _utc_now
        self.rng = rng if rng is not None else random.Random()
        self._tax_bps = dict(tax_bps or {})
        self._lock = threading.RLock()
        self.faults = Faults(clock=self.now, rng=self.rng, sleep=sleep)
        self.idempotency = IdempotencyKeys(self.store, clock=self.now, lock=self._lock)
        self.journal = Journal()
        self.scripts = Scripts(sleep=sleep)

    # -- time and money -----------------------------------------------------------------

    def now(self) -> datetime:
        """The injected clock's time, in UTC."""
        moment = self._clock()
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def tax_bps(self, location_id: str) -> int:
        """The location's sales tax in basis points (825 = 8.25%)."""
        return self._tax_bps.get(location_id, DEFAULT_TAX_BPS)

    def _touched(self, previous: datetime) -> datetime:
        return max(self.now(), previous + _MICROSECOND)

    # -- reading ------------------------------------------------------------------------

    def get_record(self, order_id: str) -> OrderRecord:
        with self._lock:
            record = self.store.get(order_id.lower())
        if record is None:
            raise OrderNotFound(order_id)
        return record

    def get_order(self, order_id: str) -> Order:
        return self.get_record(order_id).order

    def list_page(
        self,
        filters: OrderFilter | None = None,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> ListPage:
        """A page of orders, newest first (``created_at`` then ``id``), after ``cursor``."""
        if not 1 <= limit <= 100:
            raise InvalidRequest(f"The limit must be between 1 and 100; got {limit}.")
        before = decode_cursor(cursor) if cursor is not None else None
        with self._lock:
            records = self.store.page(filters or OrderFilter(), before=before, limit=limit + 1)
        has_more = len(records) > limit
        records = records[:limit]
        next_cursor = encode_cursor(records[-1].key) if has_more else None
        return ListPage(records=records, has_more=has_more, next_cursor=next_cursor)

    def list_orders(
        self,
        filters: OrderFilter | None = None,
        *,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[OrderSummary]:
        return self.list_page(filters, limit=limit, cursor=cursor).page()

    def allowed_events(self, order_id: str) -> list[LifecycleEvent]:
        return events_allowed_for(self.get_order(order_id))

    def count(self) -> int:
        with self._lock:
            return self.store.count()

    # -- creating -----------------------------------------------------------------------

    def create_order(self, body: NewOrder | None = None) -> Order:
        """A new order at PENDING / UNPAID / PENDING."""
        body = body if body is not None else NewOrder()
        currency = body.items[0].unit_price.currency
        currencies = {item.unit_price.currency for item in body.items}
        currencies |= {payment.amount.currency for payment in body.payments}
        if currencies != {currency}:
            raise InvalidRequest(
                "All prices and payments of an order must use one currency; got "
                + ", ".join(sorted(currencies))
                + "."
            )
        items = [
            Item(
                id=self._new_id(),
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price.money(),
                item_total=item.unit_price.money().times(item.quantity),
            )
            for item in body.items
        ]
        subtotal = sum(item.item_total.amount for item in items)
        location_id = body.location_id.lower()
        tax = (subtotal * self.tax_bps(location_id) + 5_000) // 10_000
        total = subtotal + tax
        planned = sum(payment.amount.amount for payment in body.payments)
        if planned > total:
            raise InvalidRequest(
                f"The planned payments add up to {planned}, more than the order total of "
                f"{total} ({currency} minor units)."
            )
        created_at = body.created_at.astimezone(UTC) if body.created_at else self.now()

        def money(amount: int) -> Money:
            return Money(amount=amount, currency=currency)

        order = Order(
            id=self._new_id(),
            cart_id=self._new_id(),
            location_id=location_id,
            status=OS.PENDING,
            payment_status=PaymentStatus.UNPAID,
            fulfillment_status=FS.PENDING,
            items=items,
            payments=[],
            handoff=body.handoff.handoff(),
            subtotal=money(subtotal),
            total_tax=money(tax),
            total_discount=money(0),
            total=money(total),
            total_paid=money(0),
            balance_due=money(total),
            created_at=created_at,
            updated_at=created_at,
        )
        plan = [PlannedPayment(p.amount.money(), p.payment_method) for p in body.payments]
        record = OrderRecord(order, plan)
        with self._lock:
            self.store.put(record)
        return order

    # -- changing -----------------------------------------------------------------------

    def _changed(
        self,
        record: OrderRecord,
        *,
        status: OrderStatus | None = None,
        fulfillment: FulfillmentStatus | None = None,
        payments: list[Payment] | None = None,
        plan: Sequence[PlannedPayment] | None = None,
    ) -> OrderRecord:
        """The record with the changes applied and every derived field recomputed."""
        order = record.order
        payments = list(order.payments) if payments is None else payments
        paid = total_paid_amount(payments)
        currency = order.total.currency
        update: dict[str, Any] = {
            "payments": payments,
            "payment_status": payment_status_of(payments, order.total.amount),
            "total_paid": Money(amount=paid, currency=currency),
            "balance_due": Money(amount=max(order.total.amount - paid, 0), currency=currency),
            "updated_at": self._touched(order.updated_at),
        }
        if status is not None and status != order.status:
            if not can_transition_order(order.status, status):  # pragma: no cover - guard
                raise AssertionError(f"status {order.status} cannot become {status}")
            update["status"] = status
        if fulfillment is not None and fulfillment != order.fulfillment_status:
            if not can_transition_fulfillment(
                order.fulfillment_status, fulfillment
            ):  # pragma: no cover - guard
                raise AssertionError(f"fulfillment {order.fulfillment_status} -> {fulfillment}")
            update["fulfillment_status"] = fulfillment
        return OrderRecord(order.model_copy(update=update), record.plan if plan is None else plan)

    def _submit_next(
        self, record: OrderRecord, state: PaymentState
    ) -> tuple[Payment, tuple[PlannedPayment, ...]] | None:
        """The next payment to submit: the plan's next, or a card for what is still due."""
        order = record.order
        if record.plan:
            planned, rest = record.plan[0], record.plan[1:]
            return self._payment(planned.amount, planned.payment_method, state), rest
        outstanding = balance_not_in_flight(order)
        if outstanding <= 0:
            return None
        amount = Money(amount=outstanding, currency=order.total.currency)
        return self._payment(amount, PaymentMethod.CREDIT_CARD, state), ()

    def _new_id(self) -> str:
        if self._id_rng is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))

    def _payment(self, amount: Money, method: PaymentMethod, state: PaymentState) -> Payment:
        return Payment(id=self._new_id(), status=state, payment_method=method, amount=amount)

    @staticmethod
    def _state_words(order: Order) -> str:
        return (
            f"status {order.status.value}, payment {order.payment_status.value}, "
            f"fulfillment {order.fulfillment_status.value}"
        )

    def apply_event(self, order_id: str, event: LifecycleEvent | str) -> Order:
        """Move an order along the guide's state machines (the control API's events)."""
        try:
            event = LifecycleEvent(event)
        except ValueError:
            names = ", ".join(e.value for e in LifecycleEvent)
            raise InvalidRequest(f"Unknown event {event!r}; use one of: {names}.") from None
        with self._lock:
            record = self.get_record(order_id)
            order = record.order
            allowed = allowed_events(
                order.status, order.payment_status, order.fulfillment_status, order.handoff.mode
            )
            if event not in allowed:
                can = ", ".join(e.value for e in allowed) or "none (the order is final)"
                raise EventNotAllowed(
                    f"Event {event.value} is not allowed while the order is at "
                    f"{self._state_words(order)}; allowed now: {can}."
                )
            changed = self._apply(record, event)
            self.store.put(changed)
            return changed.order

    def _apply(self, record: OrderRecord, event: LifecycleEvent) -> OrderRecord:
        order = record.order
        payments = list(order.payments)
        in_flight = [i for i, p in enumerate(payments) if p.status in IN_FLIGHT_PAYMENT_STATES]

        def settle(index: int, state: PaymentState) -> None:
            payments[index] = payments[index].model_copy(update={"status": state})

        if event == EV.PAYMENT_STARTED:
            submitted = self._submit_next(record, PaymentState.PENDING)
            if submitted is None:
                raise EventNotAllowed(
                    "A payment covering the whole balance is already being processed "
                    f"(order at {self._state_words(order)}); complete or fail it first."
                )
            payment, plan = submitted
            return self._changed(record, payments=[*payments, payment], plan=plan)
        if event == EV.PAYMENT_COMPLETED:
            plan = record.plan
            if in_flight:
                settle(in_flight[0], PaymentState.COMPLETED)
            else:
                submitted = self._submit_next(record, PaymentState.COMPLETED)
                assert submitted is not None  # not PAID and nothing in flight: something is due
                payment, plan = submitted
                payments.append(payment)
            return self._changed(record, status=OS.CONFIRMED, payments=payments, plan=plan)
        if event == EV.PAYMENT_FAILED:
            plan = record.plan
            if in_flight:
                for index in in_flight:
                    settle(index, PaymentState.FAILED)
            else:
                submitted = self._submit_next(record, PaymentState.FAILED)
                assert submitted is not None
                payment, plan = submitted
                payments.append(payment)
            if any(p.status in PAID_PAYMENT_STATES for p in payments):  # pragma: no cover
                return self._changed(record, payments=payments, plan=plan)
            return self._changed(
                record, status=OS.FAILED, fulfillment=FS.CANCELLED, payments=payments, plan=()
            )
        if event == EV.VOID:
            for index in in_flight:
                settle(index, PaymentState.VOIDED)
            return self._changed(
                record, status=OS.VOIDED, fulfillment=FS.CANCELLED, payments=payments, plan=()
            )
        if event == EV.STORE_CANCEL:
            return self._cancelled(record)
        moves: dict[LifecycleEvent, tuple[OrderStatus | None, FulfillmentStatus]] = {
            EV.ACCEPT: (None, FS.IN_PROGRESS),
            EV.START_PREPARING: (None, FS.PREPARING),
            EV.READY: (None, FS.READY_FOR_PICKUP),
            EV.PICKED_UP: (OS.COMPLETED, FS.FULFILLED),
            EV.DELIVERED: (OS.COMPLETED, FS.DELIVERED),
            EV.RETURNED: (None, FS.RETURNED),
        }
        status, fulfillment = moves[event]
        return self._changed(record, status=status, fulfillment=fulfillment)

    def _cancelled(self, record: OrderRecord) -> OrderRecord:
        """Cancelled by the customer or the store: void what was not taken, refund the rest."""
        payments = [
            p.model_copy(update={"status": settled_on_cancel(p.status)})
            for p in record.order.payments
        ]
        return self._changed(
            record, status=OS.CANCELLED, fulfillment=FS.CANCELLED, payments=payments, plan=()
        )

    def cancel(self, order_id: str, reason: str) -> Order:
        """The customer's cancel (``POST /orders/{order_id}/cancel``)."""
        return self.cancel_record(order_id, reason).order

    def cancel_record(
        self,
        order_id: str,
        reason: str,
        *,
        idempotency: tuple[str, str] | None = None,
    ) -> OrderRecord:
        """Cancel, keeping the response under ``(key, fingerprint)`` in the same write."""
        del reason  # accepted and validated; the API does not show it back
        with self._lock:
            record = self.get_record(order_id)
            order = record.order
            eligibility = cancel_eligibility(order)
            if not eligibility.allowed:
                # Short enough to be read whole (a client keeps 200 characters of it).
                why = "it has already ended" if is_terminal(order) else "preparation has begun"
                raise CancelNotAllowed(
                    f"Order {order.short_code} cannot be cancelled at "
                    f"{self._state_words(order)}: {why}; contact the store for help."
                )
            changed = self._cancelled(record)
            kept: IdempotencyRecord | None = None
            if idempotency is not None:
                kept = self.idempotency.record(*idempotency, 200, changed.json)
            self.store.put(changed, idempotency=kept)
            return changed

    def reset(self) -> int:
        """Delete every order, idempotency key and script; returns how many orders there
        were. The request journal stays (``DELETE /sandbox/requests`` clears it)."""
        with self._lock:
            self.scripts.clear()
            return self.store.clear()
