"""What the tracker says is true: step times, an API never reached, Ctrl-C, a cancel dialog
overtaken by events, a delivery's apartment and note.

Against the sandbox in-process (seeded like ``tote-track sandbox --orders 40 --seed 7``, or
orders made through its control API) and a scripted API for the unreachable case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.tui.conftest import Sandbox, Switchboard
from tests.tui.support import (
    BASE_URL,
    FakeApi,
    FakeClock,
    make_app,
    make_client,
    poll,
    region_words,
    screen_text,
    screen_words,
    settle,
)
from tote_track import exit_codes
from tote_track.api.control import SandboxControl
from tote_track.api.models import Order
from tote_track.api.statuses import FulfillmentStatus, OrderStatus
from tote_track.sandbox.server import build_app
from tote_track.tracking.polling import UNREACHED_ATTEMPTS, StopReason
from tote_track.tui.tracker.dialogs import CancelScreen, ErrorScreen
from tote_track.tui.tracker.panels import clock_time

PICKUP: dict[str, Any] = {"handoff": {"mode": "PICKUP"}}
PAID_AND_ACCEPTED = ("payment_completed", "accept")


def hhmm(moment: datetime) -> str:
    return clock_time(moment, UTC)


def dialog_words(app: Any) -> str:
    """The words inside the dialog's frame (between its left and right edges)."""
    inside = [
        line[line.index("█") + 1 : line.rindex("█")]
        for line in screen_text(app).splitlines()
        if line.count("█") >= 2
    ]
    return " ".join(" ".join(inside).split())


def stepper_words(app: Any) -> str:
    return region_words(app, app.query_one("#stepper").region)


@pytest.fixture
async def seeded() -> AsyncIterator[Sandbox]:
    """``tote-track sandbox --orders 40 --seed 7``, in-process: active orders were created
    3 to 45 minutes ago and last moved minutes ago."""
    app = build_app(token="sandbox", db=None, orders=40, seed=7)
    async with app.router.lifespan_context(app):
        transport = Switchboard(httpx.ASGITransport(app=app))
        async with make_client(transport, BASE_URL) as client:
            yield Sandbox(transport, SandboxControl(client))


async def seeded_orders(sandbox: Sandbox) -> list[Order]:
    async with make_client(sandbox.transport, BASE_URL) as client:
        summaries = [summary async for summary in client.iter_orders()]
        return [await client.get_order(summary.id) for summary in summaries]


# -- step times: the truth or nothing ----------------------------------------------------


async def test_seeded_orders_opened_mid_way_show_only_the_apis_times(seeded: Sandbox) -> None:
    orders = await seeded_orders(seeded)
    opened_at = datetime.now(UTC)
    mid_way = {
        order.fulfillment_status: order
        for order in orders
        if order.status == OrderStatus.CONFIRMED
        and order.fulfillment_status != FulfillmentStatus.PENDING
        and opened_at - order.updated_at > timedelta(minutes=2)
    }
    ended = {
        order.status: order
        for order in orders
        if order.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED)
    }
    chosen = [*mid_way.values(), *ended.values()]
    assert FulfillmentStatus.PREPARING in mid_way  # the issue's example: preparing for minutes
    assert len(chosen) >= 4
    for order in chosen:
        app = make_app(seeded.transport, order_id=order.id, clock=FakeClock(wall=opened_at))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.progress is not None
            times = {step.seen_at for step in app.progress.steps} | {app.progress.ended_at}
            assert times <= {order.created_at, order.updated_at, None}, order.fulfillment_status
            # On screen: Placed at created_at, the current step (or the ending) at
            # updated_at; never the moment the tracker opened.
            shown = stepper_words(app)
            assert hhmm(order.created_at) in shown
            assert hhmm(order.updated_at) in shown
            if hhmm(opened_at) not in (hhmm(order.created_at), hhmm(order.updated_at)):
                assert hhmm(opened_at) not in shown


async def test_a_step_seen_happening_is_stamped_when_it_was_seen(seeded: Sandbox) -> None:
    created_at = (datetime.now(UTC) - timedelta(minutes=40)).replace(microsecond=0)
    order = await seeded.control.create_order({**PICKUP, "created_at": created_at.isoformat()})
    for event in PAID_AND_ACCEPTED:
        order = await seeded.fire(order.id, event)
    clock = FakeClock(wall=datetime(2026, 1, 31, 8, 0, tzinfo=UTC))  # unlike the API's clock
    app = make_app(seeded.transport, order_id=order.id, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.progress is not None
        accepted = order.updated_at
        assert [s.seen_at for s in app.progress.steps] == [created_at, accepted, None, None, None]
        preparing = await seeded.fire(order.id, "start_preparing")
        clock.advance(7 * 60)
        seen_preparing = clock.now
        await poll(pilot)
        # The current step: the API's updated_at.
        assert [s.seen_at for s in app.progress.steps][:3] == [
            created_at,
            accepted,
            preparing.updated_at,
        ]
        ready = await seeded.fire(order.id, "ready")
        clock.advance(3 * 60)
        await poll(pilot)
        # Preparing was seen happening: the moment the tracker saw it.
        assert [s.seen_at for s in app.progress.steps] == [
            created_at,
            accepted,
            seen_preparing,
            ready.updated_at,
            None,
        ]
        shown = stepper_words(app)
        assert hhmm(seen_preparing) in shown  # 08:07
        assert hhmm(clock.now) not in shown  # 08:10: the last poll saw nothing happen


# -- an API never reached ----------------------------------------------------------------


async def test_the_tracker_stops_after_a_few_attempts_when_the_api_was_never_reached() -> None:
    api = FakeApi()
    api.queue += [httpx.ConnectError("[Errno 111] Connection refused")] * 10
    clock = FakeClock()
    app = make_app(api.transport, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(UNREACHED_ATTEMPTS - 1):
            assert not isinstance(app.screen, ErrorScreen)
            assert "reconnecting · retry in" in app.freshness_text()[0]
            assert app.plan is not None
            assert app.plan.delay is not None
            clock.advance(app.plan.delay)
            app.poll_if_due()
            await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert app.plan is not None
        assert app.plan.stop is StopReason.UNREACHABLE
        assert len(api.requests) == UNREACHED_ATTEMPTS
        assert "Could not reach" in screen_words(app)
        assert app.exit_code == exit_codes.API_ERROR
        clock.advance(3600)
        app.poll_if_due()
        await settle(pilot)
        assert len(api.requests) == UNREACHED_ATTEMPTS  # nothing more until r
        await pilot.press("r")  # r tries again, the same few attempts
        await settle(pilot)
        assert len(api.requests) == UNREACHED_ATTEMPTS + 1
        assert not isinstance(app.screen, ErrorScreen)


# -- Ctrl-C ------------------------------------------------------------------------------


async def test_ctrl_c_quits_the_tracker(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = make_app(sandbox.transport, order_id=order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
    assert not app.is_running
    assert app.return_code == exit_codes.OK
    assert not any("to quit" in words for words in app.notified)  # no "Press ctrl+q"


async def test_ctrl_c_quits_even_from_the_cancel_dialogs_text_box(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = make_app(sandbox.transport, order_id=order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "tab")
        assert isinstance(app.screen, CancelScreen)
        assert app.screen.typing
        await pilot.press("ctrl+c")
        await settle(pilot)
    assert not app.is_running
    assert sandbox.transport.cancels() == []  # quitting sent nothing


# -- the cancel dialog, overtaken --------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "title"),
    [
        (("start_preparing",), "Too late to cancel online"),
        (("start_preparing", "store_cancel"), "Nothing to cancel"),
    ],
    ids=["preparing", "store-cancelled"],
)
async def test_the_open_cancel_dialog_says_too_late_within_one_poll(
    sandbox: Sandbox, events: tuple[str, ...], title: str
) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    clock = FakeClock()
    app = make_app(sandbox.transport, order_id=order.id, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        dialog = app.screen
        assert isinstance(dialog, CancelScreen)
        words = region_words(app, dialog.query_one("#cancel-dialog").region)
        assert "You can cancel until the store starts preparing." in words
        # The store moves on behind the dialog.
        for event in events:
            await sandbox.fire(order.id, event)
        assert app.plan is not None
        assert app.plan.delay is not None
        clock.advance(app.plan.delay)
        app.poll_if_due()  # the next planned poll, nothing else
        await settle(pilot)
        assert app.screen is dialog
        words = region_words(app, dialog.query_one("#cancel-dialog").region)
        assert title in words
        assert "Yes, cancel" not in words
        assert "Why are you cancelling?" not in words
        assert "Close" in words
        assert "You can cancel until" not in words
        await pilot.press("y")  # offered no more: nothing is sent
        await settle(pilot)
        assert sandbox.transport.cancels() == []
        assert app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CancelScreen)
    assert sandbox.transport.cancels() == []


# -- what the API gives, shown -----------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_a_deliverys_apartment_and_instructions_are_on_screen(
    sandbox: Sandbox, size: tuple[int, int]
) -> None:
    body = {
        "handoff": {
            "mode": "DELIVERY",
            "delivery_address": {"line1": "12 Main St", "line2": "Apt 4B", "city": "Springfield"},
            "delivery_instructions": "Leave at the front desk.",
        }
    }
    order = await sandbox.order(body, *PAID_AND_ACCEPTED, "start_preparing", "ready")
    app = make_app(sandbox.transport, order_id=order.id)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        words = screen_words(app)
        assert "Delivery · 12 Main St, Apt 4B, Springfield" in words
        assert "Note for the driver: Leave at the front desk." in words
        assert "It will be delivered to 12 Main St, Apt 4B." in words


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_409s_details_are_shown_whole(sandbox: Sandbox, size: tuple[int, int]) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = make_app(sandbox.transport, order_id=order.id)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await sandbox.fire(order.id, "start_preparing")  # the race: no poll in between
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("tab", "enter")  # open "Details"
        await settle(pilot)
        words = dialog_words(app)
        said = (
            f"Order {order.short_code} cannot be cancelled at status CONFIRMED, payment PAID, "
            "fulfillment PREPARING: preparation has begun; contact the store for help."
        )
        assert said in words
        assert "…" not in words
        assert "OK" in words  # and the button is still on screen


# -- words that agree, on screen ---------------------------------------------------------

SPLIT: dict[str, Any] = {
    "handoff": {"mode": "PICKUP"},
    "items": [{"name": "Sub", "quantity": 1, "unit_price": {"amount": 1797}}],
    "payments": [
        {"amount": {"amount": 1000, "currency": "USD"}, "payment_method": "GIFT_CARD"},
        {"amount": {"amount": 945, "currency": "USD"}, "payment_method": "CREDIT_CARD"},
    ],
}
PREPARED = ("payment_completed", "accept", "start_preparing")


@pytest.mark.parametrize(
    ("body", "events", "said"),
    [
        (PICKUP, ("payment_started", "payment_failed"), "Your payment didn't go through."),
        (PICKUP, ("payment_started", "void"), "This order was called off before payment."),
        (SPLIT, ("payment_completed",), "Partly paid · $9.45 still to pay"),
        (PICKUP, (*PREPARED, "store_cancel"), "Your order was cancelled."),
        (PICKUP, (*PREPARED, "ready", "picked_up", "returned"), "comes from the store"),
    ],
    ids=["payment-failed", "voided", "split-payment", "store-cancel", "returned"],
)
async def test_the_demo_endings_say_one_thing(
    sandbox: Sandbox, body: dict[str, Any], events: tuple[str, ...], said: str
) -> None:
    order = await sandbox.order(body, *events)
    app = make_app(sandbox.transport, order_id=order.id)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        words = screen_words(app)
    assert said in words
    assert "oided" not in words  # "VOIDED" (the API's value, in its column) only
    assert "Not placed" not in words
    assert not ("went through" in words and "still to pay" in words)
    assert "↺" not in words  # no refund arrow on money that was never taken
    assert "stepped in" not in words
    assert "already failed" not in words
