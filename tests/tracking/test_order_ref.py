"""What a customer types to name an order: an id, a link, or the short code."""

from __future__ import annotations

import pytest

from tote_track.tracking.order_ref import OrderRef, parse_order_ref

ORDER_ID = "27c343d5-e4f3-4210-9edc-ba9876543210"


@pytest.mark.parametrize(
    "text",
    [
        ORDER_ID,
        ORDER_ID.upper(),
        f"  {ORDER_ID}\n",
        f"https://shop.example/orders/{ORDER_ID}",
        f"https://shop.example/v1/orders/{ORDER_ID}/?utm=mail#top",
        f"http://localhost:8080/orders/{ORDER_ID.upper()}/cancel",
    ],
)
def test_an_id_or_a_link_gives_the_canonical_id(text: str) -> None:
    assert parse_order_ref(text) == OrderRef(order_id=ORDER_ID)


@pytest.mark.parametrize("text", ["27C343", "27c343", "#27C343", " 27C343 "])
def test_a_short_code_is_upper_cased(text: str) -> None:
    assert parse_order_ref(text) == OrderRef(short_code="27C343")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("27C34", "is not an order: give the order's 6-character code"),
        ("27C343X", "is not an order"),
        ("not-an-order", "is not an order"),
        ("https://shop.example/orders/27C343", "is not a link to an order"),
        (f"https://shop.example/{ORDER_ID}", "is not a link to an order"),
    ],
)
def test_anything_else_says_what_is_accepted(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_order_ref(text)
