"""``watch`` and ``list`` as real processes against a hostile loopback API, round two.

No character a terminal would not show as itself is printed (bidi, zero-width and other
format characters are pictured in text and escaped in JSON, whose reader still gets the
exact text), and no form of the token is printed (base64, URL-encoded, split by invisible
characters), in text, ``--json`` or on stderr.
"""

from __future__ import annotations

import json
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
    order_summary,
)
from tests.test_hostile_cli import ORDER_ID, TOKEN, Run, one_sentence, tote_track

DISGUISES = disguised_tokens(TOKEN)
SOME = ["base64-std-0-unpadded", "base64-url-1", "url-encoded-lower", "bidi-split"]


def assert_clean(run: Run) -> None:
    for out in (run.stdout, run.stderr):
        assert invisible_characters(out.replace("\n", "")) == []
        assert leaks(out, TOKEN) == []


def test_watch_pictures_invisible_characters_and_its_json_escapes_them(
    hostile_server: HostileServer, guide_order_json: dict[str, Any]
) -> None:
    hostile = f"PAID\u202e{INVISIBLE}"
    order = {**guide_order_json, "status": "COMPLETED", "payment_status": hostile}
    hostile_server.route("GET", r"/orders/[^/]+", json_reply(order))
    text = tote_track(hostile_server, "watch", ORDER_ID)
    assert text.code == 0
    assert "COMPLETED PAID\ufffd" in text.stdout
    assert_clean(text)
    lines = tote_track(hostile_server, "watch", ORDER_ID, "--json")
    assert lines.code == 0
    assert_clean(lines)
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    assert events[0]["payment_status"] == hostile  # the exact text, for a JSON reader


def test_list_pictures_invisible_characters_and_its_json_escapes_them(
    hostile_server: HostileServer, guide_order_json: dict[str, Any]
) -> None:
    rows = [
        order_summary(guide_order_json, 0, status="CONFIRMED\u202e PAID"),
        order_summary(guide_order_json, 1, fulfillment_status=f"\u2066READY{INVISIBLE}"),
        order_summary(guide_order_json, 2, handoff={"mode": "PICKUP\u200b\ufeff"}),
    ]
    page = {"data": rows, "pagination": {"has_more": False}}
    hostile_server.route("GET", "/orders", json_reply(page))
    table = tote_track(hostile_server, "list")
    assert table.code == 0
    assert "CONFIRMED\ufffd PAID" in table.stdout
    assert_clean(table)
    listed = tote_track(hostile_server, "list", "--json")
    assert listed.code == 0
    assert_clean(listed)
    assert json.loads(listed.stdout)[0]["status"] == "CONFIRMED\u202e PAID"


@pytest.mark.parametrize("form", SOME)
def test_watch_and_list_never_print_the_token_in_disguise(
    hostile_server: HostileServer, form: str
) -> None:
    said = f"No order for {DISGUISES[form]}\u202e here."
    ascii_form = DISGUISES[form].isascii()  # a header can carry it
    echo = {"X-Request-Id": f"req_{DISGUISES[form]}"} if ascii_form else {}
    hostile_server.route("GET", r"/orders/[^/]+", error_reply(404, "not_found", said, echo))
    hostile_server.route("GET", "/orders", error_reply(400, "invalid_request", said, echo))
    watched = tote_track(hostile_server, "watch", ORDER_ID)
    assert watched.code == 4
    assert "<redacted>" in one_sentence(watched)
    assert_clean(watched)
    watched_json = tote_track(hostile_server, "watch", ORDER_ID, "--json")
    assert watched_json.code == 4
    assert "<redacted>" in watched_json.stdout
    assert_clean(watched_json)
    listed = tote_track(hostile_server, "list")
    assert listed.code == 4
    assert "<redacted>" in one_sentence(listed)
    assert_clean(listed)
