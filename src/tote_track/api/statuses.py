"""The order's statuses and the few rules about its values that need no validation library.

The tracker's first frame, ``tracking/`` and the screens import these without pydantic; the
models (``api.models``) build on them and re-export them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Self

__all__ = [
    "EARLIEST_MOMENT",
    "LATEST_MOMENT",
    "MAX_CANCEL_REASON",
    "FulfillmentStatus",
    "HandoffMode",
    "OrderStatus",
    "PaymentMethod",
    "PaymentState",
    "PaymentStatus",
    "TolerantEnum",
    "check_moment",
    "short_code",
]

# A UTC offset is less than a day, so a moment a day inside datetime's range can be shown in
# any zone; the second day leaves room for the hours the tracker adds to a date (deadlines).
EARLIEST_MOMENT = datetime(1, 1, 3, tzinfo=UTC)
"""The earliest date-time a model accepts (in UTC)."""
LATEST_MOMENT = datetime(9999, 12, 29, 23, 59, 59, 999999, tzinfo=UTC)
"""The latest date-time a model accepts (in UTC)."""
MAX_CANCEL_REASON = 500
"""The longest cancel reason the API takes, in characters (``models.CancelRequest``)."""


def check_moment(moment: datetime) -> datetime:
    """``moment`` itself if it can be shown in any local time zone, else ValueError.

    The one rule for dates from outside: the client's models and the sandbox's request
    bodies both call it. Accepted: aware date-times from :data:`EARLIEST_MOMENT` to
    :data:`LATEST_MOMENT`. The error does not quote the value (it came from outside).
    """
    utc: datetime | None = None
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        try:
            utc = moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 is in the year 0 in UTC
            utc = None
    if utc is None or not EARLIEST_MOMENT <= utc <= LATEST_MOMENT:
        raise ValueError(
            f"the date-time must be between {EARLIEST_MOMENT.date().isoformat()} and "
            f"{LATEST_MOMENT.date().isoformat()} (UTC), with a UTC offset"
        )
    return moment


def short_code(order_id: str) -> str:
    """The code customers and the board see: the id's first 6 characters, upper-cased.
    Known from the id alone, so the tracker shows it before the order arrives."""
    return order_id[:6].upper()


class TolerantEnum(StrEnum):
    """A string enum that accepts values it does not know.

    Unknown values become pseudo-members: instances of the enum that compare equal to
    their string, are not listed when iterating the enum, and report ``known`` False.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str) or not value:
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """True when this value is one the tracker was built with."""
        return self._name_ in type(self).__members__

    @property
    def label(self) -> str:
        """The value in words: ``READY_FOR_PICKUP`` -> ``Ready for pickup``."""
        return self.value.replace("_", " ").capitalize()


class OrderStatus(TolerantEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    VOIDED = "VOIDED"
    CANCELLED = "CANCELLED"


class PaymentStatus(TolerantEnum):
    UNPAID = "UNPAID"
    PROCESSING = "PROCESSING"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


class FulfillmentStatus(TolerantEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    PREPARING = "PREPARING"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


class PaymentState(TolerantEnum):
    """The status of one payment (the guide's payments guide)."""

    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    VOIDED = "VOIDED"
    REFUNDED = "REFUNDED"


class PaymentMethod(TolerantEnum):
    CREDIT_CARD = "CREDIT_CARD"
    DEBIT_CARD = "DEBIT_CARD"
    GIFT_CARD = "GIFT_CARD"
    CASH = "CASH"


class HandoffMode(TolerantEnum):
    PICKUP = "PICKUP"
    CURBSIDE = "CURBSIDE"
    KIOSK = "KIOSK"
    DELIVERY = "DELIVERY"
