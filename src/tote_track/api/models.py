"""Pydantic models of every object in the Tote order-tracking guide.

Two rules shape this module:

* Money is integer minor units plus a currency code; a float amount is rejected.
* A newer server must not crash an older tracker: unknown fields are kept
  (``extra="allow"``) and unknown enum values become "pseudo-members" of the enum
  (``OrderStatus("ON_HOLD")`` works, ``.known`` is False) instead of raising.

Every date-time of a model is a :data:`Moment`: one that can be shown in any local time zone
(:func:`check_moment`). ``9999-12-31T23:59:59Z`` is a valid ISO 8601 date-time, but in Tokyo
it is a moment of the year 10000, which ``datetime`` cannot hold: showing it would raise
OverflowError. Such a date is a validation error where it enters (the client's answer, the
sandbox's request), never a crash where it is shown.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from tote_track.api.statuses import (
    EARLIEST_MOMENT,
    LATEST_MOMENT,
    MAX_CANCEL_REASON,
    FulfillmentStatus,
    HandoffMode,
    OrderStatus,
    PaymentMethod,
    PaymentState,
    PaymentStatus,
    TolerantEnum,
    check_moment,
    short_code,
)

__all__ = [
    "EARLIEST_MOMENT",
    "LATEST_MOMENT",
    "MAX_CANCEL_REASON",
    "Address",
    "CancelRequest",
    "CancelResult",
    "ErrorBody",
    "ErrorEnvelope",
    "FulfillmentStatus",
    "Handoff",
    "HandoffMode",
    "Item",
    "KnownSummary",
    "Moment",
    "Money",
    "Order",
    "OrderStatus",
    "OrderSummary",
    "Page",
    "Pagination",
    "Payment",
    "PaymentMethod",
    "PaymentState",
    "PaymentStatus",
    "RowsPage",
    "TolerantEnum",
    "check_moment",
    "short_code",
]

Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
"""An aware date-time that can be shown in any local time zone (see :func:`check_moment`)."""


class _Wire(BaseModel):
    """Base of every wire model: immutable, and keeps fields it does not know."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Money(_Wire):
    """An amount in integer minor units (cents for USD) of ``currency``."""

    amount: StrictInt
    currency: Annotated[str, Field(min_length=3, max_length=3)]

    def __add__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def times(self, quantity: int) -> Money:
        return Money(amount=self.amount * quantity, currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=0, currency=currency)

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")


class Item(_Wire):
    id: str
    name: str
    quantity: StrictInt
    item_total: Money
    unit_price: Money | None = None


class Payment(_Wire):
    id: str
    status: PaymentState
    payment_method: PaymentMethod
    amount: Money


class Address(_Wire):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Handoff(_Wire):
    mode: HandoffMode
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    vehicle_color: str | None = None
    delivery_address: Address | None = None
    delivery_instructions: str | None = None


class OrderSummary(_Wire):
    """An order as ``GET /orders`` lists it: everything but ``items`` and ``payments``."""

    id: str
    cart_id: str | None = None
    location_id: str
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    handoff: Handoff
    subtotal: Money
    total_tax: Money
    total_discount: Money
    total: Money
    total_paid: Money
    balance_due: Money
    created_at: Moment
    updated_at: Moment

    @property
    def short_code(self) -> str:
        """The code customers and the board see (see :func:`short_code`)."""
        return short_code(self.id)


class KnownSummary(OrderSummary):
    """An order summary that keeps no top-level field this version does not know: for a
    listing that shows none (``tote-track list``'s table), so 100,000 summaries with 60 KB
    of unknown fields each do not become 6 GB."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Order(OrderSummary):
    """The full order of ``GET /orders/{order_id}``."""

    items: list[Item]
    payments: list[Payment]


class CancelRequest(_Wire):
    reason: Annotated[str, Field(min_length=1, max_length=MAX_CANCEL_REASON)]


class CancelResult(_Wire):
    """The body of a successful cancel, as small as the guide's example response.

    A server may send the whole order; the extra fields are kept.
    """

    id: str
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    total_paid: Money
    balance_due: Money


class Pagination(_Wire):
    has_more: bool
    next_cursor: str | None = None


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(_Wire, Generic[ItemT]):
    data: list[ItemT]
    pagination: Pagination


class RowsPage(_Wire):
    """A page whose rows are not validated yet (each is validated on its own)."""

    data: list[Any]
    pagination: Pagination


class ErrorBody(_Wire):
    code: str
    message: str
    request_id: str | None = None


class ErrorEnvelope(_Wire):
    error: ErrorBody
