"""The store board: Pilot tests against the sandbox in-process, snapshots, a real terminal.

Pilot tests run the real sandbox app (its engine creates the orders directly, on the same
frozen clock as the board) behind a recording transport; sweeps run when a test presses
``r`` (no timers). Snapshots use a scripted API with fixed order ids, so the codes on
screen are always the same.
"""

from __future__ import annotations

import asyncio
import copy
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Footer, Header

from tests.board_reading import read_once, readings
from tests.conftest import pickup_order
from tests.tracking.orders import make_order
from tests.tui.support import BASE_URL, FakeClock, make_client, screen_text, screen_words
from tests.tui.support import settle as settle_app
from tote_track import cli, exit_codes
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.control import SandboxControl
from tote_track.api.errors import UnauthorizedError
from tote_track.api.models import Order, short_code
from tote_track.api.warm import WarmConnection
from tote_track.demo import (
    DEMO_WARM_ORDERS,
    DemoFeed,
    DemoScenario,
    board_demo_note,
    run_board_demo,
)
from tote_track.run import run_command
from tote_track.sandbox.app import create_app
from tote_track.sandbox.engine import Engine, NewOrder
from tote_track.sandbox.server import EmbeddedSandbox
from tote_track.tracking.board import (
    CALL_FOR,
    FONTS,
    NEW_FOR,
    READABLE_ROWS,
    REFRESH_EVERY,
    Column,
    GridLayout,
    LocationSeen,
)
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tui.board.app import BoardApp, recent_locations, run_board
from tote_track.tui.board.app import sweep as board_sweep
from tote_track.tui.board.run import first_sweep
from tote_track.tui.board.screens import LocationPickerScreen
from tote_track.tui.board.segments import big_code, seven_segment
from tote_track.tui.board.sweep import Sweep
from tote_track.tui.board.widgets import CodeGrid


async def settle(pilot: Pilot[Any]) -> None:
    """As the tracker's settle, and until both columns are laid out for their grid's
    current size: a grid reports its size after the layout, and on a busy machine that
    report can come after the screen first looked settled."""
    await settle_app(pilot)
    app = pilot.app
    assert isinstance(app, BoardApp)

    def laid_out() -> bool:
        if app.shown is None or not app.has_class("-board") or app.has_class("-calling"):
            return True  # no codes on screen: nothing to lay out
        for page in app.shown.columns:
            size = app.query_one(f"#{page.column.value}-grid", CodeGrid).content_size
            if page.layout is None or page.layout.width != size.width:
                return False
        return True

    deadline = time.monotonic() + 10
    while not laid_out():
        if time.monotonic() > deadline:
            raise AssertionError("the board's columns were not laid out for their size in 10 s")
        await pilot.pause(0.02)
    await settle_app(pilot)


LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
ELSEWHERE = "2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f"
START = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
STAGES: dict[str, tuple[str, ...]] = {
    "pending": (),
    "paid": ("payment_started", "payment_completed"),
    "accepted": ("payment_started", "payment_completed", "accept"),
    "preparing": ("payment_started", "payment_completed", "accept", "start_preparing"),
    "ready": ("payment_started", "payment_completed", "accept", "start_preparing", "ready"),
    "picked_up": (
        "payment_started",
        "payment_completed",
        "accept",
        "start_preparing",
        "ready",
        "picked_up",
    ),
}


# -- the sandbox in-process ----------------------------------------------------------------


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.hang = False
        """Never answer (until the request is cancelled)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.hang:
            await asyncio.Event().wait()
        return await self.inner.handle_async_request(request)

    def sweeps(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET" and r.url.path.endswith("/orders")]


@dataclass
class Store:
    engine: Engine
    transport: Recorder
    clock: FakeClock
    control: SandboxControl

    def order(self, stage: str, *, location: str = LOCATION) -> Order:
        body = NewOrder.model_validate({"location_id": location, "handoff": {"mode": "PICKUP"}})
        order = self.engine.create_order(body)
        return self.advance(order.id, *STAGES[stage])

    def orders(self, stage: str, count: int) -> list[Order]:
        made = []
        for _ in range(count):
            made.append(self.order(stage))
            self.clock.advance(1)  # distinct creation times: a known order on the board
        return made

    def advance(self, order_id: str, *events: str) -> Order:
        order = self.engine.get_order(order_id)
        for event in events:
            order = self.engine.apply_event(order_id, LifecycleEvent(event))
        return order

    def app(
        self,
        *,
        kiosk: bool = False,
        token: str = "sandbox",
        location: str | None = LOCATION,
        first: Future[Sweep] | None = None,
    ) -> BoardApp:
        config = ClientConfig(base_url=BASE_URL, token=token)
        # As run_board builds it: no retries inside the client, the board owns every wait.
        return BoardApp(
            lambda: ToteClient(config, transport=self.transport, max_retries=0),
            location,
            first=first,
            kiosk=kiosk,
            clock=self.clock.clock,
            tz=UTC,
            auto_sweep=False,
        )


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    clock = FakeClock(wall=START)
    app = create_app(token="sandbox", clock=clock.wall)
    async with app.router.lifespan_context(app):
        transport = Recorder(httpx.ASGITransport(app=app))
        async with make_client(transport, BASE_URL) as client:
            yield Store(app.state.engine, transport, clock, SandboxControl(client))


def words(app: BoardApp) -> str:
    return screen_words(app)


def shown_codes(app: BoardApp) -> list[list[str]]:
    assert app.shown is not None
    return [[entry.code for entry in page.entries] for page in app.shown.columns]


def drawn(code: str, text: str) -> bool:
    """Whether ``code`` is on the screen in large type, in any of the board's sizes."""
    return any(
        # A terminal's capture drops the spaces at the end of a line: so does the match.
        all(
            line.rstrip() in text
            for line in big_code(code, width=f.width, height=f.height, spacing=f.spacing)
        )
        for f in FONTS
        if f.style == "segments"
    )


async def sweep(pilot: Pilot[Any]) -> None:
    await pilot.press("r")
    await settle(pilot)


# -- states ---------------------------------------------------------------------------------


async def test_an_empty_location_says_no_orders_yet(store: Store) -> None:
    store.order("picked_up")
    store.order("preparing", location=ELSEWHERE)
    store.order("pending")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No orders yet" in words(app)
        assert app.has_class("-empty")
        assert not app.query_one("#board").display
        assert app.model.loaded
        assert app.model.empty


async def test_a_few_orders_in_their_columns_in_large_type(store: Store) -> None:
    preparing = store.orders("accepted", 1) + store.orders("preparing", 1)
    ready = store.order("ready")
    store.order("paid")  # paid but not accepted: not on the board yet
    app = store.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert shown_codes(app) == [[o.short_code for o in preparing], [ready.short_code]]
        assert "PREPARING" in text
        assert "READY FOR PICKUP" in text
        for order in (*preparing, ready):
            assert drawn(order.short_code, text)
        assert f"updated {store.clock.now:%H:%M:%S}" in text
        assert "page" not in text  # everything fits
        # One sweep: one request for the location's confirmed orders, 100 at a time.
        (request,) = store.transport.sweeps()
        assert request.url.params["location_id"] == LOCATION
        assert request.url.params["status"] == "CONFIRMED"
        assert request.url.params["limit"] == "100"


def layout_of(app: BoardApp, column: Column) -> GridLayout:
    assert app.shown is not None
    (page,) = [page for page in app.shown.columns if page.column is column]
    assert page.layout is not None
    return page.layout


def glyph_rows(app: BoardApp) -> dict[Column, int]:
    return {column: layout_of(app, column).font.height for column in Column}


async def test_ready_type_shrinks_as_codes_come_and_pages_only_below_readable(
    store: Store,
) -> None:
    store.orders("preparing", 3)
    store.orders("ready", 1)
    app = store.app(kiosk=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        heights = [glyph_rows(app)[Column.READY]]
        for count in (3, 8, 40):
            store.orders("ready", count)
            await sweep(pilot)
            heights.append(glyph_rows(app)[Column.READY])
        assert heights == sorted(heights, reverse=True)
        assert heights[0] > heights[-1] == READABLE_ROWS
        assert app.shown is not None
        assert app.shown.paging


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (160, 48)], ids=str)
async def test_ready_codes_are_larger_than_preparing_ones(
    store: Store, size: tuple[int, int]
) -> None:
    store.orders("preparing", 3)
    store.orders("ready", 2)
    app = store.app(kiosk=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        ready, preparing = layout_of(app, Column.READY).font, layout_of(app, Column.PREPARING).font
        assert (ready.height, ready.width) > (preparing.height, preparing.width)
        ready_box = app.query_one("#ready").region
        preparing_box = app.query_one("#preparing").region
        assert ready_box.width >= preparing_box.width
        if size[0] >= 110:
            assert ready_box.width > preparing_box.width


@pytest.mark.parametrize(("count", "rows"), [(1, 12), (4, 9), (12, READABLE_ROWS)])
async def test_at_192x54_ready_codes_are_as_large_as_the_screen_allows(
    store: Store, count: int, rows: int
) -> None:
    store.orders("preparing", 6)
    ready = store.orders("ready", count)
    app = store.app(kiosk=True)
    async with app.run_test(size=(192, 54)) as pilot:
        await settle(pilot)
        layout = layout_of(app, Column.READY)
        assert layout.font.height >= rows
        assert app.shown is not None
        assert not app.shown.paging
        text = screen_text(app)
        font = layout.font
        for order in ready:
            glyphs = big_code(
                order.short_code, width=font.width, height=font.height, spacing=font.spacing
            )
            assert all(line in text for line in glyphs)


async def test_a_sweep_follows_every_cursor_one_request_per_page(store: Store) -> None:
    store.orders("preparing", 130)
    store.orders("ready", 75)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.model.preparing
        assert len(app.model.preparing) == 130
        assert len(app.model.ready) == 75
        requests = store.transport.sweeps()
        assert len(requests) == 3  # 205 orders, 100 a page
        assert "cursor" not in requests[0].url.params
        assert all("cursor" in r.url.params for r in requests[1:])
        assert not [r for r in store.transport.requests if "/orders/" in r.url.path]


async def test_orders_that_do_not_fit_are_paged(store: Store) -> None:
    made = store.orders("preparing", 30)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.shown is not None
        capacity = layout_of(app, Column.PREPARING).capacity
        assert 0 < capacity < 30
        pages = -(-30 // capacity)
        assert app.shown.count == pages
        assert app.shown.paging
        assert f"30 · PAGE 1/{pages}" in screen_text(app)
        assert shown_codes(app)[0] == [o.short_code for o in made[:capacity]]
        assert "Next page" in screen_text(app)  # the key shows while there are pages
        await pilot.press("n")
        assert f"PAGE 2/{pages}" in screen_text(app)
        assert shown_codes(app)[0] == [o.short_code for o in made[capacity : 2 * capacity]]
        for _ in range(pages - 1):
            app.turn_page()
        assert app.turn == 0  # wrapped around
        assert f"PAGE 1/{pages}" in screen_text(app)
        # A bigger terminal: more codes a page (in type as large or larger), pages to match.
        small = layout_of(app, Column.PREPARING).font
        await pilot.resize_terminal(160, 50)
        await settle(pilot)
        bigger = layout_of(app, Column.PREPARING)
        assert bigger.font.height >= small.height
        assert bigger.capacity > capacity
        assert app.shown.count == -(-30 // bigger.capacity)


async def test_the_pages_turn_by_themselves_and_stop_when_everything_fits(store: Store) -> None:
    made = store.orders("preparing", 30)
    app = store.app()
    app.auto_sweep = True
    app.page_every = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        # The pages turn every 50 ms, so the screen never settles while they do: wait for
        # a turn instead (and fail, saying so, if none comes).
        deadline = asyncio.get_running_loop().time() + 10
        while not (app.shown is not None and app.shown.paging and app.turn >= 1):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no page turned by itself in 10 s (shown: {app.shown})")
            await pilot.pause(0.02)
        for order in made[5:]:
            store.advance(order.id, "ready", "picked_up")
        app.refresh_board()
        await settle(pilot)
        assert app.turn == 0
        assert not app.shown or not app.shown.paging


async def test_a_newly_ready_order_is_marked_new_then_not(store: Store) -> None:
    order = store.order("preparing")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "NEW" not in screen_text(app)
        store.clock.advance(5)
        store.advance(order.id, "ready")
        await sweep(pilot)
        assert app.view.calling is not None  # called first: alone, in the largest type
        assert app.has_class("-calling")
        text = screen_text(app)
        assert "READY FOR PICKUP" in text
        assert drawn(order.short_code, text)
        store.clock.advance(CALL_FOR.total_seconds())
        app.tick()
        await settle(pilot)
        assert not app.has_class("-calling")
        assert [e.new for e in app.view.ready] == [True]
        assert "NEW" in screen_text(app)
        store.clock.advance(NEW_FOR.total_seconds())
        await sweep(pilot)
        assert [e.new for e in app.view.ready] == [False]
        assert "NEW" not in screen_text(app)
        assert shown_codes(app) == [[], [order.short_code]]


@pytest.mark.parametrize("chime", [True, False], ids=["chime", "quiet"])
async def test_one_bell_per_call_and_none_when_quiet(
    store: Store, monkeypatch: pytest.MonkeyPatch, chime: bool
) -> None:
    waiting = store.orders("preparing", 4)
    store.order("ready")
    app = store.app()
    app.chime = chime
    bells: list[float] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(store.clock.mono))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert bells == []  # codes already ready when the board starts: no chime
        store.advance(waiting[0].id, "ready")
        store.advance(waiting[1].id, "ready")
        store.clock.advance(5)
        await sweep(pilot)  # two codes became ready: the first is called, one chime
        assert len(bells) == (1 if chime else 0)
        store.clock.advance(CALL_FOR.total_seconds())
        await sweep(pilot)  # nothing new, and the second code's call: its chime
        assert len(bells) == (2 if chime else 0)
        store.clock.advance(CALL_FOR.total_seconds())
        await sweep(pilot)  # no call: no chime
        assert len(bells) == (2 if chime else 0)


async def test_picked_up_orders_leave_the_board(store: Store) -> None:
    staying, leaving = store.orders("ready", 2)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert shown_codes(app)[1] == [staying.short_code, leaving.short_code]
        store.advance(leaving.id, "picked_up")
        await sweep(pilot)
        assert shown_codes(app)[1] == [staying.short_code]
        store.advance(staying.id, "store_cancel")
        await sweep(pilot)
        assert "No orders yet" in words(app)


async def test_one_failed_sweep_makes_the_board_offline_and_one_good_sweep_clears_it(
    store: Store,
) -> None:
    store.order("preparing")
    ready = store.order("ready")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = shown_codes(app)
        assert "OFFLINE" not in screen_text(app)
        await store.control.set_faults(error_rate=1.0)
        store.clock.advance(30)
        await sweep(pilot)  # one failed sweep is enough
        text = screen_text(app)
        assert shown_codes(app) == before  # the last codes stay visible
        assert drawn(ready.short_code, text)
        assert f"Live updates paused · codes as of {START:%H:%M}" in text
        band = app.query_one("#banner")
        assert band.has_class("-offline")
        assert "next try at 12:00:35" in words(app)  # the operator's line
        await store.control.clear_faults()
        store.clock.advance(5)
        await sweep(pilot)  # one good sweep clears it
        assert "Live updates paused" not in screen_text(app)
        assert not band.has_class("-offline")
        assert f"updated {START + timedelta(seconds=35):%H:%M:%S}" in screen_text(app)


async def test_an_offline_board_marks_nothing_new(store: Store) -> None:
    order = store.order("preparing")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        store.advance(order.id, "ready")
        store.clock.advance(5)
        await sweep(pilot)
        assert app.view.calling is not None
        await store.control.set_faults(error_rate=1.0)
        await sweep(pilot)
        assert app.view.calling is None
        assert [e.new for e in app.view.ready] == [False]
        assert shown_codes(app) == [[], [order.short_code]]


async def test_a_sweep_that_hangs_makes_the_board_offline_after_two_refresh_periods(
    store: Store,
) -> None:
    store.order("preparing")
    store.orders("ready", 2)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        codes = [e.code for e in app.view.preparing + app.view.ready]
        where = {code: readings(code, screen_text(app)) for code in codes}
        assert all(len(found) == 1 for found in where.values())
        store.clock.advance(5)
        store.transport.hang = True
        await pilot.press("r")  # a sweep that never answers
        await pilot.pause()
        assert app.sweeping
        store.clock.advance(2 * REFRESH_EVERY - 1)
        app.tick()
        await pilot.pause()
        assert "Live updates paused" not in screen_text(app)
        store.clock.advance(1)
        app.tick()
        await pilot.pause()
        assert f"Live updates paused · codes as of {START:%H:%M}" in screen_text(app)
        assert "no answer from the order system yet" in words(app)
        # The band is in space kept for it: no code moved.
        assert {code: readings(code, screen_text(app)) for code in codes} == where
        app.workers.cancel_all()


async def test_a_board_that_cannot_load_says_why(store: Store) -> None:
    app = store.app(token="not-the-token")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = words(app)
        assert "No codes to show yet" in text
        assert "Live updates paused" in text
        assert "token" in app.problem_text()  # the operator's line says why
        assert "not-the-token" not in text
        assert app.model.failures == 1


async def test_unchanged_sweeps_do_not_repaint_the_codes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.orders("preparing", 3)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.query_one("#preparing-grid", CodeGrid)
        page = grid.page
        assert page is not None
        renders: list[int] = []
        draw = grid.render

        def counted() -> Any:
            renders.append(1)
            return draw()

        monkeypatch.setattr(grid, "render", counted)
        store.clock.advance(5)
        await sweep(pilot)
        await pilot.pause()
        assert not renders
        store.order("preparing")
        await sweep(pilot)
        await pilot.pause()
        assert renders


async def test_thousands_of_orders_reuse_the_same_widgets(store: Store) -> None:
    store.orders("preparing", 5)
    app = store.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = app.query_one("#board")
        widgets = len(list(board.query("*")))
        for n in range(2000):
            store.order("ready" if n % 4 == 0 else "preparing")
        await sweep(pilot)
        assert len(app.model.preparing) + len(app.model.ready) == 2005
        assert len(list(board.query("*"))) == widgets  # the same widgets, no more
        assert len(list(app.query("*"))) < 40
        grid = app.query_one("#ready-grid", CodeGrid)
        assert grid.page is not None
        assert len(grid.page.entries) == layout_of(app, Column.READY).capacity < 50
        assert len(store.transport.sweeps()) == 1 + 21


# -- the location picker --------------------------------------------------------------------


async def test_without_a_location_the_board_opens_on_a_picker_of_recent_locations(
    store: Store,
) -> None:
    store.orders("preparing", 2)
    store.orders("ready", 1)
    store.order("picked_up")
    elsewhere = store.order("preparing", location=ELSEWHERE)
    app = store.app(location=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, LocationPickerScreen)
        await settle(pilot)
        assert picker.locations == (
            LocationSeen(LOCATION, 4, 3),
            LocationSeen(ELSEWHERE, 1, 1),
        )
        text = words(app)
        assert "Which store is this board for?" in text
        assert f"{LOCATION} 4 recent · 3 on the board" in text
        assert f"{ELSEWHERE} 1 recent · 1 on the board" in text
        assert store.transport.sweeps() == [store.transport.requests[0]]
        (listing,) = store.transport.sweeps()
        assert "date_from" in listing.url.params  # recent orders only
        assert "location_id" not in listing.url.params
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.location_id == ELSEWHERE
        assert not isinstance(app.screen, LocationPickerScreen)
        assert shown_codes(app) == [[elsewhere.short_code], []]
        assert store.transport.sweeps()[-1].url.params["location_id"] == ELSEWHERE


async def test_the_picker_reads_a_bounded_number_of_pages(store: Store) -> None:
    store.orders("preparing", 250)
    async with make_client(store.transport) as client:
        found = await recent_locations(client, store.clock.now, pages=2)
    assert found == (LocationSeen(LOCATION, 200, 200),)
    assert len(store.transport.sweeps()) == 2


async def test_the_picker_says_why_it_cannot_list_and_r_tries_again(store: Store) -> None:
    await store.control.set_faults(error_rate=1.0)
    app = store.app(location=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert "r tries again" in words(app)
        await store.control.clear_faults()
        store.order("ready")
        await pilot.press("r")
        await settle(pilot)
        await settle(pilot)
        assert f"{LOCATION} 1 recent · 1 on the board" in words(app)


def test_board_kiosk_needs_a_location() -> None:
    result = board_command("--kiosk")
    assert result.exit_code == 2
    assert "--kiosk needs --location UUID" in result.output
    assert "Traceback" not in result.output


def test_board_without_a_location_opens_the_picker(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    monkeypatch.setattr("tote_track.run.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.run.stdin_is_terminal", lambda: True)

    def fake_board(
        config: ClientConfig, location: str | None, *, kiosk: bool, chime: bool, **_: Any
    ) -> int:
        calls.append(location)
        return 0

    monkeypatch.setattr("tote_track.tui.board.app.run_board", fake_board)
    assert board_command("--base-url", BASE_URL).exit_code == 0
    assert calls == [None]


# -- chrome and keys ------------------------------------------------------------------------


async def test_normal_mode_has_header_footer_and_keys(store: Store) -> None:
    store.order("preparing")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.query(Header)
        assert app.query(Footer)
        assert app.use_command_palette
        text = screen_text(app)
        assert "Refresh" in text
        assert "Quit" in text
        ours = [b for b in BoardApp.BINDINGS if isinstance(b, Binding)]
        assert {"board.refresh", "board.next_page", "board.quit"} <= {b.id for b in ours}
        assert all(b.tooltip for b in ours)
        assert {"r", "q"} <= set(app.screen.active_bindings)
        await pilot.press("q")
    assert app.return_code == 0


async def test_kiosk_mode_has_no_chrome_and_ignores_q(store: Store) -> None:
    store.order("ready")
    app = store.app(kiosk=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.query(Header)
        assert not app.query(Footer)
        assert not app.use_command_palette
        await pilot.press("ctrl+p")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        assert len(app.screen_stack) == 1  # no palette opened
        assert "Quit" not in screen_text(app)
        await pilot.press("ctrl+c")  # the operator's way out, without a toast
    assert app.return_code == 0


async def test_the_terminal_going_away_ends_the_board(store: Store) -> None:
    store.order("ready")
    app = store.app(kiosk=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.terminal_gone()
        await pilot.pause()
    assert app.return_code == 0
    assert not list(app.workers)


async def test_sweeps_run_steadily_then_back_off_one_request_each(store: Store) -> None:
    store.order("preparing")
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def delay() -> float:
            assert app.next_sweep_at is not None
            return (app.next_sweep_at - store.clock.now).total_seconds()

        assert delay() == 5.0
        await store.control.set_faults(error_rate=1.0)
        await sweep(pilot)
        assert app.model.failures == 1
        assert delay() == 5.0
        await sweep(pilot)
        assert app.model.failures == 2
        assert delay() == 10.0
        assert len(store.transport.sweeps()) == 1 + 2  # the client never retries by itself


async def test_the_board_owns_every_wait_and_says_what_it_waits_for() -> None:
    """429 with Retry-After: 45, then 503: one request per sweep (the client never retries
    or sleeps), the waits are the board's, and the words count down on the fake clock."""
    api = busy(preparing=2, ready=1)
    answers: list[httpx.Response] = [
        httpx.Response(
            429,
            json={"error": {"code": "rate_limited", "message": "Slow down"}},
            headers={"Retry-After": "45"},
        ),
        httpx.Response(503, json={"error": {"code": "unavailable", "message": "Down for now"}}),
    ]
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answers.pop(0) if api.failing and answers else api.handle(request)

    clock = FakeClock(wall=SNAP_NOW)
    config = ClientConfig(base_url=BASE_URL, token="sandbox")
    app = BoardApp(
        lambda: ToteClient(config, transport=httpx.MockTransport(handle), max_retries=0),
        LOCATION,
        clock=clock.clock,
        tz=UTC,
        auto_sweep=False,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert len(sent) == 1
        api.failing = True
        clock.advance(5)
        await sweep(pilot)
        assert len(sent) == 2  # one request: no retry inside the client
        text = words(app)
        assert "Live updates paused · codes as of 12:30" in text
        assert "Slow down" not in screen_text(app).split("\n")[1]  # not in the band
        assert "next try at 12:30:50" in text  # Retry-After: 45
        clock.advance(45)
        app.tick()
        await pilot.pause()
        assert len(sent) == 2  # nothing was sent while the board waited
        await sweep(pilot)  # the 503
        assert len(sent) == 3
        assert "next try at 12:31:00" in words(app)  # the second failure's backoff
        assert "Down for now (unavailable, HTTP 503)" in words(app)
        clock.advance(10)
        api.failing = False
        await sweep(pilot)  # answers again
        assert len(sent) == 4
        text = words(app)
        assert "Live updates paused" not in text
        assert "next try" not in text
        assert [r.url.path for r in sent] == ["/v1/online-ordering/orders"] * 4


async def test_a_board_that_never_loaded_says_since_when_it_is_offline(store: Store) -> None:
    await store.control.set_faults(error_rate=1.0)
    app = store.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = words(app)
        assert "Live updates paused" in text
        assert "No codes to show yet" in text


def test_run_board_runs_the_app_on_the_given_api(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[BoardApp] = []

    def fake_run(self: BoardApp) -> int | None:
        ran.append(self)
        return None

    monkeypatch.setattr(BoardApp, "run", fake_run)
    config = ClientConfig(base_url=BASE_URL, token="sandbox")
    assert run_board(config, LOCATION, kiosk=True) == 0
    (app,) = ran
    assert (app.kiosk, app.allow_q, app.location_id) == (True, False, LOCATION)
    assert app.client.max_retries == 0  # the board's policy owns every wait


def test_the_board_demo_fills_a_store_then_shows_its_board(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(self: BoardApp) -> int | None:
        async def look() -> None:
            async with self._client_factory() as client:
                result = await board_sweep(client, self.location_id)
            seen["orders"] = result.orders

        asyncio.run(look())
        seen["app"] = self
        return 0

    monkeypatch.setattr(BoardApp, "run", fake_run)
    assert run_board_demo(speed=1.0) == 0
    app: BoardApp = seen["app"]
    assert app.kiosk
    assert app.allow_q  # q quits the demo
    assert "q quits" in app.note
    assert app.feed is not None
    assert app.client.max_retries == 0
    assert len(seen["orders"]) == DEMO_WARM_ORDERS  # the store is busy from the start
    assert run_command(lambda: run_board_demo(speed=0)) == exit_codes.USAGE


# -- the command line ----------------------------------------------------------------------


def board_command(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["board", *args])


def test_board_rejects_a_location_that_is_not_a_uuid_before_anything() -> None:
    result = board_command("--location", "downtown")
    assert result.exit_code == 2
    assert "'downtown' is not a location id" in result.output


def test_board_refuses_a_token_over_plain_http() -> None:
    result = board_command(
        "--location", LOCATION, "--base-url", "http://example.com/v1", "--token", "s3cret-token"
    )
    assert result.exit_code == 2
    assert "plain http://" in result.output
    assert "s3cret-token" not in result.output


def test_board_needs_a_terminal() -> None:
    result = board_command("--location", LOCATION)
    assert result.exit_code == 2
    assert "needs a terminal" in result.output


def test_board_and_demo_board_open_the_board(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("tote_track.run.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("tote_track.run.stdin_is_terminal", lambda: True)

    def fake_board(
        config: ClientConfig, location: str, *, kiosk: bool, chime: bool, **_: Any
    ) -> int:
        calls.append((config.base_url, location, kiosk, chime))
        return 0

    def fake_demo(speed: float) -> int:
        calls.append(("demo", speed))
        return 0

    monkeypatch.setattr("tote_track.tui.board.app.run_board", fake_board)
    monkeypatch.setattr("tote_track.demo.run_board_demo", fake_demo)
    result = board_command("--location", LOCATION.upper(), "--kiosk", "--base-url", BASE_URL)
    assert result.exit_code == 0, result.output
    quiet = board_command("--location", LOCATION, "--quiet", "--base-url", BASE_URL)
    assert quiet.exit_code == 0, quiet.output
    demo = CliRunner().invoke(cli.main, ["demo", "--board", "--speed", "3"])
    assert demo.exit_code == 0, demo.output
    assert calls == [
        (BASE_URL, LOCATION, True, True),
        (BASE_URL, LOCATION, False, False),
        ("demo", 3.0),
    ]


# -- the large type ------------------------------------------------------------------------


def test_codes_are_drawn_as_seven_segment_characters() -> None:
    assert big_code("08BD") == (
        "┏━┓ ┏━┓ ╻     ╻",
        "┃ ┃ ┣━┫ ┣━┓ ┏━┫",
        "┗━┛ ┗━┛ ┗━┛ ┗━┛",
    )
    assert big_code("1F", width=2, spacing=1) == (" ╻ ┏╸", " ┃ ┣╸", " ╹ ╹ ")
    assert seven_segment("Z") == ("   ", " Z ", "   ")
    # Every hexadecimal digit looks different from every other.
    glyphs = {seven_segment(c) for c in "0123456789ABCDEF"}
    assert len(glyphs) == 16


def test_codes_in_large_type_for_few_orders_on_a_big_screen() -> None:
    assert big_code("8", width=5, height=5) == ("┏━━━┓", "┃   ┃", "┣━━━┫", "┃   ┃", "┗━━━┛")
    assert big_code("7", width=4, height=5) == ("╺━━┓", "   ┃", "   ┃", "   ┃", "   ╹")
    assert seven_segment("?", 5, 5)[2] == "  ?  "
    with pytest.raises(ValueError, match="odd number"):
        seven_segment("8", 3, 4)


def test_seven_row_type_for_a_big_screen() -> None:
    assert big_code("8", width=7, height=7) == (
        "┏━━━━━┓",
        "┃     ┃",
        "┃     ┃",
        "┣━━━━━┫",
        "┃     ┃",
        "┃     ┃",
        "┗━━━━━┛",
    )


# -- the demo's stream of orders -------------------------------------------------------------


async def test_the_demo_feed_keeps_orders_coming_and_moving(store: Store) -> None:
    scenarios = {
        "pickup": DemoScenario(
            tuple((float(n + 1), e) for n, e in enumerate(STAGES["picked_up"])),
            {"handoff": {"mode": "PICKUP"}},
        )
    }
    monotonic = [0.0]
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        monotonic[0] += seconds
        if len(naps) >= 12:
            raise asyncio.CancelledError

    feed = DemoFeed(
        ClientConfig(base_url=BASE_URL, token="sandbox"),
        LOCATION,
        scenarios,
        speed=2.0,
        sleep=nap,
        monotonic=lambda: monotonic[0],
        client_factory=lambda: make_client(store.transport, BASE_URL),
    )
    await feed.warm_up(6)
    warm = store.engine.list_orders(limit=100).data
    assert len(warm) == 6
    assert all(
        o.fulfillment_status in ("IN_PROGRESS", "PREPARING", "READY_FOR_PICKUP") for o in warm
    )
    with pytest.raises(asyncio.CancelledError):
        await feed.run()
    assert feed.created > 6  # new orders keep arriving
    assert all(0.05 <= n <= 4.5 for n in naps)
    after = {o.id: o for o in store.engine.list_orders(limit=100).data}
    assert all(o.location_id == LOCATION for o in after.values())
    moved = [o for o in warm if after[o.id].fulfillment_status != o.fulfillment_status]
    assert moved  # the warm orders go on with their journeys


# -- snapshots --------------------------------------------------------------------------------

SnapCompare = Callable[..., bool]


def summary(n: int, fulfillment: str, *, minutes_ago: int, ready_ago: int = 600) -> dict[str, Any]:
    prefix = f"{(n + 1) * 2654435761 % 16**8:08x}"  # distinct, scattered, always the same
    order = make_order(
        "CONFIRMED",
        "PAID",
        fulfillment,
        order_id=f"{prefix}-0000-4000-8000-{n:012x}",
        updated_at=SNAP_NOW - timedelta(seconds=ready_ago),
    )
    data = order.model_dump(mode="json")
    data["created_at"] = (SNAP_NOW - timedelta(minutes=minutes_ago)).isoformat()
    return data


SNAP_NOW = datetime(2026, 1, 31, 12, 30, 0, tzinfo=UTC)


@dataclass
class BoardApi:
    """``GET /orders`` of a fixed set of orders (paged like the API), or failures."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.failing:
            body = {"error": {"code": "internal", "message": "Service unavailable"}}
            return httpx.Response(503, json=body)
        limit = int(request.url.params.get("limit", "20"))
        start = int(request.url.params.get("cursor", "0"))
        page = self.orders[start : start + limit]
        more = start + limit < len(self.orders)
        data = [copy.deepcopy(o) for o in page]
        next_cursor = str(start + limit) if more else None
        pagination = {"has_more": more, "next_cursor": next_cursor}
        return httpx.Response(200, json={"data": data, "pagination": pagination})

    def app(
        self, clock: FakeClock, *, kiosk: bool = False, location: str | None = LOCATION
    ) -> BoardApp:
        transport = httpx.MockTransport(self.handle)
        config = ClientConfig(base_url=BASE_URL, token="sandbox")
        return BoardApp(
            lambda: ToteClient(config, transport=transport, max_retries=0),
            location,
            kiosk=kiosk,
            clock=clock.clock,
            tz=UTC,
            auto_sweep=False,
        )


def busy(preparing: int, ready: int, new: int = 0) -> BoardApi:
    orders = [summary(n, "PREPARING", minutes_ago=40 - n) for n in range(preparing)]
    orders += [
        summary(100 + n, "READY_FOR_PICKUP", minutes_ago=50 - n, ready_ago=30 if n < new else 600)
        for n in range(ready)
    ]
    return BoardApi(orders)


async def loaded(pilot: Pilot[Any]) -> None:
    await settle(pilot)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_a_few_orders(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = busy(preparing=5, ready=3, new=1).app(FakeClock(wall=SNAP_NOW))
    assert snap_compare(app, terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_more_than_fit_in_a_kiosk(
    snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    app = busy(preparing=40, ready=14, new=2).app(FakeClock(wall=SNAP_NOW), kiosk=True)
    assert snap_compare(app, terminal_size=size, run_before=loaded)


def test_snapshot_a_big_kiosk_screen(snap_compare: SnapCompare) -> None:
    app = busy(preparing=9, ready=3, new=1).app(FakeClock(wall=SNAP_NOW), kiosk=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=loaded)


DEMO_NOTE = board_demo_note("Downtown", "http://127.0.0.1:54321/v1/online-ordering")


def demo_board(clock: FakeClock) -> BoardApp:
    """The board as ``demo --board`` opens it (a kiosk that q quits, with its note)."""
    app = busy(preparing=7, ready=4, new=1).app(clock, kiosk=True)
    app.allow_q = True
    app.note = DEMO_NOTE
    return app


@pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=str)
async def test_the_demo_board_fits_its_terminal_and_question_mark_shows_help(
    size: tuple[int, int],
) -> None:
    app = demo_board(FakeClock(wall=SNAP_NOW))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = words(app)
        assert "http://127.0.0.1:54321/v1/online-ordering" in text  # nothing cut
        assert "? help · q quits" in text
        assert "updated 12:30:00" in text
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = words(app)
        assert "The order board" in help_text
        for key in ("r Read the orders now", "n Next page", "q Quit", "Ctrl+Q, Ctrl+C"):
            assert key in help_text
        await pilot.press("escape")
        await pilot.pause()
        assert "The order board" not in words(app)
        assert app.is_running


def test_snapshot_the_demo_board_at_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        demo_board(FakeClock(wall=SNAP_NOW)), terminal_size=(80, 24), run_before=loaded
    )


def test_snapshot_the_boards_help(snap_compare: SnapCompare) -> None:
    async def help_open(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    app = demo_board(FakeClock(wall=SNAP_NOW))
    assert snap_compare(app, terminal_size=(80, 24), run_before=help_open)


def test_snapshot_the_location_picker(snap_compare: SnapCompare) -> None:
    api = busy(preparing=3, ready=2)
    for n, data in enumerate(api.orders):
        if n % 2:
            data["location_id"] = "2c9d4e1f-7a3b-4c5d-8e6f-9a0b1c2d3e4f"
    app = api.app(FakeClock(wall=SNAP_NOW), location=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_snapshot_empty(snap_compare: SnapCompare) -> None:
    app = BoardApi([summary(1, "FULFILLED", minutes_ago=5)]).app(FakeClock(wall=SNAP_NOW))
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_snapshot_offline(snap_compare: SnapCompare) -> None:
    api = busy(preparing=6, ready=4)
    clock = FakeClock(wall=SNAP_NOW)

    async def outage(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        api.failing = True
        clock.advance(61)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(api.app(clock), terminal_size=(80, 24), run_before=outage)


# -- a real terminal -------------------------------------------------------------------------

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
DEADLINE = 120.0
"""Generous: with both cores busy, starting Python and Textual alone can take seconds."""


def _until(found: Callable[[], Any], what: str, details: Callable[[], str] = lambda: "") -> Any:
    end = time.monotonic() + DEADLINE
    while True:
        value = found()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what} {details()}".rstrip())
        time.sleep(0.2)


@pytest.fixture
def seeded_sandbox() -> Iterator[str]:
    """``tote-track sandbox --orders 16`` on a free port; yields its base URL (few orders: a
    big terminal shows a location's codes on one page or two)."""
    process = subprocess.Popen(
        [str(TOTE_TRACK), "sandbox", "--orders", "16", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on " in line, line
        yield line.split("listening on ", 1)[1].strip()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            process.kill()
            process.wait()


def _active_codes(base_url: str) -> dict[str, list[str]]:
    """The short codes on the board of each location, from the API itself."""
    response = httpx.get(
        f"{base_url}/orders",
        params={"status": "CONFIRMED", "limit": "100"},
        headers={"Authorization": "Bearer sandbox"},
    )
    codes: dict[str, list[str]] = {}
    for order in response.json()["data"]:
        if order["fulfillment_status"] in ("IN_PROGRESS", "PREPARING", "READY_FOR_PICKUP"):
            codes.setdefault(order["location_id"], []).append(order["id"][:6].upper())
    return codes


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_kiosk_board_in_a_real_terminal_ends_with_its_terminal(
    seeded_sandbox: str, tmp_path: Path
) -> None:
    assert TOTE_TRACK.exists(), "the tote-track script is installed in the venv"
    codes = _active_codes(seeded_sandbox)
    location, expected = max(codes.items(), key=lambda item: len(item[1]))
    status = tmp_path / "exit-status"
    # The board is the pane's only process; its exit status is written where we can see it.
    runner = (
        "import sys\n"
        "from tote_track.cli import main\n"
        "sys.argv = ['tote-track', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        f"    open({str(status)!r}, 'w').write(str(done.code))\n"
        "    raise\n"
    )
    command = shlex.join(
        [
            sys.executable,
            "-c",
            runner,
            "board",
            "--kiosk",
            "--location",
            location,
            "--base-url",
            seeded_sandbox,
            "--token",
            "sandbox",
        ]
    )
    name = f"tote-board-test-{os.getpid()}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "48", f"exec {command}"],
        check=True,
        timeout=10,
    )
    try:
        # A tmux server already running may have sized the window after another client.
        subprocess.run(
            ["tmux", "resize-window", "-t", name, "-x", "160", "-y", "48"], check=False, timeout=30
        )
        pid = int(
            subprocess.run(
                ["tmux", "display-message", "-p", "-t", name, "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout
        )

        def screen() -> str:
            try:
                result = subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", name],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
            except subprocess.TimeoutExpired:  # a slow moment under load: look again
                return ""
            return result.stdout

        text = _until(lambda: (s := screen()) and "updated " in s and s, "the first sweep")
        assert "PREPARING" in text
        assert "READY FOR PICKUP" in text
        # A column may page (every 8 s): every code must show up on some page.
        seen: set[str] = set()
        last = [text]

        def every_code_seen() -> str | None:
            current = screen()
            if current:
                last[0] = current
            # In large type, or as plain text when the pane is small.
            seen.update(code for code in expected if code in current or drawn(code, current))
            return current if seen == set(expected) else None

        text = _until(
            every_code_seen,
            f"every one of {expected} on some page",
            lambda: f"seen {sorted(seen)}; the last screen:\n{last[0]}",
        )
        assert "Quit" not in text  # no interactive chrome
        assert "^p" not in text
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, timeout=10)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    _until(gone, "the board to exit after its terminal went away")
    assert status.read_text() == "0"


# -- codes never run together ------------------------------------------------------------------

EVERY_SIZE = [(80, 24), (100, 30), (120, 40), (160, 48), (192, 54), (256, 72), (320, 90)]


@pytest.mark.parametrize("ready", [1, 4, 12, 20])
async def test_at_every_size_each_code_shown_reads_as_exactly_one_code(ready: int) -> None:
    api = busy(preparing=8, ready=ready)
    app = api.app(FakeClock(wall=SNAP_NOW), kiosk=True)
    async with app.run_test(size=EVERY_SIZE[0]) as pilot:
        for size in EVERY_SIZE:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            assert app.shown is not None
            shown = [e.code for page in app.shown.columns for e in page.entries]
            counts = read_once(shown, screen_text(app))
            assert counts == dict.fromkeys(shown, 1), (size, counts)
            if size[0] >= 160:  # a TV: Ready needs no paging up to a dozen codes
                assert not app.shown.columns[1].pages > 1 or ready > 12


# -- the first sweep, read while Textual loads -----------------------------------------------


async def test_the_first_sweep_read_ahead_is_the_boards_first(store: Store) -> None:
    """``tui.board.run`` reads the first sweep on a thread while Textual loads: the board
    shows it and sends no sweep of its own for it."""
    ready = store.order("ready")
    config = ClientConfig(base_url=BASE_URL, token="sandbox")
    async with ToteClient(config, transport=store.transport, max_retries=0) as client:
        ahead = await board_sweep(client, LOCATION)
    first: Future[Sweep] = Future()
    first.set_result(ahead)
    app = store.app(first=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown_codes(app) == [[], [ready.short_code]]
        assert len(store.transport.sweeps()) == 1  # the one read ahead
        await sweep(pilot)  # the next one is the board's own
        assert len(store.transport.sweeps()) == 2


async def test_a_first_sweep_that_failed_ahead_is_the_boards_failure(store: Store) -> None:
    first: Future[Sweep] = Future()
    first.set_exception(UnauthorizedError("Invalid API token", status_code=401))
    app = store.app(first=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.error, UnauthorizedError)
        assert not app.model.loaded
        assert not store.transport.sweeps()


def test_first_sweep_reads_the_location_on_a_thread() -> None:
    """The real thread (``api.early``) against the sandbox on a loopback socket."""
    with EmbeddedSandbox(orders=0) as live:
        order_id = pickup_order(live, "payment_completed", "accept", "start_preparing", "ready")

        async def location_of() -> str:
            async with ToteClient(live.config) as client:
                return (await client.get_order(order_id)).location_id

        early = first_sweep(WarmConnection(live.config).start(), asyncio.run(location_of()))
        result = early.outcome.result(timeout=30)
    assert [order.code for order in result.orders] == [short_code(order_id)]
