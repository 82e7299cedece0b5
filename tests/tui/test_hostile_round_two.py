"""The tracker and the board against a hostile API, round two: bidi and zero-width
characters, the token in disguise, an oversized order.

No character a terminal would not show as itself reaches the screen (each is pictured),
no form of the token is drawn (raw, base64, URL-encoded, split by invisible characters:
in a load error, a stop, the 409's Details, the board's message), and an order with a
7 MiB item name or 20,000 items is shown cut: the name to a display length, the items to
the first ``ITEMS_SHOWN`` and how many more.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile_server import (
    INVISIBLE,
    HostileServer,
    disguised_tokens,
    error_reply,
    invisible_characters,
    json_reply,
    leaks,
    oversized_order,
)
from tests.tui.support import FakeClock, RecordingTracker, guide_order, screen_text, settle
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.tracking.presentation import DISPLAY_LIMIT, ITEMS_SHOWN
from tote_track.tui.board.app import BoardApp
from tote_track.tui.tracker.dialogs import ErrorScreen, MessageScreen

TOKEN = "tok-HOSTILE-SECRET-0123456789"
ORDER_PATH = r"/orders/[^/]+"
LOCATION = "b5a7c8d9-e0f1-4a2b-8c3d-4e5f6a7b8c9d"
DISGUISES = disguised_tokens(TOKEN)
# A few disguises per test keep the runs short; every one is checked in tests/api.
SOME = ["base64-std-1", "base64-url-2-unpadded", "url-encoded-all", "zero-width-split"]


def tracker(server: HostileServer) -> RecordingTracker:
    config = ClientConfig(base_url=server.base_url, token=TOKEN)
    return RecordingTracker(
        lambda: ToteClient(config, max_retries=0),
        guide_order()["id"],
        clock=FakeClock().clock,
        auto_poll=False,
    )


def assert_clean(text: str) -> None:
    assert invisible_characters(text) == []
    assert leaks(text, TOKEN) == []


def invisible_order() -> dict[str, Any]:
    order = guide_order()
    order["items"][0]["name"] = f"Sub{INVISIBLE}way"
    order["payments"][0]["payment_method"] = f"CARD{INVISIBLE}"
    order["fulfillment_status"] = f"PREPARING\u202e{INVISIBLE}"
    order["status"] = "CONFIRMED\u202e PAID"
    order["handoff"]["vehicle_make"] = f"\u2067Tesla{INVISIBLE}"
    order["location_id"] = f"\u202e{order['location_id']}"
    return order


async def test_bidi_and_zero_width_characters_are_pictured_on_every_panel(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(invisible_order()))
    app = tracker(hostile_server)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Sub\ufffd\ufffd" in text  # pictured, not dropped
        assert "CONFIRMED\ufffd PAID" in text
        assert invisible_characters(text) == []
        assert invisible_characters(app.export_screenshot()) == []
        assert app.is_running


@pytest.mark.parametrize("form", SOME)
async def test_a_load_error_never_shows_the_token_in_disguise(
    hostile_server: HostileServer, form: str
) -> None:
    message = f"No order for {DISGUISES[form]}\u202e."
    hostile_server.route("GET", ORDER_PATH, error_reply(400, "invalid_request", message))
    app = tracker(hostile_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert "No order for" in text
        assert_clean(text)


@pytest.mark.parametrize("form", SOME)
async def test_a_stop_and_the_409_details_never_show_the_token_in_disguise(
    hostile_server: HostileServer, form: str
) -> None:
    pending = dict(guide_order(), fulfillment_status="PENDING")
    hostile_server.route("GET", ORDER_PATH, json_reply(pending))
    refusal = f"Too late for {DISGUISES[form]}\u2066 now"
    hostile_server.route(
        "POST", ORDER_PATH + "/cancel", error_reply(409, "cancel_not_allowed", refusal)
    )
    app = tracker(hostile_server)
    app.notify_enabled = False
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("tab", "enter")  # the server's words are behind "Details"
        await settle(pilot)
        text = screen_text(app)
        assert "Too late for " in text
        assert "<redacted>" in text
        assert_clean(text)
        await pilot.press("escape")
        await settle(pilot)
        stop = f"Gone: {DISGUISES[form]}"
        hostile_server.route("GET", ORDER_PATH, error_reply(404, "not_found", stop))
        await pilot.press("r")
        await settle(pilot)
        text = screen_text(app)
        assert "Gone: " in text
        assert "<redacted>" in text
        assert_clean(text)


async def test_a_7_mib_item_name_is_cut_to_the_display_length(
    hostile_server: HostileServer,
) -> None:
    order = oversized_order(guide_order(), name_chars=7 * 1024 * 1024)
    hostile_server.route("GET", ORDER_PATH, json_reply(order))
    app = tracker(hostile_server)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        panel = app.query_one("#items")
        shown = screen_text(app)
        name_cells = sum(line.count("Sub") for line in shown.splitlines()) * 4
        assert 0 < name_cells <= DISPLAY_LIMIT + 8
        assert "…" in shown
        assert panel.virtual_size.height < 20
        assert app.is_running


async def test_twenty_thousand_items_show_the_first_ones_and_how_many_more(
    hostile_server: HostileServer,
) -> None:
    order = oversized_order(guide_order(), item_count=20_000)
    hostile_server.route("GET", ORDER_PATH, json_reply(order))
    app = tracker(hostile_server)
    async with app.run_test(size=(120, ITEMS_SHOWN + 40)) as pilot:  # room for every row
        await settle(pilot)
        assert app.query_one("#items").virtual_size.height < ITEMS_SHOWN + 10
        text = screen_text(app)
        assert f"and {20_000 - ITEMS_SHOWN:,} more items" in text
        assert "Payments" in text


@pytest.mark.parametrize("form", SOME)
async def test_the_boards_message_never_shows_the_token_in_disguise(
    hostile_server: HostileServer, form: str
) -> None:
    message = f"Not for {DISGUISES[form]}\u202e, sorry"
    hostile_server.route("GET", "/orders", error_reply(400, "invalid_request", message))
    config = ClientConfig(base_url=hostile_server.base_url, token=TOKEN)
    app = BoardApp(lambda: ToteClient(config, max_retries=0), LOCATION, auto_sweep=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Not for " in text
        assert "<redacted>" in text
        assert_clean(text)
