"""Several orders at once: the arguments, and when the whole watch is decided."""

from __future__ import annotations

import pytest

from tests.tracking.orders import make_order
from tote_track import exit_codes
from tote_track.tracking.order_ref import MAX_ORDERS, OrderRef, parse_order_refs
from tote_track.tracking.several import OrderLine, combined_exit, order_line, verdict
from tote_track.tracking.stepper import progress_of

ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"


def test_codes_ids_and_links_mix_and_duplicates_collapse() -> None:
    refs = parse_order_refs(
        [ID, "27c343", f"https://shop.example/orders/{ID}", "#27C343", ID.upper(), "ABCDEF"]
    )
    assert refs == [
        OrderRef(order_id=ID),
        OrderRef(short_code="27C343"),
        OrderRef(short_code="ABCDEF"),
    ]


def test_twenty_orders_at_most() -> None:
    codes = [f"{n:06X}" for n in range(MAX_ORDERS)]
    assert len(parse_order_refs(codes)) == MAX_ORDERS
    assert len(parse_order_refs([*codes, codes[0]])) == MAX_ORDERS  # a repeat is not one more
    with pytest.raises(ValueError, match="21 orders named; at most 20"):
        parse_order_refs([*codes, "FFFFFF"])


def test_none_and_a_bad_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one order"):
        parse_order_refs([])
    with pytest.raises(ValueError, match="is not an order"):
        parse_order_refs(["27C343", "nope"])


def test_the_watch_waits_for_every_order() -> None:
    assert verdict({}, 2) is None
    assert verdict({"a": exit_codes.OK}, 2) is None
    assert verdict({"a": exit_codes.OK, "b": exit_codes.OK}, 2) == exit_codes.OK


def test_the_highest_code_wins_when_any_did_not_get_there() -> None:
    assert verdict({"a": exit_codes.ENDED_OTHERWISE}, 2) is None  # b may still get there
    decided = {"a": exit_codes.ENDED_OTHERWISE, "b": exit_codes.API_ERROR, "c": exit_codes.OK}
    assert verdict(decided, 3) == exit_codes.API_ERROR
    assert combined_exit({"a": exit_codes.OK, "b": exit_codes.GAVE_UP}) == exit_codes.GAVE_UP


def test_fail_fast_ends_at_the_first_order_out_of_reach() -> None:
    assert verdict({"a": exit_codes.OK}, 3, fail_fast=True) is None
    assert verdict({"a": exit_codes.ENDED_OTHERWISE}, 3, fail_fast=True) == 1


@pytest.mark.parametrize(
    ("state", "status", "step"),
    [
        (("PENDING", "UNPAID", "PENDING"), "Placed · waiting for payment", "Placed 1/5"),
        (("CONFIRMED", "PAID", "PREPARING"), "Being prepared", "Preparing 3/5"),
        (
            ("CONFIRMED", "PAID", "READY_FOR_PICKUP"),
            "Ready · waiting for you",
            "Ready for pickup 4/5",
        ),
        (("COMPLETED", "PAID", "FULFILLED"), "Picked up", "Picked up 5/5"),
        (("CANCELLED", "UNPAID", "CANCELLED"), "Cancelled", "Cancelled"),
        (
            ("FAILED", "UNPAID", "CANCELLED"),
            "Not sent to the store · the payment didn't go through",
            "Payment failed",
        ),
    ],
)
def test_the_line_of_an_order_among_several(
    state: tuple[str, str, str], status: str, step: str
) -> None:
    order = make_order(*state)
    assert order_line(order, progress_of(order)) == OrderLine(status, step)


def test_a_delivery_ready_for_its_driver() -> None:
    order = make_order("CONFIRMED", "PAID", "READY_FOR_PICKUP", "DELIVERY")
    line = order_line(order, progress_of(order))
    assert line == OrderLine("Ready · waiting for the driver", "Ready for the driver 4/5")
