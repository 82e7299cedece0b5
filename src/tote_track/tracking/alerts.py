"""The milestones that interrupt the customer, and what a notification about one says.

An order reaches a milestone when it becomes ready (ready for pickup; for delivery, ready for
the driver: the API's READY_FOR_PICKUP, the only state that says so), is handed over (picked
up, delivered), is cancelled, or fails (the payment failed, or it was called off). The tracker
tells the customer once per milestone: a notification on its screen and, through the
terminal, a desktop notification naming the order's code (``tui.desktop``).

Pure: the tracker hands in the order it showed and the one it received.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from tote_track.api.errors import printable
from tote_track.api.statuses import FulfillmentStatus, HandoffMode
from tote_track.tracking.stepper import Outcome, Progress, outcome_of

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import OrderSummary

__all__ = ["Alert", "Milestone", "alert_for", "milestone_of", "notification_text"]

FS = FulfillmentStatus


class Milestone(StrEnum):
    """A moment worth interrupting the customer for, in the order it comes."""

    READY = "ready"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"
    VOIDED = "voided"


_ENDINGS = {
    Outcome.FAILED: Milestone.FAILED,
    Outcome.VOIDED: Milestone.VOIDED,
    Outcome.CANCELLED: Milestone.CANCELLED,
}
_HANDOVERS = {
    FS.READY_FOR_PICKUP: Milestone.READY,
    FS.FULFILLED: Milestone.PICKED_UP,
    FS.DELIVERED: Milestone.DELIVERED,
}


def milestone_of(order: OrderSummary) -> Milestone | None:
    """The milestone ``order``'s state stands for; None while it is on the way there.

    Only what the API says: READY_FOR_PICKUP is ready (for the driver, for a delivery:
    no state says the driver has it), FULFILLED picked up, DELIVERED delivered. A
    RETURNED order was handed over before: no new milestone.
    """
    outcome = outcome_of(order)
    if outcome in _ENDINGS:
        return _ENDINGS[outcome]
    return _HANDOVERS.get(order.fulfillment_status)


_WHAT_HAPPENED = {
    Milestone.PICKED_UP: "was picked up",
    Milestone.DELIVERED: "was delivered",
    Milestone.CANCELLED: "was cancelled",
    Milestone.FAILED: "was not sent to the store: the payment didn't go through",
    Milestone.VOIDED: "was called off before payment",
}
_READY = {
    HandoffMode.DELIVERY: "is ready and waiting for the driver",
    HandoffMode.CURBSIDE: "is ready: park in a curbside spot",
    HandoffMode.KIOSK: "is ready at the kiosk",
}


def notification_text(order: OrderSummary, milestone: Milestone) -> str:
    """One sentence naming the order's code and what happened: ``Order F9A8B7 is ready
    for pickup.`` Printable (the code comes from the server's id)."""
    if milestone is Milestone.READY:
        what = _READY.get(order.handoff.mode, "is ready for pickup")
    else:
        what = _WHAT_HAPPENED[milestone]
    return printable(f"Order {order.short_code} {what}.")


@dataclass(frozen=True, slots=True)
class Alert:
    milestone: Milestone
    message: str
    """The headline, for the tracker's own notification (the customer's sentence)."""
    notification: str
    """The desktop notification's sentence, naming the order's code."""
    warning: bool
    """The order went off its happy path (cancelled, failed, ...)."""


def alert_for(previous: OrderSummary, order: OrderSummary, progress: Progress) -> Alert | None:
    """The alert for ``previous`` becoming ``order`` (whose progress is ``progress``) when
    it reached a new milestone; None otherwise (the first sight of an order is no news:
    the caller has no ``previous`` then)."""
    milestone = milestone_of(order)
    if milestone is None or milestone is milestone_of(previous):
        return None
    return Alert(
        milestone=milestone,
        message=progress.headline,
        notification=notification_text(order, milestone),
        warning=progress.ending is not None,
    )
