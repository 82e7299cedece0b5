"""The customer's view of an order: the progress steps and a sentence about where it is.

``fulfillment_status`` drives the stepper (the guide: "the field your customer-facing UI
should display most prominently"); ``status`` and ``payment_status`` decide the words while
the order waits for payment and how an order that left the happy path ended.

Step times are the truth or nothing: Placed is the order's ``created_at``, the step the
order is at now (or its ending) its ``updated_at``, a step the tracker saw the order reach
the moment it saw it (``record_seen``), and any other step no time. An order opened
mid-way therefore shows no time for the steps it passed before it was opened.

Pure: times come from the order and from the ``seen`` map the caller keeps with
``record_seen``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tote_track.api.statuses import FulfillmentStatus, HandoffMode, OrderStatus, PaymentStatus
from tote_track.tracking.presentation import (
    format_money,
    return_money_words,
    street_address,
    vehicle_description,
)

if TYPE_CHECKING:  # the models (pydantic) load with the first order, not before
    from tote_track.api.models import OrderSummary

__all__ = [
    "Outcome",
    "Progress",
    "Seen",
    "Step",
    "StepState",
    "Tone",
    "outcome_of",
    "progress_of",
    "record_seen",
    "steps_for",
]

FS = FulfillmentStatus


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class Step:
    status: FulfillmentStatus
    label: str
    state: StepState
    seen_at: datetime | None
    """When the order reached this step, if known: ``Placed`` the order's ``created_at``,
    the current step its ``updated_at``, a step the tracker saw the order reach the moment
    it saw it; None for any other."""


class Outcome(StrEnum):
    """How an order ended."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    FAILED = "failed"
    VOIDED = "voided"


class Tone(StrEnum):
    """How the headline reads: a good end, a bad one, or still under way (a return after
    completion is neither good nor bad news: ongoing)."""

    GOOD = "good"
    BAD = "bad"
    ONGOING = "ongoing"


OFF_PATH_ENDINGS: dict[Outcome, str] = {
    Outcome.CANCELLED: "Cancelled",
    Outcome.FAILED: "Payment failed",
    Outcome.VOIDED: "Called off",
    Outcome.RETURNED: "Returned",
}
"""The endings that leave the steps' path, and the word that takes the remaining steps'
place."""


@dataclass(frozen=True, slots=True)
class Progress:
    steps: tuple[Step, ...]
    headline: str
    """One sentence for the customer: "Your order is being prepared." """
    detail: str
    """A second sentence or two (may be ""): what happens next, what to do, what it cost."""
    outcome: Outcome | None
    """How the order ended; None while it is still under way."""
    finished: bool
    """True once nothing more will happen for the customer (the outcome is known)."""
    ended_at: datetime | None = None
    """When the order ended (its ``updated_at``), for the outcome; None while under way."""

    @property
    def tone(self) -> Tone:
        if self.outcome is Outcome.COMPLETED:
            return Tone.GOOD
        if self.outcome is not None and self.outcome is not Outcome.RETURNED:
            return Tone.BAD
        return Tone.ONGOING

    @property
    def ending(self) -> str | None:
        """The word of an off-path ending ("Cancelled"), shown instead of the steps that
        will never come; None while under way or when completed."""
        return OFF_PATH_ENDINGS.get(self.outcome) if self.outcome is not None else None

    @property
    def current(self) -> Step | None:
        return next((s for s in self.steps if s.state is StepState.CURRENT), None)

    @property
    def done(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.state is StepState.DONE)

    @property
    def upcoming(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.state is StepState.UPCOMING)


_COLLECTION_STEPS: tuple[tuple[FulfillmentStatus, str], ...] = (
    (FS.PENDING, "Placed"),
    (FS.IN_PROGRESS, "Accepted"),
    (FS.PREPARING, "Preparing"),
    (FS.READY_FOR_PICKUP, "Ready for pickup"),
    (FS.FULFILLED, "Picked up"),
)
_DELIVERY_STEPS: tuple[tuple[FulfillmentStatus, str], ...] = (
    (FS.PENDING, "Placed"),
    (FS.IN_PROGRESS, "Accepted"),
    (FS.PREPARING, "Preparing"),
    # The guide has no "the driver has it" state: READY_FOR_PICKUP is "assembled and
    # waiting", for the driver here.
    (FS.READY_FOR_PICKUP, "Ready for the driver"),
    (FS.DELIVERED, "Delivered"),
)
# Where each on-path fulfillment status sits in either list of steps. FULFILLED and
# DELIVERED are both the handoff, whatever the mode says.
_POSITION: Mapping[FulfillmentStatus, int] = {
    FS.PENDING: 0,
    FS.IN_PROGRESS: 1,
    FS.PREPARING: 2,
    FS.READY_FOR_PICKUP: 3,
    FS.FULFILLED: 4,
    FS.DELIVERED: 4,
}
_PREPARATION_STARTED = frozenset({FS.PREPARING, FS.READY_FOR_PICKUP})

_SETTLED = "You won't be charged: anything already paid is refunded in full."

Seen = Mapping[FulfillmentStatus, datetime]
"""The fulfillment statuses the tracker saw the order at, each with its time: for the one
the order was at when first loaded, the order's ``updated_at`` then (the API's time of its
current status); for each later one, the moment the tracker saw the order arrive there."""


def steps_for(mode: HandoffMode) -> tuple[tuple[FulfillmentStatus, str], ...]:
    """The stepper's steps for a handoff mode; a mode this version does not know: pickup's."""
    return _DELIVERY_STEPS if mode == HandoffMode.DELIVERY else _COLLECTION_STEPS


def record_seen(
    seen: Seen, order: OrderSummary, now: datetime
) -> dict[FulfillmentStatus, datetime]:
    """``seen`` plus the order's fulfillment status if it is new: stamped ``now`` (the
    moment the tracker saw the change), or on the first load (``seen`` empty) the order's
    ``updated_at`` (it was already there; the tracker did not see it get there). The first
    sighting of each status is kept. The input is not modified."""
    updated = dict(seen)
    updated.setdefault(order.fulfillment_status, now if seen else order.updated_at)
    return updated


def progress_of(order: OrderSummary, seen: Seen | None = None) -> Progress:
    """Steps, headline and outcome of ``order``.

    ``seen`` (from ``record_seen``) stamps the steps the tracker saw the order reach and
    tells how far an order got before it was cancelled, so the stepper can say who stopped
    it.
    """
    seen = seen or {}
    outcome = outcome_of(order)
    fulfillment = order.fulfillment_status
    if outcome in (Outcome.COMPLETED, Outcome.RETURNED):
        reached, current = 4, None
    elif outcome is None and fulfillment in _POSITION:
        reached = current = _POSITION[fulfillment]
    else:
        # Off the path (cancelled, failed, voided) or a status this version does not
        # know: the steps it was seen at are done; nothing is current.
        reached, current = _furthest_seen(seen), None
    steps = tuple(
        Step(
            status=status,
            label=label,
            state=_state(index, reached, current),
            seen_at=_seen_at(status, order, seen, outcome) if index <= reached else None,
        )
        for index, (status, label) in enumerate(steps_for(order.handoff.mode))
    )
    headline, detail = _words(order, outcome, seen)
    return Progress(
        steps=steps,
        headline=headline,
        detail=detail,
        outcome=outcome,
        finished=outcome is not None,
        ended_at=order.updated_at if outcome is not None else None,
    )


def outcome_of(order: OrderSummary) -> Outcome | None:
    """How ``order`` ended (None while it is under way)."""
    status, fulfillment = order.status, order.fulfillment_status
    if status == OrderStatus.FAILED:
        return Outcome.FAILED
    if status == OrderStatus.VOIDED:
        return Outcome.VOIDED
    if status == OrderStatus.CANCELLED or fulfillment == FS.CANCELLED:
        return Outcome.CANCELLED
    if fulfillment == FS.RETURNED:
        return Outcome.RETURNED
    if status == OrderStatus.COMPLETED:
        return Outcome.COMPLETED
    return None


def _furthest_seen(seen: Seen) -> int:
    return max((_POSITION[s] for s in seen if s in _POSITION), default=0)


def _state(index: int, reached: int, current: int | None) -> StepState:
    if index == current:
        return StepState.CURRENT
    if index <= reached:
        return StepState.DONE
    return StepState.UPCOMING


def _seen_at(
    status: FulfillmentStatus, order: OrderSummary, seen: Seen, outcome: Outcome | None
) -> datetime | None:
    """The truth or nothing: ``created_at``, ``updated_at`` for the status the order is at
    (unless it went on to an ending, which takes that time), or when the tracker saw it."""
    if status == FS.PENDING:
        return order.created_at
    at_now = _POSITION.get(status) == _POSITION.get(order.fulfillment_status)
    if at_now and outcome in (None, Outcome.COMPLETED):
        return order.updated_at
    return seen.get(status)


def _words(order: OrderSummary, outcome: Outcome | None, seen: Seen) -> tuple[str, str]:
    if outcome is not None:
        return _ending_words(order, outcome, seen)
    if order.status == OrderStatus.PENDING:
        return _payment_words(order)
    return _fulfillment_words(order)


def _ending_words(order: OrderSummary, outcome: Outcome, seen: Seen) -> tuple[str, str]:
    if outcome is Outcome.FAILED:
        return (
            "Your payment didn't go through.",
            "The order was not sent to the store, and you have not been charged.",
        )
    if outcome is Outcome.VOIDED:
        return ("This order was called off before payment.", "You have not been charged.")
    if outcome is Outcome.CANCELLED:
        reached = {s for s in seen if s in _POSITION}
        if reached & _PREPARATION_STARTED:
            # Only the store can cancel once preparation began; the API does not say why.
            return (
                "The store cancelled your order.",
                f"It was cancelled after the store started preparing it. {_SETTLED}",
            )
        if reached:
            return (
                "Your order was cancelled.",
                f"It was cancelled before the store started preparing it. {_SETTLED}",
            )
        return ("Your order was cancelled.", _SETTLED)
    if outcome is Outcome.RETURNED:
        return ("Your order was returned.", return_money_words(order))
    if order.fulfillment_status == FS.FULFILLED:
        return ("Picked up. Enjoy!", "Thanks for your order.")
    if order.fulfillment_status == FS.DELIVERED:
        return ("Delivered. Enjoy!", "Thanks for your order.")
    return ("Your order is complete.", "Thanks for your order.")


def _payment_words(order: OrderSummary) -> tuple[str, str]:
    payment = order.payment_status
    if payment == PaymentStatus.PAID:
        return ("Payment received.", "Confirming your order with the store.")
    headline = "Waiting for your payment to go through."
    if payment == PaymentStatus.UNPAID:
        return (headline, "No payment has come in yet. The store starts once it does.")
    if payment == PaymentStatus.PROCESSING:
        return (headline, "Your payment is being processed. The store starts once it goes through.")
    if payment == PaymentStatus.PARTIALLY_PAID:
        due = format_money(order.balance_due)
        return (headline, f"Part of the total is paid; {due} is still due.")
    return (headline, "The store starts on your order once payment is complete.")


def _fulfillment_words(order: OrderSummary) -> tuple[str, str]:
    fulfillment, handoff = order.fulfillment_status, order.handoff
    delivery = handoff.mode == HandoffMode.DELIVERY
    if fulfillment == FS.PENDING:
        return ("We've got your order. Waiting for the store to accept it.", "")
    if fulfillment == FS.IN_PROGRESS:
        return ("The store accepted your order.", "It's in the queue to be prepared.")
    if fulfillment == FS.PREPARING:
        if delivery:
            return ("Your order is being prepared.", "It goes out for delivery once it's ready.")
        return ("Your order is being prepared.", "We'll let you know when it's ready.")
    if fulfillment == FS.READY_FOR_PICKUP:
        return _ready_words(order)
    if fulfillment == FS.FULFILLED:
        return ("Picked up. Enjoy!", "")
    if fulfillment == FS.DELIVERED:
        return ("Delivered. Enjoy!", "")
    return (
        f"Your order's status is {fulfillment.value}.",
        "This version of the tracker doesn't know that status yet; it keeps checking.",
    )


def _ready_words(order: OrderSummary) -> tuple[str, str]:
    handoff, code = order.handoff, order.short_code
    if handoff.mode == HandoffMode.DELIVERY:
        address = street_address(handoff)
        headline = "Your order is ready and waiting for the driver."
        if address:
            return (headline, f"It will be delivered to {address}.")
        return (headline, "It will be delivered to you.")
    if handoff.mode == HandoffMode.CURBSIDE:
        headline = "Your order is ready. Park in a curbside spot and we'll bring it out."
        vehicle = vehicle_description(handoff)
        if vehicle:
            return (headline, f"We'll look for your {vehicle}. Your order code is {code}.")
        return (headline, f"Your order code is {code}.")
    return ("Your order is ready for pickup.", f"Show order code {code} at the counter.")
