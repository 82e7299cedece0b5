"""The board against a hostile API (issue 14): short codes and messages never reach the
terminal raw, and a pagination problem is shown as the reason the board cannot load."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.hostile_server import Answer, HostileServer, Seen, error_reply, json_reply
from tests.tui.support import guide_order, screen_text, screen_words, settle
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
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
        assert "Can't load the orders" in text
        assert "[@click=app.quit]Bad[/] ␛]0;owned␇␛[2J" in text
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
        assert "Can't load the orders" in text
        assert "The server sent a next_cursor it had already sent" in text
        assert "not the orders API · retrying in 5 s" in text


async def test_endless_empty_pages_are_the_boards_message(hostile_server: HostileServer) -> None:
    cursors = itertools.count()

    def endless(_: Seen) -> Answer:
        return json_reply(page(cursor=f"c{next(cursors)}"))(_)

    hostile_server.route("GET", "/orders", endless)
    app = board(hostile_server)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):  # a bounded wait: the client stops at the first empty page
            await pilot.pause(0.05)
            if app.error is not None:
                break
        text = screen_words(app)
        assert "Can't load the orders" in text
        assert "empty page but said more orders follow" in text
        app.workers.cancel_all()
