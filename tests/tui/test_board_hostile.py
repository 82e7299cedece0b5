"""The board against a hostile API (issue 14): short codes and messages never reach the
terminal raw, and a pagination problem is shown as the reason the board cannot load."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.hostile_server import (
    Answer,
    HostileServer,
    Seen,
    endless_pages,
    error_reply,
    json_reply,
)
from tests.tui.support import guide_order, screen_text, screen_words, settle
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.tracking.board import CAPPED_WAIT, SWEEP_PAGE_CAP
from tote_track.tui.board.app import BoardApp

LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
TITLE = "\x1b]0;owned\x07"
WIPE = "\x1b[2J"
RESET = "\x1bc"


def control_characters(text: str) -> list[str]:
    return [c for c in text if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f")]


def board(server: HostileServer) -> BoardApp:
    config = ClientConfig(base_url=server.base_url, token="sandbox")
    return BoardApp(lambda: ToteClient(config, max_retries=0), LOCATION, auto_sweep=False)


def summary(order_id: str, fulfillment: str) -> dict[str, Any]:
    order = guide_order()
    del order["items"], order["payments"]
    order.update(id=order_id, fulfillment_status=fulfillment, location_id=LOCATION)
    return order


def page(*orders: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
    return {
        "data": list(orders),
        "pagination": {"has_more": cursor is not None, "next_cursor": cursor},
    }


@pytest.mark.parametrize("size", [(120, 40), (40, 12)], ids=["large-type", "small"])
async def test_short_codes_with_escapes_never_reach_the_terminal(
    hostile_server: HostileServer, size: tuple[int, int]
) -> None:
    orders = [
        summary(f"{RESET}1234-5678", "PREPARING"),
        summary(f"{WIPE}ab-cdef", "READY_FOR_PICKUP"),
        summary(f"{TITLE}", "PREPARING"),
    ]
    hostile_server.route("GET", "/orders", json_reply(page(*orders)))
    app = board(hostile_server)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.model.loaded
        text = screen_text(app)
        assert "␛" in text
        assert control_characters(text) == []
        assert control_characters(app.export_screenshot()) == []


async def test_a_servers_message_on_the_board_is_text(hostile_server: HostileServer) -> None:
    hostile_server.route(
        "GET", "/orders", error_reply(400, f"bad{RESET}", f"[@click=app.quit]Bad[/] {TITLE}{WIPE}")
    )
    app = board(hostile_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        assert "No codes to show yet" in text
        assert "[@click=app.quit]Bad[/] ␛]0;owned␇␛[2J" in text  # the operator's line
        assert control_characters(screen_text(app)) == []


async def test_a_pagination_problem_is_the_boards_message(hostile_server: HostileServer) -> None:
    # Always "more follow", always the same cursor: the client stops and says why.
    hostile_server.route(
        "GET", "/orders", json_reply(page(summary("a1b2c3-x", "PREPARING"), cursor="again"))
    )
    app = board(hostile_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_words(app)
        assert "Live updates paused" in text
        assert "The server sent a next_cursor it had already sent" in text
        assert "next try at" in text


async def test_endless_empty_pages_are_the_boards_message(hostile_server: HostileServer) -> None:
    cursors = itertools.count()

    def endless(_: Seen) -> Answer:
        return json_reply(page(cursor=f"c{next(cursors)}"))(_)

    hostile_server.route("GET", "/orders", endless)
    app = board(hostile_server)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 10  # the client stops at the first empty page
        while app.error is None:
            if time.monotonic() > deadline:
                raise AssertionError("the board did not stop at the empty page in 10 s")
            await pilot.pause(0.05)
        text = screen_words(app)
        assert "Live updates paused" in text
        assert "empty page but said more orders follow" in text
        app.workers.cancel_all()


# -- a sweep is bounded, and one bad order is skipped (issue 24, item 5) -------------------


async def test_endless_pages_stop_at_the_page_cap_and_the_next_sweep_waits_long(
    hostile_server: HostileServer,
) -> None:
    rows = [summary(f"{n:06x}aa-0000-4000-8000-000000000000", "PREPARING") for n in range(3)]
    hostile_server.route("GET", "/orders", endless_pages(rows))
    config = ClientConfig(base_url=hostile_server.base_url, token="sandbox")
    app = BoardApp(lambda: ToteClient(config, max_retries=0), LOCATION, kiosk=True)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 30
        while not app.model.capped:
            if time.monotonic() > deadline:
                raise AssertionError("the first sweep did not stop at the page cap in 30 s")
            await pilot.pause(0.05)
        started = time.monotonic()
        assert len(hostile_server.seen("GET", "/orders")) == SWEEP_PAGE_CAP == 50
        assert app.next_sweep_at is not None
        wait = (app.next_sweep_at - app.clock.wall()).total_seconds()
        assert wait >= CAPPED_WAIT - 5 >= 40  # so at most 100 requests in 40 s
        # What was read is shown: the board is not offline.
        assert not app.view.offline
        assert [e.code for e in app.view.preparing] == ["000000", "000001", "000002"]
        await pilot.pause(1.0)
        assert len(hostile_server.seen("GET", "/orders")) == 50
        assert time.monotonic() - started < 5
        app.workers.cancel_all()


async def test_one_order_that_is_not_valid_is_skipped_and_the_good_codes_show(
    hostile_server: HostileServer,
) -> None:
    good = [summary(f"{n:06x}bb-0000-4000-8000-000000000000", "READY_FOR_PICKUP") for n in (1, 2)]
    bad = summary("0000ffbb-0000-4000-8000-000000000000", "READY_FOR_PICKUP")
    bad["total"] = {"amount": float("nan"), "currency": "USD"}
    hostile_server.route("GET", "/orders", json_reply(page(good[0], bad, good[1])))
    app = board(hostile_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.model.loaded
        assert not app.view.offline
        assert [e.code for e in app.view.ready + app.view.uncollected] == ["000001", "000002"]
        assert app.model.skipped == 1  # counted for QA
        assert "1 order(s) left out: not valid" in app.problem_text()
        text = screen_text(app)
        assert "Live updates paused" not in text
