"""The tracker's desktop notifications, through Pilot: when they go out, and what they say.

The escapes themselves are tested in ``test_desktop``; a real terminal (a pty) in
``test_notifications_pty``.
"""

from __future__ import annotations

import pytest
from textual import events

from tests.tui.conftest import Sandbox
from tests.tui.support import make_app, poll, settle
from tote_track.tui.desktop import Notifier, Protocol

PICKUP = {"handoff": {"mode": "PICKUP"}}
PREPARING = ("payment_completed", "accept", "start_preparing")
WEZTERM = Notifier(Protocol.OSC777)


async def ready_while(sandbox: Sandbox, focus: events.Event | None, **options: object) -> object:
    order = await sandbox.order(PICKUP, *PREPARING)
    app = make_app(sandbox.transport, order_id=order.id, **options)  # type: ignore[arg-type]
    async with app.run_test() as pilot:
        await settle(pilot)
        if focus is not None:
            app.post_message(focus)
            await settle(pilot)
        await sandbox.fire(order.id, "ready")
        app.action_poll_now()  # not the r key: a key press is the customer looking
        await settle(pilot)
    return app


async def test_away_from_the_terminal_the_desktop_is_told(sandbox: Sandbox) -> None:
    app = await ready_while(sandbox, events.AppBlur(), notifier=WEZTERM)
    [sequence] = app.escapes  # type: ignore[attr-defined]
    code = app.order.short_code  # type: ignore[attr-defined]
    assert sequence == f"\x1b]777;notify;tote-track;Order {code} is ready for pickup.\x07"
    assert app.bells == 0  # type: ignore[attr-defined]


async def test_looking_at_the_tracker_only_the_screen_says_it(sandbox: Sandbox) -> None:
    app = await ready_while(sandbox, events.AppFocus(), notifier=WEZTERM)
    assert app.escapes == []  # type: ignore[attr-defined]
    assert app.notified == ["Your order is ready for pickup."]  # type: ignore[attr-defined]


async def test_a_terminal_that_never_says_where_the_focus_is_gets_it(sandbox: Sandbox) -> None:
    app = await ready_while(sandbox, None, notifier=Notifier(Protocol.OSC9))
    [sequence] = app.escapes  # type: ignore[attr-defined]
    assert sequence.startswith("\x1b]9;tote-track: Order ")


async def test_no_notify_sends_nothing(sandbox: Sandbox) -> None:
    app = await ready_while(sandbox, events.AppBlur(), notifier=WEZTERM, notify=False)
    assert app.escapes == []  # type: ignore[attr-defined]
    assert app.bells == 0  # type: ignore[attr-defined]
    assert app.notified == []  # type: ignore[attr-defined]


async def test_an_unknown_terminal_gets_the_bell_only(sandbox: Sandbox) -> None:
    app = await ready_while(sandbox, events.AppBlur())
    assert app.escapes == []  # type: ignore[attr-defined]
    assert app.bells == 1  # type: ignore[attr-defined]


async def test_the_first_sight_of_a_ready_order_is_no_news(sandbox: Sandbox) -> None:
    order = await sandbox.order(PICKUP, *PREPARING, "ready")
    app = make_app(sandbox.transport, order_id=order.id, notifier=WEZTERM)
    async with app.run_test() as pilot:
        await settle(pilot)
        await poll(pilot)
    assert app.escapes == []
    assert app.notified == []


@pytest.mark.parametrize(
    ("events_after", "words"),
    [
        (("store_cancel",), "was cancelled."),
        (("ready", "picked_up"), "was picked up."),
    ],
)
async def test_each_milestone_once(
    sandbox: Sandbox, events_after: tuple[str, ...], words: str
) -> None:
    order = await sandbox.order(PICKUP, *PREPARING)
    app = make_app(sandbox.transport, order_id=order.id, notifier=WEZTERM)
    async with app.run_test() as pilot:
        await settle(pilot)
        for event in events_after:
            await sandbox.fire(order.id, event)
        await poll(pilot)
        await poll(pilot)  # the same state again: no second notification
        await settle(pilot)
    [sequence] = app.escapes
    assert sequence.endswith(f"Order {order.short_code} {words}\x07")
