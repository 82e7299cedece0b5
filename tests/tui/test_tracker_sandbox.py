"""The tracker against the real sandbox app, in-process: every flow of the issue.

Time is driven by the frozen clock and by pressing ``r`` (poll now); the sandbox's
orders move through its control endpoints, so nothing here sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widget import Widget

from tests.tui.conftest import Sandbox
from tests.tui.support import (
    FakeClock,
    RecordingTracker,
    make_app,
    poll,
    region_words,
    screen_words,
    settle,
)
from tote_track.tracking.polling import Scenario, StopReason
from tote_track.tui.tracker.dialogs import CancelScreen, MessageScreen
from tote_track.tui.tracker.panels import StatusPanel

PICKUP: dict[str, Any] = {"handoff": {"mode": "PICKUP"}}
DELIVERY: dict[str, Any] = {
    "handoff": {
        "mode": "DELIVERY",
        "delivery_address": {"line1": "12 Main St", "city": "Springfield"},
    }
}
PAID_AND_ACCEPTED = ("payment_completed", "accept")


def tracker(sandbox: Sandbox, order_id: str, clock: FakeClock | None = None) -> RecordingTracker:
    return make_app(sandbox.transport, order_id=order_id, clock=clock)


async def test_first_load_and_refresh_follow_the_order(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        assert "Waiting for your payment to go through." in text
        assert "payment (1→5 s)" not in text  # QA detail: the QA console or --verbose
        assert "You can cancel until the store starts preparing." in text
        await sandbox.fire(order.id, "payment_completed")
        await sandbox.fire(order.id, "accept")
        await poll(pilot)
        text = screen_words(app)
        assert "✔ Placed ─ ● Accepted ─ ○ Preparing" in text
        assert "The store accepted your order." in text
        assert "preparation (5→30 s)" not in text
        await sandbox.fire(order.id, "start_preparing")
        await poll(pilot)
        text = screen_words(app)
        assert "● Preparing" in text
        assert "can no longer be cancelled online" in text
    assert app.notified == []  # nothing to interrupt the customer for yet


@pytest.mark.parametrize(
    ("body", "before", "final", "words", "alerted"),
    [
        (PICKUP, ("start_preparing", "ready"), ("picked_up",), "Picked up. Enjoy!", True),
        (DELIVERY, ("start_preparing",), ("ready", "delivered"), "Delivered. Enjoy!", True),
        (PICKUP, ("start_preparing",), ("store_cancel",), "The store cancelled your order.", True),
        (PICKUP, ("start_preparing", "ready", "picked_up"), ("returned",), "↩ Returned", False),
    ],
    ids=["picked-up", "delivered", "cancelled", "returned"],
)
async def test_each_ending_of_a_confirmed_order(
    sandbox: Sandbox,
    body: dict[str, Any],
    before: tuple[str, ...],
    final: tuple[str, ...],
    words: str,
    alerted: bool,
) -> None:
    order = await sandbox.order(body, *PAID_AND_ACCEPTED, *before)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for event in final:
            await sandbox.fire(order.id, event)
        await poll(pilot)
        text = screen_words(app)
        assert words in text
        assert app.plan is not None
        if app.order is not None and app.order.fulfillment_status in ("FULFILLED", "DELIVERED"):
            # Completed, and a return may still come: a slow check goes on.
            assert "order complete · next check in 1 min" in text
            assert app.plan.scenario is Scenario.COMPLETED
        else:
            assert "tracking finished" in text
            assert app.plan.stop is StopReason.TERMINAL
        assert (len(app.notified) == 1) is alerted
        assert (app.bells == 1) is alerted


@pytest.mark.parametrize(
    ("events", "words", "mark"),
    [
        (
            ("payment_started", "payment_failed"),
            "Your payment didn't go through.",
            "✖ Payment failed",
        ),
        (("payment_started", "void"), "This order was called off before payment.", "✖ Called off"),
    ],
    ids=["failed", "voided"],
)
async def test_an_order_that_never_gets_paid(
    sandbox: Sandbox, events: tuple[str, ...], words: str, mark: str
) -> None:
    order = await sandbox.order(PICKUP)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for event in events:
            await sandbox.fire(order.id, event)
        await poll(pilot)
        text = screen_words(app)
        assert words in text
        assert f"✔ Placed {mark}" in text.replace("─ ", "")
        assert "tracking finished" in text
        assert app.notified  # the words were also a notification
        assert app.check_action("cancel_order", ()) is True  # the key stays and explains
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert not isinstance(app.screen, CancelScreen)
        assert "nothing to cancel" in screen_words(app)
    assert sandbox.transport.cancels() == []


async def test_ready_for_pickup_alerts_with_notification_and_bell(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED, "start_preparing")
    app = tracker(sandbox, order.id)
    async with app.run_test() as pilot:
        await settle(pilot)
        await sandbox.fire(order.id, "ready")
        await poll(pilot)
        assert app.notified == ["Your order is ready for pickup."]
        assert app.bells == 1


async def cancel_via_dialog(pilot: Any, *, reason_downs: int = 0) -> None:
    """``c``, pick the preset ``reason_downs`` below the first, ``y``."""
    await pilot.press("c")
    assert isinstance(pilot.app.screen, CancelScreen)
    if reason_downs:
        await pilot.press(*["down"] * reason_downs, "enter")
    await pilot.press("y")
    await settle(pilot)


async def test_cancel_refunds_a_paid_order(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await cancel_via_dialog(pilot, reason_downs=1)
        assert not isinstance(app.screen, CancelScreen)
        text = screen_words(app)
        assert "Your order was cancelled." in text
        assert "Refunded" in text
        assert "Refunded $19.45 to your credit card" in text
        assert "Balance due" not in text
        assert "Nothing charged" not in text
        assert "tracking finished" in text
        assert app.notified[-1].startswith("Order ")
        assert "Refunded $19.45 to your credit card" in app.notified[-1]
    cancels = sandbox.transport.cancels()
    assert len(cancels) == 1
    assert b'"Ordered by mistake"' in cancels[0].content


async def test_cancel_voids_a_payment_still_processing(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, "payment_started")
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await cancel_via_dialog(pilot)
        text = screen_words(app)
        assert "voided" not in text.lower()  # the API's word stays in the value column
        assert "$19.45 on your credit card was never charged" in text
        assert app.order is not None
        assert app.order.status == "CANCELLED"


async def test_cancel_refused_when_the_store_started_meanwhile(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CancelScreen)
        await sandbox.fire(order.id, "start_preparing")  # the race
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = region_words(app, app.screen.query_one("#message-dialog").region)
        assert "Too late to cancel online" in text
        # Said once: one sentence, one next step; the server's sentence only as details.
        assert "The store has already started on this order." in text
        assert text.lower().count("contact the store") == 1
        assert text.lower().count("cancel") == 2  # the title and the next step
        assert "cannot be cancelled at" not in text
        assert "▶ Details" in text
        await pilot.press("tab", "enter")  # open the details line
        await settle(pilot)
        text = region_words(app, app.screen.query_one("#message-dialog").region)
        assert "cannot be cancelled at" in text
        await pilot.press("shift+tab", "enter")  # OK
        await settle(pilot)
        text = screen_words(app)
        assert "● Preparing" in text  # the order was refreshed
        assert "Contact the store directly to ask them to cancel it." in text
    assert len(sandbox.transport.cancels()) == 1  # a 409 is never retried


async def test_cancel_retries_a_dropped_connection_with_the_same_key(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    sandbox.transport.fail_cancels = 1
    async with app.run_test() as pilot:
        await settle(pilot)
        await cancel_via_dialog(pilot)
        assert app.order is not None
        assert app.order.status == "CANCELLED"
    cancels = sandbox.transport.cancels()
    assert len(cancels) == 2
    keys = {r.headers["Idempotency-Key"] for r in cancels}
    assert len(keys) == 1


async def test_cancel_failure_keeps_the_input_and_the_key(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    sandbox.transport.fail_cancels = 3  # the client's own retries all fail
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.press("down", "down", "down", "enter")  # "Other"
        await pilot.click("#cancel-text")
        await pilot.press(*"found it cheaper")
        await pilot.press("enter")  # Enter in the text box confirms
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CancelScreen)
        assert "Could not reach the store (no connection)." in screen_words(app)
        assert screen.draft.text == "found it cheaper"
        assert screen.draft.preset == 3
        await pilot.press("y")  # again: the error moved focus to the confirm button
        await settle(pilot)
        assert not isinstance(app.screen, CancelScreen)
        assert app.order is not None
        assert app.order.status == "CANCELLED"
    cancels = sandbox.transport.cancels()
    assert len(cancels) == 4
    assert len({r.headers["Idempotency-Key"] for r in cancels}) == 1
    assert b'"found it cheaper"' in cancels[-1].content


async def test_reconnecting_then_recovering(sandbox: Sandbox, clock: FakeClock) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sandbox.control.set_faults(error_rate=1.0)
        await poll(pilot)
        # One failed check is no alarm: no "server error", no warning colour.
        line, state = app.freshness_text()
        assert state == "live"
        assert "a check didn't get through · trying again in 10 s" in line
        assert "server error" not in screen_words(app)
        clock.advance(10)
        await poll(pilot)
        line, state = app.freshness_text()
        assert state == "reconnecting"
        assert line.startswith("server error · retry in 20 s")
        assert "The store accepted your order." in screen_words(app)  # still shown
        await sandbox.control.clear_faults()
        await sandbox.fire(order.id, "start_preparing")
        clock.advance(20)
        await poll(pilot)
        line, state = app.freshness_text()
        assert state == "live"
        assert "● Preparing" in screen_words(app)
        assert app.plan is not None
        assert app.plan.failures == 0


def dialog_words(app: RecordingTracker) -> str:
    return region_words(app, app.screen.query_one("#cancel-dialog").region)


async def test_cancel_dialog_keys_tell_the_truth_in_the_text_box(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CancelScreen)
        text = dialog_words(app)
        assert "Yes, cancel y" in text
        assert "No, keep it n" in text
        await pilot.press("tab")  # into the text box
        await settle(pilot)
        text = dialog_words(app)
        assert "Yes, cancel enter" in text
        assert "No, keep it esc" in text
        await pilot.press("y", "e", "s")  # letters, not a confirmation
        await settle(pilot)
        assert isinstance(app.screen, CancelScreen)
        assert sandbox.transport.cancels() == []
        await pilot.press("n", "o")
        assert isinstance(app.screen, CancelScreen)
        await pilot.press("enter")  # Enter in the text box confirms
        await settle(pilot)
        assert app.order is not None
        assert app.order.status == "CANCELLED"
    [sent] = sandbox.transport.cancels()
    assert b'"Changed my mind: yesno"' in sent.content


async def test_escape_in_the_text_box_backs_out_and_keeps_the_text(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "tab", "n", "o", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, CancelScreen)
        await pilot.press("c")
        await settle(pilot)
        assert "No, keep it n" in dialog_words(app)  # focus is back on the reasons
    assert sandbox.transport.cancels() == []


async def test_the_chosen_reason_reads_without_colour(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        text = dialog_words(app)
        assert "●" not in text
        assert "(•) Changed my mind" in text
        assert text.count("( )") == 3
        await pilot.press("down", "enter")
        await settle(pilot)
        text = dialog_words(app)
        assert "( ) Changed my mind" in text
        assert "(•) Ordered by mistake" in text
        assert text.count("( )") == 3


def toasts(app: RecordingTracker) -> list[Widget]:
    """The notifications on screen: Textual draws each as a widget of type Toast (found by
    its CSS type name, a public selector; the class itself is private to Textual)."""
    return list(app.screen.query("Toast"))


async def test_toasts_cover_nothing_that_matters_at_80x24(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PAID_AND_ACCEPTED, "start_preparing")
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await sandbox.fire(order.id, "ready")
        await poll(pilot)
        await settle(pilot)
        assert app.notified == ["Your order is ready for pickup."]
        [toast] = toasts(app)
        freshness = app.query_one("#freshness").region
        money = app.query_one("#money").region
        statuses = app.query_one(StatusPanel).region
        headline = app.query_one("#headline").region
        assert "updated just now" in region_words(app, freshness)
        assert "Total $19.45" in region_words(app, money)
        for covered in (freshness, money, statuses, headline):
            assert not toast.region.overlaps(covered), (toast.region, covered)
        # The order moves on: the "ready" toast does not outlive its state (the handoff
        # has its own).
        await sandbox.fire(order.id, "picked_up")
        await poll(pilot)
        await settle(pilot)
        assert app.notified == ["Your order is ready for pickup.", "Picked up. Enjoy!"]
        assert len(toasts(app)) == 1


async def test_the_layout_stays_still_when_the_headline_loses_its_detail(
    sandbox: Sandbox,
) -> None:
    order = await sandbox.order(PICKUP)
    app = tracker(sandbox, order.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = []
        for event in ("payment_completed", "accept", "start_preparing", "ready"):
            rows.append(app.query_one(StatusPanel).region.y)
            await sandbox.fire(order.id, event)
            await poll(pilot)
        rows.append(app.query_one(StatusPanel).region.y)
        assert len(set(rows)) == 1, rows
