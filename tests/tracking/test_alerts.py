"""The milestones that interrupt the customer, and the notification's sentence."""

from __future__ import annotations

import pytest

from tests.tracking.orders import make_order
from tote_track.tracking.alerts import Milestone, alert_for, milestone_of, notification_text
from tote_track.tracking.stepper import progress_of

PREPARING = make_order(fulfillment_status="PREPARING")


@pytest.mark.parametrize(
    ("status", "fulfillment", "mode", "milestone"),
    [
        ("CONFIRMED", "PENDING", "PICKUP", None),
        ("CONFIRMED", "PREPARING", "PICKUP", None),
        ("CONFIRMED", "READY_FOR_PICKUP", "PICKUP", Milestone.READY),
        ("CONFIRMED", "READY_FOR_PICKUP", "DELIVERY", Milestone.READY),
        ("COMPLETED", "FULFILLED", "PICKUP", Milestone.PICKED_UP),
        ("CONFIRMED", "FULFILLED", "CURBSIDE", Milestone.PICKED_UP),
        ("COMPLETED", "DELIVERED", "DELIVERY", Milestone.DELIVERED),
        ("COMPLETED", "RETURNED", "PICKUP", None),
        ("CANCELLED", "CANCELLED", "PICKUP", Milestone.CANCELLED),
        ("CANCELLED", "PREPARING", "PICKUP", Milestone.CANCELLED),
        ("FAILED", "CANCELLED", "PICKUP", Milestone.FAILED),
        ("VOIDED", "CANCELLED", "PICKUP", Milestone.VOIDED),
        ("CONFIRMED", "SOMETHING_NEW", "PICKUP", None),
    ],
)
def test_the_milestone_of_each_state(
    status: str, fulfillment: str, mode: str, milestone: Milestone | None
) -> None:
    assert milestone_of(make_order(status, "PAID", fulfillment, mode)) is milestone


def test_reaching_ready_alerts_once_with_the_code() -> None:
    ready = make_order(fulfillment_status="READY_FOR_PICKUP")
    alert = alert_for(PREPARING, ready, progress_of(ready))
    assert alert is not None
    assert alert.milestone is Milestone.READY
    assert alert.notification == "Order F9A8B7 is ready for pickup."
    assert alert.message == "Your order is ready for pickup."
    assert not alert.warning
    # The same milestone again (a later poll) is no news.
    assert alert_for(ready, ready, progress_of(ready)) is None


def test_a_status_catching_up_is_not_a_second_cancellation() -> None:
    cancelling = make_order("CANCELLED", "UNPAID", "PREPARING")
    cancelled = make_order("CANCELLED", "UNPAID", "CANCELLED")
    first = alert_for(PREPARING, cancelling, progress_of(cancelling))
    assert first is not None
    assert first.warning
    assert first.notification == "Order F9A8B7 was cancelled."
    assert alert_for(cancelling, cancelled, progress_of(cancelled)) is None


def test_a_skipped_ready_alerts_the_handoff() -> None:
    picked_up = make_order("COMPLETED", "PAID", "FULFILLED")
    alert = alert_for(PREPARING, picked_up, progress_of(picked_up))
    assert alert is not None
    assert alert.notification == "Order F9A8B7 was picked up."


def test_a_return_after_the_handoff_is_not_a_milestone() -> None:
    delivered = make_order("COMPLETED", "PAID", "DELIVERED", "DELIVERY")
    returned = make_order("COMPLETED", "PAID", "RETURNED", "DELIVERY")
    assert alert_for(delivered, returned, progress_of(returned)) is None


@pytest.mark.parametrize(
    ("mode", "milestone", "words"),
    [
        ("DELIVERY", Milestone.READY, "Order F9A8B7 is ready and waiting for the driver."),
        ("CURBSIDE", Milestone.READY, "Order F9A8B7 is ready: park in a curbside spot."),
        ("KIOSK", Milestone.READY, "Order F9A8B7 is ready at the kiosk."),
        ("DELIVERY", Milestone.DELIVERED, "Order F9A8B7 was delivered."),
        (
            "PICKUP",
            Milestone.FAILED,
            "Order F9A8B7 was not sent to the store: the payment didn't go through.",
        ),
        ("PICKUP", Milestone.VOIDED, "Order F9A8B7 was called off before payment."),
    ],
)
def test_notification_words(mode: str, milestone: Milestone, words: str) -> None:
    assert notification_text(make_order(mode=mode), milestone) == words


def test_the_code_in_the_words_is_printable() -> None:
    order = make_order(fulfillment_status="READY_FOR_PICKUP")
    hostile = order.model_copy(update={"id": "\x1b]0;x\x07-rest-of-an-id"})
    words = notification_text(hostile, Milestone.READY)
    assert "\x1b" not in words
    assert "\x07" not in words
