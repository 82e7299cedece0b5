"""Terminal sizes from 40x12 to 300x80: the tracker and the board never crash, and keep the
order's short code (and the screen's key words) on screen at every one of them.

Each test opens one app and resizes its terminal through every size, up and back down
(``pilot.resize_terminal``), in one run: the tracker with an order loaded, with the cancel
dialog open and with the error screen; the board normal and in kiosk mode, with more orders
than fit (so paging and every type size are exercised). A crash anywhere fails the test:
Pilot re-raises an app's unhandled exception when the test leaves ``run_test``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from tests.tui.support import (
    BASE_URL,
    FakeApi,
    FakeClock,
    envelope,
    make_app,
    make_client,
    screen_text,
    settle,
)
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tui.board.app import BoardApp
from tote_track.tui.board.segments import big_code
from tote_track.tui.tracker.dialogs import CancelScreen, ErrorScreen

UP = [(40, 12), (60, 20), (80, 24), (120, 40), (200, 60), (300, 80)]
SIZES = [*UP, *reversed(UP[:-1]), (40, 80), (300, 12)]
CODE = "F9A8B7"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
START = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)


async def visit(pilot: Pilot[Any], size: tuple[int, int]) -> str:
    await pilot.resize_terminal(*size)
    await pilot.pause()
    app = pilot.app
    assert (app.size.width, app.size.height) == size
    return screen_text(app)


# -- the tracker -------------------------------------------------------------------------------


@pytest.mark.parametrize("sandbox_url", [None, BASE_URL], ids=["tracker", "with QA console"])
async def test_quit_is_in_the_footer_at_every_size(api: FakeApi, sandbox_url: str | None) -> None:
    app = make_app(api.transport, sandbox_url=sandbox_url)  # the QA console's key too
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for size in SIZES:
            footer = (await visit(pilot, size)).splitlines()[-1]
            assert "q Quit" in footer, f"{size}: {footer!r}"


async def test_the_tracker_with_an_order_at_every_size(api: FakeApi) -> None:
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.order is not None
        for size in SIZES:
            text = await visit(pilot, size)
            assert f"Order {CODE}" in text, size  # the header is always drawn
            assert "Your order is being prepared" in " ".join(text.split()), size
        # Still working after all that: a refresh is fetched and shown.
        await pilot.press("r")
        await settle(pilot)
        assert len(api.gets()) == 2
        assert app.is_running


async def test_the_cancel_dialog_at_every_size(api: FakeApi) -> None:
    api.set(fulfillment_status="IN_PROGRESS")
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CancelScreen)
        for size in SIZES:
            text = await visit(pilot, size)
            assert isinstance(app.screen, CancelScreen), size
            assert CODE in text, size
        # The dialog still works: n backs out to the order.
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, CancelScreen)
        assert api.cancels() == []


async def test_the_error_screen_at_every_size(api: FakeApi) -> None:
    api.queue.append(envelope(404, "not_found", "Order not found"))
    app = make_app(api.transport)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        for size in SIZES:
            text = await visit(pilot, size)
            assert isinstance(app.screen, ErrorScreen), size
            assert "Order not found" in text, size
        # r from the error screen tries again and, now that the order exists, shows it.
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert f"Order {CODE}" in screen_text(app)


# -- the board ---------------------------------------------------------------------------------


class _Board:
    def __init__(self, engine: Engine, transport: httpx.AsyncBaseTransport) -> None:
        self.engine = engine
        self.transport = transport

    def order(self, *events: str) -> str:
        body = NewOrder.model_validate({"location_id": LOCATION, "handoff": {"mode": "PICKUP"}})
        order = self.engine.create_order(body)
        for event in events:
            order = self.engine.apply_event(order.id, LifecycleEvent(event))
        return str(order.short_code)


@pytest.fixture
async def board() -> AsyncIterator[_Board]:
    clock = FakeClock(wall=START)
    app = create_app(token="sandbox", clock=clock.wall)
    async with app.router.lifespan_context(app):
        store = _Board(app.state.engine, httpx.ASGITransport(app=app))
        preparing = ("payment_started", "payment_completed", "accept", "start_preparing")
        for index in range(45):
            store.order(*preparing, *(("ready",) if index % 3 == 0 else ()))
            clock.advance(1)
        yield store


def code_on_screen(code: str, text: str) -> bool:
    """The code in plain text or drawn in any of the board's type sizes."""
    if code in text:
        return True
    sizes = ((2, 3, 1), (3, 3, 1), (5, 5, 2), (7, 7, 2))
    return any(
        # A terminal's capture drops the spaces at the end of a line: so does the match.
        all(line.rstrip() in text for line in big_code(code, width=w, height=h, spacing=s))
        for w, h, s in sizes
    )


@pytest.mark.parametrize("kiosk", [False, True], ids=["normal", "kiosk"])
async def test_the_board_at_every_size(board: _Board, kiosk: bool) -> None:
    app = BoardApp(
        lambda: make_client(board.transport, BASE_URL),
        LOCATION,
        kiosk=kiosk,
        tz=UTC,
        auto_sweep=False,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(app.model.preparing) + len(app.model.ready) == 45
        for size in SIZES:
            text = await visit(pilot, size)
            assert app.shown is not None
            first_codes = [page.entries[0].code for page in app.shown.columns if page.entries]
            assert first_codes, size
            for code in first_codes:
                assert code_on_screen(code, text), (size, code)
            await pilot.press("n")  # turning the page at this size
            await pilot.pause()
        await pilot.press("r")
        await settle(pilot)
        assert app.sweeps >= 2
        assert app.is_running
