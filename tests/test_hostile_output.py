"""No terminal escape from a server reaches the terminal through ``watch``, ``list`` or an
error line (issue 14, point 2); their JSON output keeps the server's text exactly.

The server is a hostile API on a loopback socket: its status values, ids, currencies and
error messages carry ``ESC ]0;…BEL`` (sets the window title), ``ESC [2J`` (wipes the
screen) and ``ESC c`` (resets the terminal).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from click.testing import CliRunner

from tests.hostile_server import Answer, HostileServer, Seen, error_reply, json_reply
from tests.tui.support import guide_order
from tote_track import cli

ORDER_ID = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
ORDER_PATH = r"/orders/[^/]+"
TITLE = "\x1b]0;owned\x07"
WIPE = "\x1b[2J"
RESET = "\x1bc"
HOSTILE_ID = f"{RESET}9a8b7c6-d5e4-3210-fedc-ba9876543210"


def control_characters(text: str) -> list[str]:
    return [c for c in text if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f")]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def api(server: HostileServer) -> list[str]:
    return ["--base-url", server.base_url, "--token", "sandbox"]


def hostile_order() -> dict[str, Any]:
    order = guide_order()
    order.update(
        id=HOSTILE_ID,
        status="COMPLETED",
        payment_status=f"{WIPE}PAID",
        fulfillment_status="FULFILLED",
        location_id=f"{TITLE}b5a7",
        handoff={"mode": f"PICKUP{TITLE}"},
    )
    for field in ("subtotal", "total_tax", "total_discount", "total", "total_paid", "balance_due"):
        order[field]["currency"] = f"{RESET}!"
    return order


def test_watch_lines_show_escapes_and_json_keeps_them(hostile_server: HostileServer) -> None:
    hostile_server.route("GET", ORDER_PATH, json_reply(hostile_order()))
    code, out, err = invoke("watch", ORDER_ID, *api(hostile_server))
    assert code == 0, err
    assert control_characters(out + err) == []
    assert "␛C9A8B COMPLETED ␛[2JPAID FULFILLED" in out

    code, out, err = invoke("watch", ORDER_ID, *api(hostile_server), "--json")
    assert code == 0, err
    [change, *_] = [json.loads(line) for line in out.splitlines()]
    assert change["payment_status"] == f"{WIPE}PAID"
    assert change["id"] == HOSTILE_ID
    assert change["short_code"] == HOSTILE_ID[:6].upper()


def test_watch_retry_warnings_show_escapes(hostile_server: HostileServer) -> None:
    replies = itertools.chain(
        [error_reply(503, f"{RESET}busy", f"Down {TITLE}{WIPE}")],
        itertools.repeat(json_reply(hostile_order())),
    )

    def answer(seen: Seen) -> Answer:
        return next(replies)(seen)

    hostile_server.route("GET", ORDER_PATH, answer)
    code, out, err = invoke("watch", ORDER_ID, *api(hostile_server), "--poll-speed", "100")
    assert code == 0, err
    assert "reconnecting · retry in" in err
    assert "Down ␛]0;owned␇␛[2J" in err
    assert control_characters(out + err) == []


def test_watch_error_line_shows_escapes_and_json_keeps_them(
    hostile_server: HostileServer,
) -> None:
    hostile_server.route(
        "GET", ORDER_PATH, error_reply(404, f"not_found{RESET}", f"No {TITLE}order{WIPE}")
    )
    code, out, err = invoke("watch", ORDER_ID, *api(hostile_server))
    assert code == 4
    assert err.startswith("Error: ")
    assert "No ␛]0;owned␇order␛[2J" in err
    assert control_characters(out + err) == []

    code, out, err = invoke("watch", ORDER_ID, *api(hostile_server), "--json")
    assert code == 4
    [event] = [json.loads(line) for line in out.splitlines()]
    # The order's fields stay exact in JSON; an error's words are the client's, scrubbed
    # where they arrived (the same visible pictures as every other output).
    assert event["error"]["code"] == "not_found␛c"
    assert "No ␛]0;owned␇order␛[2J" in event["error"]["message"]
    assert control_characters(err) == []


def summary() -> dict[str, Any]:
    order = hostile_order()
    del order["items"], order["payments"]
    order["fulfillment_status"] = f"READY{TITLE}"
    return order


def test_list_table_shows_escapes_and_json_keeps_them(hostile_server: HostileServer) -> None:
    page = {"data": [summary()], "pagination": {"has_more": False, "next_cursor": None}}
    hostile_server.route("GET", "/orders", json_reply(page))
    code, out, err = invoke("list", *api(hostile_server))
    assert code == 0, err
    assert control_characters(out + err) == []
    row = out.splitlines()[1]
    assert row.startswith("␛C9A8B  ")
    assert "␛[2JPAID  READY␛]0;owned␇" in row
    assert row.endswith("19.45 ␛C!")
    # The columns stay aligned: each escape is one visible character.
    header = out.splitlines()[0]
    assert header.index("PAYMENT") == row.index("␛[2JPAID")

    code, out, err = invoke("list", *api(hostile_server), "--json")
    assert code == 0, err
    [order] = json.loads(out)
    assert order["fulfillment_status"] == f"READY{TITLE}"
    assert order["id"] == HOSTILE_ID


def test_list_error_line_shows_escapes(hostile_server: HostileServer) -> None:
    hostile_server.route(
        "GET", "/orders", error_reply(400, f"invalid{WIPE}", f"Bad {TITLE} filter{RESET}")
    )
    code, out, err = invoke("list", *api(hostile_server))
    assert code == 4
    assert err.startswith("Error: ")
    assert "Bad ␛]0;owned␇ filter␛c" in err
    assert control_characters(out + err) == []


def test_list_says_when_it_waits_out_retry_after(hostile_server: HostileServer) -> None:
    page = {"data": [], "pagination": {"has_more": False, "next_cursor": None}}
    replies = itertools.chain(
        [error_reply(429, "rate_limited", "Slow down", {"Retry-After": "1"})],
        itertools.repeat(json_reply(page)),
    )

    def answer(seen: Seen) -> Answer:
        return next(replies)(seen)

    hostile_server.route("GET", "/orders", answer)
    code, out, err = invoke("list", *api(hostile_server))
    assert code == 0, err
    assert err == "the API is busy (rate limited or failing); retrying in 1 s\n"
    assert out == "No orders match.\n"
    assert len(hostile_server.seen("GET", "/orders")) == 2
