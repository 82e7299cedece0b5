"""The tracker following several orders: a list, the selected order's detail, each order
polled on its own schedule, a notification per order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import Sandbox
from tests.tui.support import FakeClock, RecordingTracker, make_client, screen_words, settle
from tote_track.tui.desktop import Notifier, Protocol
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.order_list import OrderList
from tote_track.tui.tracker.panels import OrderPanels

PICKUP = {"handoff": {"mode": "PICKUP"}}
DELIVERY = {
    "handoff": {
        "mode": "DELIVERY",
        "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
    }
}
PREPARING = ("payment_completed", "accept", "start_preparing")


def several(sandbox: Sandbox, ids: list[str], clock: FakeClock | None = None) -> RecordingTracker:
    return RecordingTracker(
        lambda: make_client(sandbox.transport, max_retries=0),
        ids,
        clock=(clock or FakeClock()).clock,
        notifier=Notifier(Protocol.OSC9),
        auto_poll=False,
    )


async def test_two_orders_both_codes_and_the_first_ones_detail(sandbox: Sandbox) -> None:
    first = await sandbox.order(PICKUP, *PREPARING)
    second = await sandbox.order(DELIVERY, "payment_completed")
    app = several(sandbox, [first.id, second.id])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        assert f"▶ 1 {first.short_code} Being prepared Preparing 3/5" in text
        assert f"2 {second.short_code} Waiting for the store to accept it Placed 1/5" in text
        assert f"Order {first.short_code}" in text  # the header: the selected order
        assert "Your order is being prepared." in text
        assert app.query_one(OrderPanels).shown is app.shown  # bound, not pushed
        assert app.order is not None
        assert app.order.id == first.id
        assert isinstance(app.focused, OrderList)


@pytest.mark.parametrize("keys", [["down"], ["2"]], ids=["arrow", "number"])
async def test_arrows_and_numbers_switch_the_detail(sandbox: Sandbox, keys: list[str]) -> None:
    first = await sandbox.order(PICKUP, *PREPARING)
    second = await sandbox.order(DELIVERY, *PREPARING, "ready")
    app = several(sandbox, [first.id, second.id])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        text = screen_words(app)
        assert app.selected == 1
        assert f"▶ 2 {second.short_code}" in text
        assert f"Order {second.short_code}" in text
        assert "Your order is ready and waiting for the driver." in text
        assert "Your order is being prepared." not in text
        await pilot.press("up")
        await settle(pilot)
        assert app.selected == 0
        assert "Your order is being prepared." in screen_words(app)


async def test_each_order_polls_on_its_own_schedule(sandbox: Sandbox) -> None:
    clock = FakeClock()
    paying = await sandbox.order(PICKUP, "payment_started")  # payment: every 1 s at first
    preparing = await sandbox.order(PICKUP, *PREPARING)  # preparation: every 5 s at first
    app = several(sandbox, [paying.id, preparing.id], clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        before = {order_id: gets(sandbox, order_id) for order_id in (paying.id, preparing.id)}
        clock.advance(1.0)
        app.poll_if_due()
        await settle(pilot)
        assert gets(sandbox, paying.id) == before[paying.id] + 1
        assert gets(sandbox, preparing.id) == before[preparing.id]
        clock.advance(4.0)
        app.poll_if_due()
        await settle(pilot)
        assert gets(sandbox, preparing.id) == before[preparing.id] + 1


def gets(sandbox: Sandbox, order_id: str) -> int:
    requests: list[Any] = sandbox.transport.requests
    return sum(1 for r in requests if r.method == "GET" and r.url.path.endswith(order_id))


async def test_a_notification_per_order(sandbox: Sandbox) -> None:
    first = await sandbox.order(PICKUP, *PREPARING)
    second = await sandbox.order(PICKUP, *PREPARING)
    app = several(sandbox, [first.id, second.id])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        for order in (first, second):
            await sandbox.fire(order.id, "ready")
        for followed in app.followed:
            app._poll_now(followed)
        await settle(pilot)
    assert sorted(app.escapes) == sorted(
        f"\x1b]9;tote-track: Order {order.short_code} is ready for pickup.\x07"
        for order in (first, second)
    )


async def test_an_order_that_cannot_be_found_does_not_stop_the_others(sandbox: Sandbox) -> None:
    found = await sandbox.order(PICKUP, *PREPARING)
    missing = "0badc0de-0000-4000-8000-000000000000"
    app = several(sandbox, [found.id, missing])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        assert f"1 {found.short_code} Being prepared" in text
        assert "2 0BADC0 ✖ Order not found" in text
        await pilot.press("2")
        await settle(pilot)
        text = screen_words(app)
        assert "Order 0BADC0" in text
        assert f"Order not found. Order {missing} was not found at" in text
        assert "Your order is being prepared." not in text
        await pilot.press("1")
        await settle(pilot)
        assert "Your order is being prepared." in screen_words(app)
    assert app.exit_code == 4  # quitting says one of them could not be loaded


async def test_twenty_orders(sandbox: Sandbox) -> None:
    orders = [await sandbox.order(PICKUP, *PREPARING) for _ in range(20)]
    app = several(sandbox, [order.id for order in orders])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        assert all(followed.order is not None for followed in app.followed)
        for _ in range(19):
            await pilot.press("down")
        await settle(pilot)
        assert app.selected == 19
        text = screen_words(app)
        assert f"▶ {orders[19].short_code}" in text  # past 9: no number key
        assert f"Order {orders[19].short_code}" in text


def test_duplicates_are_one_order() -> None:
    app = TrackerApp(lambda: None, ["a", "b", "a"])  # type: ignore[arg-type,return-value]
    assert [followed.order_id for followed in app.followed] == ["a", "b"]


async def test_the_help_says_how_to_switch(sandbox: Sandbox) -> None:
    first = await sandbox.order(PICKUP, *PREPARING)
    second = await sandbox.order(PICKUP, *PREPARING)
    app = several(sandbox, [first.id, second.id])
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert "↑ ↓ 1-9 Show another of your orders" in screen_words(app)
