"""A server's words are data on every screen of the tracker (issue 14, points 1 and 2).

A hostile API on a loopback socket sends item names, payment methods, status values,
currencies, ids and error messages that are Rich markup (``[/]`` kills an unguarded
renderer, ``[@click=app.quit]`` acts when clicked) or terminal escapes (``ESC ]0;`` sets
the window title, ``ESC [2J`` wipes the screen, ``ESC c`` resets the terminal). They must
show as written, do nothing, and never reach the terminal raw.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.hostile_server import HostileServer, error_reply, json_reply
from tests.tui.support import FakeClock, RecordingTracker, guide_order, screen_text, settle
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.tracking.lifecycle import LifecycleEvent
from tote_track.tui.tracker.app import TrackerApp
from tote_track.tui.tracker.dialogs import ErrorScreen, MessageScreen

ORDER_PATH = r"/orders/[^/]+"
TITLE = "\x1b]0;owned\x07"
WIPE = "\x1b[2J"
RESET = "\x1bc"


def control_characters(text: str) -> list[str]:
    """Every control character in ``text`` but line breaks."""
    return [c for c in text if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f")]


def hostile_order(**fields: Any) -> dict[str, Any]:
    order = guide_order()
    order.update(copy.deepcopy(fields))
    return order


def with_currency(order: dict[str, Any], currency: str) -> dict[str, Any]:
    """``order`` with every amount in ``currency``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"amount", "currency"}:
                return {**value, "currency": currency}
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    result: dict[str, Any] = walk(order)
    return result


def tracker(server: HostileServer, *, sandbox: bool = False) -> RecordingTracker:
    config = ClientConfig(base_url=server.base_url, token="sandbox")
    return RecordingTracker(
        lambda: ToteClient(config, max_retries=0),
        guide_order()["id"],
        clock=FakeClock().clock,
        auto_poll=False,
        sandbox_url=server.base_url if sandbox else None,
    )


async def shown(app: TrackerApp, pilot: Pilot[Any]) -> str:
    await settle(pilot)
    return screen_text(app)


MARKUP_ITEMS = [
    {"id": "i1", "name": "[/]", "quantity": 1, "item_total": {"amount": 100, "currency": "USD"}},
    {
        "id": "i2",
        "name": "Coke [diet]",
        "quantity": 2,
        "item_total": {"amount": 200, "currency": "USD"},
    },
    {
        "id": "i3",
        "name": "[@click=app.quit]Tap[/]",
        "quantity": 1,
        "item_total": {"amount": 300, "currency": "USD"},
    },
]


async def test_markup_in_item_names_shows_literally_and_clicking_it_does_nothing(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(hostile_order(items=MARKUP_ITEMS)))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        text = await shown(app, pilot)
        assert "Coke [diet]" in text
        assert "[@click=app.quit]Tap[/]" in text
        assert "[/]" in text.replace("[@click=app.quit]Tap[/]", "")
        row, line = next((n, s) for n, s in enumerate(text.splitlines()) if "Tap[/]" in s)
        await pilot.click(offset=(line.index("Tap[/]") + 1, row))
        await pilot.click(offset=(line.index("[@click") + 2, row))
        await settle(pilot)
        assert app.is_running, "a click on the server's text ran an action"
    assert app.return_code in (None, 0)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"status": "[/]"}, "[/]"),
        ({"payment_status": "[b]ON_HOLD[/b]"}, "[b]ON_HOLD[/b]"),
        ({"fulfillment_status": "[@click=app.quit]WAIT[/]\a"}, "[@click=app.quit]WAIT[/]␇"),
        (
            {
                "payments": [
                    {
                        "id": "p1",
                        "status": "[/]",
                        "payment_method": "[red]VOUCHER",
                        "amount": {"amount": 1945, "currency": "USD"},
                    }
                ]
            },
            "[red]voucher",
        ),
        ({"location_id": "[/]\x1bb5a7c8d9"}, "Store [/]␛B5"),
        ({"handoff": {"mode": "CURBSIDE", "vehicle_make": "[i]Tesla\x1b"}}, "[i]Tesla␛"),
    ],
    ids=["status", "payment-status", "fulfillment", "payment", "location", "vehicle"],
)
async def test_markup_in_any_field_shows_as_sent(
    hostile_server: HostileServer, fields: dict[str, Any], words: str
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(hostile_order(**fields)))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        text = await shown(app, pilot)
        assert words in text
        assert app.is_running


async def test_markup_in_the_currency_shows_as_sent(hostile_server: HostileServer) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(with_currency(guide_order(), "[/]")))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        text = await shown(app, pilot)
        assert "19.45 [/]" in text


ESCAPES = [TITLE, WIPE, RESET]


@pytest.mark.parametrize("escape", ESCAPES, ids=["title", "wipe", "reset"])
async def test_no_terminal_escape_from_any_field_reaches_the_screen(
    hostile_server: HostileServer, escape: str
) -> None:
    order = hostile_order(
        id=f"{RESET}9a8b7c6-d5e4-3210-fedc-ba9876543210",
        location_id=f"{escape}b5a7c8d9",
        status=f"ON{escape}HOLD",
        payment_status=f"{escape}UNPAID",
        fulfillment_status=f"{escape}WAITING",
        items=[
            {
                "id": "i1",
                "name": f"Sub{escape}",
                "quantity": 1,
                "item_total": {"amount": 100, "currency": "USD"},
            }
        ],
        payments=[
            {
                "id": "p1",
                "status": f"{escape}DONE",
                "payment_method": f"{escape}CARD",
                "amount": {"amount": 1945, "currency": "USD"},
            }
        ],
        handoff={"mode": "CURBSIDE", "vehicle_color": f"{escape}Red"},
    )
    hostile_server.route("GET", ORDER_PATH, json_reply(with_currency(order, RESET + "!")))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        text = await shown(app, pilot)
        assert "Sub␛" in text
        assert control_characters(text) == []
        assert control_characters(app.export_screenshot()) == []


@pytest.mark.parametrize("status", [400, 401], ids=["bad-request", "unauthorized"])
async def test_a_load_error_shows_the_servers_message_as_text(
    hostile_server: HostileServer, status: int
) -> None:
    message = f"[@click=app.quit]No[/] {TITLE}{WIPE} such [order"
    hostile_server.route("GET", ORDER_PATH, error_reply(status, f"[b]{RESET}code", message))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await shown(app, pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert control_characters(text) == []
        assert "[@click=app.quit]No[/] ␛]0;owned␇␛[2J such [order" in text


async def test_a_stop_after_loading_shows_the_servers_message_as_text(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(guide_order()))
    app = tracker(hostile_server)
    async with app.run_test(size=(120, 30)) as pilot:
        await shown(app, pilot)
        hostile_server.route("GET", ORDER_PATH, error_reply(404, "gone", f"[/]Gone{WIPE}"))
        await pilot.press("r")
        text = await shown(app, pilot)
        assert "[/]Gone␛[2J" in text
        assert control_characters(text) == []
        assert app.is_running


async def test_the_409_message_shows_as_text(hostile_server: HostileServer) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(hostile_order(fulfillment_status="PENDING")))
    hostile_server.route(
        "POST",
        ORDER_PATH + "/cancel",
        error_reply(409, "cancel_not_allowed", f"[/]Too late [now]{TITLE}"),
    )
    app = tracker(hostile_server)
    app.notify_enabled = False
    async with app.run_test(size=(100, 40)) as pilot:
        await shown(app, pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        text = await shown(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("tab", "enter")  # the server's words are behind "Details"
        text = await shown(app, pilot)
        assert "[/]Too late [now]␛]0;owned␇" in text
        assert control_characters(text) == []


async def test_a_failed_cancel_shows_the_servers_message_as_text(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(hostile_order(fulfillment_status="PENDING")))
    hostile_server.route(
        "POST", ORDER_PATH + "/cancel", error_reply(400, "[/]", f"Bad [/]reason{RESET}")
    )
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        await shown(app, pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        text = await shown(app, pilot)
        assert "Bad [/]reason␛c" in " ".join(text.split())
        assert control_characters(text) == []


async def test_notifications_show_the_servers_words_as_text(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(guide_order()))
    app = tracker(hostile_server)
    async with app.run_test(size=(100, 40)) as pilot:
        await shown(app, pilot)
        ready = hostile_order(
            id=f"{RESET}[/]b7c6-d5e4-3210-fedc-ba9876543210",
            fulfillment_status="READY_FOR_PICKUP",
            handoff={"mode": "CURBSIDE", "vehicle_color": f"[b]{TITLE}"},
        )
        hostile_server.route("GET", ORDER_PATH, json_reply(ready))
        await pilot.press("r")
        text = await shown(app, pilot)
        assert app.notified, "the ready order raised an alert"
        assert control_characters(text) == []
        assert all(not control_characters(n) for n in app.notified + app.notified_titles)
        assert any("Order ␛C[/]B" in title for title in app.notified_titles)


async def test_the_qa_console_shows_the_servers_answer_as_text(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route(
        "GET", ORDER_PATH, json_reply(hostile_order(status="[/]HOLD", fulfillment_status="PENDING"))
    )
    hostile_server.route(
        "POST",
        r"/sandbox/orders/[^/]+/events",
        error_reply(409, "[b]event_not_allowed", f"[@click=app.quit]Not now[/]{WIPE}"),
    )
    hostile_server.route("GET", r"/sandbox/faults", json_reply({}))
    app = tracker(hostile_server, sandbox=True)
    async with app.run_test(size=(120, 50)) as pilot:
        await shown(app, pilot)
        await pilot.press("e")
        await settle(pilot)
        console = app.qa_console
        assert console is not None
        console.fire(LifecycleEvent.ACCEPT)
        text = " ".join((await shown(app, pilot)).split())
        assert "[/]HOLD" in text
        assert "[@click=app.quit]Not now[/]␛[2J" in text
        assert control_characters(text) == []
        assert app.is_running
