"""Which changes of an order interrupt the customer (a notification and the bell).

Pure: the tracker hands in the order it showed and the one it received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tote_track.api.statuses import FulfillmentStatus, OrderStatus
from tote_track.tracking.stepper import Outcome, Progress

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import OrderSummary

__all__ = ["ALERT_FULFILLMENT", "ALERT_STATUS", "Alert", "alert_for"]

ALERT_FULFILLMENT = frozenset(
    {FulfillmentStatus.READY_FOR_PICKUP, FulfillmentStatus.DELIVERED, FulfillmentStatus.CANCELLED}
)
ALERT_STATUS = frozenset({OrderStatus.CANCELLED, OrderStatus.FAILED})


@dataclass(frozen=True, slots=True)
class Alert:
    message: str
    warning: bool
    """The order went off its happy path (cancelled, failed, ...)."""


def alert_for(previous: OrderSummary, order: OrderSummary, progress: Progress) -> Alert | None:
    """The alert for ``previous`` becoming ``order`` (whose progress is ``progress``), if the
    change is worth interrupting the customer for: ready, delivered, cancelled, failed."""
    became = (
        order.fulfillment_status != previous.fulfillment_status
        and order.fulfillment_status in ALERT_FULFILLMENT
    ) or (order.status != previous.status and order.status in ALERT_STATUS)
    if not became:
        return None
    return Alert(progress.headline, warning=progress.outcome not in (None, Outcome.COMPLETED))
