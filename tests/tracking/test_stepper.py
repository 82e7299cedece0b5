from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tote_track.api.models import FulfillmentStatus, HandoffMode
from tote_track.tracking.stepper import (
    Outcome,
    Progress,
    Step,
    StepState,
    Tone,
    progress_of,
    record_seen,
    steps_for,
)

from .orders import CREATED_AT, UPDATED_AT, make_order

FS = FulfillmentStatus
MODES = ["PICKUP", "CURBSIDE", "KIOSK", "DELIVERY"]
COLLECTION = ["PICKUP", "CURBSIDE", "KIOSK"]
T = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
CURBSIDE_CAR = {"vehicle_make": "Toyota", "vehicle_model": "Camry", "vehicle_color": "Silver"}
ADDRESS = {"delivery_address": {"line1": "12 Main St", "city": "Springfield"}}

_LETTER = {StepState.DONE: "D", StepState.CURRENT: "C", StepState.UPCOMING: "U"}


def states(progress: Progress) -> str:
    """The steps as letters: D done, C current, U upcoming."""
    return "".join(_LETTER[step.state] for step in progress.steps)


def seen_until(*statuses: FulfillmentStatus) -> dict[FulfillmentStatus, datetime]:
    return {status: T + timedelta(minutes=i) for i, status in enumerate(statuses)}


# --- steps_for ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", COLLECTION)
def test_collection_modes_end_in_picked_up(mode: str) -> None:
    assert steps_for(HandoffMode(mode)) == (
        (FS.PENDING, "Placed"),
        (FS.IN_PROGRESS, "Accepted"),
        (FS.PREPARING, "Preparing"),
        (FS.READY_FOR_PICKUP, "Ready for pickup"),
        (FS.FULFILLED, "Picked up"),
    )


def test_delivery_ends_in_delivered_with_the_driver() -> None:
    assert steps_for(HandoffMode.DELIVERY) == (
        (FS.PENDING, "Placed"),
        (FS.IN_PROGRESS, "Accepted"),
        (FS.PREPARING, "Preparing"),
        (FS.READY_FOR_PICKUP, "Ready for the driver"),
        (FS.DELIVERED, "Delivered"),
    )


def test_unknown_mode_gets_pickup_steps() -> None:
    assert steps_for(HandoffMode("DRONE")) == steps_for(HandoffMode.PICKUP)


# --- each mode x each fulfillment status ----------------------------------------------------

# (status, fulfillment) -> expected step states for an order on its way or ended
ON_PATH = {
    ("CONFIRMED", "PENDING"): "CUUUU",
    ("CONFIRMED", "IN_PROGRESS"): "DCUUU",
    ("CONFIRMED", "PREPARING"): "DDCUU",
    ("CONFIRMED", "READY_FOR_PICKUP"): "DDDCU",
    ("COMPLETED", "FULFILLED"): "DDDDD",
    ("COMPLETED", "DELIVERED"): "DDDDD",
    ("COMPLETED", "RETURNED"): "DDDDD",
    ("CANCELLED", "CANCELLED"): "DUUUU",
}


def _headline(mode: str, fulfillment: str) -> str:
    ready = {
        "PICKUP": "Your order is ready for pickup.",
        "KIOSK": "Your order is ready for pickup.",
        "CURBSIDE": "Your order is ready. Park in a curbside spot and we'll bring it out.",
        "DELIVERY": "Your order is ready and waiting for the driver.",
    }
    return {
        "PENDING": "We've got your order. Waiting for the store to accept it.",
        "IN_PROGRESS": "The store accepted your order.",
        "PREPARING": "Your order is being prepared.",
        "READY_FOR_PICKUP": ready[mode],
        "FULFILLED": "Picked up. Enjoy!",
        "DELIVERED": "Delivered. Enjoy!",
        "RETURNED": "Your order was returned.",
        "CANCELLED": "Your order was cancelled.",
    }[fulfillment]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("status", "fulfillment"), list(ON_PATH))
def test_every_mode_and_fulfillment_status(mode: str, status: str, fulfillment: str) -> None:
    progress = progress_of(make_order(status, "PAID", fulfillment, mode))
    assert states(progress) == ON_PATH[(status, fulfillment)]
    assert [s.label for s in progress.steps] == [label for _, label in steps_for(HandoffMode(mode))]
    assert progress.headline == _headline(mode, fulfillment)
    assert progress.headline.endswith((".", "!"))
    expected_outcome = {
        "COMPLETED": Outcome.RETURNED if fulfillment == "RETURNED" else Outcome.COMPLETED,
        "CANCELLED": Outcome.CANCELLED,
    }.get(status)
    assert progress.outcome == expected_outcome
    assert progress.finished is (expected_outcome is not None)


@pytest.mark.parametrize("mode", MODES)
def test_progress_lists_done_current_and_upcoming(mode: str) -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "PREPARING", mode))
    assert [s.status for s in progress.done] == [FS.PENDING, FS.IN_PROGRESS]
    assert progress.current is not None
    assert progress.current.status is FS.PREPARING
    assert [s.label for s in progress.upcoming][-1] == (
        "Delivered" if mode == "DELIVERY" else "Picked up"
    )
    assert progress_of(make_order("COMPLETED", "PAID", "FULFILLED", mode)).current is None


def test_preparing_detail_depends_on_the_mode() -> None:
    pickup = progress_of(make_order("CONFIRMED", "PAID", "PREPARING", "PICKUP"))
    delivery = progress_of(make_order("CONFIRMED", "PAID", "PREPARING", "DELIVERY"))
    assert pickup.detail == "We'll let you know when it's ready."
    assert delivery.detail == "It goes out for delivery once it's ready."
    accepted = progress_of(make_order("CONFIRMED", "PAID", "IN_PROGRESS"))
    assert accepted.detail == "It's in the queue to be prepared."


def test_ready_for_pickup_names_the_order_code() -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "PICKUP"))
    assert progress.detail == "Show order code F9A8B7 at the counter."


def test_ready_at_curbside_names_the_car() -> None:
    order = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "CURBSIDE", handoff=CURBSIDE_CAR)
    assert progress_of(order).detail == (
        "We'll look for your Silver Toyota Camry. Your order code is F9A8B7."
    )
    no_car = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "CURBSIDE")
    assert progress_of(no_car).detail == "Your order code is F9A8B7."


def test_a_delivery_ready_for_its_driver_names_the_address_when_known() -> None:
    order = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DELIVERY", handoff=ADDRESS)
    progress = progress_of(order)
    assert progress.steps[3].label == "Ready for the driver"
    assert progress.steps[3].state is StepState.CURRENT
    assert progress.detail == "It will be delivered to 12 Main St."
    no_address = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DELIVERY")
    assert progress_of(no_address).detail == "It will be delivered to you."


@pytest.mark.parametrize(
    ("fulfillment", "mode", "headline"),
    [("FULFILLED", "PICKUP", "Picked up. Enjoy!"), ("DELIVERED", "DELIVERY", "Delivered. Enjoy!")],
)
def test_handed_over_before_status_completes(fulfillment: str, mode: str, headline: str) -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", fulfillment, mode))
    assert progress.headline == headline
    assert states(progress) == "DDDDC"
    assert progress.outcome is None
    assert not progress.finished


def test_completed_order_says_thanks() -> None:
    progress = progress_of(make_order("COMPLETED", "PAID", "FULFILLED", "CURBSIDE"))
    assert (progress.headline, progress.detail) == ("Picked up. Enjoy!", "Thanks for your order.")


def test_completed_with_an_unexpected_fulfillment_status_is_still_complete() -> None:
    progress = progress_of(make_order("COMPLETED", "PAID", "HANDED_OVER"))
    assert progress.outcome is Outcome.COMPLETED
    assert progress.headline == "Your order is complete."
    assert states(progress) == "DDDDD"


# --- payment phase --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment", "detail"),
    [
        ("UNPAID", "No payment has come in yet. The store starts once it does."),
        ("PROCESSING", "Your payment is being processed. The store starts once it goes through."),
        ("PARTIALLY_PAID", "Part of the total is paid; $9.45 is still due."),
        ("SETTLING", "The store starts on your order once payment is complete."),
    ],
)
def test_pending_order_speaks_about_payment(payment: str, detail: str) -> None:
    order = make_order("PENDING", payment, "PENDING", total_paid=1000, balance_due=945)
    progress = progress_of(order)
    assert progress.headline == "Waiting for your payment to go through."
    assert progress.detail == detail
    assert states(progress) == "CUUUU"
    assert progress.current is not None
    assert progress.current.label == "Placed"
    assert not progress.finished


def test_paid_but_still_pending_is_being_confirmed() -> None:
    progress = progress_of(make_order("PENDING", "PAID", "PENDING"))
    assert progress.headline == "Payment received."
    assert progress.detail == "Confirming your order with the store."
    assert states(progress) == "CUUUU"


# --- off-path outcomes ----------------------------------------------------------------------


def test_failed_payment_says_no_charge() -> None:
    progress = progress_of(make_order("FAILED", "UNPAID", "CANCELLED", total_paid=0))
    assert progress.outcome is Outcome.FAILED
    assert progress.finished
    assert progress.headline == "Your payment didn't go through."
    assert "not been charged" in progress.detail
    assert states(progress) == "DUUUU"


def test_voided_order_says_no_charge() -> None:
    progress = progress_of(make_order("VOIDED", "UNPAID", "CANCELLED", total_paid=0))
    assert progress.outcome is Outcome.VOIDED
    assert progress.finished
    assert progress.headline == "This order was called off before payment."
    assert progress.detail == "You have not been charged."
    assert "voided" not in f"{progress.headline} {progress.detail}".lower()
    assert states(progress) == "DUUUU"


def test_cancel_before_preparation() -> None:
    seen = seen_until(FS.PENDING, FS.IN_PROGRESS, FS.CANCELLED)
    progress = progress_of(make_order("CANCELLED", "UNPAID", "CANCELLED"), seen)
    assert progress.outcome is Outcome.CANCELLED
    assert progress.headline == "Your order was cancelled."
    assert progress.detail.startswith("It was cancelled before the store started preparing it.")
    assert "refunded in full" in progress.detail
    assert states(progress) == "DDUUU"
    assert progress.steps[1].seen_at == seen[FS.IN_PROGRESS]


@pytest.mark.parametrize(
    ("last", "expected"), [(FS.PREPARING, "DDDUU"), (FS.READY_FOR_PICKUP, "DDDDU")]
)
def test_store_cancel_after_preparation_started(last: FulfillmentStatus, expected: str) -> None:
    seen = seen_until(FS.PENDING, FS.IN_PROGRESS, FS.PREPARING, last, FS.CANCELLED)
    progress = progress_of(make_order("CANCELLED", "UNPAID", "CANCELLED", "DELIVERY"), seen)
    assert progress.outcome is Outcome.CANCELLED
    assert progress.headline == "The store cancelled your order."
    # What the API says (it was cancelled once preparation had begun), no invented reason.
    assert progress.detail == (
        "It was cancelled after the store started preparing it. "
        "You won't be charged: anything already paid is refunded in full."
    )
    assert "stepped in" not in progress.detail
    assert states(progress) == expected


def test_cancel_seen_only_after_a_gap_still_counts_preparation() -> None:
    # first seen at PREPARING (the tracker opened late), then cancelled
    seen = seen_until(FS.PREPARING, FS.CANCELLED)
    progress = progress_of(make_order("CANCELLED", "UNPAID", "CANCELLED"), seen)
    assert progress.headline == "The store cancelled your order."
    assert states(progress) == "DDDUU"
    assert progress.steps[1].seen_at is None
    assert progress.steps[2].seen_at == seen[FS.PREPARING]


@pytest.mark.parametrize("seen", [None, {}, {FS.CANCELLED: T}])
def test_cancel_without_history_is_neutral(seen: dict[FulfillmentStatus, datetime] | None) -> None:
    progress = progress_of(make_order("CANCELLED", "UNPAID", "CANCELLED"), seen)
    assert progress.headline == "Your order was cancelled."
    assert progress.detail == "You won't be charged: anything already paid is refunded in full."
    assert states(progress) == "DUUUU"


def test_fulfillment_cancelled_before_status_catches_up_is_cancelled() -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "CANCELLED"))
    assert progress.outcome is Outcome.CANCELLED
    assert progress.finished


def test_returned_order() -> None:
    seen = seen_until(FS.PENDING, FS.IN_PROGRESS, FS.PREPARING, FS.READY_FOR_PICKUP, FS.DELIVERED)
    progress = progress_of(make_order("COMPLETED", "PAID", "RETURNED", "DELIVERY"), seen)
    assert progress.outcome is Outcome.RETURNED
    assert progress.finished
    assert progress.headline == "Your order was returned."
    # A return leaves the payments alone: say where a refund comes from, and that the API
    # shows none yet (a summary has no payments, so none shows on it).
    assert progress.detail == (
        "A refund for a return comes from the store; none shows on this order yet. "
        "Contact the store about it."
    )
    assert states(progress) == "DDDDD"
    assert progress.steps[4].seen_at == seen[FS.DELIVERED]
    assert progress.ended_at == UPDATED_AT  # the return: the order's updated_at


# --- unknown values -------------------------------------------------------------------------


def test_unknown_fulfillment_status_is_named_not_fatal() -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "BAGGING"))
    assert progress.headline == "Your order's status is BAGGING."
    assert progress.detail
    assert progress.outcome is None
    assert not progress.finished
    assert progress.current is None
    assert states(progress) == "DUUUU"


def test_unknown_fulfillment_status_keeps_the_steps_seen() -> None:
    seen = seen_until(FS.PENDING, FS.IN_PROGRESS, FS.PREPARING, FS("BAGGING"))
    progress = progress_of(make_order("CONFIRMED", "PAID", "BAGGING"), seen)
    assert states(progress) == "DDDUU"


def test_unknown_order_status_follows_the_fulfillment() -> None:
    progress = progress_of(make_order("ON_HOLD", "PAID", "PREPARING"))
    assert progress.headline == "Your order is being prepared."
    assert states(progress) == "DDCUU"
    assert not progress.finished


def test_unknown_mode_reads_like_pickup() -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DRONE"))
    assert progress.headline == "Your order is ready for pickup."
    assert progress.steps[-1].label == "Picked up"


# --- seen times -----------------------------------------------------------------------------


def test_placed_is_created_at_and_the_current_step_updated_at() -> None:
    progress = progress_of(make_order("CONFIRMED", "PAID", "PREPARING"))
    assert progress.steps[0].seen_at == CREATED_AT
    # Opened mid-way: the steps passed before have no time; the current one is updated_at.
    assert [s.seen_at for s in progress.steps[1:]] == [None, UPDATED_AT, None, None]
    assert progress.ended_at is None


def test_seen_times_stamp_the_steps_reached() -> None:
    seen = seen_until(FS.PENDING, FS.IN_PROGRESS, FS.PREPARING)
    progress = progress_of(make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP"), seen)
    assert [s.seen_at for s in progress.steps] == [
        CREATED_AT,
        seen[FS.IN_PROGRESS],
        seen[FS.PREPARING],
        UPDATED_AT,
        None,
    ]


@pytest.mark.parametrize(
    ("status", "fulfillment"),
    [("CANCELLED", "CANCELLED"), ("FAILED", "CANCELLED"), ("VOIDED", "CANCELLED")],
)
def test_an_ending_is_stamped_with_updated_at(status: str, fulfillment: str) -> None:
    progress = progress_of(make_order(status, "UNPAID", fulfillment))
    assert progress.ended_at == UPDATED_AT
    assert [s.seen_at for s in progress.steps if s.state is StepState.DONE] == [CREATED_AT]


def test_a_completed_order_opened_late_stamps_only_the_handoff() -> None:
    progress = progress_of(make_order("COMPLETED", "PAID", "DELIVERED", "DELIVERY"))
    assert [s.seen_at for s in progress.steps] == [CREATED_AT, None, None, None, UPDATED_AT]


def test_seen_times_of_steps_not_reached_are_ignored() -> None:
    seen = {FS.READY_FOR_PICKUP: T}  # e.g. an out-of-order response; the order says PREPARING
    progress = progress_of(make_order("CONFIRMED", "PAID", "PREPARING"), seen)
    assert progress.steps[3].seen_at is None


def test_record_seen_stamps_only_the_changes_it_saw() -> None:
    # The first load: the order was already there, the tracker did not see it happen;
    # the API's time of the current status is its updated_at.
    first = record_seen({}, make_order(fulfillment_status="PENDING"), T)
    assert first == {FS.PENDING: UPDATED_AT}
    later = T + timedelta(minutes=3)
    again = record_seen(first, make_order(fulfillment_status="PENDING"), later)
    assert again == {FS.PENDING: UPDATED_AT}
    moved = record_seen(again, make_order(fulfillment_status="IN_PROGRESS"), later)
    assert moved == {FS.PENDING: UPDATED_AT, FS.IN_PROGRESS: later}
    assert first == {FS.PENDING: UPDATED_AT}  # input untouched


def test_an_order_opened_mid_way_shows_no_time_for_the_step_it_was_at() -> None:
    # Opened at PREPARING (updated_at 10:09, the tracker opened at 10:00 + 30 min): Accepted
    # has no time, Preparing its updated_at, never the moment the tracker opened.
    opened = make_order("CONFIRMED", "PAID", "PREPARING")
    seen = record_seen({}, opened, T + timedelta(minutes=30))
    progress = progress_of(opened, seen)
    assert [s.seen_at for s in progress.steps] == [CREATED_AT, None, UPDATED_AT, None, None]
    # Seen READY at 10:40 + 4 s: Ready shows the order's updated_at while current, and
    # Preparing keeps the API's time it had.
    ready_at = T + timedelta(minutes=40)
    ready = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", updated_at=ready_at)
    seen = record_seen(seen, ready, ready_at + timedelta(seconds=4))
    progress = progress_of(ready, seen)
    assert [s.seen_at for s in progress.steps] == [
        CREATED_AT,
        None,
        UPDATED_AT,
        ready_at,
        None,
    ]
    # Once picked up, Ready shows the moment the tracker saw it.
    done_at = ready_at + timedelta(minutes=5)
    done = make_order("COMPLETED", "PAID", "FULFILLED", updated_at=done_at)
    seen = record_seen(seen, done, done_at + timedelta(seconds=2))
    progress = progress_of(done, seen)
    assert [s.seen_at for s in progress.steps] == [
        CREATED_AT,
        None,
        UPDATED_AT,
        ready_at + timedelta(seconds=4),
        done_at,
    ]


def test_record_seen_accepts_unknown_statuses() -> None:
    seen = record_seen({}, make_order(fulfillment_status="BAGGING"), T)
    assert seen == {FS("BAGGING"): UPDATED_AT}


def test_a_whole_journey_through_record_seen() -> None:
    seen: dict[FulfillmentStatus, datetime] = {}
    journey: list[tuple[str, str, str]] = [
        ("PENDING", "UNPAID", "PENDING"),
        ("CONFIRMED", "PAID", "PENDING"),
        ("CONFIRMED", "PAID", "IN_PROGRESS"),
        ("CONFIRMED", "PAID", "PREPARING"),
        ("CONFIRMED", "PAID", "READY_FOR_PICKUP"),
        ("COMPLETED", "PAID", "FULFILLED"),
    ]
    headlines = []
    for minute, (status, payment, fulfillment) in enumerate(journey):
        order = make_order(status, payment, fulfillment, "KIOSK")
        seen = record_seen(seen, order, T + timedelta(minutes=minute))
        headlines.append(progress_of(order, seen).headline)
    assert headlines == [
        "Waiting for your payment to go through.",
        "We've got your order. Waiting for the store to accept it.",
        "The store accepted your order.",
        "Your order is being prepared.",
        "Your order is ready for pickup.",
        "Picked up. Enjoy!",
    ]
    final = progress_of(make_order("COMPLETED", "PAID", "FULFILLED", "KIOSK"), seen)
    assert final.steps[4].seen_at == UPDATED_AT  # the current status: the API's time
    assert final.steps[3].seen_at == T + timedelta(minutes=4)  # seen happen
    assert final.steps[1].seen_at == T + timedelta(minutes=2)


# --- the types ------------------------------------------------------------------------------


def test_values_are_immutable_and_enums_are_strings() -> None:
    progress = progress_of(make_order())
    step: Any = progress.steps[0]
    with pytest.raises(FrozenInstanceError):
        step.label = "x"
    assert isinstance(progress.steps[0], Step)
    assert [o.value for o in Outcome] == ["completed", "cancelled", "returned", "failed", "voided"]
    assert [s.value for s in StepState] == ["done", "current", "upcoming"]


@pytest.mark.parametrize(
    ("status", "fulfillment", "tone", "ending"),
    [
        ("CONFIRMED", "PREPARING", Tone.ONGOING, None),
        ("COMPLETED", "FULFILLED", Tone.GOOD, None),
        ("COMPLETED", "RETURNED", Tone.ONGOING, "Returned"),
        ("CANCELLED", "CANCELLED", Tone.BAD, "Cancelled"),
        ("FAILED", "PENDING", Tone.BAD, "Payment failed"),
        ("VOIDED", "PENDING", Tone.BAD, "Called off"),
    ],
)
def test_the_progress_carries_its_tone_and_the_word_of_an_off_path_ending(
    status: str, fulfillment: str, tone: Tone, ending: str | None
) -> None:
    payment = "PAID" if status in ("CONFIRMED", "COMPLETED", "CANCELLED") else "FAILED"
    progress = progress_of(make_order(status, payment, fulfillment))
    assert progress.tone is tone
    assert progress.ending == ending
